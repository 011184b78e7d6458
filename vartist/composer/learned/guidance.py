"""How the composer writes in a learned style.

The composer's own searches stay in charge of the quality bars (in key, in range, stresses on
beats, cadences); the style only re-weights the choices they already allow. This is the idea
of Flow Machines' constrained Markov generation (Pachet & Roy): the learned Markov model
supplies the probabilities, the constraints prune what is not allowed, and a dynamic
programme finds the likeliest sequence that satisfies them. Concretely:

* harmony: each section role gets a four-bar progression sampled from the style's
  variable-order chord model (the genre's cadence still closes each section);
* melody: :class:`LearnedMelodyBias` adds the style's surprisal (-log probability) of each
  candidate pitch (its scale degree at that metric position, its relation to the chord) and
  of each interval to the pitch search's costs;
* rhythm: :func:`learned_feel` adds the surprisal of each note length (given that the note
  starts on a beat, as stressed syllables do, or off it) to the rhythm search's length costs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from vartist.composer.learned.model import (
    MAX_INTERVAL,
    START,
    StyleBlend,
    duration_class,
    metric_class,
)
from vartist.composer.melody import MAX_NOTE_STEPS, STEPS_PER_BEAT, RhythmFeel
from vartist.composer.score import Chord
from vartist.composer.styles import ROLES, Progression, StyleModel
from vartist.composer.theory import parse_roman
from vartist.pitch import Key

FloatArray = npt.NDArray[np.float64]

DEGREE_WEIGHT = 1.5
"""Cost per nat of a pitch's scale-degree surprisal (and scale of its Gumbel noise). The pitch
search's other unary costs are 0.3 per semitone off the phrase arc and up to 4 for a non-chord
tone on a strong beat. Measured on the test corpora (tests/test_learned_style.py): 1.0 moved the
styled songs' pitch-class distance to a Dorian corpus from 0.45 to 0.31-0.35, 1.5 to 0.31-0.33,
with the range and in-key bars intact."""
CHORD_RELATION_WEIGHT = 0.2
"""Cost per nat of the pitch's relation to the chord root. Small: the genre already pays for
non-chord tones, and without the degree noise this term alone pulls the melody onto roots
(0.4 cost the Dorian songs 0.04 of pitch-class distance)."""
INTERVAL_WEIGHT = 0.5
"""Cost per nat of an interval's surprisal, beside the search's 0-4 leap costs."""
RHYTHM_WEIGHT = 0.8
"""Cost per nat of a note length's surprisal, beside the rhythm search's 0-2.5 length costs.
On the test corpora 0.45 moved the rhythm distance to a pentatonic corpus from 0.18 to 0.14,
0.8 to 0.11, with stressed syllables still on beats 95-98% of the time."""
MAX_SURPRISAL = 4.0
"""Nats at most: a value the corpus never shows is discouraged, never forbidden."""
PROGRESSION_BARS = 4
"""Bars in each learned progression; the composer loops it over a section."""
PROGRESSION_TRIES = 8
"""Samples drawn per role; the likeliest of them is kept, so one unlucky draw does not make
a role's harmony unlike the corpus."""


def surprisal(probs: FloatArray) -> FloatArray:
    """-log p relative to the likeliest value (so the favourite costs nothing), capped."""
    return np.minimum(np.log(probs.max()) - np.log(probs), MAX_SURPRISAL)


