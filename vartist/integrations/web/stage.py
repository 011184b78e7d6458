"""The show: the service's songs, performed in order as they render, run from a panel.

`vartist perform --queue` follows a running `vartist serve` over its HTTP API: it takes the
oldest song that is rendering or finished, plays it from the service's stream (so a song starts
as soon as its first section is mastered, while the rest renders), moves the avatar with the
timeline as it arrives, and marks the request delivered on the ``stage`` channel, then the
next. The stage panel, a local page,
shows what plays and what waits, and lets the streamer skip the song, cancel a request or stop
the show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from vartist.errors import VartistError
from vartist.integrations.web.client import ApiClient
from vartist.integrations.web.streamed import StreamedSong
from vartist.runtime.performer import AudioSink, AvatarLink, Performer

log = logging.getLogger("vartist.stage")

POLL_SECONDS = 1.0
DELIVERY_WAIT_SECONDS = 30.0
"""How long a stopping show waits for skipped songs still being stored to be recorded as
delivered; one not recorded by then is offered to the stage again when it next starts."""


@dataclass
class NowPlaying:
    request_id: str
    title: str
    requester: str
    duration: float
    started_at: float


class StageShow:
    """Performs the service's songs one after another, each from its stream, until
    :meth:`stop`."""

    def __init__(
        self,
        client: ApiClient,
        open_sink: Callable[[], AudioSink],
        links: Callable[[], list[AvatarLink]],
        approval: bool = False,
    ) -> None:
        """``approval``: a song waits for the streamer's Approve in the panel."""
        self.client = client
        self.approval = approval
        self.approved: set[str] = set()
        self.play_next: list[str] = []
        self._open_sink = open_sink
        self._links = links
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._performer: Performer | None = None
        self.now_playing: NowPlaying | None = None
        self.performed: list[str] = []
        self._deliveries: dict[str, threading.Thread] = {}
        """Skipped songs marked delivered in the background, by request id: one whose thread
        still runs waits for its render to be stored, and is never picked again meanwhile."""
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

    def approve(self, request_id: str) -> None:
        self.approved.add(request_id)

    def move_to_front(self, request_id: str) -> None:
        """Play this finished song next, before older ones."""
        with self._lock:
            if request_id in self.play_next:
                self.play_next.remove(request_id)
            self.play_next.insert(0, request_id)

    def _next_song(self) -> dict[str, Any] | None:
        ready = self.client.get(
            "/api/requests?state=rendering&state=done&oldest_first=true&limit=200"
        )
        # a done request without a song_id had its song deleted from the library
        ready = [r for r in ready if r["state"] == "rendering" or r.get("song_id")]
        with self._lock:
            order = {request_id: index for index, request_id in enumerate(self.play_next)}
        ready = [r for r in ready if not self._being_delivered(r["id"])]
        if self.approval:
            ready = [r for r in ready if r["id"] in self.approved]
        ready.sort(key=lambda r: order.get(r["id"], len(order)))
        return ready[0] if ready else None

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
                    "approved": not self.approval or r["id"] in self.approved,
                    "next": r["id"] in self.play_next,
                }
                for r in waiting
                if playing is None or r["id"] != playing.request_id
            ],
            "approval": self.approval,
            "stopped": self._stopped.is_set(),
        }

    # --- the show -----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while not self._stopped.is_set():
                request = self._next_song()
                if request is None:
                    self._stopped.wait(POLL_SECONDS)
                    continue
                with self._lock:
                    if request["id"] in self.play_next:
                        self.play_next.remove(request["id"])
                self._perform_request(request)
        finally:
            self._finish_deliveries()

    def _finish_deliveries(self) -> None:
        """Wait, within :data:`DELIVERY_WAIT_SECONDS`, for skipped songs still being stored:
        the process may exit right after the show, and a delivery thread dies with it."""
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        for thread in self._deliveries.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        left = sum(thread.is_alive() for thread in self._deliveries.values())
        if left:
            log.warning(
                "%d skipped song(s) not yet recorded as delivered; the stage offers them "
                "again when it next starts",
                left,
            )

    def _deliver_in_background(self, request_id: str, how: str) -> None:
        """Mark a song delivered from a thread, so the next song need not wait for its render
        to be stored; the song is kept out of :meth:`_next_song` until then. Called from the
        show's own thread, as :meth:`_next_song` is."""
        thread = threading.Thread(
            target=self._deliver, args=(request_id, how), name="stage-delivery", daemon=True
        )
        thread.start()
        # finished deliveries are dropped, so a long show keeps only the ones in flight
        self._deliveries = {k: t for k, t in self._deliveries.items() if t.is_alive()}
        self._deliveries[request_id] = thread

    def _being_delivered(self, request_id: str) -> bool:
        thread = self._deliveries.get(request_id)
        return thread is not None and thread.is_alive()

    def _perform_request(self, request: dict[str, Any]) -> None:
        try:
            song = StreamedSong(self.client, request["id"])
        except VartistError as exc:
            if request["state"] == "rendering":
                # its render failed or was cancelled before any audio: nothing to set aside
                log.info("request %s cannot be streamed yet: %s", request["id"], exc)
                self._stopped.wait(POLL_SECONDS)
                return
            # one song the show cannot fetch or read must not stop the show: it is set aside
            log.warning("request %s cannot be played: %s", request["id"], exc)
            self.client.post(
                f"/api/requests/{request['id']}/delivered",
                {"channel": "stage", "target": f"not played: {str(exc)[:150]}"},
            )
            return
        requester = str(request["requester"]).split(":", 1)[-1]
        performer = Performer(self._open_sink(), self._links())
        with self._lock:
            self._performer = performer
            self.now_playing = NowPlaying(
                request["id"], song.title, requester, song.frames / song.sample_rate,
                time.monotonic(),
            )  # fmt: skip
        try:
            with song:
                performer.perform_source(song, song.title, requester)
                complete = song.arrived == song.frames
        finally:
            with self._lock:
                self._performer = None
                self.now_playing = None
        how = "performed"
        if request["id"] in self.skipped:
            how = "skipped"
        elif self._stopped.is_set():
            how = "stopped"
        elif not complete:
            return  # the render died mid-song; it is rendered again and played when it is done
        if how == "skipped":
            # a skipped song may still be rendering, and it can only be marked delivered once it
            # is stored: the next song must not wait for that
            self._deliver_in_background(request["id"], how)
        else:
            self._deliver(request["id"], how)
        self.performed.append(request["id"])

    def _deliver(self, request_id: str, how: str) -> None:
        """Mark the request delivered to the stage once its song is stored (a song streamed
        while it rendered may still be on its way into the library)."""
        asked_after_render = False
        while True:
            try:
                self.client.post(
                    f"/api/requests/{request_id}/delivered", {"channel": "stage", "target": how}
                )
                return
            except VartistError as exc:
                state = self.client.get(f"/api/requests/{request_id}")["state"]
                if state == "rendering":
                    time.sleep(POLL_SECONDS / 4)
                elif state == "done" and not asked_after_render:
                    # the render finished between the refusal and this look: ask once more
                    asked_after_render = True
                else:
                    log.warning("request %s: %s", request_id, exc)
                    return


