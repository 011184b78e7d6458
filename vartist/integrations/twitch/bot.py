"""`vartist twitch`: the song-request desk in a Twitch stream's chat, through twitchio 3.

twitchio reads chat from EventSub over a websocket (``channel.chat.message``) and writes with
Helix (``POST /chat/messages``), both as the bot's user (a token with ``user:read:chat`` and
``user:write:chat``). twitchio 3 has no option for the addresses it talks to: they are the
class attributes ``Route.BASE``/``Route.ID_BASE`` and the module constant ``WSS``, read anew on
every call, so :func:`direct_twitchio` sets them for a Twitch-compatible server or a test's
fake. They are process-wide, which suits a process that runs one bot.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vartist.errors import EXIT_USER_ERROR, VartistError
from vartist.integrations.twitch.desk import ChatLimits, ChatLine, SongDesk
from vartist.integrations.twitch.stage_panel import StagePanel
from vartist.persona import Persona
from vartist.persona.schema import TwitchConfig
from vartist.runtime.service import Service
from vartist.runtime.workers import ServiceSettings
from vartist.userfiles import read_user_text, shown

if TYPE_CHECKING:
    import twitchio

log = logging.getLogger("vartist.twitch")

TWITCH_HELIX = "https://api.twitch.tv/helix/"
TWITCH_OAUTH = "https://id.twitch.tv/"
TWITCH_EVENTSUB = "wss://eventsub.wss.twitch.tv/ws"
TOKEN_FILE_NAME = "twitch-token"
"""In vartist's config folder, mode 0600: the bot's user access token when TWITCH_TOKEN is
unset."""


class TwitchError(VartistError):
    exit_code = EXIT_USER_ERROR


@dataclass(frozen=True)
class TwitchEndpoints:
    """Where Helix, the OAuth server and the EventSub websocket are."""

    helix: str = TWITCH_HELIX
    oauth: str = TWITCH_OAUTH
    eventsub: str = TWITCH_EVENTSUB

    @classmethod
    def from_environment(cls) -> TwitchEndpoints:
        """``VARTIST_TWITCH_API_BASE``, ``VARTIST_TWITCH_AUTH_BASE`` and
        ``VARTIST_TWITCH_EVENTSUB`` override Twitch's own addresses."""
        return cls(
            helix=os.environ.get("VARTIST_TWITCH_API_BASE") or TWITCH_HELIX,
            oauth=os.environ.get("VARTIST_TWITCH_AUTH_BASE") or TWITCH_OAUTH,
            eventsub=os.environ.get("VARTIST_TWITCH_EVENTSUB") or TWITCH_EVENTSUB,
        )


def direct_twitchio(endpoints: TwitchEndpoints) -> None:
    from twitchio import http as twitchio_http
    from twitchio.eventsub import websockets

    # twitchio joins a path to these bases without a slash of its own
    twitchio_http.Route.BASE = endpoints.helix.rstrip("/") + "/"
    twitchio_http.Route.ID_BASE = endpoints.oauth.rstrip("/") + "/"
    websockets.WSS = endpoints.eventsub


@dataclass(frozen=True)
class TwitchCredentials:
    """The app's client id (and secret) and the bot account's user token; never printed."""

    client_id: str
    token: str = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls) -> TwitchCredentials:
        """``TWITCH_CLIENT_ID`` and ``TWITCH_TOKEN`` (or the private file ``twitch-token`` in
        vartist's config folder); ``TWITCH_CLIENT_SECRET`` and ``TWITCH_REFRESH_TOKEN`` when
        the token should be refreshed as it expires."""
        client_id = os.environ.get("TWITCH_CLIENT_ID", "").strip()
        if not client_id:
            raise TwitchError(
                "set TWITCH_CLIENT_ID to your Twitch application's client id "
                "(dev.twitch.tv/console)"
            )
        token = os.environ.get("TWITCH_TOKEN", "").strip() or _token_from_file()
        if not token:
            raise TwitchError(
                "set TWITCH_TOKEN to the bot account's user access token (scopes user:read:chat "
                f"and user:write:chat), or write it to ~/.config/vartist/{TOKEN_FILE_NAME} "
                "(chmod 600)"
            )
        return cls(
            client_id=client_id,
            token=token.removeprefix("oauth:"),
            client_secret=os.environ.get("TWITCH_CLIENT_SECRET", "").strip() or None,
            refresh_token=os.environ.get("TWITCH_REFRESH_TOKEN", "").strip() or None,
        )


