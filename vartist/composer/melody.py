"""The vocal line: rhythm fitted to the lyric's stresses, then pitches fitted to the harmony.

Both steps are small dynamic programmes. The rhythm search places each syllable of a line
on a grid so that stressed syllables land on beats; the pitch search walks a phrase through
the candidate pitches (scale and chord tones inside the song's sung range) for the cheapest
path under costs for harmony, contour and motion.

Each section role has a *tune* drawn from its seed alone: per phrase position a rhythm
template from the style's cells (dotted, syncopated and held figures included), an optional
push (an anticipated stress), a contour and slot-by-slot pitch preferences. The words are
fitted to the tune. A later section of a role then sings the notes the first one sang: its
lines are aligned syllable by syllable to the first section's by their stresses, and the
pitch search holds each interval. A chorus opens every other line with a hook, one rhythm and
one shape in scale steps, and every line's highest note is moved onto a stressed syllable.
In a swung style the finished line swings with the band (:func:`swing_vocal`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

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
SHORT_ENDING_COST = 1.2
"""Cost per beat a line's last syllable is held short of two beats: a held line end is what
makes a line sung rather than spoken, and worth an eighth-note squeeze earlier in the line."""
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
class RhythmGuide:
    """What a section's tune asks of a line's rhythm, on top of the lyric's stresses.

    Lines of sections that share a role share a guide, so a second verse falls on the first
    one's rhythm wherever its syllables allow, and chorus lines open on the same hook.
    """

    template: frozenset[int]
    """Sixteenth slots of the phrase where the tune has an onset."""
    anchors: tuple[tuple[int, int], ...] = ()
    """(syllable, slot) pairs of the hook: syllable ``i`` wants to start on ``slot``."""
    push: int | None = None
    """An off-beat slot where a stressed syllable may come an eighth early and ring across
    the beat (an anticipation, the commonest syncopation in song)."""


TEMPLATE_MISS_COST = 1.6
"""Cost of an onset where the tune's rhythm template has none: above the gap between an
eighth and a dotted length in the feel tables, so the template's dotted and held cells win,
and far below the cost of a stress off the beat, so the lyric's stresses always come first."""
PUSHED_STRESS_COST = -0.6
"""Cost of a stressed syllable on the tune's push slot: a small reward, so the line takes
the anticipation wherever its syllables allow."""
PUSH_TIE_COST = 4.0
"""Cost of an onset on the beat right after a push, which would cut the pushed note short
of the beat and undo the syncopation."""
HOOK_ANCHOR_BONUS = 2.5
"""Reward for a hook syllable on its hook slot: more than an unstressed syllable on a
downbeat costs, so any line whose stresses allow it opens with the hook rhythm."""


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
    feel: RhythmFeel = DEFAULT_FEEL
    """The feel the rhythm was fitted with, so the melody can refit it to the tune."""

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


def _placement_costs(
    stresses: Sequence[int], slots: int, grid_steps: int, guide: RhythmGuide | None = None
) -> FloatArray:
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
    costs[-1] += SHORT_ENDING_COST * np.maximum(0.0, 2.0 - hold)
    costs[-1, last_allowed + 1 :] = _INF
    if guide is not None:
        on_template = np.isin(position, np.fromiter(guide.template, np.int64))
        costs[:-1] += np.where(on_template, 0.0, TEMPLATE_MISS_COST)
        if guide.push is not None and guide.push + 2 < slots:
            for i, stress in enumerate(stresses):
                if stress == 1:
                    costs[i, guide.push] = PUSHED_STRESS_COST + off_eighth[guide.push]
            costs[:, guide.push + 2] += PUSH_TIE_COST
        for syllable, slot in guide.anchors:
            if syllable < n - 1 and slot < slots:
                costs[syllable, slot] -= HOOK_ANCHOR_BONUS
    return costs


@lru_cache(maxsize=1024)
def _search_rhythm(
    stresses: tuple[int, ...],
    bars: int,
    grid_steps: int,
    feel: RhythmFeel,
    guide: RhythmGuide | None = None,
) -> tuple[tuple[int, ...], float] | None:
    """Viterbi search for onset slots; None when the syllables do not fit."""
    slots = bars * BEATS_PER_BAR * STEPS_PER_BEAT
    placement = _placement_costs(stresses, slots, grid_steps, guide)
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
    stresses: Sequence[int],
    feel: RhythmFeel = DEFAULT_FEEL,
    bars: int | None = None,
    guide: RhythmGuide | None = None,
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
        found = _search_rhythm(stress_key, bars, grid_steps, feel, guide)
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
    return PhraseRhythm(bars, onsets, durations, grid_steps / STEPS_PER_BEAT, off_beat, feel)


