"""Streamed renders under hostile conditions: odd and poisoned chunks for the streaming master,
full disks and crashed workers for the stream files, broken servers for the stage's reader, and
clients that cancel, disconnect or ask for deleted songs over HTTP.

Every check measures an outcome: samples out, status codes, bytes received, open descriptors.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.measure import ideal_true_peak, wav_data_bytes
from tests.servers import free_port
from tests.test_library import SHORT_LYRICS
from tests.test_service import Served, wait_all, wait_healthy, wait_taken
from vartist.integrations.web.client import ApiClient
from vartist.integrations.web.streamed import StreamedSong, StreamFormatError
from vartist.persona import default_persona
from vartist.persona.schema import MixConfig
from vartist.runtime.library import Library, NewRequest
from vartist.runtime.library.library import MAX_ATTEMPTS
from vartist.runtime.library.streams import StreamFiles, StreamInfo
from vartist.runtime.workers import RECONCILE_SECONDS, RenderQueue, ServiceSettings, render_job
from vartist.studio.errors import SilentMixError
from vartist.studio.stream_master import NonFiniteMixError, StreamingMaster

RATE = 48_000
ROOT = Path(__file__).resolve().parent.parent
NOVA = ROOT / "examples" / "personas" / "nova.toml"


def _noise(frames: int, level: float, seed: int) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal((2, frames))).astype(np.float32)


def _master(chunks: list[np.ndarray], target: float = -14.0) -> tuple[np.ndarray, StreamingMaster]:
    master = StreamingMaster(MixConfig())
    out = [master.push(c, target, last=n == len(chunks) - 1) for n, c in enumerate(chunks)]
    return np.concatenate(out, axis=1), master


# --- the streaming master -------------------------------------------------------------------


def test_the_streaming_master_takes_empty_chunks_anywhere() -> None:
    empty = np.zeros((2, 0), np.float32)
    mix = _noise(3 * RATE, 0.1, 1)
    whole, master = _master([empty, mix[:, :RATE], empty, empty, mix[:, RATE:], empty])
    assert whole.shape == mix.shape, "samples were dropped or doubled around empty chunks"
    assert np.isfinite(whole).all() and master.report().loudness_lufs == pytest.approx(-14, abs=1)


def test_a_silent_song_raises_the_named_error_even_when_it_ends_with_an_empty_chunk() -> None:
    silence = np.zeros((2, RATE), np.float32)
    whole, master = _master([silence, silence[:, :1], silence, np.zeros((2, 0), np.float32)])
    assert whole.shape == (2, 2 * RATE + 1) and not whole.any()
    with pytest.raises(SilentMixError):
        master.report()


@pytest.mark.parametrize("poison", [np.nan, np.inf, -np.inf])
def test_the_streaming_master_refuses_non_finite_samples(poison: float) -> None:
    master = StreamingMaster(MixConfig())
    master.push(_noise(RATE, 0.1, 2), -14.0)
    bad = _noise(RATE, 0.1, 3)
    bad[1, 777] = poison
    with pytest.raises(NonFiniteMixError, match="sample 777"):
        master.push(bad, -14.0)
    # the refused chunk left no trace: the song goes on
    rest = master.push(_noise(RATE, 0.1, 4), -14.0, last=True)
    assert np.isfinite(rest).all() and master.frames_out == 2 * RATE


def test_very_loud_hostile_chunks_stay_under_the_true_peak_ceiling() -> None:
    # clipped square waves, a 1000x click and 1-sample chunks, after a silent stretch
    config = MixConfig()
    t = np.arange(2 * RATE) / RATE
    square = (40.0 * np.sign(np.sin(2 * np.pi * 997 * t))).astype(np.float32)
    click = np.zeros((2, RATE), np.float32)
    click[:, 1000] = 1000.0
    chunks = [
        _noise(RATE, 0.05, 5),
        np.zeros((2, RATE), np.float32),
        np.stack([square, -square])[:, : RATE + 7],
        *[_noise(1, 50.0, seed) for seed in range(300)],
        np.stack([square, -square])[:, RATE + 7 :],
        click,
        _noise(RATE, 100.0, 6),
    ]
    for target in (-14.0, -5.0):
        whole, master = _master(chunks, target)
        assert whole.shape[1] == sum(c.shape[1] for c in chunks)
        peak_db = 20 * np.log10(ideal_true_peak(whole))
        assert peak_db <= config.true_peak_dbtp, f"true peak {peak_db:.2f} dBTP at {target}"
        assert master.report().true_peak_dbtp <= config.true_peak_dbtp


# --- stream files and workers ---------------------------------------------------------------


def _open_files(pid: int | str = "self") -> list[str]:
    """What a process's descriptors point at (a deleted file ends in " (deleted)")."""
    targets = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed while we looked
            targets.append(os.readlink(f"/proc/{pid}/fd/{name}"))
    return targets