def _token_from_file() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(base) / "vartist" / TOKEN_FILE_NAME
    if not path.exists():
        return ""
    if path.stat().st_mode & 0o077:
        raise TwitchError(f"{shown(path)} is readable by others; run `chmod 600 {shown(path)}`")
    return read_user_text(path, 4096, "token file").strip()


class TwitchChat:
    """One bot in one channel's chat, feeding a :class:`SongDesk`."""

    def __init__(
        self,
        service: Service,
        config: TwitchConfig,
        credentials: TwitchCredentials,
        endpoints: TwitchEndpoints | None = None,
        limits: ChatLimits | None = None,
    ) -> None:
        if not config.channel_id.isdigit():
            raise TwitchError(
                "set [twitch] channel_id in the persona to the broadcaster's numeric Twitch user id"
            )
        self.config = config
        self.credentials = credentials
        self.endpoints = endpoints or TwitchEndpoints.from_environment()
        self.bot_id: str | None = None
        self.ready = asyncio.Event()
        self._client: twitchio.Client | None = None
        self.desk = SongDesk(
            service,
            limits
            or ChatLimits(
                config.requests_per_window, config.window_seconds, config.cooldown_seconds
            ),
            StagePanel(config.stage_panel, os.environ.get("VARTIST_API_TOKEN") or None),
            self._send,
        )

    async def _send(self, text: str, reply_to: str | None) -> None:
        assert self._client is not None and self.bot_id is not None
        channel = self._client.create_partialuser(self.config.channel_id)
        try:
            await channel.send_message(
                text, self.bot_id, token_for=self.bot_id, reply_to_message_id=reply_to
            )
        except Exception as exc:  # a lost reply must not stop the desk
            log.warning("could not send a chat message: %s", type(exc).__name__)

    async def _on_message(self, message: twitchio.ChatMessage) -> None:
        if message.chatter.id == self.bot_id:
            return  # its own replies come back through the same subscription
        line = ChatLine(
            message_id=message.id,
            user_id=message.chatter.id,
            user_name=message.chatter.display_name or message.chatter.name or message.chatter.id,
            text=message.text,
            moderator=message.chatter.moderator,
        )
        await self.desk.handle(line)

    async def run(self, stop: asyncio.Event) -> None:
        """Sign in, subscribe to the channel's chat and answer it until ``stop`` is set."""
        import twitchio
        from twitchio.eventsub import ChatMessageSubscription

        direct_twitchio(self.endpoints)
        credentials = self.credentials
        client = twitchio.Client(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            fetch_client_user=False,
        )
        self._client = client
        try:
            try:
                # no token files: twitchio would otherwise keep tokens in .tio.tokens.json
                await client.login(
                    token=None if credentials.client_secret else credentials.token,
                    load_tokens=False,
                    save_tokens=False,
                )
                validated = await client.add_token(
                    credentials.token, credentials.refresh_token or ""
                )
            except Exception as exc:
                raise TwitchError(
                    f"Twitch refused the bot's credentials ({type(exc).__name__}); check "
                    "TWITCH_CLIENT_ID and that TWITCH_TOKEN is a current user access token"
                ) from None
            self.bot_id = str(validated.user_id)
            client.add_listener(self._on_message, event="event_message")
            condition = ChatMessageSubscription(
                broadcaster_user_id=self.config.channel_id, user_id=self.bot_id
            )
            try:
                await client.subscribe_websocket(condition, token_for=self.bot_id)
            except Exception as exc:
                raise TwitchError(
                    f"cannot subscribe to the chat of channel {self.config.channel_id} "
                    f"({type(exc).__name__}: {str(exc)[:160]})"
                ) from None
            log.info("reading the chat of Twitch channel %s", self.config.channel_id)
            self.ready.set()
            await self.desk.follow_stage(stop)
        finally:
            await client.close()


def run_twitch_chat(
    settings: ServiceSettings, persona: Persona, announce: Callable[[str], None]
) -> None:
    """`vartist twitch`: answer the chat of the persona's channel until interrupted."""
    credentials = TwitchCredentials.from_environment()
    service = Service.open(settings, persona)
    try:
        chat = TwitchChat(service, persona.twitch, credentials)

        async def main() -> None:
            stop = asyncio.Event()
            running = asyncio.create_task(chat.run(stop))
            ready = asyncio.create_task(chat.ready.wait())
            await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
            if ready.done():
                announce(
                    f"{persona.name} takes !sing requests in the chat of Twitch channel "
                    f"{persona.twitch.channel_id}; queue in {settings.data_dir}"
                )
            else:
                ready.cancel()
            await running

        asyncio.run(main())
    finally:
        service.close()
