"""The Twitch chat desk: the real twitchio 3 client against a fake Twitch on loopback.

The fake (tests/fakes/twitch.py) speaks Twitch's protocol: OAuth token validation, the EventSub
websocket (welcome, keepalives, ``channel.chat.message`` notifications) and Helix's
subscription and chat-message calls. The tests read back what the fake received and what the
library holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.twitch import FakeTwitch
from tests.servers import free_port
from vartist.integrations.twitch import (
    ChatLimits,
    TwitchChat,
    TwitchCredentials,
    TwitchEndpoints,
    TwitchError,
)
from vartist.persona import default_persona
from vartist.persona.schema import TwitchConfig
from vartist.runtime.library import Library
from vartist.runtime.library.models import RequestRow
from vartist.runtime.service import Service
from vartist.runtime.workers import ServiceSettings

CLIENT_ID = "fake-client-id-0001"
USER_TOKEN = "tok_" + "s3cr3t" * 5
"""The bot's user token; it must never appear in a log line."""


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def _service(tmp_path: Path, panel: str, limit: int = 5) -> Service:
    settings = ServiceSettings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'library.db'}"
    )
    persona = default_persona().model_copy(
        update={"twitch": TwitchConfig(channel_id="500001", stage_panel=panel)}
    )
    return Service.open(settings, persona, limit)