def _files_open_under(folder: Path) -> list[str]:
    """The files under ``folder`` this process holds open, the library's database aside.

    Counting every descriptor was flaky: other tests' sockets and threads close theirs at
    any moment (garbage collection), so only the files a render could leak are counted."""
    return sorted(t for t in _open_files() if t.startswith(f"{folder}/") and "library.db" not in t)


def test_a_stream_that_cannot_be_started_leaks_no_descriptor_or_staged_file(
    tmp_path: Path,
) -> None:
    files = StreamFiles(tmp_path / "streams")
    files.root.mkdir()
    files.timeline_path("abc").mkdir()  # the timeline cannot land: like a full disk, an OSError
    for _ in range(5):
        with pytest.raises(OSError):
            files.start("abc", StreamInfo(RATE, 2, 100, "t"), [])
    assert _files_open_under(tmp_path) == [], "a failed start leaked the audio's descriptor"
    assert not [p.name for p in files.root.iterdir() if p.name.startswith(".")]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    opened = Library.open(None, tmp_path / "data")
    yield opened
    opened.close()


def _ask(library: Library) -> str:
    new = NewRequest("rain", "fan", seed=1, lyrics=SHORT_LYRICS)
    return library.submit(new, default_persona())[0].id


def _queue(library: Library, tmp_path: Path) -> RenderQueue:
    return RenderQueue(ServiceSettings(tmp_path / "data", library.url), library)


def test_the_reconciler_removes_stream_files_nobody_else_will(
    library: Library, tmp_path: Path
) -> None:
    info = StreamInfo(RATE, 2, 10, "t")
    queue = _queue(library, tmp_path)
    # a request whose workers kept crashing mid-render: the reconciler itself fails it
    crashed = _ask(library)
    for _ in range(MAX_ATTEMPTS):
        job = library.claim("crashy", lease_seconds=0.05)
        assert job is not None
        library.streams.start(crashed, info, []).close()
        time.sleep(0.1)
        queue.reconcile()
    assert library.status(crashed).state == "failed"
    # a request queued for a retry keeps its files (the retry rewrites them) until cancelled
    retried = _ask(library)
    job = library.claim("w", 30)
    assert job is not None and job.request_id == retried
    library.streams.start(retried, info, []).close()
    library.fail(job, "w", "disk full", transient=True)
    queue.reconcile()
    assert library.streams.info(retried) is not None, "a retry's stream files were removed"
    library.cancel(retried)
    queue.reconcile()
    assert library.streams.request_ids() == set()
    assert list(library.streams.root.iterdir()) == []


def test_an_unwritable_stream_folder_fails_the_render_cleanly(library: Library) -> None:
    request_id = _ask(library)
    library.streams.root.write_text("not a folder")  # every stream write fails with an OSError
    job = library.claim("w", 30)
    assert job is not None
    assert render_job(library, job, "w", 30) is None
    status = library.status(request_id)
    # a storage error is transient: queued again after a back-off, with a one-line reason
    assert status.state == "queued" and status.attempts == 1
    assert status.error and "\n" not in status.error and "streams" in status.error
    assert _files_open_under(library.streams.root.parent) == []


# --- the stage's reader against a broken server ---------------------------------------------


def _wav_header(frames: int, channels: int = 2, bits: int = 24, rate: int = RATE) -> bytes:
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits)
    data_bytes = min(frames * align, 0xFFFFFFFF)
    return (
        b"RIFF"
        + struct.pack("<I", 0)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", data_bytes))
    )


