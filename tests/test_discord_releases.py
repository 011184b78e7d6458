"""Scheduled releases posted by the Discord bot: `vartist discord` against the fake Discord.

One release run is made once for the module (the release desk with a real render worker), as
`vartist releases` makes it: its files in the releases folder and a ``releases`` row for the
Discord channel. Each test copies that library and runs the real bot process on it; what is
asserted is what the fake Discord received (messages, their files decoded) and what the
library recorded.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fakes.discord import CHANNEL_ID, FakeDiscord
from tests.test_discord import TOKEN, BotProcess, Worker, start_bot, wait_for, write_persona
from vartist.integrations.discord.delivery import DEFAULT_ATTACHMENT_LIMIT, MESSAGE_LIMIT
from vartist.integrations.discord.release_posts import (
    WITHHELD,
    release_marker,
    release_nonce,
    release_text,
)
from vartist.persona import load_persona
from vartist.runtime.library import Library, default_database_url
from vartist.runtime.library.library import PendingRelease
from vartist.runtime.library.models import ReleaseRow
from vartist.runtime.publishing import PROVENANCE_NOTE
from vartist.runtime.releases import FILES_CHANNEL, ReleaseDesk, run_folder
from vartist.runtime.service import Service
from vartist.runtime.workers import ServiceSettings

RELEASE = "evening"
DISCORD_CHANNEL = f"discord:{CHANNEL_ID}"
OTHER_PLATFORM = "twitch:nova_lane"
RUN_AT = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=1)
"""An hour ago: Discord's message ids carry their time, and the bot looks for an earlier post
of a run among the messages after the run's time."""
CHANNEL_POSTS = rf"^/channels/{CHANNEL_ID}/messages$"


def release_persona(folder: Path, extra: str = "") -> Path:
    path = write_persona(folder, extra=extra)
    release = (
        f'\n[[releases]]\nname = "{RELEASE}"\ncron = "0 18 * * *"\ntheme = "neon rain"\n'
        f'channels = ["{DISCORD_CHANNEL}"]\n'
    )
    path.write_text(path.read_text() + release)
    return path


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library where release run ``RUN_AT`` was made: one render for the whole module."""
    folder = tmp_path_factory.mktemp("released")
    data = folder / "data"
    settings = ServiceSettings(data_dir=data, database_url=default_database_url(data))
    service = Service.open(settings, load_persona(release_persona(folder)))
    worker = Worker(data).start()
    try:
        outcome = ReleaseDesk(service, render_wait_seconds=300.0).make(RELEASE, RUN_AT)
    finally:
        worker.stop()
        service.close()
    assert outcome.made and outcome.channels == (DISCORD_CHANNEL,)
    return data


@pytest.fixture
def data(released: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(released, tmp_path / "data"))


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    server = FakeDiscord(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


def release_rows(data: Path) -> dict[tuple[str, float], ReleaseRow]:
    library = Library.open(None, data)
    try:
        with Session(library.engine) as session:
            rows = session.scalars(select(ReleaseRow)).all()
            session.expunge_all()
        return {(row.channel, row.scheduled_for): row for row in rows}
    finally:
        library.close()


def add_release_row(data: Path, channel: str, at: datetime) -> None:
    """A row of the made run's song for another channel or run, as the release desk writes."""
    library = Library.open(None, data)
    try:
        with Session(library.engine) as session, session.begin():
            made = session.scalars(
                select(ReleaseRow).where(ReleaseRow.channel == FILES_CHANNEL)
            ).one()
            session.add(
                ReleaseRow(
                    name=RELEASE,
                    scheduled_for=at.timestamp(),
                    channel=channel,
                    song_id=made.song_id,
                    request_id=made.request_id,
                    published_at=None,
                )
            )
    finally:
        library.close()


def published(data: Path, channel: str, at: datetime) -> float | None:
    return release_rows(data)[(channel, at.timestamp())].published_at


def stop_all(*bots: BotProcess | None) -> None:
    for bot in bots:
        if bot is not None:
            bot.stop()


def pending(channel: str, at: datetime) -> PendingRelease:
    return PendingRelease(0, RELEASE, at.timestamp(), channel, "song", None)


