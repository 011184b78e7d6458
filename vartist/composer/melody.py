"""The vocal line: rhythm fitted to the lyric's stresses, then pitches fitted to the harmony.

Both steps are small dynamic programmes. The rhythm search places each syllable of a line
on a grid so that stressed syllables land on beats; the pitch search walks a phrase through
the candidate pitches (scale and chord tones inside the singer's comfortable range) for the
cheapest path under costs for harmony, contour and motion.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from vartist.composer.score import Chord, SyllableRef, VocalNote, chord_index_at
from vartist.composer.styles import Role, StyleModel
from vartist.composer.theory import chord_tones
from vartist.lyrics.types import Line, Section
from vartist.pitch import Key

STEPS_PER_BEAT = 4
"""The rhythm search works on sixteenth notes; the eighth-note grid uses every other step."""
BEATS_PER_BAR = 4
MAX_NOTE_STEPS = 16
"""No syllable inside a phrase is held longer than a bar."""
SHORT_PHRASE_SYLLABLES = 10
"""Lines up to this many syllables get a two-bar phrase, longer ones four bars."""
SHORT_PHRASE_STRESSES = 6
"""A two-bar phrase has room for this many stressed syllables on its beats, not more."""
MIN_FINAL_HOLD = 1.0
"""Beats the last syllable of a phrase is held at least."""
MAX_FINAL_HOLD = 3.0
MIN_BREATH = 0.5
"""Beats of rest at least between phrases, for breathing."""
PREFERRED_BREATH = 1.0

_INF = math.inf
FloatArray = npt.NDArray[np.float64]


# --- rhythm ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RhythmFeel:
    """What the rhythm search pays for each note length, in sixteenths 1..16.

    One feel is drawn per song from the style's pace, so every line of a song shares it and
    lines with the same stress pattern get the same rhythm.
    """

    stressed: tuple[float, ...]
    """Cost of holding a stressed syllable for 1..16 sixteenths."""
    unstressed: tuple[float, ...]


# Singable pop rhythm: stressed syllables like quarters and dotted quarters, unstressed ones
# like eighths; sixteenths and odd lengths are a last resort. Keys are lengths in beats.
_STRESSED_LENGTH_COST = {
    0.25: 2.2,
    0.5: 0.35,
    0.75: 1.4,
    1.0: 0.0,
    1.5: 0.25,
    2.0: 0.55,
    3.0: 1.3,
    4.0: 1.7,
}
_UNSTRESSED_LENGTH_COST = {
    0.25: 1.7,
    0.5: 0.0,
    0.75: 1.4,
    1.0: 0.3,
    1.5: 0.75,
    2.0: 1.1,
    3.0: 2.0,
    4.0: 2.5,
}


def _base_length_cost(beats: float, stressed: bool) -> float:
    table = _STRESSED_LENGTH_COST if stressed else _UNSTRESSED_LENGTH_COST
    return table.get(beats, 1.6 + 0.3 * beats)


def rhythm_feel(style: StyleModel, rng: np.random.Generator) -> RhythmFeel:
    """A feel for one song: the style's pace plus a little per-song character."""
    lengths = np.arange(1, MAX_NOTE_STEPS + 1) / STEPS_PER_BEAT
    # pace above 1 makes short notes dearer and long ones cheaper (ballads), below 1 the reverse
    tilt = 1.2 * (style.vocal_pace - 1.0) * np.clip(1.0 - lengths, -2.0, 1.0)
    stressed = np.array([_base_length_cost(b, True) for b in lengths]) + tilt
    unstressed = np.array([_base_length_cost(b, False) for b in lengths]) + tilt
    stressed += rng.normal(0.0, 0.12, lengths.size)
    unstressed += rng.normal(0.0, 0.12, lengths.size)
    return RhythmFeel(tuple(np.round(stressed, 6)), tuple(np.round(unstressed, 6)))


DEFAULT_FEEL = RhythmFeel(
    tuple(_base_length_cost((i + 1) / STEPS_PER_BEAT, True) for i in range(MAX_NOTE_STEPS)),
    tuple(_base_length_cost((i + 1) / STEPS_PER_BEAT, False) for i in range(MAX_NOTE_STEPS)),
)
"""The feel without per-song variation, for callers that have no style."""


@dataclass(frozen=True)
class PhraseRhythm:
    """Where the syllables of one lyric line sit within its phrase."""

    bars: int
    onsets: tuple[float, ...]
    """Beats from the phrase start, one per syllable."""
    durations: tuple[float, ...]
    grid: float
    """0.5 for eighth notes, 0.25 when the line was too dense for eighths."""
    stresses_off_beat: int

    @property
    def beats(self) -> float:
        return float(self.bars * BEATS_PER_BAR)


