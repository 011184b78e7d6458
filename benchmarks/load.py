"""Load test of the runtime service: many requesters, killed workers, a restarted queue.

    .venv/bin/python benchmarks/load.py [--requests 300] [--requesters 30] [--mode both]

``distributed``: `vartist serve` (API only) and `vartist worker --workers 2` against a Redis
server and a PostgreSQL cluster started here; one render process is SIGKILLed mid-render and
Redis is restarted (losing every queued wake-up). ``embedded``: `vartist serve --workers 2` on
SQLite, the whole service SIGKILLed mid-run and started again.

Each request sings two short lines (about half a second of rendering), so the run measures the
service, not the singer. It then checks, from the library over HTTP: every request ended done
exactly once, each with its own song, and no requester waited behind more than one song of any
other requester between two of its own (round-robin), and prints the figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer, RedisServer, free_port  # noqa: E402
from tests.test_service import (  # noqa: E402
    Served,
    _rendering_worker,
    assert_one_song_per_request,
    submit,
    wait_all,
    wait_healthy,
)


def fairness_violations(
    statuses: dict[str, dict[str, object]], killed_at: float
) -> tuple[int, int]:
    """Times a requester with a song waiting saw another requester served twice between two
    of its own songs; and how many such gaps were left out: those of a requester whose render
    was cut by the kill at ``killed_at``, between the kill and the retry (that requester waits
    out the lease by design)."""
    starts = sorted(
        (float(str(s["started_at"])), str(s["requester"]), float(str(s["created_at"])))
        for s in statuses.values()
    )
    retried_at: dict[str, float] = {}
    for s in statuses.values():
        if int(str(s["attempts"])) > 1:
            who = str(s["requester"])
            retried_at[who] = max(retried_at.get(who, 0.0), float(str(s["started_at"])))
    by_requester: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for started, requester, created in starts:
        by_requester[requester].append((started, created))
    violations = excused = 0
    for requester, own in by_requester.items():
        for (started, _), (next_started, next_created) in itertools.pairwise(own):
            # between two of this requester's songs, while the next was already waiting
            window_start = max(started, next_created)
            served: dict[str, int] = defaultdict(int)
            for other_start, other, _ in starts:
                if other != requester and window_start < other_start < next_started:
                    served[other] += 1
            unfair = sum(1 for count in served.values() if count > 1)
            cut = requester in retried_at and next_started > killed_at - 60
            cut = cut and window_start <= retried_at[requester]
            if unfair and cut:
                excused += 1
            else:
                violations += unfair
    return violations, excused


def run(mode: str, requests: int, requesters: int, work: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = ["--data-dir", str(work / "data"), "--lease", "5"]
    limit = ["--requester-limit", str(requests)]
    redis = postgres = None
    render_machine = None
    if mode == "distributed":
        redis = RedisServer(work)
        redis.start()
        postgres = PostgresServer()
        postgres.start()
        data += ["--redis", redis.url, "--database", postgres.url]
        service = Served(["serve", "--port", str(port), "--workers", "0", *data, *limit]).start()
        render_machine = Served(["worker", "--workers", "2", *data]).start()
    else:
        service = Served(["serve", "--port", str(port), "--workers", "2", *data, *limit]).start()
    try:
        wait_healthy(base)
        with httpx.Client(base_url=base, timeout=60) as client:
            started = time.monotonic()
            ids = [
                submit(client, f"fan{n % requesters}", key=f"{mode}-{n}") for n in range(requests)
            ]
            submitted = time.monotonic() - started
            victim = _rendering_worker(client, ids)
            killed_at = time.time()
            if mode == "distributed":
                assert render_machine is not None and redis is not None
                os.kill(victim, signal.SIGKILL)
                time.sleep(1.0)
                redis.restart()
                print(f"killed render process {victim}; restarted Redis")
            else:
                service.kill()
                service = Served(
                    ["serve", "--port", str(port), "--workers", "2", *data, *limit]
                ).start()
                wait_healthy(base)
                print("killed the whole service with SIGKILL; started it again")
            duplicate = submit(client, "fan0", key=f"{mode}-0")
            assert duplicate == ids[0], "a resubmitted request made a new one"
            statuses = wait_all(client, ids, 1800, interval=3.0)
            elapsed = time.monotonic() - started
            states = {str(s["state"]) for s in statuses.values()}
            assert states == {"done"}, states
            assert_one_song_per_request(client, ids)
            retried = sum(1 for s in statuses.values() if int(str(s["attempts"])) > 1)
            unfair, excused = fairness_violations(statuses, killed_at)
            print(
                f"{mode}: {requests} requests from {requesters} requesters, all done exactly "
                f"once in {elapsed:.0f} s ({requests / elapsed * 60:.0f} songs/min), submitted "
                f"in {submitted:.1f} s; {retried} rendered again after the kill; "
                f"round-robin violations: {unfair} (gaps after a killed render, left out: "
                f"{excused})"
            )
    finally:
        if render_machine is not None:
            render_machine.stop()
        service.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--requesters", type=int, default=30)
    parser.add_argument("--mode", choices=["distributed", "embedded", "both"], default="both")
    args = parser.parse_args()
    modes = ["distributed", "embedded"] if args.mode == "both" else [args.mode]
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix=f"vartist-load-{mode}-") as work:
            run(mode, args.requests, args.requesters, Path(work))


if __name__ == "__main__":
    main()