PANEL_COOKIE = "vartist_panel"


class PanelToken:
    """The panel's guard when it listens beyond 127.0.0.1: open the page once as
    ``/?token=TOKEN``; it sets a same-site, HTTP-only cookie that the page's calls carry."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import hmac
        from http.cookies import SimpleCookie
        from urllib.parse import parse_qs

        from starlette.responses import JSONResponse

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        given = cookie[PANEL_COOKIE].value if PANEL_COOKIE in cookie else ""
        from_query = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        if scope["path"] == "/" and from_query:
            given = from_query
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await JSONResponse({"error": "open the panel as /?token=TOKEN"}, status_code=401)(
                scope, receive, send
            )
            return
        if from_query:

            async def with_cookie(message: Any) -> None:
                if message["type"] == "http.response.start":
                    value = f"{PANEL_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
                    message.setdefault("headers", []).append((b"set-cookie", value.encode()))
                await send(message)

            await self.app(scope, receive, with_cookie)
            return
        await self.app(scope, receive, send)


class SameOrigin:
    """Refuses a POST whose Origin is not the panel itself: any web page the streamer has open
    could otherwise press the panel's buttons with a plain form."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from urllib.parse import urlsplit

        from starlette.responses import JSONResponse

        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if not origin or urlsplit(origin).netloc != host:
                await JSONResponse({"error": "the panel's buttons work from the panel only"}, 403)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def panel_app(show: StageShow, token: str | None = None) -> Any:
    """The stage panel: the page, its state as JSON, and the streamer's buttons."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    page = files("vartist.integrations.web").joinpath("static/panel.html").read_text("utf-8")

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def state(request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(show.state))

    def button(action: Callable[[], Any]) -> Callable[[Request], Any]:
        async def pressed(request: Request) -> JSONResponse:
            try:
                await run_in_threadpool(action)
            except Exception as exc:  # the service's answer, passed on to the page
                return JSONResponse({"error": str(exc)}, status_code=409)
            return JSONResponse({"ok": True})

        return pressed

    def per_request(action: Callable[[str], Any]) -> Callable[[Request], Any]:
        async def pressed(request: Request) -> JSONResponse:
            request_id = str(request.path_params["request_id"])
            return await button(lambda: action(request_id))(request)

        return pressed

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/panel/state", state),
            Route("/panel/skip", button(show.skip), methods=["POST"]),
            Route("/panel/stop", button(show.stop), methods=["POST"]),
            Route("/panel/cancel/{request_id}", per_request(show.cancel), methods=["POST"]),
            Route("/panel/approve/{request_id}", per_request(show.approve), methods=["POST"]),
            Route("/panel/next/{request_id}", per_request(show.move_to_front), methods=["POST"]),
        ]
    )
    guarded = SameOrigin(app)
    return PanelToken(guarded, token) if token else guarded
