"""Music-theory vocabulary the composer shares: roman numerals, chord tones, spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vartist.composer.score import Chord
from vartist.pitch import Key

CHORD_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "7": (0, 4, 7, 10),
}
"""Semitones above the root for every chord quality a Score may hold."""

_QUALITY_SUFFIX = {
    "maj": "",
    "min": "m",
    "dim": "dim",
    "sus2": "sus2",
    "sus4": "sus4",
    "maj7": "maj7",
    "min7": "m7",
    "7": "7",
}
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_ROMAN_RE = re.compile(
    r"^(?P<numeral>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(?P<dim>°|o)?(?P<ext>maj7|7|sus2|sus4)?$"
)


class RomanNumeralError(ValueError):
    """A style model holds a chord symbol that is not a roman numeral."""


@dataclass(frozen=True)
class RomanChord:
    """A chord named by its scale degree in the key's own mode (``"vi"``, ``"V7"``)."""

    degree: int
    """0 for I, 6 for VII."""
    quality: str

    def root(self, key: Key) -> int:
        return key.scale[self.degree]


def parse_roman(symbol: str) -> RomanChord:
    """``"vi"`` → degree 5 minor; ``"V7"`` → degree 4 dominant seventh; ``"vii°"`` → diminished.

    Degrees count in the key's own scale, so in a minor key ``"III"`` is the relative major.
    """
    match = _ROMAN_RE.match(symbol.strip())
    if not match:
        raise RomanNumeralError(
            f"{symbol!r} is not a roman-numeral chord; write a numeral I-VII (upper case major, "
            "lower case minor) with an optional °, 7, maj7, sus2 or sus4, like 'vi' or 'V7'"
        )
    numeral, dim, ext = match["numeral"], match["dim"], match["ext"]
    degree = _NUMERALS.index(numeral.upper())
    is_major = numeral.isupper()
    if ext in ("sus2", "sus4", "maj7"):
        quality = ext
    elif ext == "7":
        quality = "7" if is_major else "min7"
    elif dim:
        quality = "dim"
    else:
        quality = "maj" if is_major else "min"
    return RomanChord(degree, quality)


def chord_symbol(root: int, quality: str, key: Key) -> str:
    return key.spell(root) + _QUALITY_SUFFIX[quality]


def chord_pitch_classes(root: int, quality: str) -> tuple[int, ...]:
    return tuple((root + interval) % 12 for interval in CHORD_INTERVALS[quality])


def make_chord(symbol: str, key: Key, start: float, duration: float) -> Chord:
    """The :class:`Chord` a roman numeral names in ``key``."""
    roman = parse_roman(symbol)
    root = roman.root(key)
    return Chord(start, duration, root, roman.quality, chord_symbol(root, roman.quality, key))


def chord_tones(chord: Chord) -> tuple[int, ...]:
    """Pitch classes of a chord, root first."""
    return chord_pitch_classes(chord.root, chord.quality)