# --- pitch -----------------------------------------------------------------------------------

_REGISTER_BY_ROLE: dict[str, tuple[float, float]] = {
    # (centre as a fraction of the sung range, arc height in semitones)
    "verse": (0.25, 3.0),
    "pre-chorus": (0.4, 3.5),
    "chorus": (0.6, 4.5),
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


class MelodyBias(Protocol):
    """Extra costs a style model adds to the pitch search (a learned corpus style, say)."""

    def note_costs(self, pitches: npt.NDArray[np.int64], chord: Chord, beat: float) -> FloatArray:
        """Cost of each candidate pitch for a note at ``beat`` (from the section start, which
        is a bar line) over ``chord``."""
        ...

    def interval_costs(self, intervals: npt.NDArray[np.int64]) -> FloatArray:
        """Cost of each signed melodic interval (semitones, later minus earlier)."""
        ...


TUNE_SLOTS = 4 * BEATS_PER_BAR * STEPS_PER_BEAT
"""Sixteenth slots of the longest phrase (four bars): the tune's noise covers every one, so a
syllable on a given slot meets the same preferences in every section of the role."""
HOOK_NOTES = 4
"""Notes in a chorus hook: the first syllables of every other chorus line."""
HOOK_CELLS: tuple[tuple[int, ...], ...] = (
    (0, 4, 8, 12),
    (0, 4, 8, 16),
    (0, 8, 12, 16),
    (4, 8, 12, 16),
)
"""Hook rhythms as sixteenth slots of the phrase: all on beats, so a line's stresses never
rule the hook out, with different note lengths so hooks of different songs differ."""
HOOK_MIN_SYLLABLES = HOOK_NOTES + 1
"""A line needs this many syllables to carry the hook and still finish its own phrase."""
HOOK_STILL_COST = 5.0
"""Cost of a repeated pitch inside the hook's first rendition: a hook moves, even off a chord
tone on a strong beat (which costs 4)."""
HOOK_BREAK_COST = 20.0
"""Cost of leaving the hook's interval (in scale steps) in a repeat of the hook: dearer than
a leap, notes off the chord on strong beats and the pull of the tune together, so the hook
is only bent where the harmony forbids every transposition of it."""
TUNE_PULL = 1.0
"""Cost per semitone of leaving the role's tune at a syllable's slot: strong enough that two
verses with syllables on the same slots sing the same notes, weak enough to bend for the
harmony, the phrase's arc and its ending."""
PEAK_RETRIES = 3
"""Times the pitch search is rerun to move a line's highest note off an unstressed syllable."""
_HOOK_ROLES = frozenset({"chorus"})


def scale_steps(pitches: npt.NDArray[np.int64], key: Key) -> npt.NDArray[np.int64]:
    """Each pitch counted in steps of the key's scale from the tonic below MIDI 0 (a pitch off
    the scale counts as the scale note under it), so a motif moved up the scale keeps its
    numbers."""
    scale = sorted((pc - key.tonic) % 12 for pc in key.scale)
    relative = pitches - key.tonic
    octave, within = np.divmod(relative, 12)
    index = np.searchsorted(np.asarray(scale), within, side="right") - 1
    return (octave * len(scale) + index).astype(np.int64)


SWING_RESOLUTION = 1 / 128
"""Beats a swing delay is rounded to. A binary fraction, so every swung time is exact in
floating point and a repeated section's onsets, less its start, compare equal (a delay of 0.1
beat would make 97.6 - 96.0 differ from 49.6 - 48.0 in the last bit)."""


def swung_beat(beat: float, swing: float) -> float:
    """``beat`` in a style that swings by ``swing`` beats: off-beat eighths fall that much
    late (to :data:`SWING_RESOLUTION`), every other position stays on the grid. The band and
    the voice share it, so a sung off-beat lands with the hi-hat."""
    if abs(beat % 1.0 - 0.5) >= 1e-9:
        return beat
    return beat + round(swing / SWING_RESOLUTION) * SWING_RESOLUTION


def swing_vocal(notes: Sequence[VocalNote], swing: float) -> tuple[VocalNote, ...]:
    """The vocal line (in time order) played with the style's swing: every onset and release
    on an off-beat eighth moves late as the band's do, so notes that touched still touch. A
    release before a rest moves only as far as keeps :data:`MIN_BREATH` before the next
    phrase (or the breath it already had, if shorter)."""
    if swing == 0.0:
        return tuple(notes)
    swung: list[VocalNote] = []
    for index, note in enumerate(notes):
        start, end = swung_beat(note.start, swing), swung_beat(note.end, swing)
        following = notes[index + 1] if index + 1 < len(notes) else None
        if following is not None and following.start > note.end + 1e-9:
            breath = min(MIN_BREATH, following.start - note.end)
            end = max(note.end, min(end, swung_beat(following.start, swing) - breath))
        swung.append(replace(note, start=start, duration=end - start))
    return tuple(swung)


COMFORT_MARGIN = 1
"""Semitones kept off each end of a singer's range: the very edge strains, the rest of the
range is the singer's to use, and songs of different energy sit in different parts of it."""


def comfortable_range(midi_range: tuple[int, int]) -> tuple[int, int]:
    """A singer's range less :data:`COMFORT_MARGIN` off each end, keeping at least an octave
    (the persona schema guarantees the range spans one)."""
    low, high = midi_range
    margin = max(0, min(COMFORT_MARGIN, (high - low - 12) // 2))
    return low + margin, high - margin


SUNG_SPAN_STILL = 12
"""Semitones a still song (energy 0) sings across: an octave, in the lower middle."""
SUNG_SPAN_PER_ENERGY = 1
"""Extra semitones a driving song (energy 1) spreads over; energy mostly moves the window."""
SUNG_POSITION_LOW, SUNG_POSITION_HIGH = 0.1, 0.9
"""Where in the room the singer's range leaves, the window of a still and of a driving
song sits (0 at the bottom of the range, 1 at the top)."""
SUNG_POSITION_SPREAD = 0.12
"""How far (as a share of the room left) the seed moves the window, so songs of one energy
still sit in different places."""


def sung_range(
    midi_range: tuple[int, int], energy: float, rng: np.random.Generator
) -> tuple[int, int]:
    """The part of the singer's whole range one song uses: wider and higher the more energy
    the song has, placed by the seed within what that energy allows."""
    energy = float(np.clip(energy, 0.0, 1.0))
    low, high = midi_range
    span = high - low
    width = min(span, round(SUNG_SPAN_STILL + SUNG_SPAN_PER_ENERGY * energy))
    room = span - width
    centre = SUNG_POSITION_LOW + (SUNG_POSITION_HIGH - SUNG_POSITION_LOW) * energy
    position = float(np.clip(centre + rng.uniform(-1, 1) * SUNG_POSITION_SPREAD, 0.0, 1.0))
    bottom = low + round(room * position)
    return bottom, bottom + width


@dataclass(frozen=True)
class _PlannedNote:
    start: float
    duration: float
    ref: tuple[int, int, int]
    """(line, word, syllable) within the section."""
    melisma: bool
    phrase_end: bool
    stressed: bool = False


@dataclass(frozen=True)
class PlacedPhrase:
    """A lyric line placed in its section: which line, where it starts and its rhythm."""

    line: int
    start: float
    """Beats from the section start."""
    rhythm: PhraseRhythm


@dataclass(frozen=True)
class _PhraseTune:
    """What a role's tune holds for one phrase position, whatever words it carries."""

    height: float
    offset: float
    peak: float
    melisma_draw: float
    noise: FloatArray
    """``[slot, pitch]`` preferences: the same slot gets the same noise in every section."""
    template: frozenset[int]
    push: int | None


@dataclass(frozen=True)
class TuneNote:
    """One note of a line as the first section of a role sang it."""

    pitch: int
    stressed: bool
    melisma: bool


SungTune = tuple[tuple[TuneNote, ...], ...]
"""Per phrase position, the notes the first section of a role sang: the tune a later section
of the role sings again to its own words."""


def sung_tune(section: Section, notes: Sequence[VocalNote]) -> SungTune:
    """The tune of ``notes`` (a section's melody, as written for ``section``) line by line."""
    by_line: dict[int, list[TuneNote]] = {}
    for note in notes:
        ref = note.syllable
        stress = section.lines[ref.line].words[ref.word].syllables[ref.syllable].stress
        by_line.setdefault(ref.line, []).append(TuneNote(note.pitch, stress > 0, note.melisma))
    return tuple(tuple(by_line[line]) for line in sorted(by_line))


ALIGN_GAP_COST = 1.0
"""Cost of a syllable the earlier line has no note for, or of a note it had that the new line
leaves out."""
ALIGN_REPEAT_GAP_COST = 0.5
"""Cost of leaving out an earlier note that repeated the pitch before it: that loses one
interval of the tune (a repeat), where leaving out any other note loses two."""
ALIGN_MISMATCH_COST = 0.6
"""Cost of pairing a stressed syllable with an unstressed one (or a melisma with a syllable):
under two gaps, so a line of the same length takes the tune note for note."""
TUNE_REPEAT_BREAK_COST = 12.0
"""Cost of leaving the earlier section's interval (in scale steps) between two notes of a
repeated tune: above any leap, an off-chord strong beat and the tune's pull together, so the
tune only bends where the new line's harmony or its ending rule out every other way."""


def _alignment_costs(
    model: Sequence[TuneNote], notes: Sequence[_PlannedNote]
) -> tuple[FloatArray, FloatArray]:
    """Edit-distance tables of ``notes`` against ``model``: the cost of pairing note ``i``
    with model note ``j``, and the running total (leaving a model note out costs less where
    it repeated the pitch before it)."""
    pairing = np.array(
        [
            [
                0.0
                if partner.stressed == note.stressed and partner.melisma == note.melisma
                else ALIGN_MISMATCH_COST
                for partner in model
            ]
            for note in notes
        ]
    ).reshape(len(notes), len(model))
    skipping = np.array(
        [
            ALIGN_REPEAT_GAP_COST if j and model[j - 1].pitch == partner.pitch else ALIGN_GAP_COST
            for j, partner in enumerate(model)
        ]
    )
    rows, cols = len(notes) + 1, len(model) + 1
    total = np.zeros((rows, cols))
    total[:, 0] = np.arange(rows) * ALIGN_GAP_COST
    total[0, 1:] = np.cumsum(skipping)
    for i in range(1, rows):
        for j in range(1, cols):
            total[i, j] = min(
                total[i - 1, j - 1] + pairing[i - 1, j - 1],
                total[i - 1, j] + ALIGN_GAP_COST,
                total[i, j - 1] + skipping[j - 1],
            )
    return pairing, total


def _aligned_pitches(model: Sequence[TuneNote], notes: Sequence[_PlannedNote]) -> list[int]:
    """A pitch from the earlier line for each note of the new one. The last notes pair up
    (both lines come to rest alike); the others are aligned by their stresses (edit
    distance), a note with no partner repeats its neighbour's pitch (an extra pickup adds a
    repeated note, not a new interval), and the model notes left out are the repeated ones
    where there is a choice."""
    head_notes, head_model = notes[:-1], model[:-1]
    pairing, total = _alignment_costs(head_model, head_notes)
    partners: list[int | None] = [None] * len(head_notes)
    i, j = len(head_notes), len(head_model)
    while i > 0 and j > 0:
        if math.isclose(total[i, j], total[i - 1, j - 1] + pairing[i - 1, j - 1]):
            partners[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif math.isclose(total[i, j], total[i - 1, j] + ALIGN_GAP_COST):
            i -= 1
        else:
            j -= 1
    partners.append(len(model) - 1)
    first = next(p for p in partners if p is not None)
    pitches: list[int] = []
    for partner_index in partners:
        if partner_index is not None:
            pitches.append(model[partner_index].pitch)
        else:
            pitches.append(pitches[-1] if pitches else model[first].pitch)
    return pitches


def syllable_refs(line: Line) -> list[tuple[int, int]]:
    """(word, syllable) of each syllable of a line, in sung order."""
    return [(w, s) for w, word in enumerate(line.words) for s in range(len(word.syllables))]


TEMPLATE_TAIL_BEATS = 3
"""Beats at the end of a phrase the rhythm template leaves free: the line's last syllable
lands there and is held about two beats before the breath."""


def _draw_template(style: StyleModel, bars: int, rng: np.random.Generator) -> frozenset[int]:
    """Onset slots for a phrase, built from the style's rhythm cells up to its last
    :data:`TEMPLATE_TAIL_BEATS` beats (where the line's final syllable is held)."""
    cells = [cell for cell, _ in style.vocal_cells]
    weights = np.array([weight for _, weight in style.vocal_cells], dtype=float)
    weights /= weights.sum()
    end = (bars * BEATS_PER_BAR - TEMPLATE_TAIL_BEATS) * STEPS_PER_BEAT
    slots: set[int] = set()
    position = 0
    while position < end:
        cell = cells[int(rng.choice(len(cells), p=weights))]
        slots.update(position + i for i, mark in enumerate(cell) if mark == "x")
        position += len(cell)
    return frozenset(s for s in slots if s < end)


def _draw_tune(
    style: StyleModel, bars: int, pitch_count: int, seed: int, position: int
) -> _PhraseTune:
    rng = np.random.default_rng([seed, position])
    height = float(rng.uniform(-1.0, 1.0))
    offset = float(rng.integers(-2, 3))
    peak = float(rng.uniform(0.35, 0.65))
    melisma_draw = float(rng.random())
    noise = rng.normal(0.0, 0.5, (TUNE_SLOTS, pitch_count))
    template = _draw_template(style, bars, rng)
    # a push sits on the "and" before a beat the template leaves free after it
    pushes = sorted(s for s in template if s % STEPS_PER_BEAT == 2 and s + 2 not in template)
    wants_push = rng.random() < style.push_rate
    push = pushes[int(rng.integers(len(pushes)))] if pushes and wants_push else None
    return _PhraseTune(height, offset, peak, melisma_draw, noise, template, push)


def _split_phrase_notes(
    phrase: PlacedPhrase, line: Line, melisma_rate: float, melisma_draw: float
) -> list[_PlannedNote]:
    refs = syllable_refs(line)
    rhythm = phrase.rhythm
    notes = [
        _PlannedNote(
            phrase.start + onset,
            duration,
            (phrase.line, *ref),
            False,
            False,
            line.words[ref[0]].syllables[ref[1]].stress > 0,
        )
        for onset, duration, ref in zip(rhythm.onsets, rhythm.durations, refs, strict=True)
    ]
    last = notes[-1]
    if last.duration >= 1.5 and melisma_draw < melisma_rate:
        first_part = max(0.5, math.floor(last.duration / 2 / 0.5) * 0.5)
        notes[-1] = _PlannedNote(last.start, first_part, last.ref, False, False, last.stressed)
        notes.append(
            _PlannedNote(
                last.start + first_part,
                last.duration - first_part,
                last.ref,
                True,
                True,
                last.stressed,
            )
        )
    else:
        notes[-1] = _PlannedNote(last.start, last.duration, last.ref, False, True, last.stressed)
    return notes


def _chord_at(chords: Sequence[Chord], starts: Sequence[float], beat: float) -> Chord:
    return chords[chord_index_at(starts, beat)]


def _arc(t: FloatArray, peak: float) -> FloatArray:
    """0 at both ends of the phrase, 1 at ``peak`` (a fraction of it): rise then fall."""
    exponent = math.log(0.5) / math.log(peak)
    return np.sin(np.pi * np.clip(t, 0.0, 1.0) ** exponent)


@dataclass(frozen=True)
class _PhraseShape:
    """Where one phrase sits and how it moves: its arc and the tune's slot preferences."""

    start: float
    """Beats from the section start where the phrase begins."""
    beats: float
    centre: float
    height: float
    peak: float
    noise: FloatArray
    section_end: bool
    forced_intervals: tuple[tuple[int, int], ...] = ()
    """(note index, interval from the note before) pairs that repeat the hook."""
    bias: MelodyBias | None = None
    moving_notes: int = 0
    """How many opening notes should move rather than repeat a pitch: a hook's first
    rendition, which must be a figure and not a recitation."""
    tune: tuple[tuple[int, int], ...] = ()
    """(slot, pitch) of the role's tune for this phrase position, sorted by slot."""
    break_cost: float = HOOK_BREAK_COST
    """Cost of leaving one of ``forced_intervals``."""


def _peak_on_stress(
    notes: Sequence[_PlannedNote], shape_start: float, span: float, peak: float
) -> float:
    """The arc's peak moved onto the stressed syllable nearest to it, so the line's highest
    note falls where the words lean."""
    stressed = [(n.start - shape_start) / span for n in notes if n.stressed and not n.melisma]
    inner = [t for t in stressed if 0.1 <= t <= 0.9]
    if not inner:
        return peak
    return float(min(inner, key=lambda t: abs(t - peak)))


def _choose_pitches(
    notes: Sequence[_PlannedNote],
    chords: Sequence[Chord],
    chord_starts: Sequence[float],
    key: Key,
    pitches: npt.NDArray[np.int64],
    shape: _PhraseShape,
) -> list[int]:
    """Viterbi over candidate pitches for one phrase, rerun with a lower ceiling for unstressed
    syllables while the line's highest note falls on one of them."""
    unary = _unary_costs(notes, chords, chord_starts, key, pitches, shape)
    degrees = scale_steps(pitches, key)
    chosen, _ = _viterbi(
        notes,
        pitches,
        unary,
        shape.forced_intervals,
        shape.bias,
        degrees,
        shape.moving_notes,
        shape.break_cost,
    )
    for _ in range(PEAK_RETRIES):
        top = max(chosen)
        first_top = next(i for i, p in enumerate(chosen) if p == top)
        if notes[first_top].stressed:
            break
        # the line's resting note may have to stay where the harmony puts it: if capping it
        # too leaves no path, cap only the syllables before it
        for spare_ending in (False, True):
            capped = unary.copy()
            for i, note in enumerate(notes):
                if not note.stressed and not (spare_ending and note.phrase_end):
                    capped[i, pitches >= top] = _INF
            retry, feasible = _viterbi(
                notes,
                pitches,
                capped,
                shape.forced_intervals,
                shape.bias,
                degrees,
                shape.moving_notes,
                shape.break_cost,
            )
            if feasible:
                break
        if not feasible:
            break
        unary, chosen = capped, retry
    return chosen


@lru_cache(maxsize=256)
def _pitch_class_mask(pitch_classes: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """A 12-entry lookup of which pitch classes belong: cheaper than ``np.isin`` per note."""
    mask = np.zeros(12, dtype=bool)
    mask[list(pitch_classes)] = True
    mask.setflags(write=False)
    return mask


def _unary_costs(
    notes: Sequence[_PlannedNote],
    chords: Sequence[Chord],
    chord_starts: Sequence[float],
    key: Key,
    pitches: npt.NDArray[np.int64],
    shape: _PhraseShape,
) -> FloatArray:
    """``[note, pitch]`` cost of singing each note on each candidate pitch."""
    pitch_classes = pitches % 12
    in_scale = np.isin(pitch_classes, key.scale)
    stable = np.isin(pitch_classes, [key.scale[d] for d in _STABLE_DEGREES])
    offsets = np.array([n.start - shape.start for n in notes])
    span = max(shape.beats - 2.0, 1.0)
    peak = float(np.clip(_peak_on_stress(notes, shape.start, span, shape.peak), 0.15, 0.85))
    targets = shape.centre + shape.height * _arc(offsets / span, peak)
    slots = np.clip(np.round(offsets * STEPS_PER_BEAT).astype(int), 0, TUNE_SLOTS - 1)

    tune_slots = [slot for slot, _ in shape.tune]
    tune_pitches = [
        shape.tune[at - 1][1] if (at := bisect.bisect_right(tune_slots, int(slot))) else None
        for slot in slots
    ]
    count = len(notes)
    unary = np.empty((count, pitches.size))
    for i, note in enumerate(notes):
        chord = _chord_at(chords, chord_starts, note.start + 1e-9)
        in_chord = _pitch_class_mask(chord_tones(chord))[pitch_classes]
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
            if shape.section_end and i == count - 1:
                allowed = pitch_classes == key.tonic
        if shape.bias is not None:
            cost = cost + shape.bias.note_costs(pitches, chord, note.start)
        tune_pitch = tune_pitches[i]
        if tune_pitch is not None:
            cost = cost + TUNE_PULL * np.abs(pitches - tune_pitch)
        unary[i] = np.where(allowed, cost + shape.noise[slots[i]], _INF)
    return unary


def _viterbi(
    notes: Sequence[_PlannedNote],
    pitches: npt.NDArray[np.int64],
    unary: FloatArray,
    forced_intervals: Sequence[tuple[int, int]],
    bias: MelodyBias | None = None,
    degrees: npt.NDArray[np.int64] | None = None,
    moving_notes: int = 0,
    break_cost: float = HOOK_BREAK_COST,
) -> tuple[list[int], bool]:
    """The cheapest pitch path, and whether it avoids every forbidden pitch."""
    interval = np.abs(pitches[:, None] - pitches[None, :])
    leap_ok = interval <= 12
    steps = np.where(leap_ok, _INTERVAL_COST[np.minimum(interval, 12)], _INF)
    melisma_steps = np.where(leap_ok, _MELISMA_INTERVAL_COST[np.minimum(interval, 12)], _INF)
    rise = pitches[None, :] - pitches[:, None]
    if bias is not None:
        learned = bias.interval_costs(rise)
        steps, melisma_steps = steps + learned, melisma_steps + learned
    forced = dict(forced_intervals)

    count = len(notes)
    total = unary[0].copy()
    back = np.zeros((count, pitches.size), dtype=np.intp)
    for i in range(1, count):
        moves = melisma_steps if notes[i].melisma else steps
        if i < moving_notes:
            moves = moves + np.where(rise == 0, HOOK_STILL_COST, 0.0)
        if i in forced:
            steps_up = rise if degrees is None else degrees[None, :] - degrees[:, None]
            moves = moves + np.where(steps_up == forced[i], 0.0, break_cost)
        candidates = total[:, None] + moves
        back[i] = np.argmin(candidates, axis=0)
        total = candidates[back[i], np.arange(pitches.size)] + unary[i]
    path = [int(np.argmin(total))]
    feasible = bool(np.isfinite(total[path[0]]))
    for i in range(count - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return [int(pitches[j]) for j in reversed(path)], feasible


def _tune_pitches(
    phrase: PlacedPhrase,
    template: frozenset[int],
    chords: Sequence[Chord],
    chord_starts: Sequence[float],
    key: Key,
    pitches: npt.NDArray[np.int64],
    shape: _PhraseShape,
) -> tuple[tuple[int, int], ...]:
    """The tune itself for one phrase position: the template's onsets sung through the
    phrase's arc and harmony as if every beat carried a stress, independent of the words."""
    slots = sorted(template)
    if not slots:
        return ()
    ends = [*slots[1:], slots[-1] + STEPS_PER_BEAT]
    notes = [
        _PlannedNote(
            phrase.start + slot / STEPS_PER_BEAT,
            (end - slot) / STEPS_PER_BEAT,
            (phrase.line, 0, 0),
            False,
            False,
            slot % STEPS_PER_BEAT == 0,
        )
        for slot, end in zip(slots, ends, strict=True)
    ]
    sung = _choose_pitches(
        notes,
        chords,
        chord_starts,
        key,
        pitches,
        replace(shape, forced_intervals=(), section_end=False),
    )
    return tuple(zip(slots, sung, strict=True))


def _repeating(
    shape: _PhraseShape, notes: Sequence[_PlannedNote], targets: Sequence[int], key: Key
) -> _PhraseShape:
    """``shape`` pulled onto an earlier line's tune: each note toward its aligned pitch, and
    each interval held to the earlier one's in scale steps."""
    slots = [round((n.start - shape.start) * STEPS_PER_BEAT) for n in notes]
    steps = np.diff(scale_steps(np.asarray(targets, dtype=np.int64), key))
    return replace(
        shape,
        tune=tuple(zip(slots, targets, strict=True)),
        forced_intervals=tuple((i, int(step)) for i, step in enumerate(steps, start=1)),
        break_cost=TUNE_REPEAT_BREAK_COST,
    )


def _guided_phrase(phrase: PlacedPhrase, line: Line, guide: RhythmGuide) -> PlacedPhrase:
    """The phrase refitted to the tune's rhythm in the same number of bars."""
    stresses = [s.stress for s in line.syllables]
    rhythm = fit_melody_to_syllables(stresses, phrase.rhythm.feel, phrase.rhythm.bars, guide)
    return PlacedPhrase(phrase.line, phrase.start, rhythm)


@dataclass(frozen=True)
class _HookPlan:
    cell: tuple[int, ...]
    """Sixteenth slots of the hook's notes within the phrase."""
    lines: frozenset[int]
    """Phrase indices that open with the hook."""


NO_HOOK = _HookPlan((), frozenset())


def _plan_hook(
    section: Section,
    phrases: Sequence[PlacedPhrase],
    role: Role,
    style: StyleModel,
    pitch_count: int,
    tune_seed: int,
    cell_order: npt.NDArray[np.int64],
) -> _HookPlan:
    """The hook rhythm most of the section's lines can open with (every other line first, so
    the lines between answer it), and the lines that will; no hook outside choruses or when
    fewer than two lines can carry one."""
    if role not in _HOOK_ROLES:
        return NO_HOOK
    tune = _draw_tune(style, phrases[0].rhythm.bars, pitch_count, tune_seed, 0)
    best = NO_HOOK
    best_score = (1, 0)
    for choice in cell_order:
        cell = HOOK_CELLS[int(choice)]
        guide = RhythmGuide(tune.template | frozenset(cell), tuple(enumerate(cell)))
        honoured = []
        for index, phrase in enumerate(phrases):
            line = section.lines[phrase.line]
            if len(line.syllables) < HOOK_MIN_SYLLABLES:
                continue
            rhythm = _guided_phrase(phrase, line, guide).rhythm
            onsets = tuple(round(o * STEPS_PER_BEAT) for o in rhythm.onsets[:HOOK_NOTES])
            if onsets == cell:
                honoured.append(index)
        alternate = [i for i in honoured if i % 2 == 0]
        chosen = alternate if len(alternate) >= 2 else honoured
        score = (len(chosen), len(alternate))
        if score > best_score:
            best, best_score = _HookPlan(cell, frozenset(chosen)), score
    return best


def write_section_melody(
    section: Section,
    phrases: Sequence[PlacedPhrase],
    chords: Sequence[Chord],
    key: Key,
    comfortable: tuple[int, int],
    role: Role,
    style: StyleModel,
    rng: np.random.Generator,
    bias: MelodyBias | None = None,
    model: SungTune = (),
) -> tuple[VocalNote, ...]:
    """Pitches for one lyric section, times relative to its start.

    ``chords`` are the section's chords relative to its start. The tune (rhythm template,
    contour and slot preferences of each phrase position, and a chorus's hook) comes from
    ``rng`` alone, and the words are fitted to it: sections of one role that get the same
    ``rng`` seed sing the same tune, adapted where their syllables differ, and a repeated
    section with the same lyrics and chords sings exactly the same melody. With ``model``
    (the tune the role's first section sang, see :func:`sung_tune`) each line that does not
    carry the hook sings its model line's intervals again, aligned to its own syllables. Every
    syllable ref's ``section`` is 0; the caller sets it.
    """
    if not phrases:
        return ()
    low, high = comfortable
    pitches = np.arange(low, high + 1, dtype=np.int64)
    fraction, height = _REGISTER_BY_ROLE.get(role, (0.4, 3.0))
    span = high - low
    chord_starts = [c.start for c in chords]
    tune_seed = int(rng.integers(2**63))
    cell_order = rng.permutation(len(HOOK_CELLS))
    hook = _plan_hook(section, phrases, role, style, pitches.size, tune_seed, cell_order)
    hook_shape: tuple[int, ...] | None = None
    notes: list[VocalNote] = []
    for index, phrase in enumerate(phrases):
        line = section.lines[phrase.line]
        carries_hook = index in hook.lines
        # hook lines share the first hook line's tune, so the hook sounds the same each time
        tune = _draw_tune(
            style, phrase.rhythm.bars, pitches.size, tune_seed, 0 if carries_hook else index
        )
        anchors = tuple(enumerate(hook.cell)) if carries_hook else ()
        template = tune.template | frozenset(hook.cell) if carries_hook else tune.template
        push = None if carries_hook else tune.push
        placed = _guided_phrase(phrase, line, RhythmGuide(template, anchors, push))
        planned = _split_phrase_notes(placed, line, style.melisma_rate, tune.melisma_draw)
        forced: tuple[tuple[int, int], ...] = ()
        if carries_hook and hook_shape is not None:
            forced = tuple((i + 1, step) for i, step in enumerate(hook_shape))
        is_last = index == len(phrases) - 1
        phrase_height = height + tune.height
        offset = tune.offset - (1.5 if is_last else 0.0)
        centre = float(np.clip(low + fraction * span + offset, low + 1, high - phrase_height - 1))
        shape = _PhraseShape(
            placed.start,
            placed.rhythm.beats,
            centre,
            phrase_height,
            tune.peak,
            tune.noise,
            is_last,
            forced,
            bias,
        )
        # a hook line follows its hook, not the tune's slot preferences
        tune_line = (
            ()
            if carries_hook
            else _tune_pitches(placed, tune.template, chords, chord_starts, key, pitches, shape)
        )
        moving = HOOK_NOTES if carries_hook and hook_shape is None else 0
        shape = replace(shape, tune=tune_line, moving_notes=moving)
        if index < len(model) and model[index] and not carries_hook:
            shape = _repeating(shape, planned, _aligned_pitches(model[index], planned), key)
        chosen = _choose_pitches(planned, chords, chord_starts, key, pitches, shape)
        if carries_hook and hook_shape is None:
            hook_degrees = scale_steps(np.asarray(chosen[:HOOK_NOTES], dtype=np.int64), key)
            hook_shape = tuple(int(step) for step in np.diff(hook_degrees))
        for note, pitch in zip(planned, chosen, strict=True):
            line_index, word, syllable = note.ref
            notes.append(
                VocalNote(
                    note.start,
                    note.duration,
                    pitch,
                    SyllableRef(0, line_index, word, syllable),
                    note.melisma,
                )
            )
    return tuple(notes)
