"""Where a written word may be hyphenated, from the hyphenation dictionaries pyphen ships.

pyphen parses a whole dictionary up front, which takes 0.2 s for Dutch: most of the builtin
lyric writer's budget. This module reads the same ``hyph_*.dic`` files (Liang's patterns)
but only indexes each pattern by its letters, and turns a pattern's digits into numbers the
first time a word needs it, so a dictionary is ready in a few milliseconds. The positions it
gives match ``pyphen.Pyphen(lang=…).positions`` (the tests compare them).
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import threading
from functools import lru_cache
from pathlib import Path

# pyphen's own defaults: never leave fewer than two letters before or after a break
LEFT_MIN = 2
RIGHT_MIN = 2
# which dictionary a bare language code means when several regions have one
_DEFAULT_REGION = {"en": "en_US", "de": "de_DE", "pt": "pt_PT", "nb": "nb_NO", "no": "nb_NO"}
_DIGITS = str.maketrans("", "", "0123456789")
_HEX_ESCAPE = re.compile(r"\^\^([0-9a-f]{2})")


def _dictionaries_folder() -> Path | None:
    # find_spec locates pyphen without importing it (its import scans every dictionary)
    spec = importlib.util.find_spec("pyphen")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "dictionaries"


@lru_cache(maxsize=64)
def dictionary_path(language: str) -> Path | None:
    """The ``hyph_*.dic`` file for an espeak-ng style language code, or None if there is none."""
    folder = _dictionaries_folder()
    if folder is None or not folder.is_dir():
        return None
    parts = re.split(r"[-_]", language.strip())
    base = parts[0].lower()
    names = [f"{base}_{parts[1].upper()}"] if len(parts) > 1 else []
    names += [base, _DEFAULT_REGION.get(base, f"{base}_{base.upper()}")]
    for name in names:
        path = folder / f"hyph_{name}.dic"
        if path.is_file():
            return path
    regional = sorted(folder.glob(f"hyph_{base}_*.dic"))
    return regional[0] if regional else None


class Hyphenator:
    """Liang's hyphenation over one pattern dictionary."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        first_line, _, body = raw.partition(b"\n")
        encoding = first_line.decode("ascii", "replace").strip()
        if encoding.lower().startswith("microsoft-"):
            encoding = encoding[len("microsoft-") :]
        text = body.decode(encoding, "replace")
        self._patterns: dict[str, str] = {}
        for line in text.split("\n"):
            pattern = line.strip()
            if not pattern or pattern[0] in "%#":
                continue
            keyword = pattern.split(None, 1)[0]
            if keyword.isupper() and keyword.isalpha():
                continue  # LEFTHYPHENMIN 2, NEXTLEVEL, …: settings, not patterns
            # a non-standard break ("c1k/k=k,1,2") still marks a plain break where it applies
            pattern = pattern.split("/", 1)[0]
            if "^^" in pattern:
                pattern = _HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), pattern)
            self._patterns[pattern.translate(_DIGITS)] = pattern
        self._longest = max((len(k) for k in self._patterns), default=0)
        self._values: dict[str, tuple[int, ...]] = {}

    def _values_of(self, pattern: str) -> tuple[int, ...]:
        """The digit before each letter of a pattern and after its last, 0 where none."""
        values = self._values.get(pattern)
        if values is None:
            found: list[int] = [0]
            for char in pattern:
                if char.isdigit():
                    found[-1] = int(char)
                else:
                    found.append(0)
            values = self._values[pattern] = tuple(found)
        return values

    def positions(self, word: str) -> list[int]:
        """Indices in ``word`` before which it may be hyphenated."""
        dotted = f".{word.lower()}."
        if len(dotted) != len(word) + 2:
            return []  # lower-casing changed the length (rare ligatures): no safe breaks
        levels = [0] * (len(dotted) + 1)
        for start in range(len(dotted)):
            for end in range(start + 1, min(start + self._longest, len(dotted)) + 1):
                pattern = self._patterns.get(dotted[start:end])
                if pattern is None:
                    continue
                for offset, value in enumerate(self._values_of(pattern)):
                    if value > levels[start + offset]:
                        levels[start + offset] = value
        # levels[i] sits before dotted[i], which is word[i - 1]
        return [
            i - 1
            for i, level in enumerate(levels)
            if level % 2 and LEFT_MIN <= i - 1 <= len(word) - RIGHT_MIN
        ]

    def pieces(self, word: str) -> list[str]:
        """``word`` cut at every hyphenation point."""
        cuts = [0, *self.positions(word), len(word)]
        return [word[a:b] for a, b in itertools.pairwise(cuts) if b > a]


_lock = threading.Lock()
_hyphenators: dict[Path, Hyphenator] = {}


def hyphenator(language: str) -> Hyphenator | None:
    """The hyphenator for a language, or None where pyphen ships no dictionary for it."""
    path = dictionary_path(language)
    if path is None:
        return None
    with _lock:
        if path not in _hyphenators:
            _hyphenators[path] = Hyphenator(path)
        return _hyphenators[path]
