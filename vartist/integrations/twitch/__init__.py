"""Twitch chat: `!sing` requests into the service's queue, `!skip` for moderators."""

from vartist.integrations.twitch.bot import (
    TwitchChat,
    TwitchCredentials,
    TwitchEndpoints,
    TwitchError,
)
from vartist.integrations.twitch.desk import ChatLimits, ChatLine, SongDesk
from vartist.integrations.twitch.stage_panel import StagePanel, StagePanelError

__all__ = [
    "ChatLimits",
    "ChatLine",
    "SongDesk",
    "StagePanel",
    "StagePanelError",
    "TwitchChat",
    "TwitchCredentials",
    "TwitchEndpoints",
    "TwitchError",
]
