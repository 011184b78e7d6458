"""Melody morphs: N loops that move step by step from one melody to another.

This is a principled symbolic interpolation, not a learned latent space: a corpus small
enough to learn from on a CPU in seconds cannot train an embedding whose midpoints sound like
melodies, while a grid interpolation is exact, explainable and needs no data. Both loops are
laid on a common sixteenth-note grid (the shorter one repeated to the longer's length), where a
loop is, at every step, the pitch it is sounding (a rest holds the last pitch, so the contour is
continuous) and whether a note starts there. The stated melodic distance between two loops is

    d(a, b) = mean over steps of |pitch_a - pitch_b| (semitones)
              + ONSET_WEIGHT × (share of steps where one loop starts a note and the other not)

Step k of N (t = k / (N - 1)) takes the pitch contour (1 - t)·a + t·b, rounded to the nearest
semitone of the key the two loops share, and flips the first round(t × D) of the D onset
differences (in a fixed order spread over the loop) from a's rhythm to b's. Both parts move
linearly in t, so each step's distance to its neighbours is about d(a, b) / (N - 1), and the
first and last loops are a and b themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt

from vartist.composer.errors import ComposerError
from vartist.composer.export import save_note_track
from vartist.composer.learned.corpus import (
    CorpusNote,
    StyleCorpusError,
    choose_melody,
    estimate_key,
    read_midi_parts,
)
from vartist.errors import StorageError, describe_os_error
from vartist.userfiles import shown

STEPS_PER_BEAT = 4
BEATS_PER_BAR = 4
ONSET_WEIGHT = 4.0
"""Semitones one full rhythm change weighs in the distance: changing where every note starts
matters about as much as moving the whole tune by a major third."""
MAX_STEPS = 64
"""Most loops one morph writes: past this, neighbours differ by less than a rounding step."""
TICKS_PER_BEAT = 480
DEFAULT_TEMPO = 120.0
"""Bpm of the loops when the first file states no tempo: the Standard MIDI File default."""


class MorphError(ComposerError):
    """The loops cannot be morphed (unreadable, no melody, bad step count)."""


@dataclass(frozen=True)
class GridLoop:
    """A monophonic loop on the sixteenth grid."""

    pitches: npt.NDArray[np.float64]
    """Pitch sounding (or last sounded) at each step."""
    onsets: npt.NDArray[np.bool_]
    """Whether a note starts at each step."""

    @property
    def steps(self) -> int:
        return int(self.pitches.size)


def melodic_distance(a: GridLoop, b: GridLoop) -> float:
    """The module's stated distance between two loops of the same length."""
    if a.steps != b.steps:
        raise ValueError("loops on different grids")
    contour = float(np.mean(np.abs(a.pitches - b.pitches)))
    rhythm = float(np.mean(a.onsets != b.onsets))
    return contour + ONSET_WEIGHT * rhythm


def to_grid(notes: Sequence[CorpusNote], steps: int) -> GridLoop:
    """``notes`` (beats) on a grid of ``steps`` sixteenths, repeated to fill it."""
    own_end = max(n.start + n.duration for n in notes)
    own_steps = max(1, int(np.ceil(own_end * STEPS_PER_BEAT / (BEATS_PER_BAR * STEPS_PER_BEAT))))
    own_steps *= BEATS_PER_BAR * STEPS_PER_BEAT
    pitches = np.full(own_steps, np.nan)
    onsets = np.zeros(own_steps, dtype=bool)
    for note in notes:
        first = round(note.start * STEPS_PER_BEAT)
        last = max(first + 1, round((note.start + note.duration) * STEPS_PER_BEAT))
        if first < own_steps:
            onsets[first] = True
            pitches[first : min(last, own_steps)] = note.pitch
    # a rest holds the pitch before it (the loop's last pitch before the first note)
    filled = pitches.copy()
    previous = pitches[~np.isnan(pitches)][-1]
    for i in range(own_steps):
        if np.isnan(filled[i]):
            filled[i] = previous
        previous = filled[i]
    repeats = int(np.ceil(steps / own_steps))
    return GridLoop(np.tile(filled, repeats)[:steps], np.tile(onsets, repeats)[:steps])


