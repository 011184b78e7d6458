"""Real Redis and PostgreSQL servers for the service tests, started from Debian's packages.

`scripts/setup.sh test` (and so CI) installs redis-server and postgresql; each server here runs
on a free loopback port with its data in a temporary folder and stops with the test session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class RedisServer:
    """redis-server without persistence, so a restart loses every queued wake-up."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `scripts/setup.sh test` as root")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), *options, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class PostgresServer:
    """A throwaway PostgreSQL cluster owned by the postgres user (initdb refuses root)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL is not installed: run `scripts/setup.sh test` as root")
        self.bin = Path(found[-1]).parent
        # not under pytest's tmp_path: that is private to root, and the server runs as postgres
        self.folder = Path(tempfile.mkdtemp(prefix="vartist-postgres-"))
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://vartist@127.0.0.1:{self.port}/vartist"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.folder / "pgdata"
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(data, "postgres")
        os.chmod(self.folder, 0o755)
        self._as_postgres(
            str(self.bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.folder / "log"),
            "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip
        self._as_postgres(
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-c", "CREATE ROLE vartist LOGIN", "-c", "CREATE DATABASE vartist OWNER vartist",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.folder / "pgdata"),
                "-m",
                "immediate",
                "stop",
            )
