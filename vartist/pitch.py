"""Pitch names, MIDI numbers, frequencies and keys: the small vocabulary every stage shares."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

_NOTE_RE = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)(-?\d)\s*$")
_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)\s*(major|minor|maj|min|m)?\s*$", re.IGNORECASE)
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

Mode = Literal["major", "minor"]


def _accidental(sign: str) -> int:
    return {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(sign, 0)


def note_to_midi(name: str) -> int:
    """``"A4"`` → 69, ``"C#3"`` → 49. Raises ValueError with the accepted form."""
    match = _NOTE_RE.match(name)
    if not match:
        raise ValueError(
            f"{name!r} is not a note name; write a letter, an optional # or b and an octave, like 'A3' or 'F#4'"
        )
    letter, sign, octave = match.groups()
    return 12 * (int(octave) + 1) + _LETTER_PC[letter.upper()] + _accidental(sign)


def midi_to_name(midi: int) -> str:
    return f"{_SHARP_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def hz_to_midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, 0 = C
    mode: Mode

    @classmethod
    def parse(cls, text: str) -> Key:
        """``"A minor"``, ``"F# major"``, ``"Bbm"`` → Key."""
        match = _KEY_RE.match(text)
        if not match:
            raise ValueError(
                f"{text!r} is not a key; write a tonic and a mode, like 'A minor' or 'Eb major'"
            )
        letter, sign, mode = match.groups()
        tonic = (_LETTER_PC[letter.upper()] + _accidental(sign)) % 12
        is_minor = (mode or "major").lower() in ("minor", "min", "m")
        return cls(tonic, "minor" if is_minor else "major")

    @property
    def scale(self) -> tuple[int, ...]:
        """The seven pitch classes of the key, tonic first."""
        steps = MAJOR_SCALE if self.mode == "major" else NATURAL_MINOR_SCALE
        return tuple((self.tonic + s) % 12 for s in steps)

    @property
    def name(self) -> str:
        # flat keys read better with flat names (Eb major, not D# major)
        flat_tonics = {5, 10, 3, 8, 1} if self.mode == "major" else {5, 10, 3, 8, 0, 7, 2}
        names = _FLAT_NAMES if self.tonic in flat_tonics else _SHARP_NAMES
        return f"{names[self.tonic]} {self.mode}"

    def __str__(self) -> str:
        return self.name
