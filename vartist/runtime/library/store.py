"""Song files by content: ``objects/ab/abcdef…`` named by their SHA-256.

Two songs that share a file (the same seed rendered twice) share its bytes; a file lands by an
atomic rename, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "objects").mkdir(parents=True, exist_ok=True)
        (root / "incoming").mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / "objects" / digest[:2] / digest

    def incoming(self) -> Path:
        """A private folder to write files into before :meth:`put` takes them."""
        folder = self.root / "incoming" / os.urandom(8).hex()
        folder.mkdir()
        return folder

    def put(self, source: Path) -> str:
        """Move ``source`` into the store; returns its digest."""
        digest = hashlib.sha256()
        with open(source, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        name = digest.hexdigest()
        target = self.path(name)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            source.unlink()
        else:
            with open(source, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(source, target)
        return name

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def remove(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(digest).unlink()
