"""The HTTP API of ``vartist serve``: submit and follow song requests, fetch the songs.

Built on FastAPI, which publishes the OpenAPI description at ``/openapi.json``. Every error is
JSON ``{"error": "..."}`` with a 4xx status; request bodies are capped at
:data:`MAX_BODY_BYTES`. When the server listens beyond the loopback interface every call needs
``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from vartist.errors import VartistError
from vartist.persona.schema import Text
from vartist.runtime.library import (
    NewRequest,
    NotFoundError,
    NotReadyError,
    RequesterLimitError,
    RequestStatus,
)
from vartist.runtime.library.streams import StreamInfo
from vartist.runtime.service import Service

MAX_BODY_BYTES = 64 * 1024
"""A request is a prompt and at most 10 kB of lyrics; anything far larger is refused unread."""
EVENT_POLL_SECONDS = 0.5
STREAM_POLL_SECONDS = 0.02
"""How often a stream looks for more audio: well inside one audio buffer."""
STREAM_READ_BYTES = 1 << 18
STREAM_MAX_WAIT_SECONDS = 5.0
"""The longest a stream call waits for a queued request's render to start (a long poll)."""
STREAM_STATE_CHECK_SECONDS = 1.0
FINISHED_STATES = ("done", "delivered")
"""States of a request whose song is stored (unless it was deleted since)."""
ENDED_STATES = ("failed", "cancelled")
"""States of a request that will never have a song."""
EVENT_KEEPALIVE_SECONDS = 15.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RequestId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: StrictStr = Field(min_length=1, max_length=500, description="What the song is about.")
    requester: Text = Field(
        min_length=1, max_length=200, description="Who asks: the fan's name or channel id."
    )
    seed: StrictInt | None = Field(None, ge=0, le=2**63 - 1, description="Same seed, same song.")
    lyrics: StrictStr | None = Field(
        None, max_length=10_000, description="Own lyrics, sections tagged [verse], [chorus] …"
    )
    genre: StrictStr | None = Field(None, max_length=40, description="Override the genre.")
    idempotency_key: Text | None = Field(
        None, min_length=1, max_length=200, description="The same key returns the same request."
    )
    priority: Literal["normal", "live"] = Field(
        "normal", description="'live' is the show's lane, served before the fans' requests."
    )


class TimelineOut(BaseModel):
    title: str
    duration: float
    """Seconds of the whole song."""
    complete: bool
    until: float
    """Phonemes are final up to here (seconds); everything from the score is final at once."""
    events: list[dict[str, Any]]


class RequestCreated(BaseModel):
    id: str
    state: str


class SongOut(BaseModel):
    id: str
    request_id: str
    title: str
    artist: str
    duration: float
    genre: str
    key: str
    tempo: float
    seed: int
    files: list[str]
    created_at: float


RequestState = Literal[
    "received", "screened", "queued", "rendering", "done", "failed", "cancelled", "delivered"
]
SongFileName = Literal["song.wav", "song.mid", "song.lrc", "song.json"]
SONG_FILE_TYPES = {
    "song.wav": "audio/wav",
    "song.mid": "audio/midi",
    "song.lrc": "text/plain; charset=utf-8",
    "song.json": "application/json",
}


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: StrictStr = Field(min_length=1, max_length=40, description="Where: stage, discord…")
    target: StrictStr = Field("", max_length=200, description="Who or where in the channel.")


class ErrorOut(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such request or song."},
    422: {"model": ErrorOut, "description": "The input is invalid; the message says why."},
}


ERROR_STATUS: dict[type[Exception], int] = {
    NotReadyError: 409,
    NotFoundError: 404,
    RequesterLimitError: 429,
    VartistError: 422,
}
"""HTTP status of each error the service raises (its subclasses take the nearest entry)."""


def _song_out(info: Any) -> SongOut:
    fields = asdict(info)
    fields["files"] = sorted(fields["files"])
    return SongOut(**fields)


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _send_error(send, 413, f"the request body is over {self.limit} bytes")
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _send_error(send, 413, f"the request body is over {self.limit} bytes")


class _TooLarge(Exception):
    pass


