"""The library against real databases: a SQLite file and a PostgreSQL server.

Claims, leases, fairness and exactly-one-song are checked on what the database holds after
real concurrent workers (threads with their own connections) raced for the requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile
from sqlalchemy import func, select, text

from tests.servers import PostgresServer
from vartist.errors import VartistError
from vartist.lyrics.screening import blocklist
from vartist.persona import Persona, default_persona
from vartist.request import RequestError, SongRequest
from vartist.runtime import Pipeline, Song
from vartist.runtime.library import (
    MAX_ATTEMPTS,
    Library,
    NewRequest,
    NotFoundError,
    NotReadyError,
    RequesterLimitError,
)
from vartist.runtime.library.models import RequestRow, SongRow

SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


# PostgreSQL runs with the slow tests: the fast loop checks the same logic on SQLite
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def library(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Library]:
    data = tmp_path / "data"
    if request.param == "sqlite":
        opened = Library.open(None, data)
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        opened = Library.open(server.url, data)
        with opened.engine.begin() as connection:  # each test starts from empty tables
            connection.execute(
                text("TRUNCATE releases, deliveries, songs, requests, requesters CASCADE")
            )
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def persona() -> Persona:
    return default_persona()


@pytest.fixture(scope="module")
def song(persona: Persona) -> Song:
    return Pipeline(persona).render(SongRequest("rain", seed=1, lyrics_text=SHORT_LYRICS))


def ask(library: Library, persona: Persona, who: str, key: str | None = None) -> str:
    status, _ = library.submit(
        NewRequest("rain", who, seed=1, lyrics=SHORT_LYRICS, idempotency_key=key), persona
    )
    return status.id


def test_the_schema_is_created_by_the_migration(library: Library) -> None:
    with library.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0004"
    library.migrate()  # a second machine starting up: nothing to do, nothing breaks


def test_the_same_idempotency_key_gives_the_same_request(
    library: Library, persona: Persona
) -> None:
    first = ask(library, persona, "fan", key="discord:msg-1")
    again, created = library.submit(
        NewRequest("another prompt", "fan", idempotency_key="discord:msg-1"), persona
    )
    assert again.id == first and not created
    assert len(library.requests()) == 1
    # another requester's key of the same text is another request, never the first one
    stranger, created = library.submit(
        NewRequest("rain", "stranger", idempotency_key="discord:msg-1"), persona
    )
    assert created and stranger.id != first


def test_a_chat_request_is_stored_with_where_to_answer_it(
    library: Library, persona: Persona
) -> None:
    """A bot that dies right after taking a request leaves one the next bot can answer: the
    reply target is written with the request, not in a later step."""
    target = {"channel_id": "12", "message_id": "34", "prompt": "rain"}
    answered, _ = library.submit(NewRequest("rain", "discord:1", reply_to=target), persona)
    ask(library, persona, "discord:2")  # taken elsewhere: nothing to answer in a channel
    ask(library, persona, "twitch:3", key="discord:34")
    awaiting = library.awaiting_reply("discord:", ("queued",))
    assert [(status.id, reply_to) for status, reply_to in awaiting] == [(answered.id, target)]


def test_screening_and_the_per_requester_limit(library: Library, persona: Persona) -> None:
    with pytest.raises(RequestError):
        library.submit(NewRequest("   ", "fan"), persona)
    with pytest.raises(VartistError, match="polka"):
        library.submit(NewRequest("rain", "fan", genre="polka"), persona)
    with pytest.raises(VartistError, match=r"\[hook\]"):
        library.submit(NewRequest("rain", "fan", lyrics="[hook]\nla la\n"), persona)
    picky = persona.model_copy(
        update={"lyrics": persona.lyrics.model_copy(update={"avoid": ["war"]})}
    )
    with pytest.raises(RequestError, match="war"):
        library.submit(NewRequest("a song about war", "fan"), picky)
    library.submit(NewRequest("a song about an award", "fan"), picky)  # words, not letters
    blocked = sorted(blocklist(persona.language))[0]
    with pytest.raises(RequestError, match="does not sing about"):
        library.submit(NewRequest(f"a song about {blocked}", "fan"), persona)
    for _ in range(3):
        library.submit(NewRequest("rain", "greedy"), persona, limit=3)
    with pytest.raises(RequesterLimitError):
        library.submit(NewRequest("rain", "greedy"), persona, limit=3)
    library.submit(NewRequest("rain", "someone else"), persona, limit=3)


def test_workers_take_requesters_in_turn_and_the_live_lane_first(
    library: Library, persona: Persona
) -> None:
    for who in ["ann"] * 4 + ["bob"] * 2 + ["cat"]:
        ask(library, persona, who)
    live, _ = library.submit(NewRequest("encore", "stage", priority="live"), persona)
    positions = {s.id: library.status(s.id).position for s in library.requests()}
    assert positions[live.id] == 0
    served = []
    while (job := library.claim("w", 30)) is not None:
        served.append(library.status(job.request_id).requester)
        library.fail(job, "w", "skip", transient=False)
    assert served == ["stage", "ann", "bob", "cat", "ann", "bob", "ann", "ann"]


def test_concurrent_workers_claim_each_request_once(library: Library, persona: Persona) -> None:
    ids = {ask(library, persona, f"fan{n % 5}") for n in range(20)}
    claimed: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := library.claim(name, 30)) is not None:
            with lock:
                claimed.append(job.request_id)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_a_dead_workers_request_returns_and_makes_exactly_one_song(
    library: Library, persona: Persona, song: Song
) -> None:
    request_id = ask(library, persona, "fan")
    first = library.claim("dead-worker", lease_seconds=0.2)
    assert first is not None
    time.sleep(0.4)  # the worker stopped renewing its lease
    assert library.reclaim_stale() == 1
    second = library.claim("live-worker", lease_seconds=30)
    assert second is not None and second.request_id == request_id
    assert library.complete(second, "live-worker", song) is not None
    # the first worker wakes up and tries to deliver: refused, no second song
    assert library.complete(first, "dead-worker", song) is None
    assert library.complete(second, "live-worker", song) is None
    with library.engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(SongRow))
    assert count == 1
    status = library.status(request_id)
    assert status.state == "done" and status.attempts == 2
    path = library.song_file(str(status.song_id), "song.wav")
    assert soundfile.info(str(path)).frames == song.master.frames


def test_a_request_that_keeps_crashing_workers_fails(library: Library, persona: Persona) -> None:
    request_id = ask(library, persona, "fan")
    for _ in range(MAX_ATTEMPTS):
        assert library.claim("crashy", lease_seconds=0.05) is not None
        time.sleep(0.1)
        library.reclaim_stale()
    status = library.status(request_id)
    assert status.state == "failed" and "crashed" in str(status.error)


def test_transient_failures_wait_a_back_off_before_the_retry(
    library: Library, persona: Persona
) -> None:
    request_id = ask(library, persona, "fan")
    job = library.claim("w", 30)
    assert job is not None
    library.fail(job, "w", "disk full", transient=True)
    assert library.status(request_id).state == "queued"
    assert library.claim("w", 30) is None, "a retry must wait for its back-off"
    assert library.ready_count() == 0


def test_cancel_queued_and_rendering_requests(library: Library, persona: Persona) -> None:
    queued = ask(library, persona, "fan")
    assert library.cancel(queued).state == "cancelled"
    rendering = ask(library, persona, "fan")
    job = library.claim("w", 30)
    assert job is not None and job.request_id == rendering
    assert library.cancel(rendering).state == "rendering"
    ours, cancel = library.heartbeat(rendering, "w", 30)
    assert ours and cancel
    library.finish_cancelled(job, "w")
    assert library.status(rendering).state == "cancelled"
    with pytest.raises(NotFoundError):
        library.cancel("0123456789abcdef")


def test_export_delivery_and_delete(
    library: Library, persona: Persona, song: Song, tmp_path: Path
) -> None:
    request_id = ask(library, persona, "fan")
    job = library.claim("w", 30)
    assert job is not None
    song_id = library.complete(job, "w", song)
    assert song_id is not None
    exported = library.export(song_id, tmp_path / "export")
    assert (exported / "song.wav").read_bytes() == library.song_file(
        song_id, "song.wav"
    ).read_bytes()
    library.mark_delivered(request_id, "discord", "channel-1")
    assert library.status(request_id).state == "delivered"
    stored = library.song_file(song_id, "song.wav")
    library.delete_song(song_id)
    assert not stored.exists()
    with pytest.raises(NotFoundError):
        library.song(song_id)


def test_two_racing_workers_still_serve_requesters_in_turn(
    library: Library, persona: Persona
) -> None:
    """Round-robin holds with concurrent claims: between two songs of one requester, no other
    requester gets two."""
    for n in range(40):
        ask(library, persona, f"fan{n % 8}")
    served: list[tuple[float, str]] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := library.claim(name, 30)) is not None:
            with lock:
                served.append((time.time(), library.status(job.request_id).requester))
            time.sleep(0.01)
            library.fail(job, name, "done with it", transient=False)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order = [who for _, who in sorted(served)]
    assert len(order) == 40
    for start in range(0, 40, 8):
        assert len(set(order[start : start + 8])) == 8, order


def test_a_burst_of_submissions_cannot_overrun_the_requester_limit(
    library: Library, persona: Persona
) -> None:
    accepted: list[str] = []
    refused: list[str] = []

    def ask_once(n: int) -> None:
        try:
            status, _ = library.submit(NewRequest(f"rain {n}", "burst"), persona, limit=3)
            accepted.append(status.id)
        except RequesterLimitError:
            refused.append(str(n))

    threads = [threading.Thread(target=ask_once, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 3 and len(refused) == 7


def test_a_cancel_during_the_last_stage_leaves_no_song_and_only_songs_are_delivered(
    library: Library, persona: Persona, song: Song
) -> None:
    request_id = ask(library, persona, "fan")
    job = library.claim("w", 30)
    assert job is not None
    library.cancel(request_id)
    assert library.complete(job, "w", song) is None
    assert library.status(request_id).state == "cancelled"
    with pytest.raises(NotReadyError, match="cancelled"):
        library.mark_delivered(request_id, "stage", "x")


def test_a_request_claimed_while_its_status_is_read_has_no_position(
    library: Library, persona: Persona
) -> None:
    """The race behind a 500 seen under load on PostgreSQL: a status read finds the request
    queued, a worker claims it, and the status's next statement (the queue order) no longer
    holds it. The status must come out with no position rather than fail."""
    request_id = ask(library, persona, "ann")
    ask(library, persona, "bob")
    with library._session() as session:
        row = session.get(RequestRow, request_id)
        assert row is not None and row.state == "queued"
        while (job := library.claim("w", 30)) is not None and job.request_id != request_id:
            pass  # another connection commits the claim in between
        position = library._position(session, row)
    # PostgreSQL's next statement sees the claim; SQLite's read snapshot still has it queued
    assert position is None or position >= 0
    assert library.status(request_id).state == "rendering"
