"""Pitch names, MIDI numbers, frequencies and keys: the small vocabulary every stage shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

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


@overload
def midi_to_hz(midi: float) -> float: ...
@overload
def midi_to_hz(midi: FloatArray) -> FloatArray: ...
def midi_to_hz(midi: float | FloatArray) -> float | FloatArray:
    """Equal temperament at A4 = 440 Hz; works on a number or a numpy array of them."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


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
    def uses_flats(self) -> bool:
        """Whether the key signature has flats (F major, D minor, Eb major, …)."""
        relative_major = self.tonic if self.mode == "major" else (self.tonic + 3) % 12
        # position on the circle of fifths: 1-5 sharps, 7-11 flats; at 6 the usual spellings
        # are F# major but Eb minor
        fifths = (relative_major * 7) % 12
        return fifths > 6 or (fifths == 6 and self.mode == "minor")

    def spell(self, pitch_class: int) -> str:
        """The pitch class's letter name as this key's signature spells it (Bb in F, A# in B)."""
        names = _FLAT_NAMES if self.uses_flats else _SHARP_NAMES
        return names[pitch_class % 12]

    @property
    def name(self) -> str:
        return f"{self.spell(self.tonic)} {self.mode}"

    def __str__(self) -> str:
        return self.name