@pytest.mark.slow
def test_a_release_is_posted_once_even_when_the_bot_dies_while_posting_it(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    persona = release_persona(tmp_path)
    add_release_row(data, OTHER_PLATFORM, RUN_AT)
    # Discord creates the message, but the bot is killed before it hears back
    fake.hold_next("POST", CHANNEL_POSTS)
    bot = start_bot(fake, data, persona)
    second: BotProcess | None = None
    third: BotProcess | None = None
    earlier_run = RUN_AT - timedelta(days=1)
    try:
        assert fake.held.wait(120), "the bot never posted the release"
        bot.kill()
        assert published(data, DISCORD_CHANNEL, RUN_AT) is None
        second = start_bot(fake, data, persona)
        wait_for("the record", lambda: published(data, DISCORD_CHANNEL, RUN_AT), 60)
        second.stop()
        # a restart with the release recorded: the bot posts only a run it has not posted yet
        # (one without files in the releases folder: it encodes the song for the channel)
        add_release_row(data, DISCORD_CHANNEL, earlier_run)
        third = start_bot(fake, data, persona)
        wait_for("the other run", lambda: published(data, DISCORD_CHANNEL, earlier_run), 90)
    finally:
        stop_all(bot, second, third)

    posts = fake.calls_to("POST", CHANNEL_POSTS)
    assert [p.json["nonce"] for p in posts] == [
        release_nonce(pending(DISCORD_CHANNEL, RUN_AT)),
        release_nonce(pending(DISCORD_CHANNEL, earlier_run)),
    ], "a run was posted twice, or not at all"
    assert all(p.json["enforce_nonce"] for p in posts)
    assert fake.calls_to("GET", CHANNEL_POSTS), "the restarted bot did not look for its post"
    with_files = [m for m in fake.channel_messages() if m["attachments"]]
    assert len(with_files) == 2

    library = Library.open(None, data)
    try:
        rows = release_rows(data)
        request_id = rows[(FILES_CHANNEL, RUN_AT.timestamp())].request_id
        song_id = rows[(FILES_CHANNEL, RUN_AT.timestamp())].song_id
        assert request_id is not None and song_id is not None
        song = library.song(song_id)
        document = json.loads(library.song_file(song_id, "song.json").read_text())
        deliveries = library.deliveries(request_id)
        release_id = rows[(DISCORD_CHANNEL, RUN_AT.timestamp())].id
        assert not library.mark_release_published(release_id, "again"), "marked twice"
    finally:
        library.close()
    assert rows[(OTHER_PLATFORM, RUN_AT.timestamp())].published_at is None, "not the bot's"
    assert [channel for channel, _ in deliveries] == [DISCORD_CHANNEL, DISCORD_CHANNEL]
    assert deliveries[0][1] == f"message:{with_files[0]['id']}"

    run_files = run_folder(data, RELEASE, RUN_AT)
    for message, run in zip(with_files, (RUN_AT, earlier_run), strict=True):
        attachments = {a["filename"]: fake.files[a["id"]] for a in message["attachments"]}
        audio_name = next(n for n in attachments if n.endswith((".opus", ".mp3")))
        audio = attachments[audio_name]
        assert len(audio) <= DEFAULT_ATTACHMENT_LIMIT
        samples, rate = soundfile.read(io.BytesIO(audio), dtype="float32", always_2d=True)
        assert abs(samples.shape[0] / rate - song.duration) < 0.1
        loudness = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
        assert abs(loudness - (-14.0)) < 1.5, loudness
        cover = Image.open(io.BytesIO(attachments["cover.png"]))
        assert cover.format == "PNG" and cover.size == (512, 512)
        content = message["content"]
        assert document["title"] in content and "AI-generated" in content
        assert release_marker(pending(DISCORD_CHANNEL, run)) in content
        for line in document["lyrics"].strip().splitlines():
            assert line in content, f"the lyric line {line!r} was not posted"
        print(f"{run:%Y-%m-%d %H:%M}: {audio_name} {len(audio)} bytes, {loudness:.2f} LUFS")
    first = {a["filename"]: fake.files[a["id"]] for a in with_files[0]["attachments"]}
    # the run's own files when they fit: the very bytes in the releases folder
    assert first["song.opus"] == (run_files / "song.opus").read_bytes()
    assert first["cover.png"] == (run_files / "cover.png").read_bytes()


@pytest.mark.slow
def test_a_release_with_a_blocked_word_in_its_lyrics_never_reaches_the_channel(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    library = Library.open(None, data)
    try:
        song_id = release_rows(data)[(FILES_CHANNEL, RUN_AT.timestamp())].song_id
        assert song_id is not None
        lyrics = json.loads(library.song_file(song_id, "song.json").read_text())["lyrics"]
    finally:
        library.close()
    # the artist stopped singing about a word of the song between the release and the post
    word = next(w for w in re.findall(r"[a-z]+", lyrics.lower()) if len(w) >= 5)
    persona = release_persona(tmp_path, extra=f', "{word}"')
    bot = start_bot(fake, data, persona)
    try:
        wait_for("the decision", lambda: published(data, DISCORD_CHANNEL, RUN_AT), 60)
    finally:
        bot.stop()
    assert not fake.calls_to("POST", CHANNEL_POSTS), "the release was posted"
    for message in fake.messages.values():
        assert word not in message["content"].lower()
    library = Library.open(None, data)
    try:
        request_id = release_rows(data)[(FILES_CHANNEL, RUN_AT.timestamp())].request_id
        assert request_id is not None
        assert library.deliveries(request_id) == [(DISCORD_CHANNEL, WITHHELD)]
    finally:
        library.close()


def test_a_release_post_fits_a_message_and_each_run_and_channel_has_its_own_nonce() -> None:
    long_lyrics = "\n".join(f"line {n} of a very long release" for n in range(300))
    run = pending(DISCORD_CHANNEL, RUN_AT)
    text = release_text("A *Title*", long_lyrics, release_marker(run))
    assert len(text) <= MESSAGE_LIMIT and text.startswith("🎶 **A \\*Title\\***\n")
    assert PROVENANCE_NOTE in text and release_marker(run) in text
    assert "line 0 of" in text and text.endswith("…\n```")
    nonces = {
        release_nonce(pending(channel, at))
        for channel in (DISCORD_CHANNEL, "discord:1")
        for at in (RUN_AT, RUN_AT - timedelta(days=1))
    }
    assert len(nonces) == 4 and all(len(n) <= 25 for n in nonces)
