"""`vartist discord` as a real process: the real discord.py client against a fake Discord.

The fake (tests/fakes/discord.py) speaks Discord's REST API and gateway on loopback; the bot
runs as `python -m vartist discord` against a library in a temporary folder, and a render
worker (the runtime's own claim + render_job) renders in this process. What the tests assert
is what the fake really received: calls, their timing, messages and uploaded files, decoded.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import pytest
import soundfile
from PIL import Image

from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.runner import ROOT, one_error_line, vartist
from vartist.integrations.discord.credentials import DiscordSetupError, load_token
from vartist.integrations.discord.delivery import (
    MESSAGE_LIMIT,
    nonce_for,
    result_text,
    withheld_reason,
)
from vartist.integrations.discord.endpoints import Endpoints
from vartist.integrations.discord.limits import RequestLimiter
from vartist.integrations.discord.progress import bar, progress_text
from vartist.integrations.discord.run import REDACTED, RedactSecrets
from vartist.persona import default_persona
from vartist.runtime.library import Library, RequestStatus
from vartist.runtime.workers import render_job

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.Gabcde.fake-token-for-tests-0123456789abcdef"
FAN = "700000000000000001"
OTHER_FAN = "700000000000000002"
SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"
SECTIONED_LYRICS = (
    "[verse]\nthe rain is on the window\nthe street is painted gold\n"
    "[chorus]\nhold on to me tonight\nhold on and don't let go\n"
    "[verse]\nthe lights are on the river\nthe night is getting old\n"
    "[chorus]\nhold on to me tonight\nhold on and don't let go\n"
    "[bridge]\nand when the morning finds us\nthe city will be still\n"
    "[verse]\nthe trains are running slower\nthe clocks are standing still\n"
    "[chorus]\nhold on to me tonight\nhold on and don't let go\n"
)
"""Seven sections, sung slowly (the persona's tempo): a render of several seconds even on a
fast machine, so the bot sees several stages go by after Discord's 429 and 503 delays."""
PERSONA = """
name = "Testa"
[style]
tempo = [66, 70]
[lyrics]
avoid = ["dragon"]
[discord]
requests_per_window = {per_window}
window_seconds = 60.0
cooldown_seconds = 0.0
open_requests = {open_requests}
"""


def write_persona(
    folder: Path, per_window: int = 20, open_requests: int = 20, extra: str = ""
) -> Path:
    path = folder / "persona.toml"
    text = PERSONA.format(per_window=per_window, open_requests=open_requests)
    path.write_text(text.replace('avoid = ["dragon"]', f'avoid = ["dragon"{extra}]'))
    return path


def wait_for(what: str, check: Callable[[], Any], seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class BotProcess:
    """`vartist discord` in a subprocess, its stderr kept in a file for the log checks."""

    def __init__(self, fake: FakeDiscord, data: Path, persona: Path, with_gateway: bool = True):
        self.log = data.parent / f"bot-{time.monotonic_ns()}.log"
        env = {
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "VARTIST_DISCORD_API_BASE": fake.api_base,
            "VARTIST_DISCORD_GUILD": GUILD_ID,
        }
        if with_gateway:
            env["VARTIST_DISCORD_GATEWAY"] = fake.gateway_url
        else:
            env.pop("VARTIST_DISCORD_GATEWAY", None)
        args = ["discord", "--persona", str(persona), "--data-dir", str(data), "--verbose"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vartist", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Worker:
    """A render worker in this process: the runtime's claim + render_job, in a thread."""

    def __init__(self, data: Path) -> None:
        self.library = Library.open(None, data)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            job = self.library.claim("test-worker", 30.0)
            if job is None:
                self._stop.wait(0.1)
                continue
            render_job(self.library, job, "test-worker", 30.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        self.library.close()


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    server = FakeDiscord(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def start_bot(fake: FakeDiscord, data: Path, persona: Path, **options: Any) -> BotProcess:
    """Start a bot and return once it has identified on the gateway: this bot, not an earlier
    one on the same fake, so a restarted bot's time to start is not charged to the test."""
    identified_before = fake.identifies
    bot = BotProcess(fake, data, persona, **options)
    wait_for(
        "the bot to identify on the gateway",
        lambda: (
            (fake.identifies > identified_before and fake.connected())
            or bot.process.poll() is not None
        ),
        60,
    )
    assert bot.process.poll() is None, bot.output()
    assert fake.command_id("sing") != "0", "the bot identified without syncing its commands"
    return bot


def lyrics_option(
    fake: FakeDiscord, text: str = SHORT_LYRICS
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    attachment = fake.upload_attachment("lyrics.txt", text.encode())
    option = {"name": "lyrics", "type": 11, "value": attachment["id"]}
    return [option], {attachment["id"]: attachment}


def sing(
    fake: FakeDiscord,
    prompt: str,
    user: str = FAN,
    lyrics: str | None = SHORT_LYRICS,
    size_limit: int = 10 * 1024 * 1024,
) -> str:
    options: list[dict[str, Any]] = [{"name": "prompt", "type": 3, "value": prompt}]
    attachments = None
    if lyrics is not None:
        extra, attachments = lyrics_option(fake, lyrics)
        options += extra
    return fake.slash_command(
        "sing", options, user_id=user, attachments=attachments, attachment_size_limit=size_limit
    )


def requests_of(data: Path, user: str) -> list[RequestStatus]:
    library = Library.open(None, data)
    try:
        return [
            library.status(s.id)
            for s in library.requests(limit=1000)
            if s.requester == f"discord:{user}"
        ]
    finally:
        library.close()


# --- the bot as a whole ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.slow
def test_sing_defers_in_time_shows_progress_and_posts_a_song_that_fits(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    size_limit = 1_000_000  # a few percent of the song's WAV: the bit rate must come down
    bot = start_bot(fake, data, write_persona(tmp_path))
    worker: Worker | None = None
    try:
        # Discord's answers to the first two edits: a rate limit, then a server error
        fake.rate_limit_next("PATCH", r"/messages/@original$", retry_after=0.6)
        fake.fail_next("PATCH", r"/messages/@original$", 503, {"message": "upstream"})
        sent = time.monotonic()
        token = sing(fake, "rain on the window", lyrics=SECTIONED_LYRICS, size_limit=size_limit)
        wait_for("the deferral", lambda: fake.interactions[token].get("deferred_at"), 10)
        # the render starts once the "queued" edit has got through the 429 and the 503: while
        # the bot waits those out it shows nothing, and a fast render would pass its stages
        wait_for(
            "the queued edit to get through",
            lambda: len(fake.calls_to("PATCH", r"/messages/@original$")) >= 3,
            20,
        )
        worker = Worker(data).start()
        wait_for(
            "the song",
            lambda: (fake.original(token) or {}).get("attachments"),
            120,
        )
        request = requests_of(data, FAN)[0]
        wait_for("the delivery record", lambda: requests_of(data, FAN)[0].state == "delivered", 30)
        asked = fake.slash_command("lyrics", [{"name": "id", "type": 3, "value": request.id}])
        lyrics_answer = wait_for("/lyrics", lambda: (fake.original(asked) or {}).get("content"), 15)
    finally:
        bot.stop()
        if worker is not None:
            worker.stop()

    record = fake.interactions[token]
    assert record["callback_type"] == 5, "not a deferred channel message"
    assert record["deferred_at"] - sent < 3.0, "no acknowledgement within Discord's 3 s"

    edits = fake.calls_to("PATCH", r"/messages/@original$")
    assert [c.status for c in edits[:3]] == [429, 503, 200]
    assert edits[1].at - edits[0].at >= 0.6, "the 429's retry_after was not honoured"
    assert edits[2].at - edits[1].at >= 0.5, "the 5xx was retried at once"

    message = fake.original(token)
    assert message is not None
    progress = [e["content"] for e in fake.edits[message["id"]] if not e["files"]]
    assert any("queued" in text for text in progress), progress
    rendering = [text for text in progress if "%" in text]
    assert len({text.split("·")[-2] for text in rendering}) >= 3, "fewer than three stages shown"
    assert all("█" in text or "░" in text for text in rendering)
    assert any("ETA" in text for text in progress)

    attachments = {a["filename"]: fake.files[a["id"]] for a in message["attachments"]}
    audio_name = next(n for n in attachments if n.endswith((".opus", ".mp3", ".ogg")))
    audio = attachments[audio_name]
    assert len(audio) <= size_limit
    samples, rate = soundfile.read(io.BytesIO(audio), dtype="float32", always_2d=True)
    library = Library.open(None, data)
    try:
        assert request.song_id is not None
        song = library.song(request.song_id)
        document = json.loads(library.song_file(song.id, "song.json").read_text())
    finally:
        library.close()
    assert abs(samples.shape[0] / rate - song.duration) < 0.1
    loudness = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
    assert abs(loudness - (-14.0)) < 1.5, loudness
    cover = Image.open(io.BytesIO(attachments["cover.png"]))
    assert cover.format == "PNG" and cover.size == (512, 512)
    assert document["title"] in message["content"]
    for line in document["lyrics"].strip().splitlines():
        assert line in message["content"], f"the lyric line {line!r} was not posted"
        assert line in lyrics_answer, f"/lyrics left out {line!r}"
    output = bot.output()
    assert TOKEN not in output and token not in output, "a token reached the log"
    assert "/callback" in output, "the log check saw no webhook call at all"
    print(
        f"deferred after {record['deferred_at'] - sent:.3f} s; {audio_name}: {len(audio)} bytes "
        f"(limit {size_limit}), {samples.shape[0] / rate:.2f} s of {song.duration:.2f} s, "
        f"{loudness:.2f} LUFS; {len(rendering)} stage edits"
    )


@pytest.mark.slow
def test_a_dropped_gateway_resumes_and_the_bot_still_answers(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    bot = start_bot(fake, data, write_persona(tmp_path), with_gateway=False)
    try:
        wait_for("a heartbeat", lambda: fake.heartbeats > 0, 10)
        fake.drop_gateway()
        token = fake.slash_command("queue", user_id=FAN)  # sent while the bot is away
        wait_for("the resume", lambda: fake.resumes > 0, 30)
        wait_for("the answer", lambda: (fake.original(token) or {}).get("content"), 15)
    finally:
        bot.stop()
    assert fake.identifies == 1, "the bot identified again instead of resuming"
    assert fake.calls_to("GET", r"^/gateway/bot$"), "the gateway was not asked of the API base"
    assert set(fake.synced_commands) == {GUILD_ID}, "commands not synced to VARTIST_DISCORD_GUILD"
    names = {c["name"] for c in fake.synced_commands[GUILD_ID]}
    assert names == {"sing", "queue", "song", "lyrics", "cancel"}
    assert "waiting" in (fake.original(token) or {})["content"]
    output = bot.output()
    assert "RESUMED" in output or "resumed" in output.lower()
    assert TOKEN not in output, "the token reached the log"
    for path in data.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"the token reached {path}"


@pytest.mark.slow
def kill_while_posting_a_late_song(
    fake: FakeDiscord, data: Path, persona: Path, before_restart: Callable[[], None]
) -> str:
    """Run a /sing whose song finishes after the interaction expired, kill the bot once
    Discord has created the channel message but before the bot heard back, run
    ``before_restart``, restart the bot and wait for the delivery; returns the interaction."""
    bot = start_bot(fake, data, persona)
    worker: Worker | None = None
    second: BotProcess | None = None
    try:
        token = sing(fake, "rain on the window")
        wait_for("the request", lambda: requests_of(data, FAN), 15)
        wait_for(
            "the first progress edit",
            lambda: fake.edits.get(str((fake.original(token) or {}).get("id"))),
            15,
        )
        # the song finishes after the interaction's 15 minutes: only a channel message is left
        fake.expire_tokens()
        fake.hold_next("POST", rf"^/channels/{CHANNEL_ID}/messages$")
        worker = Worker(data).start()
        assert fake.held.wait(120), "the bot never posted the song"
        bot.kill()  # the message exists now, but the bot never heard back
        assert requests_of(data, FAN)[0].state == "done"
        before_restart()
        second = start_bot(fake, data, persona)
        wait_for("the delivery record", lambda: requests_of(data, FAN)[0].state == "delivered", 60)
    finally:
        for process in (bot, second):
            if process is not None:
                process.stop()
        if worker is not None:
            worker.stop()
    return token


@pytest.mark.slow
def test_a_bot_killed_while_posting_a_late_song_posts_it_once_thanks_to_the_nonce(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    def no_history() -> None:  # a bot without Read Message History: the nonce alone guards
        missing_access = {"message": "Missing Access", "code": 50001}
        fake.fail_next("GET", rf"^/channels/{CHANNEL_ID}/messages$", 403, missing_access, times=50)

    token = kill_while_posting_a_late_song(fake, data, write_persona(tmp_path), no_history)
    request = requests_of(data, FAN)[0]
    posts = fake.calls_to("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    assert len(posts) == 2, "the restarted bot did not retry the post"
    assert {p.json["nonce"] for p in posts} == {nonce_for(request.id)}
    assert all(p.json["enforce_nonce"] for p in posts)
    with_song = [m for m in fake.channel_messages() if m["attachments"]]
    assert len(with_song) == 1, "the song was posted twice"
    assert f"<@{FAN}>" in with_song[0]["content"], "the late song does not mention the fan"
    replied_to = str(with_song[0]["message_reference"]["message_id"])
    assert replied_to == (fake.original(token) or {})["id"], "not a reply to the progress message"
    pinged = [str(user) for user in posts[-1].json["allowed_mentions"]["users"]]
    assert pinged == [FAN], "the fan is not pinged, or someone else is"


@pytest.mark.slow
def test_a_bot_back_after_discord_forgot_the_nonce_finds_its_post_in_the_channel(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    def forget_nonces() -> None:
        fake.nonce_window = 0.0

    kill_while_posting_a_late_song(fake, data, write_persona(tmp_path), forget_nonces)
    assert fake.calls_to("GET", rf"^/channels/{CHANNEL_ID}/messages$"), "the channel was not read"
    assert len(fake.calls_to("POST", rf"^/channels/{CHANNEL_ID}/messages$")) == 1
    assert len([m for m in fake.channel_messages() if m["attachments"]]) == 1


@pytest.mark.slow
def test_a_bot_killed_after_putting_the_song_in_the_progress_message_does_not_post_again(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    persona = write_persona(tmp_path)
    bot = start_bot(fake, data, persona)
    worker: Worker | None = None
    second: BotProcess | None = None
    try:
        token = sing(fake, "rain on the window")
        wait_for("the request", lambda: requests_of(data, FAN), 15)
        fake.hold_next("PATCH", r"/messages/@original$", with_files=True)
        worker = Worker(data).start()
        assert fake.held.wait(120), "the bot never posted the song"
        bot.kill()  # Discord shows the song, but the bot never heard back
        assert requests_of(data, FAN)[0].state == "done"
        second = start_bot(fake, data, persona)
        wait_for("the delivery record", lambda: requests_of(data, FAN)[0].state == "delivered", 60)
    finally:
        for process in (bot, second):
            if process is not None:
                process.stop()
        if worker is not None:
            worker.stop()
    assert fake.calls_to("GET", rf"^/channels/{CHANNEL_ID}/messages/\d+$"), "no look before posting"
    assert not fake.calls_to("POST", rf"^/channels/{CHANNEL_ID}/messages$"), "posted a second time"
    with_song = [m for m in fake.channel_messages() if m["attachments"]]
    assert [m["id"] for m in with_song] == [(fake.original(token) or {})["id"]]


@pytest.mark.slow
def test_a_flood_from_one_fan_is_limited_and_another_fan_still_gets_in(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    bot = start_bot(fake, data, write_persona(tmp_path, per_window=3))
    try:
        flood = [sing(fake, f"song number {n}", lyrics=None) for n in range(100)]
        other = sing(fake, "a song for me too", user=OTHER_FAN, lyrics=None)
        wait_for(
            "every answer",
            lambda: all((fake.original(t) or {}).get("content") for t in [*flood, other]),
            60,
        )
        flooded = requests_of(data, FAN)
        others = requests_of(data, OTHER_FAN)
    finally:
        bot.stop()
    answers = [(fake.original(t) or {})["content"] for t in flood]
    refused = [a for a in answers if "ask again in" in a]
    assert len(flooded) == 3 and len(refused) == 97
    assert len(others) == 1
    # round-robin between fans: the second fan is served after the flooder's first song
    assert others[0].position == 1, others[0]
    assert "1 ahead in the queue" in (fake.original(other) or {})["content"]


@pytest.mark.slow
def test_blocked_words_in_a_request_never_reach_the_channel(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    bot = start_bot(fake, data, write_persona(tmp_path))
    try:
        avoided = sing(fake, "a dragon in the sky", lyrics=None)
        in_lyrics = sing(fake, "a quiet song", lyrics="[verse]\nthe bullshit of the day\n")
        in_mood = fake.slash_command(
            "sing",
            [
                {"name": "prompt", "type": 3, "value": "morning"},
                {"name": "mood", "type": 3, "value": "Dragon-like"},
            ],
        )
        tokens = [avoided, in_lyrics, in_mood]
        wait_for(
            "the answers", lambda: all((fake.original(t) or {}).get("content") for t in tokens), 30
        )
    finally:
        bot.stop()
    assert requests_of(data, FAN) == [], "a blocked request reached the library"
    for message in fake.messages.values():
        for word in ("dragon", "bullshit"):
            assert word not in message["content"].lower()
            assert all(word not in e["content"].lower() for e in fake.edits.get(message["id"], []))
    assert all("does not sing about that" in (fake.original(t) or {})["content"] for t in tokens)


@pytest.mark.slow
@pytest.mark.slow
def test_a_song_whose_words_became_blocked_is_withheld_not_posted(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    """The artist's avoid list grew between the request and the song: the restarted bot
    screens the generated lyrics again and withholds the song."""
    bot = start_bot(fake, data, write_persona(tmp_path))
    worker: Worker | None = None
    second: BotProcess | None = None
    try:
        token = sing(fake, "rain on the window")
        wait_for("the request", lambda: requests_of(data, FAN), 15)
        bot.stop()
        worker = Worker(data).start()
        wait_for("the song", lambda: requests_of(data, FAN)[0].state == "done", 120)
        stricter = write_persona(tmp_path, extra=', "window"')
        second = start_bot(fake, data, stricter)
        wait_for("the decision", lambda: requests_of(data, FAN)[0].state == "delivered", 60)
    finally:
        for process in (bot, second):
            if process is not None:
                process.stop()
        if worker is not None:
            worker.stop()
    assert not [m for m in fake.channel_messages() if m["attachments"]], "the song was posted"
    for message in fake.messages.values():
        assert "window" not in message["content"].lower().replace("rain on the window", "")
    assert "withheld" in (fake.original(token) or {})["content"]


@pytest.mark.slow
def test_a_token_file_others_can_read_is_refused_without_showing_the_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    result = vartist(
        "discord",
        "--token-file",
        str(token_file),
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
        env={"DISCORD_TOKEN": ""},
    )
    line = one_error_line(result)
    assert "chmod 600" in line and TOKEN not in result.stderr + result.stdout


@pytest.mark.slow
def test_no_token_and_a_bad_endpoint_give_one_line_each(tmp_path: Path) -> None:
    missing = vartist(
        "discord", "--data-dir", str(tmp_path / "d"), cwd=tmp_path, env={"DISCORD_TOKEN": ""}
    )
    assert "DISCORD_TOKEN" in one_error_line(missing)
    bad = vartist(
        "discord",
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
        env={"DISCORD_TOKEN": TOKEN, "VARTIST_DISCORD_GATEWAY": "http://example"},
    )
    line = one_error_line(bad)
    assert "VARTIST_DISCORD_GATEWAY" in line and TOKEN not in bad.stderr


@pytest.mark.slow
def test_song_queue_and_cancel_answer_about_the_library_and_only_the_fan_may_cancel(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    bot = start_bot(fake, data, write_persona(tmp_path))
    try:
        sung = sing(fake, "rain on the window @everyone", lyrics=None)
        request_id = wait_for("the request", lambda: requests_of(data, FAN), 15)[0].id
        wait_for(
            "the progress", lambda: request_id in (fake.original(sung) or {}).get("content", ""), 15
        )

        def ask(name: str, user: str = FAN, **values: str) -> str:
            options = [{"name": k, "type": 3, "value": v} for k, v in values.items()]
            token = fake.slash_command(name, options, user_id=user)
            wait_for(f"/{name}", lambda: (fake.original(token) or {}).get("content"), 15)
            return str((fake.original(token) or {})["content"])

        queue = ask("queue")
        song = ask("song", id=request_id)
        unknown = ask("song", id="nosuchrequest")
        lyrics_early = ask("lyrics", id=request_id)
        strangers_cancel = ask("cancel", user=OTHER_FAN, id=request_id)
        state_after_stranger = requests_of(data, FAN)[0].state
        own_cancel = ask("cancel", id=request_id)
        wait_for(
            "the cancelled progress message",
            lambda: "cancelled" in (fake.original(sung) or {})["content"],
            15,
        )
    finally:
        bot.stop()
    assert "1 waiting" in queue and request_id in queue and "next in line" in queue
    assert request_id in song and "queued" in song
    assert "no request" in unknown
    assert "no song yet" in lyrics_early
    assert "only the fan who asked" in strangers_cancel and state_after_stranger == "queued"
    assert "is cancelled" in own_cancel
    assert requests_of(data, FAN)[0].state == "cancelled"
    edits = fake.calls_to("PATCH", r"/messages/@original$")
    assert edits and all(c.json["allowed_mentions"]["parse"] == [] for c in edits if c.json)
    # shown with a zero-width space after the @, so no client reads it as a mention
    assert "@\u200beveryone" in (fake.original(sung) or {})["content"]


@pytest.mark.slow
def test_in_approval_mode_a_request_waits_for_a_moderators_button(
    fake: FakeDiscord, data: Path, tmp_path: Path
) -> None:
    persona = write_persona(tmp_path)
    persona.write_text(persona.read_text().replace("[discord]\n", "[discord]\napproval = true\n"))
    bot = start_bot(fake, data, persona)
    manage_guild = str(1 << 5)
    try:
        token = sing(fake, "rain on the window", lyrics=None)
        waiting = wait_for(
            "the buttons", lambda: (fake.original(token) or {}).get("components"), 15
        )
        buttons = [c for row in waiting for c in row["components"]]
        approve = next(b["custom_id"] for b in buttons if b["label"] == "Approve")
        message_id = (fake.original(token) or {})["id"]
        held = requests_of(data, FAN)
        refused = fake.button_press(approve, message_id, OTHER_FAN)
        wait_for("the refusal", lambda: fake.interactions[refused].get("responded"), 15)
        after_refusal = requests_of(data, FAN)
        approved = fake.button_press(
            approve, message_id, "700000000000000003", permissions=manage_guild
        )
        wait_for("the approval", lambda: fake.interactions[approved].get("responded"), 15)
        submitted = wait_for("the request", lambda: requests_of(data, FAN), 15)
        wait_for("the progress", lambda: "queued" in (fake.original(token) or {})["content"], 15)
    finally:
        bot.stop()
    assert held == [] and after_refusal == [], "a request queued before a moderator approved"
    assert len(submitted) == 1 and submitted[0].state == "queued"
    refusal = fake.calls_to("POST", rf"/interactions/\d+/{refused}/callback")[0].json
    assert "only a moderator" in refusal["data"]["content"]


# --- the parts on their own -----------------------------------------------------------------


def test_the_limiter_allows_a_window_of_requests_and_a_cooldown_between_them() -> None:
    now = [0.0]
    limiter = RequestLimiter(
        per_window=3, window_seconds=60.0, cooldown_seconds=5.0, clock=lambda: now[0]
    )
    assert limiter.try_accept("a") is None
    assert limiter.try_accept("a") == pytest.approx(5.0)  # cooldown
    assert limiter.try_accept("b") is None  # another fan is not held up
    now[0] = 5.0
    assert limiter.try_accept("a") is None
    now[0] = 10.0
    assert limiter.try_accept("a") is None
    now[0] = 15.0
    assert limiter.try_accept("a") == pytest.approx(45.0)  # the window is full until t=60
    now[0] = 60.0
    assert limiter.try_accept("a") is None


def test_the_progress_text_shows_a_bar_the_position_and_an_eta() -> None:
    base = RequestStatus(
        id="abc",
        requester="discord:1",
        prompt="p",
        state="queued",
        stage=None,
        progress=0.0,
        position=2,
        song_id=None,
        error=None,
        attempts=0,
        worker=None,
        created_at=0.0,
        updated_at=0.0,
        started_at=None,
    )
    queued = progress_text("rain", base, typical_render_seconds=10.0)
    assert "2 ahead in the queue" in queued and "ETA 0:30" in queued
    rendering = progress_text(
        "rain",
        RequestStatus(
            **{
                **base.__dict__,
                "state": "rendering",
                "stage": "chorus",
                "progress": 0.5,
                "position": None,
                "started_at": time.time() - 8,
            }
        ),
        typical_render_seconds=10.0,
    )
    assert bar(0.5) in rendering and "50%" in rendering and "chorus" in rendering
    assert "ETA 0:08" in rendering


def test_a_token_comes_from_the_environment_or_a_private_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", f"  {TOKEN}\n")
    assert load_token(None) == TOKEN
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    token_file.chmod(0o600)
    assert load_token(token_file) == TOKEN
    token_file.chmod(0o640)
    with pytest.raises(DiscordSetupError, match="chmod 600") as refused:
        load_token(token_file)
    assert TOKEN not in str(refused.value)
    monkeypatch.setenv("DISCORD_TOKEN", "")
    with pytest.raises(DiscordSetupError, match="DISCORD_TOKEN"):
        load_token(None)


def test_endpoints_come_from_the_environment_and_bad_ones_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VARTIST_DISCORD_API_BASE", "http://127.0.0.1:9/api/v10/")
    monkeypatch.setenv("VARTIST_DISCORD_GATEWAY", "ws://127.0.0.1:9/gateway")
    monkeypatch.setenv("VARTIST_DISCORD_GUILD", "81384788765712384")
    endpoints = Endpoints.from_environment()
    assert endpoints.api_base == "http://127.0.0.1:9/api/v10" and endpoints.custom_api
    assert endpoints.guild_id == 81384788765712384
    monkeypatch.setenv("VARTIST_DISCORD_GUILD", "my server")
    with pytest.raises(DiscordSetupError, match="VARTIST_DISCORD_GUILD"):
        Endpoints.from_environment()
    monkeypatch.delenv("VARTIST_DISCORD_GUILD")
    monkeypatch.setenv("VARTIST_DISCORD_API_BASE", "discord.com/api")
    with pytest.raises(DiscordSetupError, match="VARTIST_DISCORD_API_BASE"):
        Endpoints.from_environment()


def test_the_log_filter_hides_the_bot_token_and_interaction_tokens() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("test-discord-redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("Authorization: Bot %s", TOKEN)
        logger.warning("POST /api/v10/interactions/1/itok-secret/callback returned 200")
        logger.warning("event %s", {"type": 2, "token": "itok-other"})
        try:
            raise RuntimeError(f"bad header {TOKEN}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    for secret in (TOKEN, "itok-secret", "itok-other"):
        assert secret not in written
    assert written.count(REDACTED) == 4  # the three lines and the exception message


def test_the_posted_text_fits_a_message_and_the_nonce_fits_discords_limit() -> None:
    long_lyrics = "\n".join(f"line {n} of a very long song" for n in range(300))
    text = result_text("A Title", long_lyrics, "<@1>")
    assert len(text) <= MESSAGE_LIMIT and text.startswith("🎶 **A Title** for <@1>")
    assert "line 0 of" in text and text.endswith("…\n```")
    assert len(nonce_for("0123456789abcdef")) <= 25
    assert nonce_for("a") != nonce_for("b")


def test_generated_words_are_screened_also_inside_compounds() -> None:
    persona = default_persona(['lyrics.avoid=["dragon"]'])
    assert withheld_reason("Sky", "a dragon-like cloud", persona) is not None
    assert withheld_reason("Sky", "a bullshit cloud", persona) is not None
    assert withheld_reason("Sky", "a quiet cloud", persona) is None
