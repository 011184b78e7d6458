"""The stage panel of `vartist perform --queue`, seen from a chat bot.

The stage keeps what it plays in memory (``StageShow.now_playing``) and skips through its
panel's button; the service's library records neither. So the bot reads ``/panel/state`` and
presses ``/panel/skip`` like the panel page does: a POST whose ``Origin`` is the panel itself,
and, when the panel listens beyond loopback, the panel's token cookie.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from vartist.errors import VartistError

PANEL_COOKIE = "vartist_panel"
"""The cookie the panel's token guard reads (see vartist.integrations.web.stage)."""
PANEL_TIMEOUT_SECONDS = 5.0


class StagePanelError(VartistError):
    """The stage panel did not answer or refused."""


@dataclass(frozen=True)
class Playing:
    request_id: str
    title: str


class StagePanel:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token

    async def _call(self, method: str, path: str) -> dict[str, Any]:
        headers = {"Origin": self.base_url} if method == "POST" else {}
        cookies = {PANEL_COOKIE: self._token} if self._token else None
        timeout = aiohttp.ClientTimeout(total=PANEL_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, cookies=cookies) as session,
                session.request(method, self.base_url + path, headers=headers) as response,
            ):
                body = await response.json(content_type=None)
                if response.status >= 400:
                    error = body.get("error") if isinstance(body, dict) else None
                    raise StagePanelError(f"the stage panel answered {response.status}: {error}")
                return body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise StagePanelError(
                f"the stage panel at {self.base_url} is not reachable ({type(exc).__name__}); "
                "run `vartist perform --queue --panel-port PORT`"
            ) from None

    async def now_playing(self) -> Playing | None:
        state = await self._call("GET", "/panel/state")
        playing = state.get("now_playing")
        if not isinstance(playing, dict):
            return None
        return Playing(str(playing["request_id"]), str(playing.get("title", "")))

    async def skip(self) -> Playing | None:
        """Skip the song on stage; returns the song skipped, None when nothing played."""
        playing = await self.now_playing()
        if playing is not None:
            await self._call("POST", "/panel/skip")
        return playing
