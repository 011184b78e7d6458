"""Musical measures of a song's melody: what `vartist analyze` prints and the tests assert.

All pitch measures are relative to the song's tonic, so songs in different keys compare. The
distances to a learned style are total-variation distances (half the L1 distance between two
probability distributions, 0 for identical, 1 for disjoint):

* pitch-class distance: the melody's pitch classes above the tonic against the style's (in the
  song's mode);
* rhythm distance: the mean of the distances between note-length classes and between note-start
  positions within the beat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt

from vartist.composer.errors import ComposerError
from vartist.composer.learned.corpus import CorpusNote, estimate_key
from vartist.composer.learned.model import DURATION_CLASSES, StyleBlend, duration_class
from vartist.composer.score import Score, SectionSpan
from vartist.composer.theory import chord_tones
from vartist.pitch import Key
from vartist.userfiles import shown

FloatArray = npt.NDArray[np.float64]
VOCAL_TRACK = "vocals"
"""The track `vartist sing` writes the melody to in song.mid."""


class SongAnalysisError(ComposerError):
    """A song folder holds nothing to analyse."""


@dataclass(frozen=True)
class MelodyNote:
    start: float
    duration: float
    pitch: int
    stressed: bool | None = None
    """Whether the note starts a stressed syllable; None when the source has no lyrics."""


@dataclass(frozen=True)
class MelodyMeasures:
    key: Key
    notes: int
    pitch_classes: FloatArray
    """Share of notes on each pitch class above the tonic (12)."""
    durations: FloatArray
    """Share of notes in each length class of ``DURATION_CLASSES``."""
    onsets: FloatArray
    """Share of notes starting on each sixteenth within the beat (4)."""
    in_key_ratio: float
    """Share of notes in the key's scale or in the chord sounding under them."""
    stress_alignment: float | None
    """Share of stressed syllables starting on a beat; None without lyrics."""
    range: tuple[int, int]
    repeats: tuple[tuple[str, str], ...]
    """(section, the earlier section whose melody it sings exactly)."""


def total_variation(p: FloatArray, q: FloatArray) -> float:
    return 0.5 * float(np.abs(np.asarray(p) / np.sum(p) - np.asarray(q) / np.sum(q)).sum())


def _shares(values: Sequence[int], size: int) -> FloatArray:
    counts = np.bincount(np.asarray(values, dtype=np.int64), minlength=size).astype(np.float64)
    return counts / max(1.0, counts.sum())


def _repeats(
    notes: Sequence[MelodyNote], sections: Sequence[SectionSpan]
) -> tuple[tuple[str, str], ...]:
    seen: dict[tuple[tuple[float, float, int], ...], str] = {}
    repeats = []
    for span in sections:
        sung = tuple(
            (round(n.start - span.start, 4), round(n.duration, 4), n.pitch)
            for n in notes
            if span.start <= n.start < span.end
        )
        if not sung:
            continue
        if sung in seen:
            repeats.append((span.label, seen[sung]))
        else:
            seen[sung] = span.label
    return tuple(repeats)


def measure_melody(
    notes: Sequence[MelodyNote],
    key: Key,
    sections: Sequence[SectionSpan] = (),
    chord_tones_at: Sequence[frozenset[int]] | None = None,
) -> MelodyMeasures:
    """The measures of a melody in ``key``; ``chord_tones_at`` (one set per note) widens
    in-key to chord tones."""
    if not notes:
        raise SongAnalysisError("the song has no melody notes to analyse")
    scale = set(key.scale)
    fitting = [
        n.pitch % 12 in scale or (chord_tones_at is not None and n.pitch % 12 in chord_tones_at[i])
        for i, n in enumerate(notes)
    ]
    stressed = [n for n in notes if n.stressed]
    on_beat = [n for n in stressed if abs(n.start - round(n.start)) < 1e-6]
    has_lyrics = any(n.stressed is not None for n in notes)
    pitches = [n.pitch for n in notes]
    return MelodyMeasures(
        key=key,
        notes=len(notes),
        pitch_classes=_shares([(p - key.tonic) % 12 for p in pitches], 12),
        durations=_shares([duration_class(n.duration) for n in notes], len(DURATION_CLASSES)),
        onsets=_shares([round(n.start * 4) % 4 for n in notes], 4),
        in_key_ratio=sum(fitting) / len(notes),
        stress_alignment=len(on_beat) / len(stressed) if has_lyrics and stressed else None,
        range=(min(pitches), max(pitches)),
        repeats=_repeats(notes, sections),
    )


def measure_score(score: Score) -> MelodyMeasures:
    """The measures of a Score's vocal line (melisma continuations count as notes)."""
    notes = [
        MelodyNote(
            n.start,
            n.duration,
            n.pitch,
            None if n.melisma else score.syllable(n.syllable).stress > 0,
        )
        for n in score.vocal
    ]
    tones = []
    for n in score.vocal:
        chord = score.chord_at(n.start)
        tones.append(frozenset(chord_tones(chord)) if chord else frozenset())
    return measure_melody(notes, score.key, score.sections, tones)


