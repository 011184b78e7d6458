"""Pointing discord.py at Discord, or at a Discord-compatible server (and the tests' fake).

discord.py keeps its REST base in ``discord.http.Route.BASE`` (the interaction webhooks use
the same routes) and, for a client without shards, connects to
``DiscordWebSocket.DEFAULT_GATEWAY``; both are class attributes meant to be set. When only the
REST base moves, the gateway is the one that server names in ``GET /gateway/bot``, as Discord
documents for bots.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from vartist.integrations.discord.credentials import DiscordSetupError

API_BASE_ENV = "VARTIST_DISCORD_API_BASE"
GATEWAY_ENV = "VARTIST_DISCORD_GATEWAY"
GUILD_ENV = "VARTIST_DISCORD_GUILD"
DEFAULT_API_BASE = "https://discord.com/api/v10"


@dataclass(frozen=True)
class Endpoints:
    api_base: str = DEFAULT_API_BASE
    gateway: str | None = None
    """None: discord.py's default, or what ``GET /gateway/bot`` names for another API base."""
    guild_id: int | None = None
    """Commands are synced to this guild only (they appear at once); None: globally."""

    @classmethod
    def from_environment(cls) -> Endpoints:
        api_base = os.environ.get(API_BASE_ENV, "").strip() or DEFAULT_API_BASE
        gateway = os.environ.get(GATEWAY_ENV, "").strip() or None
        guild = os.environ.get(GUILD_ENV, "").strip()
        _check_url(API_BASE_ENV, api_base, ("http", "https"))
        if gateway is not None:
            _check_url(GATEWAY_ENV, gateway, ("ws", "wss"))
        if guild and not guild.isdigit():
            raise DiscordSetupError(
                f"{GUILD_ENV} must be a guild (server) id, a number such as 81384788765712384; "
                "copy it with Discord's developer mode"
            )
        return cls(api_base.rstrip("/"), gateway, int(guild) if guild else None)

    @property
    def custom_api(self) -> bool:
        return self.api_base != DEFAULT_API_BASE

    def apply(self) -> None:
        """Point discord.py's REST routes (and its gateway, when given) at these endpoints."""
        import discord.http

        discord.http.Route.BASE = self.api_base
        if self.gateway is not None:
            use_gateway(self.gateway)


def use_gateway(url: str) -> None:
    import yarl
    from discord.gateway import DiscordWebSocket

    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def _check_url(variable: str, value: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise DiscordSetupError(
            f"{variable} must be a {' or '.join(s + '://' for s in schemes)} URL, such as "
            f"{schemes[-1]}://discord.example/…; it is {value[:80]!r}"
        )