class _BrokenStream(http.server.BaseHTTPRequestHandler):
    """Answers the timeline, and the stream as ``self.server.stream(handler)`` writes it."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.endswith("/timeline"):
            body = b'{"title": "t", "complete": true, "events": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.server.stream(self)  # type: ignore[attr-defined]

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[Callable[[Callable[[_BrokenStream], None]], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(stream: Callable[[_BrokenStream], None]) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BrokenStream)
        server.stream = stream  # type: ignore[attr-defined]
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    caught: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: caught.append(args.exc_value))
    return caught


def _read_all(song: StreamedSong) -> np.ndarray:
    stop, blocks, position = threading.Event(), [], 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        block = song.read(position, 4096, stop)
        if not len(block):
            break
        blocks.append(block.copy())
        position += len(block)
    return np.concatenate(blocks) if blocks else np.zeros((0, song.channels), np.float32)


@pytest.mark.parametrize("how", ["server dies", "body ends short"])
def test_a_stream_that_breaks_off_ends_the_song_early_without_a_crash(
    broken_server: Callable[[Callable[[_BrokenStream], None]], str],
    thread_errors: list[BaseException],
    how: str,
) -> None:
    sent = np.arange(1000 * 2, dtype=np.int32).reshape(-1, 2)
    pcm = b"".join(int(v).to_bytes(3, "little", signed=True) for v in sent.ravel())

    def stream(handler: _BrokenStream) -> None:
        handler.chunk(_wav_header(RATE))  # a second announced, 1000 frames sent
        handler.chunk(pcm[:1001])  # a frame split across the pieces
        handler.chunk(pcm[1001:])
        if how == "body ends short":
            handler.wfile.write(b"0\r\n\r\n")
        handler.close_connection = True  # the server goes away without the last chunk

    with StreamedSong(ApiClient(broken_server(stream)), "ab12") as song:
        heard = _read_all(song)
        assert song.frames == RATE and song.arrived == 1000
    assert np.array_equal(np.round(heard * 2**23).astype(np.int32), sent)
    assert thread_errors == [], f"the reader thread died: {thread_errors!r}"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (_wav_header(RATE)[:20], "ended inside its WAV header"),
        (b"RIFX" + _wav_header(RATE)[4:], "not a WAV file"),
        (_wav_header(RATE, bits=16), "format 1 at 16 bits"),
        (_wav_header(RATE, channels=0), "0 channel"),
        (_wav_header(RATE, rate=0), "at 0 Hz"),
        (_wav_header(1 << 40), "claims"),  # 0xFFFFFFFF: a WAV of unknown length
        # a format chunk too short to hold a format
        (b"RIFF\0\0\0\0WAVEfmt \x08\0\0\0" + b"\1\0\2\0\x80\xbb\0\0", "8-byte format chunk"),
        # a 10 MB chunk before the audio
        (b"RIFF\0\0\0\0WAVELIST" + struct.pack("<I", 10_000_000), "10000000-byte"),
    ],
    ids=["short", "rifx", "16-bit", "no channels", "0 Hz", "unknown length", "short fmt", "big"],
)
def test_a_malformed_wav_header_is_a_named_error(
    broken_server: Callable[[Callable[[_BrokenStream], None]], str],
    header: bytes,
    message: str,
) -> None:
    def stream(handler: _BrokenStream) -> None:
        handler.chunk(header)
        handler.wfile.write(b"0\r\n\r\n")

    with pytest.raises(StreamFormatError, match=message):
        StreamedSong(ApiClient(broken_server(stream)), "ab12")


# --- the HTTP API against a real `vartist serve` --------------------------------------------


def _serve(tmp_path: Path, *extra: str) -> tuple[Served, str]:
    port = free_port()
    data = str(tmp_path / "data")
    args = ["serve", "--persona", str(NOVA), "--port", str(port), "--workers", "1"]
    server = Served([*args, "--data-dir", data, *extra]).start()
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    return server, base


def _stream_descriptors(pid: int) -> int:
    """The process's open descriptors on stream audio (deleted or not)."""
    return sum(".pcm" in target for target in _open_files(pid))


def _wait_stream(tmp_path: Path, request_id: str) -> None:
    deadline = time.monotonic() + 60
    while not (tmp_path / "data" / "streams" / f"{request_id}.json").exists():
        assert time.monotonic() < deadline, "the render never published its stream"
        time.sleep(0.01)