def pitch_class_distance(measures: MelodyMeasures, style: StyleBlend) -> float:
    return total_variation(measures.pitch_classes, style.degree_probs(measures.key.mode))


def rhythm_distance(measures: MelodyMeasures, style: StyleBlend) -> float:
    lengths = total_variation(measures.durations, style.duration_probs())
    positions = total_variation(measures.onsets, style.onset_probs())
    return 0.5 * (lengths + positions)


def _midi_melody(path: Path) -> tuple[list[MelodyNote], Key, list[SectionSpan]]:
    try:
        midi = mido.MidiFile(path, charset="utf-8")
    except Exception as exc:
        # mido raises what its byte parser meets (EOFError, KeyError, IndexError, …) on a
        # damaged file; each means the user's file is bad
        raise SongAnalysisError(f"{shown(path)} is not a readable MIDI file ({exc})") from None
    per_beat = float(midi.ticks_per_beat)
    key: Key | None = None
    markers: list[tuple[float, str]] = []
    notes: list[MelodyNote] = []
    for track in midi.tracks:
        now, name, sounding = 0, "", dict[int, int]()
        for message in track:
            now += message.time
            if message.type == "track_name":
                name = message.name
            elif message.type == "key_signature":
                key = Key.parse(
                    message.key.replace("m", " minor") if message.key.endswith("m") else message.key
                )
            elif message.type == "marker":
                markers.append((now / per_beat, message.text))
            elif name == VOCAL_TRACK and message.type in ("note_on", "note_off"):
                if message.type == "note_on" and message.velocity > 0:
                    sounding[message.note] = now
                elif message.note in sounding:
                    began = sounding.pop(message.note)
                    notes.append(
                        MelodyNote(began / per_beat, (now - began) / per_beat, message.note)
                    )
    if not notes:
        raise SongAnalysisError(f"{shown(path)} has no '{VOCAL_TRACK}' track with notes")
    notes.sort(key=lambda n: n.start)
    if key is None:
        key = estimate_key([CorpusNote(n.start, n.duration, n.pitch) for n in notes])
    end = max(n.start + n.duration for n in notes)
    bounds = [*[b for b, _ in markers[1:]], end + 1.0]
    sections = [
        SectionSpan("verse", start, stop - start, None, label)
        for (start, label), stop in zip(markers, bounds, strict=True)
    ]
    return notes, key, sections


def analyse_song_folder(folder: Path) -> MelodyMeasures:
    """Measure the song in ``folder``: from song.json's score when present (lyrics, chords
    and sections included), else from song.mid's vocal track, key signature and markers."""
    document = folder / "song.json"
    if document.is_file():
        try:
            score = Score.from_dict(json.loads(document.read_text(encoding="utf-8"))["score"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SongAnalysisError(
                f"{shown(document)} holds no vartist score ({type(exc).__name__}); "
                "analyse a folder written by `vartist sing`"
            ) from None
        return measure_score(score)
    midi = folder / "song.mid"
    if midi.is_file():
        notes, key, sections = _midi_melody(midi)
        return measure_melody(notes, key, sections)
    raise SongAnalysisError(
        f"{shown(folder)} has neither song.json nor song.mid; give a folder written by `vartist sing`"
    )


def describe(measures: MelodyMeasures, style: StyleBlend | None = None) -> list[str]:
    """The measures as the lines `vartist analyze` prints."""
    low, high = measures.range
    shares = " ".join(
        f"{degree}:{share:.0%}" for degree, share in enumerate(measures.pitch_classes) if share
    )
    lengths = " ".join(
        f"{length:g}:{share:.0%}"
        for length, share in zip(DURATION_CLASSES, measures.durations, strict=True)
        if share
    )
    stress = (
        "n/a (no lyrics)"
        if measures.stress_alignment is None
        else f"{measures.stress_alignment:.1%}"
    )
    repeats = "; ".join(f"{a} = {b}" for a, b in measures.repeats) or "none"
    lines = [
        f"key: {measures.key.name}",
        f"notes: {measures.notes}",
        f"range: MIDI {low}-{high} ({high - low} semitones)",
        f"in key or chord tone: {measures.in_key_ratio:.1%}",
        f"stressed syllables on beats: {stress}",
        f"repeats: {repeats}",
        f"pitch classes above the tonic: {shares}",
        f"note lengths (beats): {lengths}",
    ]
    if style is not None:
        lines.append(
            f"pitch-class distance to {style.name}: {pitch_class_distance(measures, style):.3f}"
        )
        lines.append(f"rhythm distance to {style.name}: {rhythm_distance(measures, style):.3f}")
    return lines
