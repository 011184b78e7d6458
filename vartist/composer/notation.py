"""The lead sheet: the score's melody with its lyrics under the notes and the chord symbols
above, in the song's key, metre and tempo, written as MusicXML through music21.

Every song folder carries one (``song.musicxml``), so the writer sits on the render's path and
must stay cheap: music21 realises the pitches of every chord symbol it builds (a few ms each),
so each distinct symbol is realised once and copied for its other bars.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Literal

from vartist.composer.score import Chord, Score, VocalNote
from vartist.errors import MissingDependencyError, VartistError
from vartist.pitch import Key

LEAD_SHEET_COMPOSER = "vartist"
_ENCODING_DATE = re.compile(r"\s*<encoding-date>[^<]*</encoding-date>")
MUSIC21_CHORD_KINDS = {
    "maj": "major",
    "min": "minor",
    "dim": "diminished",
    "sus2": "suspended-second",
    "sus4": "suspended-fourth",
    "maj7": "major-seventh",
    "min7": "minor-seventh",
    "7": "dominant-seventh",
}
"""The Score's chord qualities as MusicXML ``<kind>`` values (music21's names)."""


def music21_pitch_name(pitch_class: int, key: Key) -> str:
    """A pitch class spelled in ``key`` the way music21 writes it: flats as '-' ("E-")."""
    return key.spell(pitch_class).replace("b", "-")


def syllabic(score: Score, sung: VocalNote) -> Literal["single", "begin", "middle", "end"]:
    """MusicXML's place of a syllable in its word: single, begin, middle or end."""
    ref = sung.syllable
    count = len(score.lyrics.sections[ref.section].lines[ref.line].words[ref.word].syllables)
    if count == 1:
        return "single"
    return "begin" if ref.syllable == 0 else "end" if ref.syllable == count - 1 else "middle"


class _ChordSymbols:
    """Realised music21 chord symbols, one per (root, quality), copied for each use."""

    def __init__(self, key: Key) -> None:
        self._key = key
        self._made: dict[tuple[int, str], Any] = {}

    def symbol(self, chord: Chord) -> Any:
        from music21 import harmony

        wanted = (chord.root, chord.quality)
        if wanted not in self._made:
            root = music21_pitch_name(chord.root, self._key)
            self._made[wanted] = harmony.ChordSymbol(
                root=root, kind=MUSIC21_CHORD_KINDS[chord.quality]
            )
        return copy.deepcopy(self._made[wanted])


WRITTEN_GRID = 1 / 8
"""Beats a written note's start and end are rounded to when swing is taken out: a lead sheet
shows thirty-second notes at the finest, never the tuplets an exact swung time would need."""


def _written_beat(beat: float, swing_shift: float) -> float:
    """Where a sung beat is written. Swing is notated as straight eighths under a "Swing"
    marking, as jazz and lo-fi lead sheets do, so an off-beat eighth sung ``swing_shift`` late
    is written on the half-beat; every other time is rounded to :data:`WRITTEN_GRID`."""
    if swing_shift and abs(beat % 1.0 - 0.5 - swing_shift) < 1e-9:
        return beat - swing_shift
    return round(beat / WRITTEN_GRID) * WRITTEN_GRID if swing_shift else beat


def _written_notes(score: Score) -> list[tuple[float, float, VocalNote]]:
    """(written start, written end, note) of each vocal note, swing taken out."""
    from vartist.composer.melody import SWING_RESOLUTION
    from vartist.composer.styles import get_style

    try:
        swing = get_style(score.genre).swing
    except VartistError:
        swing = 0.0  # a score from a style this version does not know: written as sung
    shift = round(swing / SWING_RESOLUTION) * SWING_RESOLUTION
    starts = [_written_beat(n.start, shift) for n in score.vocal]
    written = []
    for index, sung in enumerate(score.vocal):
        end = _written_beat(sung.end, shift)
        if index + 1 < len(starts):
            end = min(end, starts[index + 1])
        written.append((starts[index], max(end, starts[index] + WRITTEN_GRID), sung))
    return written


def _melody_part(score: Score) -> Any:
    """The vocal line as a music21 Part: notes with lyrics, rests between them, chords above."""
    from music21 import instrument, key, meter, note, stream, tempo

    part: Any = stream.Part()
    part.partName = "vocals"
    singer: Any = instrument.Vocalist()
    # fixed ids: music21 would otherwise draw random ones and no two files would match
    singer.partId, singer.instrumentId = "P1", "P1-I1"
    part.insert(0, singer)
    written = _written_notes(score)
    swung = any(abs(start - sung.start) > 1e-9 for start, _, sung in written)
    part.insert(0, tempo.MetronomeMark(text="Swing" if swung else None, number=score.tempo))
    part.insert(0, meter.TimeSignature(f"{score.beats_per_bar}/4"))
    tonic = music21_pitch_name(score.key.tonic, score.key)
    part.insert(0, key.Key(tonic if score.key.mode == "major" else tonic.lower(), score.key.mode))
    symbols = _ChordSymbols(score.key)
    for chord in score.chords:
        part.insert(chord.start, symbols.symbol(chord))
    sung_until = 0.0
    for start, end, vocal_note in written:
        if start > sung_until + 1e-9:
            part.insert(sung_until, note.Rest(quarterLength=start - sung_until))
        octave = vocal_note.pitch // 12 - 1
        name = music21_pitch_name(vocal_note.pitch, score.key)
        sung: Any = note.Note(f"{name}{octave}", quarterLength=end - start)
        if not vocal_note.melisma:
            sung.lyrics.append(
                note.Lyric(
                    text=score.syllable(vocal_note.syllable).text,
                    syllabic=syllabic(score, vocal_note),
                )
            )
        part.insert(start, sung)
        sung_until = end
    if score.duration_beats > sung_until + 1e-9:
        part.insert(sung_until, note.Rest(quarterLength=score.duration_beats - sung_until))
    return part


def write_musicxml(score: Score, path: str | Path) -> Path:
    """A MusicXML lead sheet through music21: the melody with its lyrics and the chord
    symbols, titled, in the score's key, metre and tempo. The same score always gives the
    same bytes."""
    try:
        from music21 import metadata, stream
    except ImportError:  # pragma: no cover - music21 is a declared dependency
        raise MissingDependencyError("MusicXML export", "pip install music21") from None

    document: Any = stream.Score()
    document.metadata = metadata.Metadata(title=score.title, composer=LEAD_SHEET_COMPOSER)
    document.insert(0, _melody_part(score))
    path = Path(path)
    document.write("musicxml", fp=str(path))
    # music21 stamps today's date; drop it so the same score always gives the same file
    text = _ENCODING_DATE.sub("", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return path
