"""The show: the service's finished songs, performed in order, run from a panel.

`vartist perform --queue` follows a running `vartist serve` over its HTTP API: it takes the
oldest finished song, downloads its files, performs it (avatar, overlay, audio out), and marks
the request delivered on the ``stage`` channel, then the next. The stage panel, a local page,
shows what plays and what waits, and lets the streamer skip the song, cancel a request or stop
the show.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from vartist.integrations.web.client import ApiClient
from vartist.runtime.performer import AudioSink, AvatarLink, Performer
from vartist.runtime.stage_files import read_song_for_stage

log = logging.getLogger("vartist.stage")

POLL_SECONDS = 1.0
SONG_FILES = ("song.json", "song.wav")


@dataclass
class NowPlaying:
    request_id: str
    title: str
    requester: str
    duration: float
    started_at: float


class StageShow:
    """Performs the service's finished songs one after another until :meth:`stop`."""

    def __init__(
        self,
        client: ApiClient,
        open_sink: Callable[[], AudioSink],
        links: Callable[[], list[AvatarLink]],
    ) -> None:
        self.client = client
        self._open_sink = open_sink
        self._links = links
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._performer: Performer | None = None
        self.now_playing: NowPlaying | None = None
        self.performed: list[str] = []
        self.skipped: list[str] = []

    # --- the streamer's controls --------------------------------------------------------------

    def skip(self) -> None:
        with self._lock:
            if self._performer is not None and self.now_playing is not None:
                self.skipped.append(self.now_playing.request_id)
                self._performer.stop()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._performer is not None:
                self._performer.stop()

    def cancel(self, request_id: str) -> Any:
        """Cancel a waiting request; a finished song that has not played is taken off the show
        (recorded as delivered to the stage, cancelled), so it never plays."""
        status = self.client.get(f"/api/requests/{request_id}")
        if status["state"] == "done":
            return self.client.post(
                f"/api/requests/{request_id}/delivered",
                {"channel": "stage", "target": "cancelled by the streamer"},
            )
        return self.client.delete(f"/api/requests/{request_id}")

    def state(self) -> dict[str, Any]:
        playing = self.now_playing
        waiting = self.client.get(
            "/api/requests?state=queued&state=rendering&state=done&oldest_first=true&limit=100"
        )
        return {
            "now_playing": None
            if playing is None
            else {
                "request_id": playing.request_id,
                "title": playing.title,
                "requester": playing.requester,
                "duration": playing.duration,
                "position": min(playing.duration, time.monotonic() - playing.started_at),
            },
            "queue": [
                {
                    "id": r["id"],
                    "requester": r["requester"],
                    "prompt": r["prompt"],
                    "state": r["state"],
                    "progress": r["progress"],
                }
                for r in waiting
                if playing is None or r["id"] != playing.request_id
            ],
            "stopped": self._stopped.is_set(),
        }

    # --- the show -----------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stopped.is_set():
            ready = self.client.get("/api/requests?state=done&oldest_first=true&limit=1")
            if not ready:
                self._stopped.wait(POLL_SECONDS)
                continue
            self._perform_request(ready[0])

    def _perform_request(self, request: dict[str, Any]) -> None:
        song_id = request["song_id"]
        with tempfile.TemporaryDirectory(prefix="vartist-stage-") as folder:
            for name in SONG_FILES:
                content = self.client.get_bytes(f"/api/songs/{song_id}/files/{name}")
                Path(folder, name).write_bytes(content)
            staged = read_song_for_stage(Path(folder))
        requester = str(request["requester"]).split(":", 1)[-1]
        performer = Performer(self._open_sink(), self._links())
        with self._lock:
            self._performer = performer
            self.now_playing = NowPlaying(
                request["id"], staged.title, requester, staged.audio.duration, time.monotonic()
            )
        try:
            performer.perform(staged.audio, staged.timeline, staged.title, requester)
        finally:
            with self._lock:
                self._performer = None
                self.now_playing = None
        how = "performed"
        if request["id"] in self.skipped:
            how = "skipped"
        elif self._stopped.is_set():
            how = "stopped"
        self.client.post(
            f"/api/requests/{request['id']}/delivered", {"channel": "stage", "target": how}
        )
        self.performed.append(request["id"])


def panel_app(show: StageShow, token: str | None = None) -> Any:
    """The stage panel: the page, its state as JSON, and the streamer's buttons."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from vartist.integrations.web.api import BearerToken

    page = files("vartist.integrations.web").joinpath("static/panel.html").read_text("utf-8")

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def state(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(show.state))

    async def skip(request: Request) -> JSONResponse:
        show.skip()
        return JSONResponse({"ok": True})

    async def stop(request: Request) -> JSONResponse:
        show.stop()
        return JSONResponse({"ok": True})

    async def cancel(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        try:
            result = await run_in_threadpool(show.cancel, request.path_params["request_id"])
        except Exception as exc:  # the service's answer, passed on to the page
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(result)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/panel/state", state),
            Route("/panel/skip", skip, methods=["POST"]),
            Route("/panel/stop", stop, methods=["POST"]),
            Route("/panel/cancel/{request_id}", cancel, methods=["POST"]),
        ]
    )
    return BearerToken(app, token) if token else app
