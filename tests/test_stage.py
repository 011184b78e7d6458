"""The live stage: a real pyvts client against a fake VTube Studio that speaks its protocol, and
a real OSC receiver for VMC, while the performer plays a real song on a paced (null) sink."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import ThreadingOSCUDPServer

from tests.fakes.vtube_studio import FakeVTubeStudio
from tests.runner import one_error_line, vartist
from tests.servers import free_port
from vartist.audio import Audio
from vartist.persona import Persona, default_persona
from vartist.request import SongRequest
from vartist.runtime import Pipeline, Song
from vartist.runtime.lipsync import TRACK_RATE_HZ, mouth_track
from vartist.runtime.performer import PacedSink, Performer, links_for

SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"


@pytest.fixture(scope="module")
def song() -> Song:
    return Pipeline(default_persona(), keep_stems=True).render(
        SongRequest("rain", seed=3, lyrics_text=SHORT_LYRICS)
    )


def energy_envelope(vocals: Audio, rate_hz: int = TRACK_RATE_HZ) -> np.ndarray:
    """RMS of the vocal stem in 20 ms windows, ``rate_hz`` values a second."""
    mono = vocals.samples.mean(axis=0)
    hop = vocals.sample_rate // rate_hz
    window = vocals.sample_rate // 50
    padded = np.concatenate([mono, np.zeros(window)])
    return np.array(
        [np.sqrt(np.mean(padded[i : i + window] ** 2)) for i in range(0, len(mono), hop)]
    )


def test_the_mouth_follows_the_sung_vocal(song: Song) -> None:
    track = mouth_track(song.timeline, song.duration)
    energy = energy_envelope(song.stems["vocals"])
    count = min(len(energy), len(track.openness))
    correlation = np.corrcoef(track.openness[:count], energy[:count])[0, 1]
    assert correlation >= 0.5, correlation
    # closed in the instrumental intro, open somewhere in every sung line
    first_line = song.timeline.of("line")[0]
    assert track.openness[: int(first_line.start * TRACK_RATE_HZ * 0.5)].max() < 0.05
    for line in song.timeline.of("line"):
        span = track.openness[int(line.start * TRACK_RATE_HZ) : int(line.end * TRACK_RATE_HZ)]
        assert span.max() > 0.5


@dataclass
class VMCReceiver:
    """A VMC receiver: collects each /VMC/Ext/Blend/Val and /Apply with its arrival time."""

    port: int
    values: list[tuple[float, str, float]]
    applies: list[float]
    server: ThreadingOSCUDPServer


@pytest.fixture
def vmc_receiver() -> Iterator[VMCReceiver]:
    values: list[tuple[float, str, float]] = []
    applies: list[float] = []
    dispatcher = Dispatcher()
    dispatcher.map(
        "/VMC/Ext/Blend/Val",
        lambda _, name, weight: values.append((time.monotonic(), name, weight)),
    )
    dispatcher.map("/VMC/Ext/Blend/Apply", lambda *_: applies.append(time.monotonic()))
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield VMCReceiver(server.server_address[1], values, applies, server)
    server.shutdown()


def stage_persona(kind: str, port: int) -> Persona:
    persona = default_persona()
    avatar = persona.avatar.model_copy(
        update={
            "kind": kind,
            "port": port,
            "expressions": {"chorus": "smile.exp3.json"},
            "hotkeys": {"verse": "Wave"},
        }
    )
    return persona.model_copy(update={"avatar": avatar})


@pytest.mark.slow
def test_a_whole_song_on_vtube_studio_and_vmc(
    song: Song, vmc_receiver: VMCReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with FakeVTubeStudio() as studio:
        links = links_for(stage_persona("vtube_studio", studio.port), ["vtube_studio"])
        links += links_for(stage_persona("vmc", vmc_receiver.port), ["vmc"])
        performer = Performer(PacedSink(), links)
        restart_at = 9.5
        restarted: list[float] = []

        def crash_vtube_studio() -> None:
            restarted.append(time.monotonic())
            studio.restart(graceful=False)

        timer = threading.Timer(restart_at, crash_vtube_studio)
        timer.start()
        performance = performer.perform(song.master, song.timeline)
        timer.cancel()

        # the token flow: approved once, stored private
        token_file = tmp_path / "config/vartist/vtube-studio-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text(encoding="utf-8") in studio.tokens
        assert studio.received("AuthenticationTokenRequest")

        # >= 30 Hz for the whole song, no gap over 1 s but the crash, back within 2 s of it
        mouth = studio.injections("MouthOpen")
        times = np.array([m.received_at for m in mouth])
        assert len(mouth) / song.duration >= 30
        assert times[0] - performance.started_at < 0.2
        assert performance.started_at + song.duration - times[-1] < 0.2
        gaps = np.diff(times)
        assert restarted, "the fake VTube Studio was never restarted"
        long_gaps = [(t, g) for t, g in zip(times[:-1], gaps, strict=True) if g > 1.0]
        assert all(abs(t - restarted[0]) < 0.5 for t, _ in long_gaps), long_gaps
        recovery = max(g for t, g in zip(times[:-1], gaps, strict=True) if t <= restarted[0] + 0.1)
        print(f"VTube Studio restart: mouth data back after {recovery:.2f} s")
        assert recovery <= 2.0, f"no mouth data for {recovery:.2f} s after the restart"
        assert len(studio.injections("MouthSmile")) == len(mouth)

        # expressions and hotkeys at section changes
        chorus = next(e for e in song.timeline.of("section") if e.text.startswith("chorus"))
        changes = [
            (m.received_at - performance.started_at, m.message["data"])
            for m in studio.received("ExpressionActivationRequest")
            if m.message is not None
        ]
        on = [
            at
            for at, data in changes
            if data["expressionFile"] == "smile.exp3.json" and data["active"]
        ]
        off = [
            at
            for at, data in changes
            if data["expressionFile"] == "smile.exp3.json" and not data["active"]
        ]
        assert on and abs(on[0] - chorus.start) < 0.1, (on, chorus.start)
        assert off and off[-1] >= chorus.end - 0.1, (off, chorus.end)
        assert "smile.exp3.json" not in studio.active_expressions()
        assert "hotkey-wave" in studio.triggered_hotkeys()

        # the mouth the avatar got follows the voice the audience heard
        values = np.array([m.value for m in mouth])
        heard_at = times - performance.started_at
        energy = energy_envelope(song.stems["vocals"])
        index = np.clip((heard_at * TRACK_RATE_HZ).astype(int), 0, len(energy) - 1)
        assert np.corrcoef(values, energy[index])[0, 1] >= 0.5

        # A/V sync: where the audio was when each value arrived vs the instant it shows
        sent_positions = np.array([p.audio_position for p in performance.poses])
        sent_times = np.array([p.sent_at for p in performance.poses])
        source = np.searchsorted(sent_times, times, side="right") - 1
        offsets = heard_at - sent_positions[np.clip(source, 0, len(sent_positions) - 1)]
        median, p95 = np.median(offsets), np.percentile(offsets, 95)
        print(f"A/V offset of mouth events: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
        assert p95 <= 0.033

        # the head sways left and right on alternate beats
        beats = [b.start for b in song.timeline.of("beat")]
        tilt = studio.injections("FaceAngleZ")
        tilt_at = np.array([t.received_at for t in tilt]) - performance.started_at
        tilt_value = np.array([t.value for t in tilt])
        signs = []
        for first, second in itertools.pairwise(beats):
            middle = (tilt_at > first + 0.3 * (second - first)) & (
                tilt_at < second - 0.3 * (second - first)
            )
            if middle.any():
                signs.append(np.sign(tilt_value[middle].mean()))
        alternating = sum(a == -b for a, b in itertools.pairwise(signs))
        assert len(signs) > 20 and alternating >= 0.9 * (len(signs) - 1), signs

    # VMC: one Val per vowel and an Apply per frame, at >= 30 Hz, in time
    applies = np.array(vmc_receiver.applies)
    assert len(applies) / song.duration >= 30
    frame_gaps = np.diff(applies)
    worst = int(np.argmax(frame_gaps))
    print(
        f"VMC frame gaps: p99 {np.percentile(frame_gaps, 99) * 1000:.0f} ms, max "
        f"{frame_gaps[worst] * 1000:.0f} ms at {applies[worst] - restarted[0]:+.2f} s from the "
        f"VTube Studio restart, {applies[worst] - performance.started_at:.2f} s into the song"
    )
    # the VTube Studio crash must not hold VMC up (each link has its own task), nor may a
    # garbage collection (the performer freezes the objects that predate the show). The
    # largest gap allows for a CI machine that runs two heavy tests on its two cores (one
    # stall of 0.28 s was seen there); an avatar lets go of its input after a whole second.
    assert np.percentile(frame_gaps, 99) < 0.05
    assert frame_gaps.max() < 0.5
    assert {name for _, name, _ in vmc_receiver.values} == {"A", "I", "U", "E", "O"}
    assert len(vmc_receiver.values) == 5 * len(applies)
    assert all(0.0 <= weight <= 1.0 for _, _, weight in vmc_receiver.values)


def test_a_revoked_token_is_replaced_by_a_new_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from vartist.runtime.lipsync import MouthPose

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with FakeVTubeStudio() as studio:
        (link,) = links_for(stage_persona("vtube_studio", studio.port), ["vtube_studio"])
        token_file = tmp_path / "vartist/vtube-studio-token"

        async def scene() -> None:
            await link.connect()
            first = token_file.read_text(encoding="utf-8")
            studio.revoke_tokens()
            for _ in range(40):  # 40 frames at 60 Hz: the link must recover within them
                await link.send_pose(MouthPose(0.5, 0.5), 0.0)
                await asyncio.sleep(1 / 60)
            assert token_file.read_text(encoding="utf-8") != first
            await link.close()

        asyncio.run(scene())
        assert len(studio.received("AuthenticationTokenRequest")) == 2
        assert studio.injections("MouthOpen"), "no data after the new approval"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_perform_names_what_is_missing(tmp_path: Path) -> None:
    line = one_error_line(vartist("perform", str(tmp_path / "nowhere"), cwd=tmp_path))
    assert "song.json" in line
    song_dir = tmp_path / "song"
    song_dir.mkdir()
    (song_dir / "song.json").write_text("{}", encoding="utf-8")
    line = one_error_line(vartist("perform", str(song_dir), cwd=tmp_path))
    assert "not a vartist song" in line


@pytest.mark.slow
def test_perform_reports_an_unreachable_vtube_studio(tmp_path: Path) -> None:
    lyrics = tmp_path / "l.txt"
    lyrics.write_text(SHORT_LYRICS, encoding="utf-8")
    sung = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", "1", "--out", "s", cwd=tmp_path
    )
    assert sung.returncode == 0, sung.stderr
    result = vartist(
        "perform", "s", "--avatar", "vtube_studio", "--set", f"avatar.port={free_port()}",
        cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path)},
    )  # fmt: skip
    line = one_error_line(result)
    assert "VTube Studio is not reachable" in line
    assert not os.path.exists(tmp_path / "vartist/vtube-studio-token")


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.slow
def test_the_overlay_highlights_the_word_being_sung(song: Song, tmp_path: Path) -> None:
    """Headless Chromium shows the overlay page while the performer plays; at known audio
    positions the highlighted word is the one the timeline says is being sung."""
    from playwright.sync_api import sync_playwright

    from vartist.integrations.web.overlay import LyricsOverlay

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `scripts/setup.sh test` as root")
    overlay = LyricsOverlay(default_persona(), port=free_port())
    performer = Performer(PacedSink(), [overlay])
    thread = threading.Thread(
        target=performer.perform, args=(song.master, song.timeline, song.title, "ann")
    )
    words = [w for w in song.timeline.of("word") if w.end - w.start >= 0.3]
    assert len(words) >= 3
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 360})
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    page.goto(overlay.url)
                    break
                except Exception:
                    assert time.monotonic() < deadline, "the overlay page never came up"
                    time.sleep(0.1)
            page.wait_for_function("document.getElementById('title').textContent.length > 0")
            assert page.text_content("#title") == song.title
            assert "ann" in str(page.text_content("#requester"))
            for checked, word in enumerate(words[:4], start=1):
                middle = (word.start + word.end) / 2
                page.wait_for_function(f"window.overlayPosition() >= {middle}", timeout=60_000)
                seen = page.evaluate(
                    "() => ({position: window.overlayPosition(),"
                    " now: [...document.querySelectorAll('#line .word.now')].map(e => e.textContent)})"
                )
                expected = [
                    w.text for w in song.timeline.of("word") if w.start <= seen["position"] < w.end
                ]
                assert seen["now"] == expected, (seen, word)
                if checked == 2:
                    page.screenshot(path=str(tmp_path / "overlay.png"))
        finally:
            performer.stop()
            thread.join(timeout=30)
            browser.close()
    shot = tmp_path / "overlay.png"
    assert shot.stat().st_size > 1000


@pytest.mark.slow
def test_the_panel_shows_the_show_and_its_skip_button_skips(tmp_path: Path) -> None:
    """`vartist serve` renders two requests; the show performs them from the service's queue;
    a click on Skip in the panel (headless Chromium) moves to the next song at once."""
    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    from tests.test_service import Served, submit, wait_all, wait_healthy
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow, panel_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = Served(
        ["serve", "--port", str(port), "--workers", "1", "--data-dir", str(tmp_path / "data")]
    ).start()
    try:
        wait_healthy(base)
        with httpx.Client(base_url=base, timeout=30) as client:
            first, second = submit(client, "ann"), submit(client, "bob")
            wait_all(client, [first, second], 120)
        show = StageShow(ApiClient(base), PacedSink, list)
        panel_port = free_port()
        panel = uvicorn.Server(
            uvicorn.Config(panel_app(show), host="127.0.0.1", port=panel_port, log_level="warning")
        )
        threading.Thread(target=panel.run, daemon=True).start()
        runner = threading.Thread(target=show.run, daemon=True)
        runner.start()
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
            page = browser.new_page()
            wait_healthy_page = time.monotonic() + 10
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{panel_port}/")
                    break
                except Exception:
                    assert time.monotonic() < wait_healthy_page
                    time.sleep(0.1)
            playing = "document.getElementById('title').dataset.requestId"
            page.wait_for_function(f"{playing} === '{first}'", timeout=30_000)
            assert "ann" in str(page.text_content("#requester"))
            rows = page.eval_on_selector_all(
                "#queue tr", "rows => rows.map(r => r.dataset.requestId)"
            )
            assert second in rows
            page.screenshot(path=str(tmp_path / "panel.png"))
            forged = httpx.post(
                f"http://127.0.0.1:{panel_port}/panel/skip",
                headers={"Origin": "https://evil.example"},
            )
            assert forged.status_code == 403 and show.skipped == []
            clicked = time.monotonic()
            page.click("#skip")
            page.wait_for_function(f"{playing} === '{second}'", timeout=5_000)
            assert time.monotonic() - clicked < 3.0
            page.click("#stop")
            browser.close()
        runner.join(timeout=60)
        panel.should_exit = True
        assert show.skipped == [first]
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get(f"/api/requests/{first}").json()["state"] == "delivered"
            assert client.get(f"/api/requests/{second}").json()["state"] == "delivered"
        assert (tmp_path / "panel.png").stat().st_size > 1000
    finally:
        service.stop()


def test_the_link_finds_vtube_studio_by_its_udp_broadcast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no port in the persona, the link listens for VTube Studio's state broadcast."""
    import asyncio

    from vartist.integrations.avatars import vtube_studio

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with FakeVTubeStudio() as studio:
        stop = threading.Event()

        def broadcast() -> None:
            message = {
                "apiName": "VTubeStudioPublicAPI",
                "apiVersion": "1.0",
                "messageType": "VTubeStudioAPIStateBroadcast",
                "requestID": "VTubeStudioAPIStateBroadcast",
                "data": {
                    "active": True,
                    "port": studio.port,
                    "instanceID": "x",
                    "windowTitle": "VTube Studio",
                },
            }
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                while not stop.wait(0.1):
                    sender.sendto(
                        json.dumps(message).encode(), ("127.0.0.1", vtube_studio.DISCOVERY_PORT)
                    )

        thread = threading.Thread(target=broadcast, daemon=True)
        thread.start()
        try:
            (link,) = links_for(
                stage_persona("vtube_studio", studio.port).model_copy(
                    update={
                        "avatar": default_persona().avatar.model_copy(
                            update={"kind": "vtube_studio"}
                        )
                    }
                ),
                ["vtube_studio"],
            )
        finally:
            stop.set()
            thread.join()
        assert link.port == studio.port  # type: ignore[attr-defined]

        async def visit() -> None:
            await link.connect()
            await link.close()

        asyncio.run(visit())
        assert studio.received("AuthenticationRequest")


