"""The lyrics overlay: a page for OBS's browser source, fed by the performer over a websocket.

One port serves both: ``GET /`` is the page, ``/ws`` its websocket. When a song begins the page
gets every line with its words' times; while it plays, the audio position ten times a second,
and the page highlights the word being sung on its own animation clock in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from http import HTTPStatus
from importlib.resources import files
from typing import Any

from vartist.persona import Persona
from vartist.runtime.lipsync import MouthPose
from vartist.timeline import Timeline

DEFAULT_PORT = 8766
POSITION_INTERVAL_SECONDS = 0.1


def song_message(title: str, requester: str, timeline: Timeline) -> dict[str, Any]:
    """Every sung line with its words and their times, as the page reads them."""
    words = timeline.of("word")
    lines = []
    for line in timeline.of("line"):
        inside = [w for w in words if line.start - 1e-6 <= w.start < line.end]
        lines.append(
            {
                "text": line.text,
                "start": round(line.start, 3),
                "end": round(line.end, 3),
                "words": [
                    {"text": w.text, "start": round(w.start, 3), "end": round(w.end, 3)}
                    for w in inside
                ],
            }
        )
    return {"type": "song", "title": title, "requester": requester, "lines": lines}


class LyricsOverlay:
    """Serves the overlay page on 127.0.0.1 and pushes the song and the position to it."""

    name = "overlay"

    def __init__(self, persona: Persona, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._page = files("vartist.integrations.web").joinpath("static/overlay.html").read_bytes()
        self._clients: set[Any] = set()
        self._server: Any = None
        self._song: dict[str, Any] | None = None
        self._last_push = 0.0

    async def connect(self) -> None:
        from websockets.asyncio.server import serve
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        def page_or_socket(connection: Any, request: Any) -> Any:
            if request.path.split("?")[0] == "/ws":
                return None  # go on with the websocket handshake
            if request.path.split("?")[0] not in ("/", "/overlay"):
                return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
            headers = Headers(
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(self._page))),
                    ("Cache-Control", "no-store"),
                ]
            )
            return Response(HTTPStatus.OK, "OK", headers, self._page)

        self._server = await serve(
            self._serve_client, self.host, self.port, process_request=page_or_socket
        )
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def _serve_client(self, connection: Any) -> None:
        self._clients.add(connection)
        try:
            if self._song is not None:
                await connection.send(json.dumps(self._song))
            await connection.wait_closed()
        finally:
            self._clients.discard(connection)

    async def _broadcast(self, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        for client in list(self._clients):
            with contextlib.suppress(Exception):  # a closed browser tab: it reconnects
                await client.send(text)

    async def begin_song(self, title: str, requester: str, timeline: Timeline) -> None:
        self._song = song_message(title, requester, timeline)
        await self._broadcast(self._song)

    async def send_pose(self, pose: MouthPose, position: float) -> None:
        now = time.monotonic()
        if now - self._last_push >= POSITION_INTERVAL_SECONDS:
            self._last_push = now
            await self._broadcast({"type": "position", "position": round(position, 4)})

    async def enter_section(self, kind: str, label: str) -> None:
        """The page follows lines, not sections."""

    async def close(self) -> None:
        await self._broadcast({"type": "end"})
        self._song = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None
