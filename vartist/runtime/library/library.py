"""The song library: the source of truth for every request and every song.

Requests, requesters, songs, deliveries and releases live in a database through SQLAlchemy
(a SQLite file by default, PostgreSQL for several machines); song files live in a
content-addressed folder beside it. The render queue only carries wake-ups: a worker that wakes
*claims* the fairest queued request here with a conditional update, holds it under a lease it
renews while rendering, and stores the song in the same transaction that marks the request
done. So a request makes exactly one song however often it is queued, delivered or retried:

- a duplicate submission finds the first by its idempotency key;
- two workers racing for one request: only one conditional update matches;
- a worker killed mid-render stops renewing its lease, and :meth:`Library.reclaim_stale` puts
  the request back in the queue; should the old worker come back, its result is refused;
- the songs table holds at most one song per request (a unique column).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vartist.errors import VartistError
from vartist.persona import Persona
from vartist.request import RequestError, SongRequest
from vartist.runtime.library.models import (
    OPEN_STATES,
    DeliveryRow,
    ReleaseRow,
    RequesterRow,
    RequestRow,
    SongRow,
)
from vartist.runtime.library.store import ContentStore
from vartist.runtime.library.streams import StreamFiles
from vartist.runtime.outputs import SongFolder, write_song_files
from vartist.runtime.song import Song

MAX_ATTEMPTS = 4
"""Renders of one request, counting crashed workers, before it is marked failed."""
RETRY_BACKOFF_SECONDS = (2.0, 8.0, 30.0)
DEFAULT_REQUESTER_LIMIT = 5
"""Open requests one requester may have at once."""


_QUEUE_ORDER = (
    RequestRow.priority.desc(),
    RequesterRow.last_served_at.asc().nulls_first(),
    RequestRow.created_at.asc(),
    RequestRow.id.asc(),
)
"""The order workers take queued requests in: the live lane first, then the requester served
longest ago (round-robin), then the oldest request."""


class LibraryError(VartistError):
    """A request or song the library cannot find or accept."""


class NotFoundError(LibraryError):
    pass


class RequesterLimitError(LibraryError):
    pass


class NotReadyError(LibraryError):
    """The request is not in a state that allows this."""


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/vartist`` (``~/.local/share/vartist`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(base) / "vartist"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'library.db'}"


@dataclass(frozen=True)
class NewRequest:
    """What a fan, a schedule or the streamer asks for."""

    prompt: str
    requester: str
    seed: int | None = None
    lyrics: str | None = None
    genre: str | None = None
    idempotency_key: str | None = None
    priority: Literal["normal", "live"] = "normal"
    reply_to: dict[str, Any] | None = None
    """Where the channel that took the request answers it (ids, no secrets). Stored with the
    request itself, so a channel that stops right after taking it still finds the fan."""


@dataclass(frozen=True)
class RequestStatus:
    id: str
    requester: str
    prompt: str
    state: str
    stage: str | None
    progress: float
    position: int | None
    """Requests ahead of this one in the queue; None once it left the queue."""
    song_id: str | None
    error: str | None
    attempts: int
    worker: str | None
    """``host:pid`` of the worker rendering it, while one is."""
    created_at: float
    updated_at: float
    started_at: float | None
    """When a worker last took it: the start of the render that made (or makes) its song."""


@dataclass(frozen=True)
class SongInfo:
    id: str
    request_id: str
    title: str
    artist: str
    duration: float
    genre: str
    key: str
    tempo: float
    seed: int
    files: dict[str, str]
    created_at: float


@dataclass(frozen=True)
class Job:
    """A claimed request, with everything a worker needs to render it."""

    request_id: str
    request: SongRequest
    persona: dict[str, Any]
    attempt: int


@dataclass(frozen=True)
class PendingRelease:
    """A release run's song that a channel has still to publish (a ``releases`` row)."""

    id: int
    name: str
    scheduled_for: float
    channel: str
    """As the persona names it: ``discord:CHANNEL_ID``."""
    song_id: str
    request_id: str | None


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    # WAL lets the API read while a worker writes; the timeout rides out a writer's moment
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Library:
    """Requests and songs in a database, song files in a content-addressed folder."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = ContentStore(data_dir)
        self.streams = StreamFiles(data_dir / "streams")
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, data_dir: Path | None = None) -> Library:
        """Open (and create or upgrade) the library; defaults under ``$XDG_DATA_HOME``.

        Raises :class:`LibraryError` in one line for a URL SQLAlchemy cannot use or a database
        it cannot reach (the password never appears in it)."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        data_dir = data_dir or default_data_dir()
        url = url or default_database_url(data_dir)
        try:
            shown_url = make_url(url).render_as_string(hide_password=True)
        except (SQLAlchemyError, ValueError):
            raise LibraryError(
                "the database URL is not one SQLAlchemy reads; use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB"
            ) from None
        try:
            library = cls(url, data_dir)
            library.migrate()
        except (SQLAlchemyError, ImportError) as exc:
            reason = str(exc).split("\n")[0].split("(Background on this error")[0].strip()
            raise LibraryError(f"cannot open the library at {shown_url}: {reason}") from None
        return library

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision, one machine at a time."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # every machine of a shared library migrates at start; one at a time
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7146001)")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        with open(self.data_dir / ".migrate.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # --- requests ---------------------------------------------------------------------------

    def submit(
        self, new: NewRequest, persona: Persona, limit: int = DEFAULT_REQUESTER_LIMIT
    ) -> tuple[RequestStatus, bool]:
        """Screen and queue a request; returns its status and whether it is new.

        The same ``idempotency_key`` from the same requester returns the first request (another
        requester's key never finds it). Raises
        :class:`~vartist.request.RequestError` when screening refuses it and
        :class:`RequesterLimitError` when the requester already has ``limit`` open requests.
        """
        seed = new.seed if new.seed is not None else secrets.randbelow(2**31)
        screened = screen(new, persona, seed)
        key = _scoped_key(new.requester, new.idempotency_key)
        if key is not None:
            existing = self._by_key(key)
            if existing is not None:
                return existing, False
        now = time.time()
        try:
            with self._session() as session:
                requester = self._requester(session, new.requester, now)
                # a write on the requester's row first: concurrent submissions of one requester
                # then count one after another (a row lock on PostgreSQL, the write lock on
                # SQLite), so the limit cannot be overrun by a burst
                session.execute(
                    update(RequesterRow)
                    .where(RequesterRow.id == requester.id)
                    .values(created_at=RequesterRow.created_at)
                )
                open_count = session.scalar(
                    select(func.count())
                    .select_from(RequestRow)
                    .where(RequestRow.requester_id == requester.id)
                    .where(RequestRow.state.in_(OPEN_STATES))
                )
                if (open_count or 0) >= limit:
                    raise RequesterLimitError(
                        f"{new.requester} already has {open_count} songs on the way; "
                        f"wait for one to finish (at most {limit} at a time)"
                    )
                row = RequestRow(
                    id=secrets.token_hex(8),
                    requester_id=requester.id,
                    idempotency_key=key,
                    prompt=screened.prompt,
                    lyrics=screened.lyrics_text,
                    genre=screened.genre,
                    seed=seed,
                    persona=persona.model_dump(mode="json"),
                    priority=1 if new.priority == "live" else 0,
                    state="queued",
                    progress=0.0,
                    attempts=0,
                    cancel_requested=False,
                    reply_to=dict(new.reply_to) if new.reply_to is not None else None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                request_id = row.id
        except IntegrityError:
            # a concurrent submission with the same key won the race: it is the request
            if key is not None:
                existing = self._by_key(key)
                if existing is not None:
                    return existing, False
            raise
        return self.status(request_id), True

    def _requester(self, session: Session, name: str, now: float) -> RequesterRow:
        found = session.scalar(select(RequesterRow).where(RequesterRow.name == name))
        if found is not None:
            return found
        try:
            with session.begin_nested():
                requester = RequesterRow(name=name, created_at=now)
                session.add(requester)
            return requester
        except IntegrityError:
            return session.scalars(select(RequesterRow).where(RequesterRow.name == name)).one()

    def _by_key(self, key: str) -> RequestStatus | None:
        with self._session() as session:
            found = session.scalar(select(RequestRow.id).where(RequestRow.idempotency_key == key))
        return self.status(found) if found is not None else None

    def status(self, request_id: str) -> RequestStatus:
        with self._session() as session:
            found = session.execute(
                select(RequestRow, RequesterRow.name)
                .join(RequesterRow)
                .where(RequestRow.id == request_id)
            ).first()
            if found is None:
                raise NotFoundError(f"no request {request_id!r}")
            row, requester = found
            position = self._position(session, row) if row.state == "queued" else None
            return _status(row, requester, position)

    def _position(self, session: Session, row: RequestRow) -> int | None:
        """Requests a worker takes before this one: round-robin between requesters, so it is
        the number of requests ahead in the same "round" as this one, across requesters. None
        when a worker took it meanwhile: on PostgreSQL each statement sees the latest commits,
        so the queue read here may no longer hold the row read a moment ago."""
        order = session.execute(
            select(RequestRow.id, RequestRow.requester_id, RequestRow.priority)
            .join(RequesterRow)
            .where(RequestRow.state == "queued")
            .order_by(*_QUEUE_ORDER)
        ).all()
        rounds: dict[int, int] = {}
        keyed = []
        for index, (request_id, requester_id, priority) in enumerate(order):
            rank = rounds.get(requester_id, 0)
            rounds[requester_id] = rank + 1
            keyed.append((-priority, rank, index, request_id))
        keyed.sort()
        return next((i for i, entry in enumerate(keyed) if entry[3] == row.id), None)

    def requests(
        self, states: tuple[str, ...] | None = None, limit: int = 100, oldest_first: bool = False
    ) -> list[RequestStatus]:
        """Requests, newest first (or oldest first), optionally only in ``states``."""
        order = RequestRow.created_at.asc() if oldest_first else RequestRow.created_at.desc()
        with self._session() as session:
            query = select(RequestRow, RequesterRow.name).join(RequesterRow)
            if states:
                query = query.where(RequestRow.state.in_(states))
            rows = session.execute(query.order_by(order).limit(limit)).all()
            return [_status(row, name, None) for row, name in rows]

    def changes_since(self, since: float) -> list[RequestStatus]:
        """Requests whose state or progress changed after ``since`` (for event streams)."""
        with self._session() as session:
            rows = session.execute(
                select(RequestRow, RequesterRow.name)
                .join(RequesterRow)
                .where(RequestRow.updated_at > since)
                .order_by(RequestRow.updated_at.asc())
                .limit(500)
            ).all()
            return [_status(row, name, None) for row, name in rows]

    def cancel(self, request_id: str) -> RequestStatus:
        """Cancel a request: at once when queued; at the next stage when rendering; a finished
        request stays as it is."""
        now = time.time()
        with self._session() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no request {request_id!r}")
            if row.state in ("received", "screened", "queued"):
                row.state, row.updated_at = "cancelled", now
            elif row.state == "rendering":
                row.cancel_requested, row.updated_at = True, now
        return self.status(request_id)

    # --- the worker's side ------------------------------------------------------------------

    def claim(self, worker: str, lease_seconds: float) -> Job | None:
        """Take the fairest queued request for ``worker`` under a lease, or None."""
        now = time.time()
        with self._session() as session:
            candidates = session.execute(
                select(RequestRow.id, RequestRow.requester_id)
                .join(RequesterRow)
                .where(RequestRow.state == "queued")
                .where(or_(RequestRow.not_before.is_(None), RequestRow.not_before <= now))
                .order_by(*_QUEUE_ORDER)
                .limit(8)
            ).all()
            tried: set[int] = set()
            for request_id, requester_id in candidates:
                if requester_id in tried:
                    continue  # their first request was just taken: the next requester's turn
                tried.add(requester_id)
                claimed_at = time.time()
                taken = session.execute(
                    update(RequestRow)
                    .where(RequestRow.id == request_id, RequestRow.state == "queued")
                    .values(
                        state="rendering",
                        lease_owner=worker,
                        lease_until=claimed_at + lease_seconds,
                        attempts=RequestRow.attempts + 1,
                        started_at=claimed_at,
                        stage=None,
                        progress=0.0,
                        updated_at=claimed_at,
                    )
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another worker took it between the select and the update
                # the time of the claim itself, not of the search: two workers that searched
                # together must still record their claims in the order they happened, or the
                # next round serves those two requesters the other way round
                session.execute(
                    update(RequesterRow)
                    .where(RequesterRow.id == requester_id)
                    .values(last_served_at=time.time())
                )
                row = session.get(RequestRow, request_id)
                assert row is not None
                return Job(
                    request_id=row.id,
                    request=SongRequest(
                        row.prompt,
                        seed=row.seed,
                        lyrics_text=row.lyrics,
                        genre=row.genre,
                        requested_by=str(requester_id),
                    ),
                    persona=row.persona,
                    attempt=row.attempts,
                )
        return None

    def heartbeat(self, request_id: str, worker: str, lease_seconds: float) -> tuple[bool, bool]:
        """Renew the lease; returns (still ours, cancel requested)."""
        now = time.time()
        with self._session() as session:
            renewed = session.execute(
                update(RequestRow)
                .where(
                    RequestRow.id == request_id,
                    RequestRow.lease_owner == worker,
                    RequestRow.state == "rendering",
                )
                .values(lease_until=now + lease_seconds)
            )
            cancel = session.scalar(
                select(RequestRow.cancel_requested).where(RequestRow.id == request_id)
            )
        return renewed.rowcount == 1, bool(cancel)  # type: ignore[attr-defined]

    def report_stage(self, request_id: str, worker: str, stage: str, progress: float) -> None:
        with self._session() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.lease_owner == worker)
                .values(stage=stage, progress=progress, updated_at=time.time())
            )

    def complete(self, job: Job, worker: str, song: Song) -> str | None:
        """Store the song and mark the request done; None when the lease was lost (another
        worker has the request now) and the song is discarded."""
        incoming = self.store.incoming()
        try:
            written = write_song_files(song, incoming, stems=False)
            digests = {name: self.store.put(incoming / name) for name in written}
        finally:
            self.store.discard(incoming)
        now = time.time()
        song_id = secrets.token_hex(8)
        try:
            with self._session() as session:
                row = session.get(RequestRow, job.request_id, with_for_update=True)
                if row is None or row.state != "rendering" or row.lease_owner != worker:
                    return None
                if row.cancel_requested:  # cancelled while its last stage ran: no song
                    row.state, row.lease_owner, row.lease_until = "cancelled", None, None
                    row.updated_at = now
                    self.streams.remove(job.request_id)
                    return None
                session.add(
                    SongRow(
                        id=song_id,
                        request_id=job.request_id,
                        title=song.title,
                        artist=song.persona.name,
                        duration=song.duration,
                        genre=song.score.genre,
                        key=song.score.key.name,
                        tempo=song.score.tempo,
                        seed=song.request.seed,
                        files=digests,
                        created_at=now,
                    )
                )
                row.state, row.song_id, row.progress = "done", song_id, 1.0
                row.stage, row.lease_owner, row.lease_until = None, None, None
                row.error, row.updated_at = None, now
        except IntegrityError:
            return None  # the request already has its song
        self.streams.remove(job.request_id)  # readers that have it open read on to its end
        return song_id

    def fail(self, job: Job, worker: str, error: str, transient: bool) -> None:
        """Record a failed render: a transient one is queued again after a back-off, up to
        :data:`MAX_ATTEMPTS` renders; any other ends the request."""
        now = time.time()
        retry = transient and job.attempt < MAX_ATTEMPTS
        backoff = RETRY_BACKOFF_SECONDS[min(job.attempt, len(RETRY_BACKOFF_SECONDS)) - 1]
        with self._session() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == job.request_id, RequestRow.lease_owner == worker)
                .values(
                    state="queued" if retry else "failed",
                    not_before=now + backoff if retry else None,
                    error=error,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
        if not retry:
            self.streams.remove(job.request_id)

    def finish_cancelled(self, job: Job, worker: str) -> None:
        with self._session() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == job.request_id, RequestRow.lease_owner == worker)
                .values(
                    state="cancelled", lease_owner=None, lease_until=None, updated_at=time.time()
                )
            )
        self.streams.remove(job.request_id)

    def reclaim_stale(self) -> int:
        """Return requests whose worker stopped renewing its lease to the queue (or fail them
        after :data:`MAX_ATTEMPTS` renders); returns how many were queued again."""
        now = time.time()
        with self._session() as session:
            stale = (
                (RequestRow.state == "rendering")
                & RequestRow.lease_until.is_not(None)
                & (RequestRow.lease_until < now)
            )
            session.execute(
                update(RequestRow)
                .where(stale, RequestRow.attempts >= MAX_ATTEMPTS)
                .values(
                    state="failed",
                    error=f"the render stopped {MAX_ATTEMPTS} times (a worker crashed)",
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            requeued = session.execute(
                update(RequestRow)
                .where(stale)
                .values(state="queued", lease_owner=None, lease_until=None, updated_at=now)
            )
        return int(requeued.rowcount)  # type: ignore[attr-defined]

    def ready_count(self) -> int:
        """Queued requests a worker could take now."""
        now = time.time()
        with self._session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(RequestRow)
                .where(RequestRow.state == "queued")
                .where(or_(RequestRow.not_before.is_(None), RequestRow.not_before <= now))
            )
        return int(count or 0)

    def mark_delivered(self, request_id: str, channel: str, target: str) -> None:
        now = time.time()
        with self._session() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no request {request_id!r}")
            if row.state not in ("done", "delivered"):
                raise NotReadyError(
                    f"request {request_id} is {row.state}; only a finished song can be delivered"
                )
            session.add(
                DeliveryRow(request_id=request_id, channel=channel, target=target, delivered_at=now)
            )
            if row.state == "done":
                row.state, row.updated_at = "delivered", now

    def reply_to(self, request_id: str) -> dict[str, Any] | None:
        with self._session() as session:
            found = session.scalar(select(RequestRow.reply_to).where(RequestRow.id == request_id))
        return dict(found) if found else None

    def awaiting_reply(
        self, requester_prefix: str, states: tuple[str, ...], limit: int = 500
    ) -> list[tuple[RequestStatus, dict[str, Any]]]:
        """A channel's requests in ``states`` that have a ``reply_to``, oldest first, with it:
        what a chat bot still has to follow or deliver (``requester_prefix``: ``discord:``)."""
        with self._session() as session:
            rows = session.execute(
                select(RequestRow, RequesterRow.name)
                .join(RequesterRow)
                .where(RequesterRow.name.startswith(requester_prefix, autoescape=True))
                .where(RequestRow.state.in_(states))
                .where(RequestRow.reply_to.is_not(None))
                .order_by(RequestRow.created_at.asc())
                .limit(limit)
            ).all()
            return [(_status(row, name, None), dict(row.reply_to or {})) for row, name in rows]

    def deliveries(self, request_id: str) -> list[tuple[str, str]]:
        """(channel, target) of every delivery of the request's song, oldest first."""
        with self._session() as session:
            rows = session.execute(
                select(DeliveryRow.channel, DeliveryRow.target)
                .where(DeliveryRow.request_id == request_id)
                .order_by(DeliveryRow.id.asc())
            ).all()
        return [(channel, target) for channel, target in rows]

    def releases_to_publish(self, channel_prefix: str, limit: int = 100) -> list[PendingRelease]:
        """Release rows of channels named ``channel_prefix…`` (``discord:``) whose song is made
        and that no one has published yet, oldest run first."""
        with self._session() as session:
            rows = session.scalars(
                select(ReleaseRow)
                .where(ReleaseRow.channel.startswith(channel_prefix, autoescape=True))
                .where(ReleaseRow.published_at.is_(None))
                .where(ReleaseRow.song_id.is_not(None))
                .order_by(ReleaseRow.scheduled_for.asc(), ReleaseRow.id.asc())
                .limit(limit)
            ).all()
            return [
                PendingRelease(
                    row.id,
                    row.name or "",
                    row.scheduled_for,
                    row.channel,
                    str(row.song_id),
                    row.request_id,
                )
                for row in rows
            ]

    def mark_release_published(self, release_id: int, target: str) -> bool:
        """Record that a channel published a release (``target``: where, or why not).

        A conditional update: only the first of several bots (or of a bot and its restarted
        self) marks it; the others get False. The release's request gets a delivery record
        in the same transaction, as a fan's request does."""
        now = time.time()
        with self._session() as session:
            row = session.get(ReleaseRow, release_id)
            if row is None:
                raise NotFoundError(f"no release row {release_id}")
            marked = session.execute(
                update(ReleaseRow)
                .where(ReleaseRow.id == release_id, ReleaseRow.published_at.is_(None))
                .values(published_at=now)
            )
            if marked.rowcount != 1:  # type: ignore[attr-defined]
                return False
            request = session.get(RequestRow, row.request_id) if row.request_id else None
            if request is not None and request.state in ("done", "delivered"):
                session.add(
                    DeliveryRow(
                        request_id=request.id, channel=row.channel, target=target, delivered_at=now
                    )
                )
                if request.state == "done":
                    request.state, request.updated_at = "delivered", now
            return True

    # --- songs --------------------------------------------------------------------------------

    def songs(self, limit: int = 100, offset: int = 0) -> list[SongInfo]:
        with self._session() as session:
            rows = session.scalars(
                select(SongRow).order_by(SongRow.created_at.desc()).limit(limit).offset(offset)
            ).all()
            return [_song(row) for row in rows]

    def song(self, song_id: str) -> SongInfo:
        with self._session() as session:
            row = session.get(SongRow, song_id)
            if row is None:
                raise NotFoundError(f"no song {song_id!r}; `vartist library list` shows them")
            return _song(row)

    def song_file(self, song_id: str, name: str) -> Path:
        info = self.song(song_id)
        if name not in info.files:
            raise NotFoundError(f"song {song_id!r} has no file {name!r}")
        return self.store.path(info.files[name])

    def export(self, song_id: str, out_dir: Path | str) -> Path:
        """Copy a song's files into a song folder, with the guarantees of ``vartist sing``."""
        info = self.song(song_id)
        with SongFolder.prepare(out_dir) as folder:
            folder.commit_copies({name: self.store.path(d) for name, d in info.files.items()})
        return folder.path

    def delete_song(self, song_id: str) -> None:
        with self._session() as session:
            row = session.get(SongRow, song_id)
            if row is None:
                raise NotFoundError(f"no song {song_id!r}")
            digests = set(row.files.values())
            session.execute(
                update(RequestRow).where(RequestRow.song_id == song_id).values(song_id=None)
            )
            session.delete(row)
            session.flush()
            still_used: set[str] = set()
            for files in session.scalars(select(SongRow.files)):
                still_used.update(files.values())
        for digest in digests - still_used:
            self.store.remove(digest)


def _scoped_key(requester: str, key: str | None) -> str | None:
    """The stored idempotency key: a digest of the requester and their key, so keys are
    private to each requester and fit the column whatever their length."""
    if key is None:
        return None
    return hashlib.sha256(f"{requester}\x00{key}".encode()).hexdigest()


def _status(row: RequestRow, requester: str, position: int | None) -> RequestStatus:
    return RequestStatus(
        id=row.id,
        requester=requester,
        prompt=row.prompt,
        state=row.state,
        stage=row.stage,
        progress=row.progress,
        position=position,
        song_id=row.song_id,
        error=row.error,
        attempts=row.attempts,
        worker=row.lease_owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
    )


def _song(row: SongRow) -> SongInfo:
    return SongInfo(
        id=row.id,
        request_id=row.request_id,
        title=row.title,
        artist=row.artist,
        duration=row.duration,
        genre=row.genre,
        key=row.key,
        tempo=row.tempo,
        seed=row.seed,
        files=dict(row.files),
        created_at=row.created_at,
    )


def screen(new: NewRequest, persona: Persona, seed: int) -> SongRequest:
    """received → screened: a request the artist would not sing is refused before it queues.

    The request must be a valid :class:`SongRequest` (length, encoding, seed) with a genre the
    composer knows and lyrics that parse, and must not ask for a word in the persona's
    ``lyrics.avoid`` list or the language's built-in blocklist.
    """
    from vartist.runtime.checks import check_request

    request = SongRequest(new.prompt, seed=seed, lyrics_text=new.lyrics, genre=new.genre)
    check_request(request, persona)
    # the same screen every lyric engine applies to what it writes
    from vartist.lyrics.screening import banned_word_in, banned_words

    banned = banned_words(persona.lyrics.avoid, persona.language)
    word = banned_word_in(f"{request.prompt} {request.lyrics_text or ''}", banned)
    if word is not None:
        raise RequestError(f"{persona.name} does not sing about {word!r}; ask for another song")
    if not new.requester.strip() or len(new.requester) > 200:
        raise RequestError("requester must be a name of 1 to 200 characters")
    return request
