"""Reading a corpus: MIDI and MusicXML files → melody, key and bar chords per piece.

Each file becomes a :class:`Piece`: its melody (one monophonic line), the key estimated from
all its pitched notes (so the style model can store everything relative to the tonic and stay
key-invariant), and one chord per bar estimated from the other parts (or from the melody when
the file has nothing else). Drums never count: MIDI channel 10 and music21's unpitched
percussion are skipped.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from vartist.composer.errors import ComposerError
from vartist.pitch import Key
from vartist.userfiles import shown

MIDI_SUFFIXES = (".mid", ".midi")
MUSICXML_SUFFIXES = (".musicxml", ".xml", ".mxl")
DRUM_CHANNEL = 9
"""General MIDI percussion: channel 10, counted from zero as mido does."""
BEATS_PER_BAR = 4
"""The corpus is read in 4/4 bars, the only metre the composer writes."""
MIN_MELODY_NOTES = 4
"""A part with fewer notes than this cannot be a melody."""
MONOPHONY_NEEDED = 0.8
"""Share of a part's notes that must sound alone for it to count as a melody line."""

# Krumhansl & Kessler's key profiles (1982): how well each pitch class fits a major/minor key.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

FINAL_NOTE_WEIGHT = 0.1
"""Share of the piece's total note time added to the last melody note's pitch class when
estimating the key: enough to pick between relative keys (A minor / C major), too little to
outvote a piece that ends away from home."""

_TRIAD_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6)}
_NON_CHORD_TONE_PENALTY = 0.6
"""How much a sounding pitch outside a candidate triad counts against it, relative to a tone in
it: enough that C–E–G–A reads as C major, not A minor, while passing notes do not flip a bar."""
_ROOT_BONUS = 0.3
"""Extra weight of the root itself: a bass note on the root settles a triad's inversion."""


class StyleCorpusError(ComposerError):
    """A corpus file cannot be read, or holds no melody to learn from."""


@dataclass(frozen=True)
class CorpusNote:
    start: float
    """Beats from the start of the piece."""
    duration: float
    pitch: int


@dataclass(frozen=True)
class Piece:
    """One corpus file, read and analysed."""

    name: str
    melody: tuple[CorpusNote, ...]
    key: Key
    bar_chords: tuple[tuple[int, str] | None, ...]
    """One (root pitch class, quality 'maj'/'min'/'dim') per bar, None for a silent bar."""


def estimate_key(notes: Sequence[CorpusNote], final: CorpusNote | None = None) -> Key:
    """Krumhansl–Schmuckler's tonic, with the mode read from the third.

    The duration-weighted pitch-class histogram (the ``final`` melody note weighted up by
    :data:`FINAL_NOTE_WEIGHT`, since tunes end on their tonic) is correlated with the 24
    rotated key profiles. The best tonic is kept, but the mode comes from whether the minor or
    the major third above it sounds longer: a modal tune (Dorian, Mixolydian) sits between
    the two profiles and its third is what decides which of our two modes it writes in.
    """
    histogram = np.zeros(12)
    for note in notes:
        histogram[note.pitch % 12] += note.duration
    if not histogram.any():
        return Key(0, "major")
    if final is not None:
        histogram[final.pitch % 12] += FINAL_NOTE_WEIGHT * histogram.sum()
    best: tuple[float, int, str] = (-math.inf, 0, "major")
    for tonic in range(12):
        for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
            score = float(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1])
            if score > best[0]:
                best = (score, tonic, mode)
    _, tonic, mode = best
    minor_third, major_third = histogram[(tonic + 3) % 12], histogram[(tonic + 4) % 12]
    if minor_third != major_third:
        mode = "minor" if minor_third > major_third else "major"
    return Key(tonic, "minor" if mode == "minor" else "major")


def estimate_chord(weights: np.ndarray, key: Key) -> tuple[int, str] | None:
    """The triad on a degree of ``key`` that best explains a bar's pitch-class weights.

    Roots are restricted to the key's seven degrees because the composer names chords by
    roman numeral in the key; qualities may leave the key (a major IV in minor is Dorian's
    colour), so a modal corpus keeps its character.
    """
    if weights.sum() <= 0:
        return None
    best: tuple[float, tuple[int, str] | None] = (-math.inf, None)
    total = float(weights.sum())
    for root in key.scale:
        for quality, intervals in _TRIAD_INTERVALS.items():
            tones = [(root + i) % 12 for i in intervals]
            inside = float(weights[tones].sum())
            score = (
                inside - _NON_CHORD_TONE_PENALTY * (total - inside) + _ROOT_BONUS * weights[root]
            )
            if score > best[0]:
                best = (score, (root, quality))
    return best[1]