def _flip_order(count: int) -> npt.NDArray[np.int64]:
    """A fixed order over ``count`` onset differences that spreads the flips across the loop
    instead of changing its first bar first: stepping by the largest stride up to half the
    count that is coprime with it visits every difference once, far apart."""
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    stride = next(s for s in range(count // 2 + 1, 0, -1) if math.gcd(s, count) == 1)
    return (np.arange(count, dtype=np.int64) * stride) % count


def interpolate(a: GridLoop, b: GridLoop, count: int, scale: Sequence[int]) -> list[GridLoop]:
    """``count`` loops from ``a`` to ``b`` (both included); in-between pitches are rounded to
    the nearest pitch class of ``scale``."""
    differing = np.flatnonzero(a.onsets != b.onsets)
    order = differing[_flip_order(differing.size)]
    allowed = np.array(sorted(set(scale)))
    loops = []
    for k in range(count):
        t = k / (count - 1)
        if k == 0 or k == count - 1:
            loops.append(a if k == 0 else b)
            continue
        contour = (1 - t) * a.pitches + t * b.pitches
        candidates = np.floor(contour)[:, None] + np.arange(-2, 4)[None, :]
        in_scale = np.isin(candidates % 12, allowed)
        gap = np.where(in_scale, np.abs(candidates - contour[:, None]), np.inf)
        pitches = candidates[np.arange(contour.size), np.argmin(gap, axis=1)]
        onsets = a.onsets.copy()
        flips = order[: round(t * differing.size)]
        onsets[flips] = b.onsets[flips]
        if not onsets.any():
            onsets[0] = True
        loops.append(GridLoop(pitches, onsets))
    return loops


def grid_notes(loop: GridLoop) -> list[CorpusNote]:
    """The loop as notes: each onset holds its pitch until the next onset (or the pitch
    changes, which then starts a new note)."""
    notes: list[CorpusNote] = []
    start: int | None = None
    for i in range(loop.steps + 1):
        begins = i < loop.steps and (
            loop.onsets[i] or (start is not None and loop.pitches[i] != loop.pitches[start])
        )
        if start is not None and (i == loop.steps or begins):
            notes.append(
                CorpusNote(
                    start / STEPS_PER_BEAT, (i - start) / STEPS_PER_BEAT, int(loop.pitches[start])
                )
            )
            start = None
        if begins:
            start = i
    return notes


def _read_loop(path: Path) -> tuple[list[CorpusNote], float]:
    if not path.is_file():
        raise MorphError(f"{shown(path)} does not exist; give a MIDI file")
    try:
        parts = read_midi_parts(path)
        melody, _ = choose_melody(parts, shown(path))
    except StyleCorpusError as exc:
        raise MorphError(str(exc)) from None
    tempo = DEFAULT_TEMPO
    for message in mido.MidiFile(path).tracks[0]:
        if message.type == "set_tempo":
            tempo = mido.tempo2bpm(message.tempo)
            break
    return list(melody), tempo


def write_loop(notes: Sequence[CorpusNote], tempo: float, path: Path) -> None:
    header = [mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0)]
    timed = [
        (
            round(note.start * TICKS_PER_BEAT),
            round((note.start + note.duration) * TICKS_PER_BEAT),
            note.pitch,
            90,
        )
        for note in notes
    ]
    save_note_track(path, header, timed, TICKS_PER_BEAT)


def morph_files(first: Path, second: Path, count: int, out_dir: Path) -> list[Path]:
    """Write ``count`` loops ``morph_01.mid`` … from ``first`` to ``second`` into ``out_dir``."""
    if not 2 <= count <= MAX_STEPS:
        raise MorphError(f"--steps {count} is out of range; ask for 2 to {MAX_STEPS} loops")
    a_notes, tempo = _read_loop(first)
    b_notes, _ = _read_loop(second)
    bar = BEATS_PER_BAR * STEPS_PER_BEAT
    length = max(
        int(np.ceil(max(n.start + n.duration for n in notes) * STEPS_PER_BEAT / bar)) * bar
        for notes in (a_notes, b_notes)
    )
    key = estimate_key([*a_notes, *b_notes])
    loops = interpolate(to_grid(a_notes, length), to_grid(b_notes, length), count, key.scale)
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for index, loop in enumerate(loops, start=1):
            path = out_dir / f"morph_{index:02d}.mid"
            write_loop(grid_notes(loop), tempo, path)
            written.append(path)
    except OSError as exc:
        raise StorageError(
            f"cannot write the loops into {shown(out_dir)}: {describe_os_error(exc)}"
        ) from None
    return written