@pytest.mark.slow
def test_the_panel_approves_and_reorders_and_guards_itself_with_a_token(tmp_path: Path) -> None:
    """In approval mode nothing plays until the streamer approves; Play next puts an approved
    song before older ones, even when the press is held across a refresh of the panel; a panel
    with a token refuses calls without it."""
    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    from tests.test_service import Served, submit, wait_all, wait_healthy
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow, panel_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = Served(
        ["serve", "--port", str(port), "--workers", "1", "--data-dir", str(tmp_path / "data")]
    ).start()
    try:
        wait_healthy(base)
        with httpx.Client(base_url=base, timeout=30) as client:
            ann, bob, cat = (submit(client, who) for who in ("ann", "bob", "cat"))
            wait_all(client, [ann, bob, cat], 180)
        show = StageShow(ApiClient(base), PacedSink, list, approval=True)
        panel_port = free_port()
        token = "panel-secret"
        panel = uvicorn.Server(
            uvicorn.Config(
                panel_app(show, token), host="127.0.0.1", port=panel_port, log_level="warning"
            )
        )
        threading.Thread(target=panel.run, daemon=True).start()
        panel_url = f"http://127.0.0.1:{panel_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                refused = httpx.get(f"{panel_url}/panel/state")
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert refused.status_code == 401
        assert httpx.post(f"{panel_url}/panel/stop").status_code == 401
        runner = threading.Thread(target=show.run, daemon=True)
        runner.start()
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
            page = browser.new_page()
            page.goto(f"{panel_url}/?token={token}")
            page.wait_for_selector(f"tr[data-request-id='{cat}'] button.approve")
            time.sleep(1.5)  # longer than the show's poll: nothing approved, nothing plays
            assert show.now_playing is None
            playing = "document.getElementById('title').dataset.requestId"
            page.click(f"tr[data-request-id='{cat}'] button.approve")
            page.wait_for_function(f"{playing} === '{cat}'", timeout=10_000)
            for request_id in (ann, bob):
                page.click(f"tr[data-request-id='{request_id}'] button.approve")
            page.wait_for_selector(f"tr[data-request-id='{bob}'] button.approve", state="detached")
            # a streamer's press held over the panel's refresh still counts as a click
            box = page.locator(f"tr[data-request-id='{bob}'] button.next").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            time.sleep(1.2)  # more than two refreshes of the panel
            page.mouse.up()
            page.wait_for_selector(f"tr[data-request-id='{bob}'] button.next", state="detached")
            page.click("#skip")
            page.wait_for_function(f"{playing} === '{bob}'", timeout=10_000)
            page.click("#stop")
            browser.close()
        runner.join(timeout=60)
        panel.should_exit = True
        assert show.performed == [cat, bob]
    finally:
        service.stop()