def _bar_chords(
    notes: Sequence[CorpusNote], key: Key, bars: int
) -> tuple[tuple[int, str] | None, ...]:
    weights = np.zeros((bars, 12))
    for note in notes:
        bar = int(note.start // BEATS_PER_BAR)
        if 0 <= bar < bars:
            weights[bar, note.pitch % 12] += note.duration
    return tuple(estimate_chord(weights[b], key) for b in range(bars))


def _monophonic_share(notes: Sequence[CorpusNote]) -> float:
    ordered = sorted(notes, key=lambda n: n.start)
    alone = sum(1 for a, b in itertools.pairwise(ordered) if b.start >= a.start + a.duration - 1e-6)
    return (alone + 1) / len(ordered)


def skyline(notes: Sequence[CorpusNote]) -> tuple[CorpusNote, ...]:
    """One note at a time: the highest of notes starting together, cut where the next begins."""
    by_start: dict[float, CorpusNote] = {}
    for note in notes:
        held = by_start.get(note.start)
        if held is None or note.pitch > held.pitch:
            by_start[note.start] = note
    ordered = [by_start[s] for s in sorted(by_start)]
    line = []
    for note, following in zip(ordered, [*ordered[1:], None], strict=True):
        end = note.start + note.duration
        if following is not None:
            end = min(end, following.start)
        line.append(CorpusNote(note.start, end - note.start, note.pitch))
    return tuple(n for n in line if n.duration > 1e-6)


def choose_melody(
    parts: dict[str, list[CorpusNote]], source: str
) -> tuple[tuple[CorpusNote, ...], list[CorpusNote]]:
    """The melody part (a name like 'melody'/'vocal' first, else the highest mostly
    monophonic part, else the highest part) and the notes of all the others."""
    usable = {name: notes for name, notes in parts.items() if len(notes) >= MIN_MELODY_NOTES}
    if not usable:
        raise StyleCorpusError(
            f"{source} has no melody: no pitched part with at least {MIN_MELODY_NOTES} notes "
            "(drum-only files and empty files cannot teach a style); remove it from the corpus"
        )

    def rank(name: str) -> tuple[bool, bool, float]:
        notes = usable[name]
        named = any(word in name.lower() for word in ("melody", "vocal", "voice", "lead", "sing"))
        mean_pitch = float(np.mean([n.pitch for n in notes]))
        return named, _monophonic_share(notes) >= MONOPHONY_NEEDED, mean_pitch

    chosen = max(usable, key=rank)
    others = [n for name, notes in parts.items() if name != chosen for n in notes]
    return skyline(usable[chosen]), others


def read_midi_parts(path: Path) -> dict[str, list[CorpusNote]]:
    try:
        midi = mido.MidiFile(path)
    except Exception as exc:
        # mido raises what its byte parser meets (EOFError, KeyError, IndexError, …) on a
        # damaged file; each means the user's file is bad
        raise StyleCorpusError(
            f"{shown(path)} is not a readable MIDI file ({type(exc).__name__}: {exc}); "
            "re-export it or remove it from the corpus"
        ) from None
    if midi.type == 2:
        raise StyleCorpusError(
            f"{shown(path)} is a type-2 MIDI file (independent patterns); export it as type 0 or 1"
        )
    per_beat = float(midi.ticks_per_beat)
    parts: dict[str, list[CorpusNote]] = defaultdict(list)
    for number, track in enumerate(midi.tracks):
        name = f"track {number}"
        now = 0
        sounding: dict[tuple[int, int], int] = {}
        for message in track:
            now += message.time
            if message.is_meta and message.type == "track_name" and message.name.strip():
                name = f"{message.name.strip()} ({number})"
            if message.type not in ("note_on", "note_off") or message.channel == DRUM_CHANNEL:
                continue
            slot = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                sounding[slot] = now
            elif slot in sounding:
                began = sounding.pop(slot)
                if now > began:
                    parts[f"{name} ch{message.channel + 1}"].append(
                        CorpusNote(began / per_beat, (now - began) / per_beat, message.note)
                    )
    return dict(parts)


def _musicxml_parts(path: Path) -> dict[str, list[CorpusNote]]:
    import music21  # imported on demand: it takes seconds

    try:
        parsed = music21.converter.parse(str(path), format="musicxml")
    except Exception as exc:
        # music21's readers raise whatever their XML, zip and stream code raise on a damaged
        # file (ParseError, BadZipFile, AttributeError, …); each means the user's file is bad
        raise StyleCorpusError(
            f"{shown(path)} is not readable MusicXML ({type(exc).__name__}: {exc}); "
            "re-export it or remove it from the corpus"
        ) from None
    parts: dict[str, list[CorpusNote]] = {}
    scores = parsed.parts if hasattr(parsed, "parts") else [parsed]
    for number, part in enumerate(scores):
        notes: list[CorpusNote] = []
        for element in part.flatten().notes:
            if isinstance(element, music21.note.Unpitched | music21.percussion.PercussionChord):
                continue
            start = float(element.getOffsetInHierarchy(part))
            duration = float(element.quarterLength)
            if duration <= 0:
                continue  # grace notes take no time
            for pitch in getattr(element, "pitches", ()):
                notes.append(CorpusNote(start, duration, int(pitch.midi)))
        parts[f"{part.partName or 'part'} ({number})"] = notes
    return parts


def read_piece(path: Path) -> Piece:
    """One corpus file as a :class:`Piece`; :class:`StyleCorpusError` names the file when it
    cannot be read or has no melody."""
    suffix = path.suffix.lower()
    parts = _musicxml_parts(path) if suffix in MUSICXML_SUFFIXES else read_midi_parts(path)
    melody, others = choose_melody(parts, shown(path))
    key = estimate_key([*melody, *others], melody[-1])
    bars = math.ceil(max(n.start + n.duration for n in melody) / BEATS_PER_BAR)
    chords = _bar_chords(others or list(melody), key, bars)
    return Piece(path.name, melody, key, chords)


def corpus_files(folder: Path) -> list[Path]:
    """The MIDI and MusicXML files in ``folder`` and below, sorted; an error when none."""
    if not folder.is_dir():
        raise StyleCorpusError(
            f"{shown(folder)} is not a folder; give the folder of MIDI/MusicXML files"
        )
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in (*MIDI_SUFFIXES, *MUSICXML_SUFFIXES)
    )
    if not files:
        raise StyleCorpusError(
            f"{shown(folder)} holds no MIDI (.mid, .midi) or MusicXML (.musicxml, .xml, .mxl) "
            "files; put the songs to learn from there"
        )
    return files