@pytest.mark.slow
def test_streams_end_on_cancel_free_their_files_and_answer_for_deleted_songs(
    tmp_path: Path,
) -> None:
    server, base = _serve(tmp_path)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            body = {"prompt": "paper boats", "requester": "cy", "seed": 5}
            cancelled = client.post("/api/requests", json=body).json()["id"]
            body = {"prompt": "tin roof", "requester": "dee", "seed": 8}
            kept = client.post("/api/requests", json=body).json()["id"]

            # a client cancels the song it is listening to: the body ends, short
            wait_taken(client, cancelled)
            received, ended_after = 0, None
            with client.stream("GET", f"/api/requests/{cancelled}/stream?wait=5") as stream:
                assert stream.status_code == 200
                for piece in stream.iter_bytes():
                    received += len(piece)
                    if received > 100_000 and ended_after is None:
                        client.delete(f"/api/requests/{cancelled}")
                        ended_after = time.monotonic()
            assert ended_after is not None and time.monotonic() - ended_after < 10
            for path in ("stream", "timeline"):
                answer = client.get(f"/api/requests/{cancelled}/{path}")
                assert answer.status_code == 409 and "cancelled" in answer.json()["error"]

            # clients that hang up mid-stream or at once leave no descriptor behind
            _wait_stream(tmp_path, kept)
            for _ in range(5):
                with client.stream("GET", f"/api/requests/{kept}/stream") as stream:
                    next(stream.iter_bytes())
            for _ in range(10):
                with (
                    httpx.Client(base_url=base, timeout=0.05) as hasty,
                    contextlib.suppress(httpx.TimeoutException),
                ):
                    hasty.get(f"/api/requests/{kept}/stream")
            time.sleep(1.0)
            assert _stream_descriptors(server.pid) == 0
            done = wait_all(client, [kept], 180)[kept]
            assert done["state"] == "done"
            # the worker removes an ended request's files at once; a file written late (a
            # race not yet understood, seen once in CI) is swept by the reconciler every 2 s
            streams = tmp_path / "data" / "streams"
            deadline = time.monotonic() + 3 * RECONCILE_SECONDS
            while list(streams.iterdir()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert list(streams.iterdir()) == []
            stored = client.get(f"/api/songs/{done['song_id']}/audio").content

            # a delivered request still streams its stored song
            client.post(f"/api/requests/{kept}/delivered", json={"channel": "stage"})
            delivered = client.get(f"/api/requests/{kept}/stream")
            assert delivered.status_code == 200 and delivered.content == stored
            assert client.get(f"/api/requests/{kept}/timeline").json()["complete"] is True

            # once its song is deleted, a clear 404 everywhere
            command = ["library", "delete", str(done["song_id"])]
            deleted = subprocess.run(
                [sys.executable, "-m", "vartist", *command, "--data-dir", str(tmp_path / "data")],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            assert deleted.returncode == 0, deleted.stderr
            for path in (
                f"/api/requests/{kept}/stream?wait=1",
                f"/api/requests/{kept}/timeline",
                f"/api/songs/{done['song_id']}/stream",
            ):
                answer = client.get(path)
                assert answer.status_code == 404, (path, answer.status_code, answer.text)
                assert "\n" not in answer.json()["error"]
            assert "deleted" in client.get(f"/api/requests/{kept}/stream").json()["error"]
    finally:
        server.stop()


@pytest.mark.slow
def test_a_listener_carries_on_when_the_worker_is_killed_and_another_renders_again(
    tmp_path: Path,
) -> None:
    server, base = _serve(tmp_path, "--lease", "2")
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            body = {"prompt": "lanterns on the river", "requester": "ann", "seed": 21}
            request_id = client.post("/api/requests", json=body).json()["id"]
            wait_taken(client, request_id)
            received = bytearray()
            killed: list[int] = []
            with client.stream("GET", f"/api/requests/{request_id}/stream?wait=5") as stream:
                assert stream.status_code == 200
                for piece in stream.iter_bytes():
                    received += piece
                    if not killed and len(received) > 200_000:
                        for pid in server.children():
                            command = Path(f"/proc/{pid}/cmdline").read_bytes()
                            if b"spawn_main" in command:
                                os.kill(pid, signal.SIGKILL)
                                killed.append(pid)
            assert killed, "no worker to kill"
            status = wait_all(client, [request_id], 180)[request_id]
            assert status["state"] == "done" and status["attempts"] == 2
            stored = client.get(f"/api/songs/{status['song_id']}/audio").content
        assert list((tmp_path / "data" / "streams").iterdir()) == []
    finally:
        server.stop()
    declared = int.from_bytes(received[40:44], "little")
    assert len(received) == 44 + declared
    assert bytes(received[44:]) == wav_data_bytes(stored), "the retried stream differs"
