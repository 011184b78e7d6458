"""Songs per minute of `vartist serve` with 1 and 2 embedded render workers.

    .venv/bin/python benchmarks/throughput.py [--songs 8] [--persona examples/personas/nova.toml]

Each run starts a fresh service on SQLite, submits ``--songs`` whole-song requests from as many
requesters at once, and times from the first submission to the last song stored.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=8)
    parser.add_argument("--persona", type=Path, default=ROOT / "examples/personas/nova.toml")
    args = parser.parse_args()
    for workers in (1, 2):
        measure(workers, args.songs, args.persona)
    print(
        "time to first audio of a streamed render: not measured (streamed renders are not built yet)"
    )


if __name__ == "__main__":
    main()