class LearnedMelodyBias:
    """The :class:`~vartist.composer.melody.MelodyBias` of a learned style in one key.

    The pitch search finds the cheapest path, and the cheapest path under plain surprisal
    costs sings the corpus's favourite degree (the tonic) far more often than the corpus
    does. So the degree costs are perturbed with Gumbel noise (perturb-and-MAP: the argmin
    of -log p - g, with g Gumbel-distributed, is a sample from p), which makes the melody's
    degrees follow the corpus's distribution instead of its mode. The noise depends only on
    ``seed`` and the note's beat in its section, so a repeated section sings the same notes.
    """

    def __init__(self, blend: StyleBlend, key: Key, seed: int) -> None:
        self.key = key
        self.seed = seed
        self._degree_cost = {
            metric: DEGREE_WEIGHT * surprisal(blend.degree_probs(key.mode, metric))
            for metric in ("strong", "weak", "offbeat")
        }
        self._chord_cost = {
            metric: CHORD_RELATION_WEIGHT * surprisal(blend.chord_tone_probs(metric))
            for metric in ("strong", "weak", "offbeat")
        }
        self._interval_cost = INTERVAL_WEIGHT * surprisal(blend.interval_probs())

    def note_costs(self, pitches: npt.NDArray[np.int64], chord: Chord, beat: float) -> FloatArray:
        metric = metric_class(beat % 4)
        degrees = (pitches - self.key.tonic) % 12
        relation = (pitches - chord.root) % 12
        slot = round(beat * STEPS_PER_BEAT)
        gumbel = np.random.default_rng([self.seed, slot]).gumbel(size=12)
        degree_cost = self._degree_cost[metric] - DEGREE_WEIGHT * gumbel
        return degree_cost[degrees] + self._chord_cost[metric][relation]

    def interval_costs(self, intervals: npt.NDArray[np.int64]) -> FloatArray:
        clipped = np.clip(intervals, -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
        return self._interval_cost[clipped]


def learned_feel(blend: StyleBlend, feel: RhythmFeel) -> RhythmFeel:
    """``feel`` with the style's note-length surprisal added: stressed syllables (on beats)
    read the lengths of on-beat notes, unstressed ones those of off-beat notes."""
    lengths = np.arange(1, MAX_NOTE_STEPS + 1) / STEPS_PER_BEAT
    classes = np.array([duration_class(b) for b in lengths])
    on_beat = RHYTHM_WEIGHT * surprisal(blend.duration_probs(True))[classes]
    off_beat = RHYTHM_WEIGHT * surprisal(blend.duration_probs(False))[classes]
    return RhythmFeel(
        tuple(np.round(np.asarray(feel.stressed) + on_beat, 6)),
        tuple(np.round(np.asarray(feel.unstressed) + off_beat, 6)),
    )


def _sample_progression(
    blend: StyleBlend, mode: str, rng: np.random.Generator
) -> tuple[Progression, float]:
    history = [START]
    log_probability = 0.0
    for _ in range(PROGRESSION_BARS):
        probs = blend.next_chord_probs(mode, history)
        symbols = sorted(probs)
        weights = np.array([probs[s] for s in symbols])
        chosen = symbols[int(rng.choice(len(symbols), p=weights / weights.sum()))]
        log_probability += float(np.log(probs[chosen]))
        history.append(chosen)
    return tuple(history[1:]), log_probability


def learned_progressions(
    blend: StyleBlend, mode: str, rng: np.random.Generator
) -> dict[str, tuple[Progression, ...]] | None:
    """One likely four-bar progression per role from the style's chord model, or None when
    the style learned no chords in ``mode``."""
    if not blend.next_chord_probs(mode, [START]):
        return None
    chosen: dict[str, tuple[Progression, ...]] = {}
    for role in ROLES:
        draws = [_sample_progression(blend, mode, rng) for _ in range(PROGRESSION_TRIES)]
        best = max(draws, key=lambda draw: draw[1])[0]
        for symbol in best:
            parse_roman(symbol)  # a damaged style file must not reach the chord builder
        chosen[role] = (best,)
    return chosen


def styled_model(
    style: StyleModel, blend: StyleBlend, key: Key, rng: np.random.Generator
) -> StyleModel:
    """The genre's style with the learned progressions for ``key``'s mode in place of its own."""
    progressions = learned_progressions(blend, key.mode, rng)
    if progressions is None:
        return style
    if key.mode == "major":
        return dataclasses.replace(style, major=progressions)
    return dataclasses.replace(style, minor=progressions)
