"""`vartist serve` and `vartist worker` as real processes, driven over real HTTP.

Embedded mode (SQLite library, SQLite queue) and distributed mode (PostgreSQL library, Redis
queue, a separate worker machine's process) are both run; workers are killed with SIGKILL and
Redis is restarted mid-run, and the library must still hold exactly one song per request.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.runner import ROOT, one_error_line, vartist
from tests.servers import PostgresServer, RedisServer, free_port

SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"
FINISHED = ("done", "failed", "cancelled", "delivered")


class Served:
    """A running `vartist serve` (or `vartist worker`) subprocess."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Served:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vartist", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def children(self) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
        return found

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_healthy(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} never became healthy")


def submit(client: httpx.Client, requester: str, key: str | None = None, **extra: object) -> str:
    body: dict[str, object] = {"prompt": "rain", "requester": requester, "lyrics": SHORT_LYRICS}
    if key is not None:
        body["idempotency_key"] = key
    body.update(extra)
    response = client.post("/api/requests", json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def wait_all(
    client: httpx.Client, ids: list[str], seconds: float, interval: float = 0.3
) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + seconds
    while True:
        statuses = {i: client.get(f"/api/requests/{i}").json() for i in ids}
        if all(s["state"] in FINISHED for s in statuses.values()):
            return statuses
        assert time.monotonic() < deadline, {i: s["state"] for i, s in statuses.items()}
        time.sleep(interval)


def wait_taken(client: httpx.Client, request_id: str, seconds: float = 120) -> None:
    """Follow a request until a worker takes it. A stream call long-polls a queued request for
    at most 5 s, and a worker that is still starting (spawn, imports, its warm-up render) on a
    loaded machine can take longer than that; the stream then answers 409."""
    deadline = time.monotonic() + seconds
    while client.get(f"/api/requests/{request_id}").json()["state"] == "queued":
        assert time.monotonic() < deadline, "no worker took the request"
        time.sleep(0.05)


def assert_one_song_per_request(client: httpx.Client, ids: list[str]) -> None:
    songs = client.get("/api/songs", params={"limit": 500}).json()
    by_request: dict[str, int] = {}
    for song in songs:
        by_request[song["request_id"]] = by_request.get(song["request_id"], 0) + 1
    assert sorted(by_request) == sorted(ids), "a request without a song, or a stranger's song"
    assert set(by_request.values()) == {1}, "a request made more than one song"


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[Served, str]]:
    port = free_port()
    server = Served(
        ["serve", "--port", str(port), "--workers", "1", "--data-dir", str(tmp_path / "data")]
    ).start()
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    yield server, base
    server.stop()