@contextlib.contextmanager
def delivery_service(
    state: Callable[[], str], accept: Callable[[int], bool]
) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """A service that knows one request, r1: ``GET /api/requests/r1`` answers ``state()``, the
    song list is empty, and the n-th delivery (from 1) is accepted when ``accept(n)``, refused
    with 409 "is rendering" otherwise. Yields its address and the deliveries' targets and
    statuses, in order."""
    import http.server

    deliveries: list[tuple[str, int]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path.startswith("/api/requests?"):
                self._answer(200, [])
            else:
                self._answer(200, {"id": "r1", "state": state()})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if accept(len(deliveries) + 1):
                deliveries.append((body["target"], 200))
                self._answer(200, {"id": "r1", "state": "delivered"})
            else:
                deliveries.append((body["target"], 409))
                error = "request r1 is rendering; only a finished song can be delivered"
                self._answer(409, {"error": error})

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", deliveries
    finally:
        server.shutdown()
        server.server_close()


def test_a_song_skipped_as_its_render_finishes_is_still_recorded_as_skipped() -> None:
    """The stage's delivery is refused while the song renders; when the render finishes between
    that refusal and the stage's look at the request, the stage asks again instead of giving up
    (seen in CI: the skipped song was never marked delivered)."""
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow

    # the render was still being stored when the first delivery arrived
    with delivery_service(lambda: "done", lambda n: n > 1) as (base, deliveries):
        StageShow(ApiClient(base), PacedSink, list)._deliver("r1", "skipped")
    assert deliveries == [("skipped", 409), ("skipped", 200)]


def test_a_show_stopped_while_a_skipped_song_is_stored_records_it_before_it_ends() -> None:
    """A skipped song is marked delivered from a background thread once its render is stored;
    the show stopping meanwhile (and the process exiting after it) must not lose that record,
    or the song would be played again at the next start."""
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow

    stored_at = time.monotonic() + 1.0

    def state() -> str:
        return "done" if time.monotonic() >= stored_at else "rendering"

    with delivery_service(state, lambda n: time.monotonic() >= stored_at) as (base, deliveries):
        show = StageShow(ApiClient(base), PacedSink, list)
        show._deliver_in_background("r1", "skipped")
        show.stop()
        show.run()  # returns once the skipped song is recorded
        recorded = list(deliveries)
    assert recorded[-1] == ("skipped", 200)
    assert ("skipped", 409) in recorded  # it was still rendering when the show stopped
