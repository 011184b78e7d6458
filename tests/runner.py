"""Running the real ``vartist`` command in a subprocess, the way a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "examples/personas"
NOVA = PERSONAS / "nova.toml"


def vartist(
    *args: str | bytes,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m vartist ARGS`` in ``cwd``; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "vartist", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The non-blank lines on stderr: a failure must give exactly one, and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.strip()]


def one_error_line(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    return lines[0]


def is_root() -> bool:
    return os.geteuid() == 0
