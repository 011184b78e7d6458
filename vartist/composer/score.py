"""The Score: the one immutable description of a song that the composer writes and every
later stage reads. Times are in beats from the start of the song; :meth:`Score.seconds`
converts (the tempo is constant within a song).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import TypeAdapter

from vartist.lyrics.types import Lyrics, SectionKind, Syllable
from vartist.pitch import Key


@dataclass(frozen=True)
class Chord:
    start: float
    duration: float
    root: int
    """Pitch class of the root, 0 = C."""
    quality: str
    """'maj', 'min', 'dim', 'sus2', 'sus4', 'maj7', 'min7', '7'."""
    symbol: str
    """Readable name, like 'Am' or 'Fmaj7'."""

    @property
    def end(self) -> float:
        return self.start + self.duration


def chord_index_at(chord_starts: Sequence[float], beat: float) -> int:
    """Index of the last chord starting at or before ``beat`` (the first chord before any).

    A nanobeat of slack absorbs float error in beats computed by addition.
    """
    return max(0, bisect.bisect_right(chord_starts, beat + 1e-9) - 1)


@dataclass(frozen=True)
class SectionSpan:
    kind: SectionKind
    start: float
    duration: float
    lyric_section: int | None
    """Index into ``Score.lyrics.sections`` or None for an instrumental section."""
    label: str
    """Human label, like 'chorus 2'."""

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class SyllableRef:
    section: int
    line: int
    word: int
    syllable: int


@dataclass(frozen=True)
class VocalNote:
    start: float
    duration: float
    pitch: int
    """MIDI note number."""
    syllable: SyllableRef
    melisma: bool = False
    """True when this note continues the previous note's syllable on a new pitch."""

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Note:
    start: float
    duration: float
    pitch: int
    velocity: int

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Part:
    name: str
    """Unique within the score; names the stem ('drums', 'bass', 'keys', 'pad')."""
    instrument: str
    """Key into the studio's instrument registry."""
    notes: tuple[Note, ...]
    is_drums: bool = False
    """Drum parts use General MIDI percussion numbers as pitches."""
    midi_program: int = 0


@dataclass(frozen=True)
class Score:
    title: str
    genre: str
    tempo: float
    """Beats per minute (quarter notes)."""
    beats_per_bar: int
    key: Key
    sections: tuple[SectionSpan, ...]
    chords: tuple[Chord, ...]
    vocal: tuple[VocalNote, ...]
    parts: tuple[Part, ...]
    lyrics: Lyrics
    vocal_range: tuple[int, int]
    """The MIDI range the melody was written for."""

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.tempo

    def seconds(self, beats: float) -> float:
        return beats * 60.0 / self.tempo

    @property
    def duration_beats(self) -> float:
        return max((s.end for s in self.sections), default=0.0)

    @property
    def duration_seconds(self) -> float:
        return self.seconds(self.duration_beats)

    def syllable(self, ref: SyllableRef) -> Syllable:
        line = self.lyrics.sections[ref.section].lines[ref.line]
        return line.words[ref.word].syllables[ref.syllable]

    def chord_at(self, beat: float) -> Chord | None:
        """The chord sounding at ``beat``, or None outside the chord track."""
        if not self.chords:
            return None
        chord = self.chords[chord_index_at([c.start for c in self.chords], beat)]
        return chord if chord.start <= beat < chord.end else None

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(f"score has no part {name!r}; it has {[p.name for p in self.parts]}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        return _SCORE_ADAPTER.validate_python(data)


_SCORE_ADAPTER = TypeAdapter(Score)
