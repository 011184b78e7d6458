"""Scheduled releases: the persona's ``[[releases]]``, made on time, once each.

APScheduler keeps one cron job per release in the library's own database (a
``SQLAlchemyJobStore``), so the schedule outlives restarts. A release missed while nothing ran
is made when the scheduler is back, once however many runs were missed (``coalesce``), if it is
not older than :data:`MISFIRE_GRACE_SECONDS`. The library decides what was made: each run
(release name, scheduled time) claims a row in the ``releases`` table before its song renders,
and that row's unique key stops a second claim, so a run is never made twice — not by a restart,
not by a second scheduler, not by ``run-now`` at the same minute. A run interrupted by a crash is
finished on the next start (its request has the run as idempotency key, so it keeps its song).

A release renders through the service's queue like any request, then is encoded
(:mod:`vartist.runtime.publishing`: OGG Opus, MP3 and FLAC with tags, and a cover) into
``DATA_DIR/releases/NAME/YYYY-MM-DDTHHMM/``. Each ``discord:CHANNEL_ID`` channel gets a
``releases`` row without ``published_at``: the Discord bot posts it and sets that time.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vartist.errors import VartistError
from vartist.persona.schema import Release
from vartist.runtime.library import NewRequest, RequestStatus
from vartist.runtime.library.models import ReleaseRow
from vartist.runtime.service import Service

log = logging.getLogger("vartist.releases")

MISFIRE_GRACE_SECONDS = 6 * 3600
"""A run missed by downtime is still made this long after its time; an older one is skipped
(a Friday-evening song arriving on Monday would be stale)."""
RENDER_WAIT_SECONDS = 3600.0
"""How long a release waits for the queue to render its song before it gives up."""
RENDER_POLL_SECONDS = 1.0
FILES_CHANNEL = "files"
"""The ``releases`` row of the release folder itself: its claim and its record."""
SCHEDULE_TABLE = "vartist_release_schedule"
"""APScheduler's job table in the library's database."""
RUN_STAMP = "%Y-%m-%dT%H%M"
"""Folder name of one run: its scheduled minute, UTC."""

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ReleaseError(VartistError):
    """A release that does not exist or could not be made."""


@dataclass(frozen=True)
class ReleaseOutcome:
    name: str
    scheduled_for: datetime
    made: bool
    """False when this run had been made before: nothing was done."""
    song_id: str | None
    files: tuple[Path, ...]
    channels: tuple[str, ...]
    """The ``discord:…`` channels recorded for the Discord bot."""


@dataclass(frozen=True)
class ReleaseInfo:
    release: Release
    next_run: datetime | None
    last_made: datetime | None


def cron_trigger(release: Release) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(release.cron, timezone=timezone.utc)


def latest_run_time(release: Release, now: datetime) -> datetime | None:
    """The release's latest scheduled time at or before ``now``, within the misfire grace:
    the run a coalesced job stands for."""
    trigger = cron_trigger(release)
    latest = None
    candidate = trigger.get_next_fire_time(None, now - timedelta(seconds=MISFIRE_GRACE_SECONDS))
    while candidate is not None and candidate <= now:
        latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    return latest


class ReleaseDesk:
    """Makes a persona's releases through a :class:`Service`, each run once."""

    def __init__(
        self,
        service: Service,
        clock: Clock = utc_now,
        render_wait_seconds: float = RENDER_WAIT_SECONDS,
    ) -> None:
        names = [release.name for release in service.persona.releases]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ReleaseError(
                f"the persona names more than one release {doubled[0]!r}; give each its own name"
            )
        self.service = service
        self.clock = clock
        self.render_wait_seconds = render_wait_seconds
        self.folder = service.library.data_dir / "releases"

    def release(self, name: str) -> Release:
        for release in self.service.persona.releases:
            if release.name == name:
                return release
        known = ", ".join(repr(r.name) for r in self.service.persona.releases) or "none"
        raise ReleaseError(f"the persona has no release {name!r}; its releases: {known}")

    def listing(self) -> list[ReleaseInfo]:
        now = self.clock()
        infos = []
        for release in self.service.persona.releases:
            with self._session() as session:
                last = session.scalar(
                    select(ReleaseRow.scheduled_for)
                    .where(ReleaseRow.name == release.name, ReleaseRow.channel == FILES_CHANNEL)
                    .where(ReleaseRow.published_at.is_not(None))
                    .order_by(ReleaseRow.scheduled_for.desc())
                    .limit(1)
                )
            infos.append(
                ReleaseInfo(
                    release,
                    cron_trigger(release).get_next_fire_time(None, now),
                    datetime.fromtimestamp(last, timezone.utc) if last is not None else None,
                )
            )
        return infos

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.service.library.engine) as session, session.begin():
            yield session

    # --- making a run ---------------------------------------------------------------------------

    def make(self, name: str, scheduled_for: datetime) -> ReleaseOutcome:
        """Make run ``scheduled_for`` of release ``name``, unless it was made before."""
        release = self.release(name)
        at = scheduled_for.timestamp()
        if self._claim(name, at):
            log.info("release %s of %s was made before; not again", name, scheduled_for)
            return ReleaseOutcome(name, scheduled_for, False, None, (), ())
        new = NewRequest(
            prompt=release.song_prompt,
            requester=f"release:{name}",
            idempotency_key=f"{at:.0f}",
        )
        status, _ = self.service.submit(new)
        with self._session() as session:
            session.execute(self._run(name, at, FILES_CHANNEL).values(request_id=status.id))
        song_id = self._wait_for_song(status)
        files = self._publish(name, scheduled_for, song_id)
        now = self.clock().timestamp()
        with self._session() as session:
            session.execute(
                self._run(name, at, FILES_CHANNEL).values(song_id=song_id, published_at=now)
            )
            for channel in release.channels:
                session.add(
                    ReleaseRow(
                        name=name,
                        scheduled_for=at,
                        channel=channel,
                        song_id=song_id,
                        request_id=status.id,
                        published_at=None,
                    )
                )
        log.info("released %s (%s) into %s", name, scheduled_for, files[0].parent)
        return ReleaseOutcome(name, scheduled_for, True, song_id, files, tuple(release.channels))

    @staticmethod
    def _run(name: str, at: float, channel: str) -> Any:
        return update(ReleaseRow).where(
            ReleaseRow.name == name,
            ReleaseRow.scheduled_for == at,
            ReleaseRow.channel == channel,
        )

    def _claim(self, name: str, at: float) -> bool:
        """Claim the run; returns True when it was already made (published)."""
        try:
            with self._session() as session:
                session.add(ReleaseRow(name=name, scheduled_for=at, channel=FILES_CHANNEL))
            return False
        except IntegrityError:
            with self._session() as session:
                published = session.scalar(
                    select(ReleaseRow.published_at).where(
                        ReleaseRow.name == name,
                        ReleaseRow.scheduled_for == at,
                        ReleaseRow.channel == FILES_CHANNEL,
                    )
                )
            # claimed but never published: an interrupted run, finished now
            return published is not None

    def _wait_for_song(self, status: RequestStatus) -> str:
        deadline = time.monotonic() + self.render_wait_seconds
        while status.state not in ("done", "delivered") or status.song_id is None:
            if status.state in ("failed", "cancelled"):
                raise ReleaseError(
                    f"the song of release request {status.id} {status.state}: {status.error}"
                )
            if time.monotonic() > deadline:
                raise ReleaseError(
                    f"request {status.id} was not rendered within {self.render_wait_seconds:.0f}"
                    " s; is `vartist serve` (or `vartist worker`) running on this library?"
                )
            time.sleep(RENDER_POLL_SECONDS)
            status = self.service.library.status(status.id)
        return status.song_id

    def _publish(self, name: str, scheduled_for: datetime, song_id: str) -> tuple[Path, ...]:
        from vartist.runtime.publishing import (
            PUBLISH_FORMATS,
            SUFFIXES,
            ReleaseTags,
            cover_art,
            encode,
        )

        out = run_folder(self.service.library.data_dir, name, scheduled_for)
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.folder) as scratch:
            song = self.service.library.export(song_id, Path(scratch) / "song")
            tags = ReleaseTags.from_song_folder(song)
            cover = cover_art(tags.title, self.service.persona.palette)
            files = [
                encode(song / "song.wav", out / f"song{SUFFIXES[fmt]}", fmt, tags, cover_png=cover)
                for fmt in PUBLISH_FORMATS
            ]
        cover_file = out / "cover.png"
        cover_file.write_bytes(cover)
        return (*files, cover_file)

    def resume_unfinished(self) -> list[ReleaseOutcome]:
        """Finish runs claimed before a crash (claimed, never published)."""
        with self._session() as session:
            open_runs = session.execute(
                select(ReleaseRow.name, ReleaseRow.scheduled_for)
                .where(ReleaseRow.channel == FILES_CHANNEL, ReleaseRow.published_at.is_(None))
                .order_by(ReleaseRow.scheduled_for)
            ).all()
        outcomes = []
        for name, at in open_runs:
            try:
                outcomes.append(self.make(str(name), datetime.fromtimestamp(at, timezone.utc)))
            except VartistError as exc:
                log.warning("release %s of %s cannot be finished: %s", name, at, exc)
        return outcomes


