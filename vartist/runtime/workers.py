"""Render workers: Huey carries wake-ups, the library decides what each worker renders.

Every queued request puts one wake-up (a Huey task with no arguments) on the queue: SQLite in
embedded mode, Redis for several machines. A worker that receives one claims the fairest queued
request from the library (the live lane first, then round-robin between requesters) and renders
it under a lease. Wake-ups are interchangeable, so the queue may lose some (a Redis restart
without persistence) or hold too many (a retry, a reclaimed lease): the supervisor's reconciler
tops the queue up to the number of ready requests every few seconds, and a spare wake-up finds
nothing to claim and does nothing. The library alone knows what is done.

Each worker is its own process (started with ``spawn``, so no thread or lock crosses a fork),
running a Huey consumer with one thread; the supervisor restarts a worker that dies and takes
its children down with it when it is killed (Linux's parent-death signal).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import numpy as np

from vartist.audio import Audio
from vartist.composer.score import Score
from vartist.errors import StorageError, VartistError
from vartist.persona import persona_from_dict
from vartist.runtime.library import Job, Library, NotFoundError
from vartist.runtime.library.streams import StreamInfo, StreamWriter
from vartist.runtime.pipeline import AudioChunk, Pipeline, SongPlan
from vartist.runtime.song import Song
from vartist.voice import build_timeline
from vartist.voice.types import SungPhoneme, VocalTake

log = logging.getLogger("vartist.workers")

WAKE_TASK = "vartist.render_next"
LEASE_SECONDS = 30.0
"""A worker that has not renewed its claim for this long is presumed dead."""
RECONCILE_SECONDS = 2.0
ENDED_OR_STORED = ("done", "delivered", "failed", "cancelled")
"""States after which a request's stream files serve nobody."""


@dataclass(frozen=True)
class ServiceSettings:
    """Where the library and the queue live; picklable, so worker processes get a copy."""

    data_dir: Path
    database_url: str
    redis_url: str | None = None
    lease_seconds: float = LEASE_SECONDS
    queue_name: str = "vartist"

    @property
    def queue_file(self) -> Path:
        return self.data_dir / "queue.db"

    def open_library(self) -> Library:
        return Library.open(self.database_url, self.data_dir)


def make_huey(settings: ServiceSettings) -> Any:
    """The Huey instance for these settings: Redis (with priorities) or a SQLite file."""
    try:
        from huey import PriorityRedisHuey, SqliteHuey
    except ImportError:
        from vartist.errors import MissingDependencyError

        raise MissingDependencyError("the render queue", "pip install 'vartist[service]'") from None
    if settings.redis_url:
        return PriorityRedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    return SqliteHuey(settings.queue_name, filename=str(settings.queue_file), results=False)


class Cancelled(Exception):
    """The request was cancelled, or its lease was lost, during the render."""


class RenderQueue:
    """The producer's and the consumer's view of the queue: wake-ups in, renders out."""

    def __init__(self, settings: ServiceSettings, library: Library) -> None:
        self.settings = settings
        self.library = library
        self.huey = make_huey(settings)
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = self.huey.task(name=WAKE_TASK)(self._render_next)

    def wake(self, count: int = 1) -> None:
        for _ in range(count):
            self._wake()

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def reconcile(self) -> None:
        """Return dead workers' requests to the queue and top the wake-ups up to the ready
        requests (wake-ups lost with a Redis restart come back here)."""
        self.library.reclaim_stale()
        self.sweep_streams()
        missing = self.library.ready_count() - self.pending()
        if missing > 0:
            self.wake(missing)

    def sweep_streams(self) -> None:
        """Remove the stream files of requests that ended while no worker held them, so no
        worker removed them: failed here after their worker crashed too often, or cancelled
        while queued for a retry. A queued request keeps its files: its retry rewrites them."""
        for request_id in self.library.streams.request_ids():
            try:
                state = self.library.status(request_id).state
            except NotFoundError:
                state = None
            if state is None or state in ENDED_OR_STORED:
                self.library.streams.remove(request_id)

    def _render_next(self) -> str | None:
        job = self.library.claim(self.worker_name, self.settings.lease_seconds)
        if job is None:
            return None
        return render_job(self.library, job, self.worker_name, self.settings.lease_seconds)