def phrase_bars(stresses: Sequence[int]) -> int:
    """2 bars for lines of up to 10 syllables, 4 for longer lines or lines with more
    stressed syllables than two bars have beats to give them."""
    stressed = sum(1 for s in stresses if s > 0)
    if len(stresses) > SHORT_PHRASE_SYLLABLES or stressed > SHORT_PHRASE_STRESSES:
        return 4
    return 2


@lru_cache(maxsize=64)
def _transition_costs(slots: int, feel: RhythmFeel) -> tuple[FloatArray, FloatArray]:
    """Cost of going from an onset at slot q to the next at slot p, for a stressed and an
    unstressed syllable at q: ``[q, p]`` matrices, infinite where p is not after q."""
    gap = np.arange(slots)[None, :] - np.arange(slots)[:, None]
    valid = (gap >= 1) & (gap <= MAX_NOTE_STEPS)
    index = np.clip(gap - 1, 0, MAX_NOTE_STEPS - 1)
    matrices = []
    for table in (feel.stressed, feel.unstressed):
        costs = np.asarray(table)[index]
        matrices.append(np.where(valid, costs, _INF))
    return matrices[0], matrices[1]


def _placement_costs(stresses: Sequence[int], slots: int, grid_steps: int) -> FloatArray:
    """``[syllable, slot]`` cost of putting each syllable's onset on each slot."""
    position = np.arange(slots)
    beat = position / STEPS_PER_BEAT
    on_beat = position % STEPS_PER_BEAT == 0
    beat_in_bar = (position // STEPS_PER_BEAT) % BEATS_PER_BAR
    strong = on_beat & ((beat_in_bar == 0) | (beat_in_bar == 2))

    stressed_cost = np.where(on_beat, 0.0, 10.0) - np.where(strong, 0.4, 0.0)
    secondary_cost = np.where(on_beat, 0.0, 6.0)
    unstressed_cost = np.where(
        on_beat, np.select([beat_in_bar == 0, beat_in_bar == 2], [1.2, 0.6], 0.25), 0.0
    )
    off_eighth = np.where(position % 2 == 1, 0.9, 0.0)
    off_grid = np.where(position % grid_steps == 0, 0.0, _INF)

    n = len(stresses)
    costs = np.empty((n, slots))
    for i, stress in enumerate(stresses):
        row = stressed_cost if stress == 1 else secondary_cost if stress > 1 else unstressed_cost
        costs[i] = row + off_eighth + off_grid
    # start soon after the phrase begins; end in the phrase's last bar, leaving time to hold
    # the last syllable and breathe
    costs[0] += 0.6 * beat
    last_allowed = slots - int((MIN_FINAL_HOLD + MIN_BREATH) * STEPS_PER_BEAT)
    final_bar_start = slots - BEATS_PER_BAR * STEPS_PER_BEAT
    costs[-1] += 1.0 * np.maximum(0, final_bar_start - position) / STEPS_PER_BEAT
    # the last syllable should ring: a hold shorter than two beats costs
    phrase_beats = slots / STEPS_PER_BEAT
    hold = np.clip(phrase_beats - PREFERRED_BREATH - beat, MIN_FINAL_HOLD, MAX_FINAL_HOLD)
    costs[-1] += 0.5 * np.maximum(0.0, 2.0 - hold)
    costs[-1, last_allowed + 1 :] = _INF
    return costs


@lru_cache(maxsize=1024)
def _search_rhythm(
    stresses: tuple[int, ...], bars: int, grid_steps: int, feel: RhythmFeel
) -> tuple[tuple[int, ...], float] | None:
    """Viterbi search for onset slots; None when the syllables do not fit."""
    slots = bars * BEATS_PER_BAR * STEPS_PER_BEAT
    placement = _placement_costs(stresses, slots, grid_steps)
    after_stressed, after_unstressed = _transition_costs(slots, feel)
    n = len(stresses)
    total = placement[0].copy()
    back = np.zeros((n, slots), dtype=np.intp)
    for i in range(1, n):
        transition = after_stressed if stresses[i - 1] > 0 else after_unstressed
        candidates = total[:, None] + transition
        back[i] = np.argmin(candidates, axis=0)
        total = candidates[back[i], np.arange(slots)] + placement[i]
    end = int(np.argmin(total))
    if not math.isfinite(total[end]):
        return None
    path = [end]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return tuple(reversed(path)), float(total[end])


def fit_melody_to_syllables(
    stresses: Sequence[int], feel: RhythmFeel = DEFAULT_FEEL, bars: int | None = None
) -> PhraseRhythm:
    """Place one line's syllables (given by their stresses) in a phrase.

    Syllables sit on an eighth-note grid chosen by dynamic programming so that stressed
    syllables fall on beats; the line falls back to sixteenths only when that puts more
    stresses on beats. The last syllable is held at least a beat and the phrase leaves at
    least half a beat of breath before the next one.
    """
    stress_key = tuple(int(s) for s in stresses)
    if not stress_key:
        raise ValueError("a phrase needs at least one syllable")
    bars = bars or phrase_bars(stress_key)
    best: tuple[tuple[int, ...], int, int] | None = None
    for grid_steps in (2, 1):
        found = _search_rhythm(stress_key, bars, grid_steps, feel)
        if found is None:
            continue
        slots, _ = found
        off_beat = sum(1 for s, p in zip(stress_key, slots, strict=True) if s > 0 and p % 4)
        if best is None or off_beat < best[2]:
            best = (slots, grid_steps, off_beat)
        if off_beat == 0:
            break
    if best is None:
        raise ValueError(f"{len(stress_key)} syllables do not fit in {bars} bars")
    slots, grid_steps, off_beat = best
    onsets = tuple(p / STEPS_PER_BEAT for p in slots)
    phrase_end = bars * BEATS_PER_BAR
    last = onsets[-1]
    final_end = min(
        max(phrase_end - PREFERRED_BREATH, last + MIN_FINAL_HOLD), last + MAX_FINAL_HOLD
    )
    final_end = min(final_end, phrase_end - MIN_BREATH)
    durations = (*(b - a for a, b in itertools.pairwise(onsets)), final_end - last)
    return PhraseRhythm(bars, onsets, durations, grid_steps / STEPS_PER_BEAT, off_beat)


# --- pitch -----------------------------------------------------------------------------------

_REGISTER_BY_ROLE: dict[str, tuple[float, float]] = {
    # (centre as a fraction of the comfortable range, arc height in semitones)
    "verse": (0.3, 3.0),
    "pre-chorus": (0.42, 3.5),
    "chorus": (0.55, 4.5),
    "bridge": (0.5, 4.0),
    "intro": (0.35, 3.0),
    "outro": (0.35, 3.0),
}
_INTERVAL_COST = np.array([0.6, 0.0, 0.0, 0.5, 0.7, 1.4, 3.0, 1.6, 2.6, 2.8, 3.5, 4.0, 3.0])
"""Cost of a melodic interval of 0..12 semitones: steps are free, leaps cost more, and
nothing wider than an octave."""
_MELISMA_INTERVAL_COST = np.array(
    [_INF, 0.0, 0.0, 1.0, 1.0, 4.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0]
)
_STABLE_DEGREES = (0, 2, 4)
"""Tonic, third and fifth of the key: where phrases come to rest."""


def comfortable_range(midi_range: tuple[int, int]) -> tuple[int, int]:
    """The middle of a singer's range: up to three semitones off each end, keeping at least
    an octave (the persona schema guarantees the range spans one)."""
    low, high = midi_range
    margin = max(0, min(3, (high - low - 12) // 2))
    return low + margin, high - margin


@dataclass(frozen=True)
class _PlannedNote:
    start: float
    duration: float
    ref: tuple[int, int, int]
    """(line, word, syllable) within the section."""
    melisma: bool
    phrase_end: bool


@dataclass(frozen=True)
class PlacedPhrase:
    """A lyric line placed in its section: which line, where it starts and its rhythm."""

    line: int
    start: float
    """Beats from the section start."""
    rhythm: PhraseRhythm


def syllable_refs(line: Line) -> list[tuple[int, int]]:
    """(word, syllable) of each syllable of a line, in sung order."""
    return [(w, s) for w, word in enumerate(line.words) for s in range(len(word.syllables))]


def _split_phrase_notes(
    phrase: PlacedPhrase, line: Line, melisma_rate: float, rng: np.random.Generator
) -> list[_PlannedNote]:
    refs = syllable_refs(line)
    rhythm = phrase.rhythm
    notes = [
        _PlannedNote(phrase.start + onset, duration, (phrase.line, *ref), False, False)
        for onset, duration, ref in zip(rhythm.onsets, rhythm.durations, refs, strict=True)
    ]
    last = notes[-1]
    if last.duration >= 1.5 and rng.random() < melisma_rate:
        first_part = max(0.5, math.floor(last.duration / 2 / 0.5) * 0.5)
        notes[-1] = _PlannedNote(last.start, first_part, last.ref, False, False)
        notes.append(
            _PlannedNote(last.start + first_part, last.duration - first_part, last.ref, True, True)
        )
    else:
        notes[-1] = _PlannedNote(last.start, last.duration, last.ref, False, True)
    return notes


def _chord_at(chords: Sequence[Chord], starts: Sequence[float], beat: float) -> Chord:
    return chords[chord_index_at(starts, beat)]


def _arc(t: FloatArray, peak: float) -> FloatArray:
    """0 at both ends of the phrase, 1 at ``peak`` (a fraction of it): rise then fall."""
    exponent = math.log(0.5) / math.log(peak)
    return np.sin(np.pi * np.clip(t, 0.0, 1.0) ** exponent)


def _choose_pitches(
    notes: Sequence[_PlannedNote],
    chords: Sequence[Chord],
    chord_starts: Sequence[float],
    key: Key,
    pitches: npt.NDArray[np.int64],
    centre: float,
    height: float,
    peak: float,
    section_end: bool,
    rng: np.random.Generator,
) -> list[int]:
    """Viterbi over candidate pitches for one phrase."""
    pitch_classes = pitches % 12
    in_scale = np.isin(pitch_classes, key.scale)
    stable = np.isin(pitch_classes, [key.scale[d] for d in _STABLE_DEGREES])
    starts = np.array([n.start for n in notes])
    span = max(starts[-1] - starts[0], 1e-9)
    targets = centre + height * _arc((starts - starts[0]) / span, peak)

    count = len(notes)
    unary = np.empty((count, pitches.size))
    noise = rng.normal(0.0, 0.5, (count, pitches.size))
    for i, note in enumerate(notes):
        chord = _chord_at(chords, chord_starts, note.start + 1e-9)
        in_chord = np.isin(pitch_classes, chord_tones(chord))
        on_beat = abs(note.start - round(note.start)) < 1e-9
        strong = on_beat and round(note.start) % 2 == 0
        outside_chord = 4.0 if strong else 1.5 if on_beat else 0.4
        if note.duration >= 1.5:
            outside_chord += 3.0
        cost = 0.3 * np.abs(pitches - targets[i]) + np.where(in_chord, 0.0, outside_chord)
        allowed = in_scale | in_chord
        if note.phrase_end:
            resting = allowed & stable & in_chord
            allowed = resting if resting.any() else allowed & stable
            if section_end and i == count - 1:
                allowed = pitch_classes == key.tonic
        unary[i] = np.where(allowed, cost + noise[i], _INF)

    interval = np.abs(pitches[:, None] - pitches[None, :])
    leap_ok = interval <= 12
    steps = np.where(leap_ok, _INTERVAL_COST[np.minimum(interval, 12)], _INF)
    melisma_steps = np.where(leap_ok, _MELISMA_INTERVAL_COST[np.minimum(interval, 12)], _INF)

    total = unary[0].copy()
    back = np.zeros((count, pitches.size), dtype=np.intp)
    for i in range(1, count):
        moves = melisma_steps if notes[i].melisma else steps
        candidates = total[:, None] + moves
        back[i] = np.argmin(candidates, axis=0)
        total = candidates[back[i], np.arange(pitches.size)] + unary[i]
    path = [int(np.argmin(total))]
    for i in range(count - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return [int(pitches[j]) for j in reversed(path)]


def write_section_melody(
    section: Section,
    phrases: Sequence[PlacedPhrase],
    chords: Sequence[Chord],
    key: Key,
    comfortable: tuple[int, int],
    role: Role,
    style: StyleModel,
    rng: np.random.Generator,
) -> tuple[VocalNote, ...]:
    """Pitches for one lyric section, times relative to its start.

    ``chords`` are the section's chords relative to its start. The result depends only on
    its arguments, so a repeated section with the same lyrics, chords and ``rng`` seed sings
    exactly the same melody. Every syllable ref's ``section`` is 0; the caller sets it.
    """
    if not phrases:
        return ()
    low, high = comfortable
    pitches = np.arange(low, high + 1, dtype=np.int64)
    fraction, height = _REGISTER_BY_ROLE.get(role, (0.4, 3.0))
    span = high - low
    chord_starts = [c.start for c in chords]
    notes: list[VocalNote] = []
    for index, phrase in enumerate(phrases):
        planned = _split_phrase_notes(phrase, section.lines[phrase.line], style.melisma_rate, rng)
        is_last = index == len(phrases) - 1
        phrase_height = height + rng.uniform(-1.0, 1.0)
        offset = float(rng.integers(-2, 3)) - (1.5 if is_last else 0.0)
        centre = float(np.clip(low + fraction * span + offset, low + 1, high - phrase_height - 1))
        peak = float(rng.uniform(0.35, 0.65))
        chosen = _choose_pitches(
            planned, chords, chord_starts, key, pitches, centre, phrase_height, peak, is_last, rng
        )
        for note, pitch in zip(planned, chosen, strict=True):
            line, word, syllable = note.ref
            notes.append(
                VocalNote(
                    note.start,
                    note.duration,
                    pitch,
                    SyllableRef(0, line, word, syllable),
                    note.melisma,
                )
            )
    return tuple(notes)
