"""Songs per minute of `vartist serve` with 1 and 2 embedded render workers, and the time to
first audio of a streamed render.

    .venv/bin/python benchmarks/throughput.py [--songs 8] [--persona examples/personas/nova.toml]

Each run starts a fresh service on SQLite, submits ``--songs`` whole-song requests from as many
requesters at once, and times from the first submission to the last song stored.

Time to first audio is measured twice, on an idle, warmed-up service with one worker: from the
POST of a
request to the first audio bytes (after the WAV header) of ``GET /api/requests/{id}/stream``,
as a client hears it; and in-process, from ``Pipeline.stream()`` to its first chunk of audio and
to its first chunk with singing in it. Target on 2 cores: first sung audio under 1.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402
from tests.test_service import Served, wait_all, wait_healthy  # noqa: E402

STREAM_HEADER_BYTES = 44
WORKER_WARM_UP_SECONDS = 5.0
"""A worker renders a few seconds of song when it starts, before it takes requests."""


def measure(workers: int, songs: int, persona: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="vartist-throughput-") as work:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        args = ["serve", "--port", str(port), "--workers", str(workers)]
        args += ["--persona", str(persona), "--data-dir", str(Path(work) / "data")]
        service = Served(args).start()
        try:
            wait_healthy(base)
            with httpx.Client(base_url=base, timeout=60) as client:
                started = time.monotonic()
                ids = []
                for n in range(songs):
                    body = {"prompt": f"song number {n}", "requester": f"fan{n}", "seed": n}
                    ids.append(client.post("/api/requests", json=body).json()["id"])
                statuses = wait_all(client, ids, 1800, interval=1.0)
                elapsed = time.monotonic() - started
                durations = [
                    client.get(f"/api/songs/{s['song_id']}").json()["duration"]
                    for s in statuses.values()
                ]
        finally:
            service.stop()
        print(
            f"{workers} worker(s): {songs} songs (median {statistics.median(durations):.0f} s "
            f"long) in {elapsed:.1f} s = {songs / elapsed * 60:.1f} songs/min "
            f"({songs / elapsed * 60 / workers:.1f} per worker)"
        )


def first_audio_over_http(persona: Path, requests: int) -> list[float]:
    """Seconds from POST to the first audio bytes of the request's stream, per request."""
    with tempfile.TemporaryDirectory(prefix="vartist-stream-") as work:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        args = ["serve", "--port", str(port), "--workers", "1", "--persona", str(persona)]
        service = Served([*args, "--data-dir", str(Path(work) / "data")]).start()
        times = []
        try:
            wait_healthy(base)
            time.sleep(WORKER_WARM_UP_SECONDS)  # a live show starts well after its service
            with httpx.Client(base_url=base, timeout=60) as client:
                for n in range(requests):
                    body = {"prompt": f"stream {n}", "requester": "bench", "seed": 100 + n}
                    started = time.monotonic()
                    request_id = client.post("/api/requests", json=body).json()["id"]
                    received = 0
                    first_audio = None
                    # read to the end, as a listener does: the song is done when the body is
                    with client.stream(
                        "GET", f"/api/requests/{request_id}/stream?wait=5"
                    ) as stream:
                        for piece in stream.iter_bytes():
                            received += len(piece)
                            if first_audio is None and received > STREAM_HEADER_BYTES:
                                first_audio = time.monotonic() - started
                    assert first_audio is not None, (stream.status_code, received)
                    times.append(first_audio)
                    wait_all(client, [request_id], 120)
        finally:
            service.stop()
    return times


def first_audio_in_process(persona_path: Path, requests: int) -> tuple[list[float], list[float]]:
    """Seconds from ``Pipeline.stream()`` to its first audio, and to its first sung audio."""
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime.pipeline import AudioChunk, Pipeline

    persona = load_persona(persona_path)
    Pipeline(persona).render(SongRequest("warm-up", seed=1))  # imports and caches
    audio, sung = [], []
    for n in range(requests):
        started = time.perf_counter()
        first = None
        for event in Pipeline(persona).stream(SongRequest(f"stream {n}", seed=100 + n)):
            if not isinstance(event, AudioChunk) or not event.samples.shape[1]:
                continue
            if first is None:
                first = time.perf_counter() - started
                audio.append(first)
            if event.phonemes:
                sung.append(time.perf_counter() - started)
                break
    return audio, sung


def _seconds(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, worst {max(values):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=8)
    parser.add_argument("--persona", type=Path, default=ROOT / "examples/personas/nova.toml")
    parser.add_argument("--streams", type=int, default=5, help="streamed renders to time")
    args = parser.parse_args()
    for workers in (1, 2):
        measure(workers, args.songs, args.persona)
    over_http = first_audio_over_http(args.persona, args.streams)
    audio, sung = first_audio_in_process(args.persona, args.streams)
    print(f"time to first audio, POST to first bytes of /stream: {_seconds(over_http)}")
    print(f"time to first audio, in process: {_seconds(audio)}")
    print(f"time to first sung audio, in process: {_seconds(sung)} (target: under 1.5 s)")


if __name__ == "__main__":
    main()