@pytest.mark.slow
def test_a_request_is_sung_followed_and_fetched(embedded: tuple[Served, str]) -> None:
    _, base = embedded
    with httpx.Client(base_url=base, timeout=30) as client:
        started = time.time()
        request_id = submit(client, "alice", key="msg-1", seed=7)
        assert submit(client, "alice", key="msg-1", seed=7) == request_id
        again = client.post(
            "/api/requests",
            json={"prompt": "rain", "requester": "alice", "idempotency_key": "msg-1"},
        )
        assert again.status_code == 200 and again.json()["id"] == request_id
        status = wait_all(client, [request_id], 120)[request_id]
        assert status["state"] == "done" and status["progress"] == 1.0
        song_id = status["song_id"]
        song = client.get(f"/api/songs/{song_id}").json()
        assert song["request_id"] == request_id and song["seed"] == 7
        whole = client.get(f"/api/songs/{song_id}/audio")
        assert whole.status_code == 200 and whole.content[:4] == b"RIFF"
        part = client.get(f"/api/songs/{song_id}/audio", headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == whole.content[1000:2000]
        events = client.get("/api/events", params={"since": started - 1, "timeout": 2})
        seen = [
            json.loads(line[len("data: ") :])
            for line in events.text.splitlines()
            if line.startswith("data: ")
        ]
        assert any(e["id"] == request_id and e["state"] == "done" for e in seen)


@pytest.mark.slow
def test_bad_input_gets_a_clear_4xx(embedded: tuple[Served, str]) -> None:
    _, base = embedded
    with httpx.Client(base_url=base, timeout=30) as client:
        cases = [
            ({"requester": "a"}, 422, "prompt"),
            ({"prompt": 5, "requester": "a"}, 422, "prompt"),
            ({"prompt": "x", "requester": "a", "seed": -1}, 422, "seed"),
            ({"prompt": "x", "requester": "a", "colour": "red"}, 422, "colour"),
            ({"prompt": "x" * 1_000_000, "requester": "a"}, 413, "bytes"),
            ({"prompt": "   ", "requester": "a"}, 422, "empty"),
        ]
        for body, status, word in cases:
            response = client.post("/api/requests", json=body)
            assert response.status_code == status, (
                body if len(str(body)) < 200 else "huge",
                response.text,
            )
            assert word in response.json()["error"]
        broken = client.post(
            "/api/requests", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 422 and "error" in broken.json()
        for path in ("/api/requests/00ff", "/api/songs/00ff", "/api/songs/00ff/audio"):
            response = client.get(path)
            assert response.status_code == 404 and "error" in response.json()
        assert client.delete("/api/requests/00ff").status_code == 404


@pytest.mark.slow
def test_cancel_a_queued_request(embedded: tuple[Served, str]) -> None:
    _, base = embedded
    with httpx.Client(base_url=base, timeout=30) as client:
        ids = [submit(client, f"fan{n}") for n in range(3)]
        cancelled = client.delete(f"/api/requests/{ids[-1]}").json()
        assert cancelled["state"] in ("cancelled", "rendering")
        statuses = wait_all(client, ids, 120)
        assert statuses[ids[-1]]["state"] == "cancelled" and statuses[ids[-1]]["song_id"] is None


def test_listening_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    result = vartist(
        "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", str(tmp_path),
        cwd=tmp_path, env={"VARTIST_API_TOKEN": "", "XDG_CONFIG_HOME": str(tmp_path)},
    )  # fmt: skip
    assert "VARTIST_API_TOKEN" in one_error_line(result)


@pytest.mark.slow
def test_the_token_is_required_and_never_logged(tmp_path: Path) -> None:
    port = free_port()
    secret = "s3cret-token-for-tests"
    args = ["serve", "--host", "0.0.0.0", "--port", str(port), "--workers", "0"]
    server = Served(
        [*args, "--data-dir", str(tmp_path / "data")], env={"VARTIST_API_TOKEN": secret}
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        assert httpx.get(f"{base}/api/songs").status_code == 401
        wrong = httpx.get(f"{base}/api/songs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = httpx.get(f"{base}/api/songs", headers={"Authorization": f"Bearer {secret}"})
        assert right.status_code == 200
    finally:
        server.stop()
    assert server.process is not None and server.process.stderr is not None
    logged = server.process.stderr.read().decode()
    assert secret not in logged


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(embedded: tuple[Served, str]) -> None:
    _, base = embedded
    options = ["--checks", "not_a_server_error", "--max-examples", "30", "--seed", "1"]
    options += ["--exclude-path", "/api/events"]
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json", *options],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _rendering_worker(client: httpx.Client, ids: list[str], seconds: float = 60) -> int:
    """The pid of a worker process that is rendering one of ``ids`` right now."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for request_id in ids:
            status = client.get(f"/api/requests/{request_id}").json()
            rendering = status["state"] == "rendering" and status["worker"]
            if rendering and status["stage"] not in (None, "lyrics", "compose"):
                return int(str(status["worker"]).rsplit(":", 1)[1])
        time.sleep(0.05)
    raise AssertionError("no request was seen rendering")


@pytest.mark.slow
def test_redis_and_postgresql_survive_a_killed_worker_and_a_redis_restart(
    tmp_path: Path,
) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    postgres = PostgresServer()
    postgres.start()
    shared = [
        "--redis", redis.url, "--database", postgres.url, "--data-dir", str(tmp_path / "data"),
        "--lease", "4",
    ]  # fmt: skip
    port = free_port()
    api = Served(["serve", "--port", str(port), "--workers", "0", *shared]).start()
    render_machine = Served(["worker", "--workers", "2", *shared])
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        render_machine.start()
        with httpx.Client(base_url=base, timeout=30) as client:
            ids = [submit(client, f"fan{n % 4}", key=f"k{n}") for n in range(10)]
            victim = _rendering_worker(client, ids)
            assert victim in render_machine.children()
            os.kill(victim, signal.SIGKILL)
            redis.restart()  # every queued wake-up is lost with it
            ids += [submit(client, "late fan", key="late")]
            assert submit(client, "fan0", key="k0") == ids[0]
            statuses = wait_all(client, ids, 300)
            assert {s["state"] for s in statuses.values()} == {"done"}
            assert max(int(str(s["attempts"])) for s in statuses.values()) >= 2
            assert_one_song_per_request(client, ids)
    finally:
        render_machine.stop()
        api.stop()
        redis.stop()
        postgres.stop()


@pytest.mark.slow
def test_a_killed_embedded_service_finishes_every_request_after_a_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", "1", "--lease", "4"]
    args += ["--data-dir", str(tmp_path / "data")]
    base = f"http://127.0.0.1:{port}"
    first = Served(args).start()
    with httpx.Client(base_url=base, timeout=30) as client:
        try:
            wait_healthy(base)
            ids = [submit(client, f"fan{n % 3}", key=f"k{n}") for n in range(6)]
            _rendering_worker(client, ids)
            children = first.children()
        finally:
            first.kill()  # also when the test fails early: no service may outlive it
        for child in children:  # the workers follow their parent (parent-death signal)
            deadline = time.monotonic() + 10
            while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert (
                not Path(f"/proc/{child}/cmdline").exists()
                or not Path(f"/proc/{child}/cmdline").read_bytes()
            ), f"worker {child} outlived its killed parent"
        second = Served(args).start()
        try:
            wait_healthy(base)
            statuses = wait_all(client, ids, 300)
            assert {s["state"] for s in statuses.values()} == {"done"}
            assert_one_song_per_request(client, ids)
        finally:
            second.stop()