def _safe_name(name: str) -> str:
    """A release name as one folder name."""
    kept = "".join(c if c.isalnum() or c in "-_ " else "-" for c in name).strip()
    return kept.replace(" ", "-") or "release"


def run_folder(data_dir: Path, name: str, scheduled_for: datetime) -> Path:
    """Where run ``scheduled_for`` of release ``name`` keeps its files (a channel that posts
    the release reads them from here)."""
    stamp = scheduled_for.astimezone(timezone.utc).strftime(RUN_STAMP)
    return data_dir / "releases" / _safe_name(name) / stamp


# --- the schedule ---------------------------------------------------------------------------

_active_desk: ReleaseDesk | None = None
"""The desk whose releases this process's scheduler makes: APScheduler stores a job's function
by its import path and its arguments (the release name) in the database, not the desk itself."""


def run_scheduled_release(name: str) -> None:
    """APScheduler's job: make the run of ``name`` that is due now."""
    desk = _active_desk
    if desk is None:
        raise ReleaseError("no release scheduler is running in this process")
    release = desk.release(name)
    scheduled_for = latest_run_time(release, desk.clock())
    if scheduled_for is None:
        log.warning("release %s woke with no run due; nothing made", name)
        return
    desk.make(name, scheduled_for)


class ReleaseScheduler:
    """The persona's releases as APScheduler jobs stored in the library's database."""

    def __init__(self, desk: ReleaseDesk, executor: str = "threadpool") -> None:
        """``executor``: APScheduler's executor alias; "threadpool" renders beside the
        scheduler, "debug" runs a release inside the scheduler's own step (for tests)."""
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.desk = desk
        store = SQLAlchemyJobStore(engine=desk.service.library.engine, tablename=SCHEDULE_TABLE)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": {"type": executor}},
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
                "max_instances": 1,
            },
            timezone=timezone.utc,
        )

    def start(self) -> None:
        """Finish interrupted runs, bring the stored jobs in line with the persona, start."""
        global _active_desk
        _active_desk = self.desk
        self.desk.resume_unfinished()
        self.scheduler.start(paused=True)
        self._sync_jobs()
        self.scheduler.resume()

    def _sync_jobs(self) -> None:
        wanted = {f"release:{r.name}": r for r in self.desk.service.persona.releases}
        for job in self.scheduler.get_jobs():
            release = wanted.get(job.id)
            if release is None or str(job.trigger) != str(cron_trigger(release)):
                job.remove()  # dropped from the persona, or its time changed
        kept = {job.id for job in self.scheduler.get_jobs()}
        for job_id, release in wanted.items():
            if job_id in kept:
                # a stored job keeps its stored next run time: a run missed while down is due
                continue
            self.scheduler.add_job(
                run_scheduled_release,
                cron_trigger(release),
                args=[release.name],
                id=job_id,
                name=release.name,
            )

    def wakeup(self) -> None:
        """Look for due releases now (the scheduler otherwise sleeps until the next one)."""
        self.scheduler.wakeup()

    def shutdown(self) -> None:
        global _active_desk
        self.scheduler.shutdown(wait=True)
        if _active_desk is self.desk:
            _active_desk = None