def run_with_bot(
    tmp_path: Path,
    scenario: Callable[[FakeTwitch, TwitchChat], Awaitable[None]],
    limits: ChatLimits | None = None,
    panel: str | None = None,
) -> Service:
    """Start the fake Twitch and the bot, play ``scenario``, stop both; returns the service
    (closed) so the test can read its library."""
    service = _service(tmp_path, panel or f"http://127.0.0.1:{free_port()}")

    async def main() -> None:
        fake = FakeTwitch(client_id=CLIENT_ID, user_token=USER_TOKEN)
        await fake.start()
        chat = TwitchChat(
            service,
            service.persona.twitch,
            TwitchCredentials(client_id=CLIENT_ID, token=USER_TOKEN),
            TwitchEndpoints(helix=fake.helix, oauth=fake.oauth, eventsub=fake.eventsub),
            limits,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(chat.run(stop))
        try:
            await asyncio.wait_for(chat.ready.wait(), 15)
            await scenario(fake, chat)
        finally:
            stop.set()
            await asyncio.wait_for(running, 15)
            await fake.stop()

    try:
        asyncio.run(main())
    finally:
        service.close()
    return service


def test_sing_queues_a_live_request_and_replies_with_its_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario(fake: FakeTwitch, chat: TwitchChat) -> None:
        assert [s["type"] for s in fake.subscriptions] == ["channel.chat.message"]
        assert fake.subscriptions[0]["condition"] == {
            "broadcaster_user_id": "500001",
            "user_id": fake.bot_id,
        }
        first = await fake.chat("111", "Ann", "!sing a rainy night in the city")
        await until(lambda: len(fake.sent) == 1)
        await fake.chat("222", "Bob", "!sing neon trains at dawn")
        await until(lambda: len(fake.sent) == 2)
        await fake.chat("333", "Cat", "hello chat, no command here")
        await fake.chat("333", "Cat", "!sing")
        await until(lambda: len(fake.sent) == 3)
        # Ann's message delivered a second time: the same request, and no second answer
        await fake.chat("111", "Ann", "!sing a rainy night in the city", message_id=first)
        await asyncio.sleep(0.5)
        assert len(fake.sent) == 3  # the plain message and the repeat got no answer

    service = run_with_bot(tmp_path, scenario)
    library = Library.open(service.library.url, tmp_path)
    try:
        statuses = library.requests(oldest_first=True)
        assert [(s.requester, s.prompt, s.state) for s in statuses] == [
            ("twitch:111", "a rainy night in the city", "queued"),
            ("twitch:222", "neon trains at dawn", "queued"),
        ]
        with library.engine.connect() as connection:
            priorities = connection.execute(select(RequestRow.priority)).scalars().all()
        assert priorities == [1, 1]  # the stage's live lane
    finally:
        library.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert USER_TOKEN not in logged and USER_TOKEN not in caplog.text


def test_replies_reach_twitch_threaded_with_the_queue_position(tmp_path: Path) -> None:
    replies: list[tuple[str, str | None]] = []
    ids: list[str] = []

    async def scenario(fake: FakeTwitch, chat: TwitchChat) -> None:
        ids.append(await fake.chat("111", "Ann", "!sing a rainy night in the city"))
        await until(lambda: len(fake.sent) == 1)
        ids.append(await fake.chat("222", "Bob", "!sing neon trains at dawn"))
        await until(lambda: len(fake.sent) == 2)
        # the session outlives keepalives (Twitch's only traffic in a quiet chat)
        await until(lambda: fake.keepalives_sent >= 1, 5)
        ids.append(await fake.chat("333", "Cat", "!sing"))
        await until(lambda: len(fake.sent) == 3)
        for sent in fake.sent:
            assert sent.broadcaster_id == "500001" and sent.sender_id == fake.bot_id
            replies.append((sent.message, sent.reply_parent_message_id))

    run_with_bot(tmp_path, scenario)
    assert replies[0] == ("@Ann your song is in the queue: next up", ids[0])
    assert replies[1] == ("@Bob your song is in the queue: 1 ahead of it", ids[1])
    assert replies[2][1] == ids[2] and "!sing a song about" in replies[2][0]


def test_a_flood_from_one_chatter_is_limited_without_starving_others(tmp_path: Path) -> None:
    async def scenario(fake: FakeTwitch, chat: TwitchChat) -> None:
        for number in range(100):
            await fake.chat("666", "Flood", f"!sing flood song number {number}")
        await fake.chat("111", "Ann", "!sing a quiet song for the morning")
        # Ann's answer comes after the flood's two (accepted, then one "wait" warning)
        await until(lambda: any(s.message.startswith("@Ann") for s in fake.sent), 20)
        await asyncio.sleep(0.5)

    sent: list[str] = []

    async def recording(fake: FakeTwitch, chat: TwitchChat) -> None:
        await scenario(fake, chat)
        sent.extend(s.message for s in fake.sent)

    service = run_with_bot(tmp_path, recording)
    library = Library.open(service.library.url, tmp_path)
    try:
        by_requester: dict[str, int] = {}
        for status in library.requests(limit=1000):
            by_requester[status.requester] = by_requester.get(status.requester, 0) + 1
    finally:
        library.close()
    assert by_requester == {"twitch:666": 1, "twitch:111": 1}
    flood_replies = [m for m in sent if m.startswith("@Flood")]
    assert len(flood_replies) == 2
    # chat events are handled concurrently, so the two answers may come in either order
    assert sorted("in the queue" in m for m in flood_replies) == [False, True]
    assert any("ask again in" in m for m in flood_replies)
    assert any(m.startswith("@Ann your song is in the queue") for m in sent)


def test_limits_count_per_chatter_with_window_and_cooldown() -> None:
    now = [1000.0]
    limits = ChatLimits(per_window=2, window_s=100.0, cooldown_s=10.0, clock=lambda: now[0])
    assert limits.take("a") == 0
    assert limits.take("a") == pytest.approx(10.0)  # cooldown
    assert limits.take("b") == 0  # another chatter is not held back
    now[0] += 10.0
    assert limits.take("a") == 0
    now[0] += 10.0
    assert limits.take("a") == pytest.approx(80.0)  # two in the window already
    now[0] += 80.0
    assert limits.take("a") == 0


@pytest.mark.slow
def test_chat_hears_its_song_start_on_stage_and_only_a_moderator_skips_it(
    tmp_path: Path,
) -> None:
    """`vartist serve` renders a `!sing` from chat; the stage show plays it from its stream with
    its panel up; the bot says so in chat; a viewer's `!skip` is refused, a moderator's skips
    the song on stage, which the stage records as delivered "skipped"."""
    import threading

    import uvicorn

    from tests.test_service import Served, wait_healthy
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow, panel_app
    from vartist.runtime.library.models import DeliveryRow
    from vartist.runtime.performer import PacedSink

    data = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = Served(["serve", "--port", str(port), "--workers", "1", "--data-dir", str(data)])
    served.start()
    show = StageShow(ApiClient(base), PacedSink, list)
    panel_port = free_port()
    panel = uvicorn.Server(
        uvicorn.Config(panel_app(show), host="127.0.0.1", port=panel_port, log_level="warning")
    )
    played: list[str] = []
    try:
        wait_healthy(base)
        threading.Thread(target=panel.run, daemon=True).start()
        threading.Thread(target=show.run, daemon=True).start()

        async def scenario(fake: FakeTwitch, chat: TwitchChat) -> None:
            asked = await fake.chat("111", "Ann", "!sing a rainy night in the city")
            await until(lambda: any("on stage now" in s.message for s in fake.sent), 120)
            started = next(s for s in fake.sent if "on stage now" in s.message)
            assert started.message.startswith("@Ann your song ")
            assert started.reply_parent_message_id == asked
            assert show.now_playing is not None
            played.append(show.now_playing.request_id)
            await fake.chat("222", "Bob", "!skip")
            await until(lambda: any(s.message.startswith("@Bob only moder") for s in fake.sent))
            assert show.skipped == []
            await fake.chat("333", "Mo", "!skip", moderator=True)
            await until(lambda: any(s.message.startswith("skipped ") for s in fake.sent))
            await until(lambda: show.skipped == played)

        run_with_bot(data, scenario, panel=f"http://127.0.0.1:{panel_port}")
        library = Library.open(f"sqlite:///{data / 'library.db'}", data)
        try:
            deadline = time.monotonic() + 60
            while True:
                with library.engine.connect() as connection:
                    targets = (
                        connection.execute(
                            select(DeliveryRow.target).where(DeliveryRow.request_id == played[0])
                        )
                        .scalars()
                        .all()
                    )
                if targets or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            library.close()
        assert targets == ["skipped"]
    finally:
        show.stop()
        panel.should_exit = True
        served.kill()


def test_the_command_names_what_is_missing_in_one_line(tmp_path: Path) -> None:
    import os

    from tests.runner import one_error_line, vartist

    base = {k: v for k, v in os.environ.items() if not k.startswith("TWITCH_")}
    base |= {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path)}
    no_id = vartist("twitch", cwd=tmp_path, env=base)
    assert one_error_line(no_id) == (
        "error: set TWITCH_CLIENT_ID to your Twitch application's client id (dev.twitch.tv/console)"
    )
    token_file = tmp_path / "config" / "vartist" / "twitch-token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(USER_TOKEN)
    token_file.chmod(0o644)
    shared = vartist("twitch", cwd=tmp_path, env=base | {"TWITCH_CLIENT_ID": CLIENT_ID})
    line = one_error_line(shared)
    assert "is readable by others; run `chmod 600" in line and USER_TOKEN not in shared.stderr
    token_file.chmod(0o600)
    no_channel = vartist("twitch", cwd=tmp_path, env=base | {"TWITCH_CLIENT_ID": CLIENT_ID})
    assert one_error_line(no_channel) == (
        "error: set [twitch] channel_id in the persona to the broadcaster's numeric Twitch user id"
    )
    assert USER_TOKEN not in repr(TwitchCredentials(client_id=CLIENT_ID, token=USER_TOKEN))


def test_a_refused_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    service = _service(tmp_path, f"http://127.0.0.1:{free_port()}")

    async def main() -> str:
        fake = FakeTwitch(client_id=CLIENT_ID, user_token="the-real-one")
        await fake.start()
        try:
            chat = TwitchChat(
                service,
                service.persona.twitch,
                TwitchCredentials(client_id=CLIENT_ID, token=USER_TOKEN),
                TwitchEndpoints(helix=fake.helix, oauth=fake.oauth, eventsub=fake.eventsub),
            )
            with pytest.raises(TwitchError) as refused:
                await chat.run(asyncio.Event())
            assert fake.validations >= 1 and fake.subscriptions == []
            return str(refused.value)
        finally:
            await fake.stop()

    try:
        message = asyncio.run(main())
    finally:
        service.close()
    assert message.startswith("Twitch refused the bot's credentials")
    assert USER_TOKEN not in message