def render_job(library: Library, job: Job, worker: str, lease_seconds: float) -> str | None:
    """Render a claimed request, renewing its lease; returns the new song's id, or None."""
    lost = threading.Event()
    cancelled = threading.Event()
    done = threading.Event()

    def renew_lease() -> None:
        """Renew the claim and learn whether it is still ours and whether to stop."""
        try:
            ours, cancel = library.heartbeat(job.request_id, worker, lease_seconds)
        except Exception:  # a database hiccup: the next beat tries again
            log.exception("lease renewal for %s failed", job.request_id)
            return
        if not ours:
            lost.set()
        if cancel:
            cancelled.set()

    def keep_lease() -> None:
        while not done.wait(lease_seconds / 6):
            renew_lease()

    def on_step(step: str, done: float) -> None:
        renew_lease()  # between steps too: a cancel must not wait for the next beat
        if lost.is_set() or cancelled.is_set():
            raise Cancelled
        library.report_stage(job.request_id, worker, step, done)

    beat = threading.Thread(target=keep_lease, name=f"lease-{job.request_id}", daemon=True)
    beat.start()
    try:
        persona = persona_from_dict(job.persona, "the request's persona")
        song = _render_streamed(library, job, Pipeline(persona, on_step))
        if lost.is_set():
            return None
        return library.complete(job, worker, song)
    except Cancelled:
        if cancelled.is_set() and not lost.is_set():
            library.finish_cancelled(job, worker)
        return None
    except (StorageError, OSError, MemoryError) as exc:
        library.fail(job, worker, _one_line(exc), transient=True)
        return None
    except VartistError as exc:
        library.fail(job, worker, _one_line(exc), transient=False)
        return None
    except Exception as exc:
        log.exception("render of %s failed", job.request_id)
        library.fail(job, worker, f"internal error: {_one_line(exc)}", transient=False)
        return None
    finally:
        done.set()
        beat.join(timeout=5)


def _render_streamed(library: Library, job: Job, pipeline: Pipeline) -> Song:
    """Render the job's song, publishing its master and its timeline to the library's stream
    files as each section finishes, so listeners can start before the render ends."""
    writer: StreamWriter | None = None
    score: Score | None = None
    sung: list[SungPhoneme] = []
    try:
        for event in pipeline.stream(job.request):
            if isinstance(event, SongPlan):
                score = event.score
                info = StreamInfo(event.sample_rate, 2, event.frames, event.score.title)
                writer = library.streams.start(job.request_id, info, _timeline(score, sung))
            elif isinstance(event, AudioChunk):
                if writer is None or score is None:
                    continue
                # the timeline first: whoever has a chunk's audio can find its phonemes
                sung.extend(event.phonemes)
                until = event.end / writer.info.sample_rate
                writer.write_timeline(_timeline(score, sung), until)
                writer.write(event.start, event.samples)
            else:
                return event
    finally:
        if writer is not None:
            writer.close()
    raise AssertionError("a song stream ended without its song")


_NO_AUDIO = Audio(np.zeros((1, 0), np.float32), 48_000)


def _timeline(score: Score, sung: list[SungPhoneme]) -> list[dict[str, Any]]:
    """The song's timeline events as far as ``sung`` goes, ready for JSON."""
    timeline = build_timeline(score, VocalTake(_NO_AUDIO, tuple(sung), ""))
    return [asdict(event) for event in timeline.events]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (a SIGKILLed supervisor)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def worker_main(settings: ServiceSettings, parent: int) -> None:
    """One render worker process: a Huey consumer with one thread."""
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above took effect
        return
    logging.basicConfig(level=logging.WARNING)
    library = settings.open_library()
    queue = RenderQueue(settings, library)
    # An idle consumer polls with a growing delay (Huey's default grows by 15% a poll up to
    # 10 s): a song asked for after a quiet spell waited 1-3 s to start. Polling the small
    # queue table four times a second costs nothing.
    consumer = queue.huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, max_delay=IDLE_POLL_SECONDS
    )
    _warm_up()
    consumer.run()


def _warm_up() -> None:
    """Render a few seconds of song before taking work: the first request then starts as fast
    as any other (the imports, espeak-ng and the filter designs cost about a second once)."""
    from vartist.persona import default_persona
    from vartist.request import SongRequest

    try:
        Pipeline(default_persona()).render(
            SongRequest("warm-up", seed=0, lyrics_text=WARM_UP_LYRICS)
        )
    except Exception:  # a worker that cannot warm up can still try real work
        log.exception("the warm-up render failed")


WARM_UP_LYRICS = "[verse]\nla la la\n"
IDLE_POLL_SECONDS = 0.25
"""The longest an idle worker waits between looks at the queue."""


@dataclass
class WorkerPool:
    """Starts ``count`` worker processes, restarts any that die, and reconciles the queue."""

    settings: ServiceSettings
    count: int
    on_event: Callable[[str], None] = field(default=lambda message: None)
    _processes: list[BaseProcess] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        for _ in range(self.count):
            self._processes.append(self._spawn(context))

    def _spawn(self, context: Any) -> BaseProcess:
        process = context.Process(
            target=worker_main, args=(self.settings, os.getpid()), daemon=False
        )
        process.start()
        return process

    def supervise(self, library: Library) -> None:
        """Run until :meth:`stop`: restart dead workers, reconcile the queue."""
        queue = RenderQueue(self.settings, library)
        context = multiprocessing.get_context("spawn")
        while not self._stop.wait(RECONCILE_SECONDS):
            for index, process in enumerate(self._processes):
                if not process.is_alive():
                    self.on_event(f"worker {process.pid} stopped ({process.exitcode}); restarting")
                    self._processes[index] = self._spawn(context)
            try:
                queue.reconcile()
            except Exception as exc:  # Redis restarting, the database busy: next round
                self.on_event(f"reconcile: {_one_line(exc)}")

    def stop(self) -> None:
        self._stop.set()
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self._processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]
