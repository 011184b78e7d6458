"""Scheduled releases: APScheduler with its jobs in the library's database, driven by a
virtual clock; the library's record makes each run once.

The clock: APScheduler 3 reads the time only through ``datetime.now`` in its scheduler and
executor modules; the tests put a virtual clock there (and give the same clock to the release
desk), then ask the scheduler to look for due jobs with ``wakeup()``. A real worker (the
service's own ``render_job``) renders the queued requests in a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import select

from tests.runner import one_error_line, vartist
from vartist.persona import default_persona
from vartist.persona.schema import Release
from vartist.runtime.library import Library
from vartist.runtime.library.models import ReleaseRow
from vartist.runtime.releases import (
    FILES_CHANNEL,
    ReleaseDesk,
    ReleaseScheduler,
    latest_run_time,
)
from vartist.runtime.service import Service
from vartist.runtime.workers import ServiceSettings, render_job

DAILY = Release(
    name="evening",
    cron="0 18 * * *",
    theme="neon rain",
    channels=["discord:123456789012345678"],
)


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    import apscheduler.executors.base
    import apscheduler.schedulers.base

    virtual = VirtualClock(datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc))

    class VirtualDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return virtual.now.astimezone(tz) if tz else virtual.now.replace(tzinfo=None)

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", VirtualDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", VirtualDatetime)
    return virtual


def _service(data: Path) -> Service:
    settings = ServiceSettings(data_dir=data, database_url=f"sqlite:///{data / 'library.db'}")
    persona = default_persona().model_copy(update={"releases": [DAILY]})
    return Service.open(settings, persona)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[threading.Event]:
    """A render worker on the test's library, as `vartist serve` would run; it takes requests
    while the returned event is set."""
    data = tmp_path / "data"
    library = Library.open(f"sqlite:///{data / 'library.db'}", data)
    stop, working = threading.Event(), threading.Event()
    working.set()

    def work() -> None:
        while not stop.is_set():
            job = library.claim("test-worker", 60.0) if working.is_set() else None
            if job is None:
                stop.wait(0.1)
                continue
            render_job(library, job, "test-worker", 60.0)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield working
    stop.set()
    thread.join(timeout=120)
    library.close()


def _scheduler_round(
    service: Service, clock: VirtualClock, render_wait_seconds: float = 180.0
) -> list[str]:
    """Start a scheduler (a restart), let it process what is due now, stop it; returns the
    APScheduler events it dispatched."""
    from apscheduler.events import EVENT_ALL

    desk = ReleaseDesk(service, clock=clock, render_wait_seconds=render_wait_seconds)
    scheduler = ReleaseScheduler(desk, executor="debug")
    events: list[str] = []
    processed = threading.Event()

    def record(event: Any) -> None:
        events.append(f"{event.code}:{getattr(event, 'job_id', '')}")

    scheduler.scheduler.add_listener(record, EVENT_ALL)
    scheduler.start()
    # one more look for due jobs, then a marker job we know the order of: once the marker has
    # run, every release due before it has been handled (the debug executor runs jobs inline)
    # (in a memory store, looked at after the library's: a thread event does not pickle)
    scheduler.scheduler.add_jobstore("memory", alias="marker")
    scheduler.scheduler.add_job(
        processed.set, "date", run_date=clock.now, id="marker", jobstore="marker"
    )
    scheduler.wakeup()
    assert processed.wait(240), "the scheduler did not process its due jobs"
    scheduler.shutdown()
    return events


def _runs(data: Path) -> list[tuple[str, float, float | None]]:
    library = Library.open(f"sqlite:///{data / 'library.db'}", data)
    try:
        with library.engine.connect() as connection:
            rows = connection.execute(
                select(ReleaseRow.channel, ReleaseRow.scheduled_for, ReleaseRow.published_at)
                .where(ReleaseRow.name == DAILY.name)
                .order_by(ReleaseRow.channel)
            ).all()
        return [(str(c), float(s), p) for c, s, p in rows]
    finally:
        library.close()


def test_latest_run_time_is_the_run_a_coalesced_job_stands_for() -> None:
    friday_19 = datetime(2026, 12, 4, 19, 30, tzinfo=timezone.utc)
    assert latest_run_time(DAILY, friday_19) == datetime(2026, 12, 4, 18, 0, tzinfo=timezone.utc)
    # three days down: only the newest run is due, the older ones are past the grace
    assert latest_run_time(DAILY, friday_19 + timedelta(days=3)) == datetime(
        2026, 12, 7, 18, 0, tzinfo=timezone.utc
    )
    assert latest_run_time(DAILY, datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc)) is None


@pytest.mark.slow
def test_downtime_over_a_release_time_makes_it_once_and_a_restart_not_again(
    tmp_path: Path, clock: VirtualClock, worker: threading.Event
) -> None:
    data = tmp_path / "data"
    service = _service(data)
    at = datetime(2026, 12, 5, 18, 0, tzinfo=timezone.utc).timestamp()
    try:
        # 17:00: the scheduler stores the job (next run 18:00) and finds nothing due
        _scheduler_round(service, clock)
        assert _runs(data) == []
        # down until the next day at 19:00: two runs (18:00 each day) were missed. The
        # scheduler comes back, makes the newest run only, and dies while it renders (no worker
        # took the request within its wait)
        clock.advance(days=1, hours=2)
        worker.clear()
        events = _scheduler_round(service, clock, render_wait_seconds=1.0)
        assert events.count(f"{EVENT_JOB_ERROR}:release:evening") == 1
        assert _runs(data) == [(FILES_CHANNEL, at, None)]  # claimed, not made
        # restarted at 20:00 with a worker: the interrupted run is finished, with its request
        worker.set()
        clock.advance(hours=1)
        events = _scheduler_round(service, clock)
        ran = {f"{EVENT_JOB_EXECUTED}:release:evening", f"{EVENT_JOB_ERROR}:release:evening"}
        assert not ran & set(events)  # the job itself was not due again
        runs = _runs(data)
        assert [(channel, when) for channel, when, _ in runs] == [
            ("discord:123456789012345678", at),
            (FILES_CHANNEL, at),
        ]
        discord_run, files_run = runs
        assert files_run[2] is not None and discord_run[2] is None  # the bot posts it later
        # another restart: nothing is due and nothing is made again
        clock.advance(hours=1)
        _scheduler_round(service, clock)
        assert _runs(data) == runs
        # and a second scheduler racing for the same run finds the library's record
        again = ReleaseDesk(service, clock=clock).make(
            DAILY.name, datetime(2026, 12, 5, 18, 0, tzinfo=timezone.utc)
        )
        assert not again.made
        requests = service.library.requests(limit=100)
        assert [r.requester for r in requests] == ["release:evening"]
        folder = data / "releases" / "evening" / "2026-12-05T1800"
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["cover.png", "song.flac", "song.mp3", "song.opus"]
        song = service.library.song(str(requests[0].song_id))
        for name in ("song.flac", "song.opus"):
            info = sf.info(str(folder / name))
            assert abs(info.duration - song.duration) < 0.1, name
        assert (folder / "cover.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        service.close()


def test_releases_list_shows_the_next_run_and_run_now_refuses_an_unknown_name(
    tmp_path: Path,
) -> None:
    persona = tmp_path / "nova.toml"
    persona.write_text(
        'name = "Nova Lane"\n\n[[releases]]\nname = "friday"\ncron = "0 18 * * fri"\n'
        'theme = "neon rain"\nchannels = ["discord:42"]\n'
    )
    data = ["--persona", str(persona), "--data-dir", str(tmp_path / "data")]
    listed = vartist("releases", "list", *data, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    line = listed.stdout.strip()
    assert line.startswith("friday  [0 18 * * fri]  next ")
    next_run = datetime.strptime(line.split("next ")[1][:16], "%Y-%m-%d %H:%M")
    assert next_run.weekday() == 4 and (next_run.hour, next_run.minute) == (18, 0)
    assert 0 < (next_run - datetime.utcnow()).total_seconds() <= 7 * 86400
    unknown = vartist("releases", "run-now", "sunday", *data, cwd=tmp_path)
    assert unknown.returncode == 2
    assert one_error_line(unknown) == (
        "error: the persona has no release 'sunday'; its releases: 'friday'"
    )
    persona.write_text(
        'name = "Nova Lane"\n\n[[releases]]\nname = "friday"\ncron = "0 25 * * fri"\n'
        'theme = "neon rain"\n'
    )
    bad = vartist("releases", "list", *data, cwd=tmp_path)
    assert bad.returncode == 2 and "cron '0 25 * * fri' is not valid" in one_error_line(bad)