def describe_releases(desk: ReleaseDesk) -> list[str]:
    """One line per release for `vartist releases list`."""
    lines = []
    for info in desk.listing():
        when = info.next_run.strftime("%Y-%m-%d %H:%M UTC") if info.next_run else "never"
        last = info.last_made.strftime("%Y-%m-%d %H:%M UTC") if info.last_made else "not yet"
        about = info.release.prompt or f"theme: {info.release.theme}"
        channels = ", ".join(info.release.channels) or "files only"
        lines.append(
            f"{info.release.name}  [{info.release.cron}]  next {when}, last made {last}; "
            f"{about}; to {channels}"
        )
    return lines


def make_now(desk: ReleaseDesk, name: str) -> ReleaseOutcome:
    """`vartist releases run-now NAME`: a run for the current minute (once, like any run)."""
    desk.release(name)
    return desk.make(name, desk.clock().replace(second=0, microsecond=0))


def run_schedule(desk: ReleaseDesk, announce: Callable[[str], None]) -> None:
    """`vartist releases schedule`: make the releases on time until interrupted."""
    scheduler = ReleaseScheduler(desk)
    scheduler.start()
    try:
        for line in describe_releases(desk):
            announce(line)
        while True:
            time.sleep(3600)
    finally:
        scheduler.shutdown()
