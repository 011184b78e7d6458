"""The Discord bot: fans ask for songs with slash commands and get them back where they asked.

The bot is a client of the runtime's library (the same database `vartist serve` and
`vartist worker` use): it screens and submits requests, follows their progress, and delivers
each finished song exactly once; render workers run separately.
"""

from vartist.integrations.discord.credentials import DiscordSetupError, load_token
from vartist.integrations.discord.endpoints import Endpoints

__all__ = ["DiscordSetupError", "Endpoints", "load_token"]