class BearerToken:
    """Every path but ``/api/health`` needs ``Authorization: Bearer TOKEN``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") != "/api/health":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"")
            scheme, _, value = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(value.strip(), self.token):
                await _send_error(send, 401, "send Authorization: Bearer TOKEN")
                return
        await self.app(scope, receive, send)


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(service: Service, token: str | None = None) -> Any:
    """The ASGI application for ``service``; ``token`` turns on bearer authentication."""
    app = FastAPI(
        title="vartist",
        summary="Ask a virtual singer for a song; follow it; fetch it.",
        version="1",
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
        return JSONResponse({"error": "; ".join(problems)[:2000]}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        status = next(ERROR_STATUS[k] for k in type(exc).__mro__ if k in ERROR_STATUS)
        return JSONResponse({"error": str(exc)}, status_code=status)

    for kind in ERROR_STATUS:
        app.add_exception_handler(kind, refused)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/api/requests",
        status_code=201,
        responses={
            200: {"model": RequestCreated, "description": "The same idempotency key was seen."},
            429: {"model": ErrorOut, "description": "The requester has too many open requests."},
            **ERRORS,
        },
    )
    def submit(body: RequestIn, response: Response) -> RequestCreated:
        """Ask for a song. Returns 201 with the new request's id, or 200 with the id of the
        request that the same ``idempotency_key`` made before."""
        status, created = service.submit(
            NewRequest(
                prompt=body.prompt,
                requester=f"http:{body.requester}",
                seed=body.seed,
                lyrics=body.lyrics,
                genre=body.genre,
                idempotency_key=body.idempotency_key,
                priority=body.priority,
            )
        )
        if not created:
            response.status_code = 200
        return RequestCreated(id=status.id, state=status.state)

    @app.get("/api/requests/{request_id}", responses=ERRORS)
    def request_status(request_id: RequestId) -> RequestStatus:
        """A request's state, stage, progress (0 to 1), queue position and song."""
        return service.library.status(request_id)

    @app.get("/api/requests")
    def request_list(
        state: Annotated[list[RequestState] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        oldest_first: bool = False,
    ) -> list[RequestStatus]:
        """Requests, newest first (``oldest_first=true`` for queue order), by ``state``."""
        chosen = tuple(state) if state else None
        return service.library.requests(chosen, limit, oldest_first)

    @app.post("/api/requests/{request_id}/delivered", responses=ERRORS)
    def delivered(request_id: RequestId, body: DeliveryIn) -> RequestStatus:
        """Record that a channel handed the song to its audience (done → delivered)."""
        service.library.mark_delivered(request_id, body.channel, body.target)
        return service.library.status(request_id)

    @app.delete("/api/requests/{request_id}", responses=ERRORS)
    def cancel(request_id: RequestId) -> RequestStatus:
        """Cancel a request: at once when queued, at the next stage when rendering."""
        return service.cancel(request_id)

    @app.get("/api/songs")
    def songs(
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> list[SongOut]:
        """Songs, newest first."""
        return [_song_out(info) for info in service.library.songs(limit, offset)]

    @app.get("/api/songs/{song_id}", responses=ERRORS)
    def song(song_id: RequestId) -> SongOut:
        return _song_out(service.library.song(song_id))

    @app.get(
        "/api/songs/{song_id}/audio",
        response_class=FileResponse,
        responses={200: {"content": {"audio/wav": {}}}, **ERRORS},
    )
    def audio(song_id: RequestId) -> FileResponse:
        """The mastered song as 24-bit WAV; byte ranges are supported for seeking."""
        info = service.library.song(song_id)
        path = service.library.song_file(song_id, "song.wav")
        safe_title = "".join(c for c in info.title if c.isalnum() or c in " -_")[:80] or "song"
        return FileResponse(path, media_type="audio/wav", filename=f"{safe_title}.wav")

    @app.get(
        "/api/songs/{song_id}/files/{name}",
        response_class=FileResponse,
        responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
    )
    def song_file(song_id: RequestId, name: SongFileName) -> FileResponse:
        """One of the song's files: song.wav, song.mid, song.lrc or song.json."""
        path = service.library.song_file(song_id, name)
        return FileResponse(path, media_type=SONG_FILE_TYPES[name], filename=name)

    @app.get(
        "/api/requests/{request_id}/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"audio/wav": {}}}, **ERRORS},
    )
    async def request_stream(
        request_id: RequestId,
        request: Request,
        wait: Annotated[
            float,
            Query(ge=0, le=STREAM_MAX_WAIT_SECONDS, description="Seconds to wait while queued."),
        ] = 0.0,
    ) -> Response:
        """The request's song as it renders: a 24-bit WAV whose header comes first (the length
        is known once the song is composed) and whose samples arrive as each section is
        mastered, the same bytes as the finished song.wav's. For a finished request it is the
        stored song.wav. 409 while the request is queued (after waiting up to ``wait``
        seconds for its render to start), and when it failed or was cancelled before any
        audio."""
        return await _stream_response(request_id, request, wait)

    @app.get("/api/requests/{request_id}/timeline", responses=ERRORS)
    def request_timeline(request_id: RequestId) -> TimelineOut:
        """The song's timeline (sections, lines, words, syllables, phonemes, beats) as far as
        it is sung: while the request renders, phonemes are final up to ``until`` seconds;
        ``complete`` once the song is stored. 409 before the song is composed."""
        library = service.library
        status = library.status(request_id)
        # the state first: stream files a crash left behind must not outlive the request
        if status.state in FINISHED_STATES:
            path = _stored_file(status, "song.json")
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:  # deleted between the look-up and the read
                raise NotFoundError(f"request {request_id}'s song was just deleted") from None
            duration = library.song(_song_id(status)).duration
            return TimelineOut(
                title=str(document["title"]), duration=duration, complete=True,
                until=duration, events=document["timeline"],
            )  # fmt: skip
        if status.state in ENDED_STATES:
            raise NotReadyError(f"request {request_id} is {status.state}: it has no timeline")
        published = library.streams.timeline(request_id)
        info = library.streams.info(request_id)
        if published is not None and info is not None:
            return TimelineOut(
                title=info.title, duration=info.frames / info.sample_rate, complete=False,
                until=published["until"], events=published["events"],
            )  # fmt: skip
        raise NotReadyError(
            f"request {request_id} is {status.state} and has no timeline yet; "
            "try again once it renders"
        )

    @app.get(
        "/api/songs/{song_id}/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"audio/wav": {}}}, **ERRORS},
    )
    async def song_stream(song_id: RequestId, request: Request) -> Response:
        """A stored song as a WAV stream (see ``/api/requests/{id}/stream``)."""
        info = await run_in_threadpool(service.library.song, song_id)
        return await _stream_response(info.request_id, request, wait=0.0)

    async def _stream_response(request_id: str, request: Request, wait: float) -> Response:
        library = service.library
        give_up = time.monotonic() + wait
        while True:
            status = await run_in_threadpool(library.status, request_id)
            # the state first: a finished request plays its stored song, an ended one nothing,
            # whatever stream files a crashed worker left behind
            if status.state in FINISHED_STATES:
                path = await run_in_threadpool(_stored_file, status, "song.wav")
                return FileResponse(path, media_type="audio/wav")
            if status.state in ENDED_STATES:
                raise NotReadyError(
                    f"request {request_id} is {status.state}: it has no audio to stream"
                )
            info = library.streams.info(request_id)
            handle = library.streams.open_audio(request_id) if info else None
            if info is not None and handle is not None:
                return StreamingResponse(_follow(request_id, handle, info), media_type="audio/wav")
            if status.state != "rendering" and time.monotonic() >= give_up:
                raise NotReadyError(
                    f"request {request_id} is {status.state}: its stream starts when it "
                    f"renders; try again then (?wait=SECONDS waits up to "
                    f"{STREAM_MAX_WAIT_SECONDS:.0f} s)"
                )
            if await request.is_disconnected():
                return Response(status_code=204)
            await asyncio.sleep(STREAM_POLL_SECONDS)

    def _song_id(status: RequestStatus) -> str:
        """The song of a finished request; 404 once it is deleted."""
        if status.song_id is None:
            raise NotFoundError(
                f"request {status.id} is {status.state} but its song was deleted "
                "(`vartist library delete`); submit the request again for a new one"
            )
        return status.song_id

    def _stored_file(status: RequestStatus, name: str) -> FilePath:
        path = service.library.song_file(_song_id(status), name)
        if not path.is_file():  # deleted after the look-up: FileResponse would fail with 500
            raise NotFoundError(f"request {status.id}'s song was just deleted")
        return path

    async def _follow(request_id: str, handle: int, info: StreamInfo) -> AsyncIterator[bytes]:
        """The WAV header, then the stream file's bytes as the render writes them."""
        try:
            yield info.wav_header()
            sent, checked = 0, time.monotonic()
            while sent < info.data_bytes:
                size = min(os.fstat(handle).st_size, info.data_bytes)
                if size > sent:
                    data = os.pread(handle, min(size - sent, STREAM_READ_BYTES), sent)
                    sent += len(data)
                    yield data
                    continue
                if time.monotonic() - checked > STREAM_STATE_CHECK_SECONDS:
                    checked = time.monotonic()
                    state = (await run_in_threadpool(service.library.status, request_id)).state
                    if state in ENDED_STATES:
                        return  # the client sees the body end short of the header's length
                await asyncio.sleep(STREAM_POLL_SECONDS)
        finally:
            os.close(handle)

    @app.get("/api/events", response_class=StreamingResponse)
    async def events(
        request: Request,
        since: Annotated[float, Query(ge=0, le=1e12)] = 0.0,
        timeout: Annotated[float, Query(ge=0, le=86400)] = 0.0,
    ) -> StreamingResponse:
        """Server-sent events: one ``request`` event per change of a request's state or
        progress after ``since`` (seconds since the epoch; default: from now). ``timeout``
        ends the stream after that many seconds (0: never)."""
        start = since or time.time()

        async def stream() -> AsyncIterator[str]:
            last, quiet_since, opened = start, time.monotonic(), time.monotonic()
            yield ": vartist events\n\n"
            while not await request.is_disconnected():
                if timeout and time.monotonic() - opened >= timeout:
                    return
                changes = await run_in_threadpool(service.library.changes_since, last)
                for change in changes:
                    last = max(last, change.updated_at)
                    yield f"event: request\ndata: {json.dumps(asdict(change))}\n\n"
                if changes:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > EVENT_KEEPALIVE_SECONDS:
                    quiet_since = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(EVENT_POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream")

    wrapped: ASGIApp = BodyLimit(app, MAX_BODY_BYTES)
    if token:
        wrapped = BearerToken(wrapped, token)
    return wrapped
