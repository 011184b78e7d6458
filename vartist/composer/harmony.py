"""The chord track: one progression per section role, looped over each span, with a cadence
into the tonic at the end of every sung section and of the outro."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vartist.composer.form import PlannedSection
from vartist.composer.melody import BEATS_PER_BAR
from vartist.composer.score import Chord
from vartist.composer.styles import ROLES, Progression, StyleModel
from vartist.composer.theory import make_chord
from vartist.pitch import Key

_CADENCE_ROLES = frozenset({"verse", "pre-chorus", "chorus", "bridge", "intro", "outro"})
"""Roles whose spans end on the tonic. Interludes and the instrumental intro flow on; a sung
section of kind 'intro' or 'outro' has role 'intro'/'outro' and cadences like the others."""


def choose_progressions(
    style: StyleModel, key: Key, rng: np.random.Generator
) -> tuple[dict[str, Progression], str]:
    """One progression per role and one cadence chord for the whole song, so that repeated
    sections play identical harmony."""
    chosen: dict[str, Progression] = {}
    for role in ROLES:
        options = style.progression_options(role, key.mode)
        chosen[role] = options[int(rng.integers(len(options)))]
    cadences = style.cadences_major if key.mode == "major" else style.cadences_minor
    return chosen, cadences[int(rng.integers(len(cadences)))]


def section_bars(progression: Progression, bars: int, cadence: str | None, tonic: str) -> list[str]:
    """The progression looped over ``bars`` bars; with a cadence, the last two bars become
    cadence → tonic (or both chords share the bar when there is only one)."""
    entries = [progression[b % len(progression)] for b in range(bars)]
    if cadence is not None and bars >= 2:
        entries[-2:] = [cadence, tonic]
    elif cadence is not None and bars == 1:
        entries[-1] = f"{cadence} {tonic}"
    return entries


def build_chord_track(
    sections: Sequence[PlannedSection], key: Key, style: StyleModel, rng: np.random.Generator
) -> tuple[Chord, ...]:
    """Chords covering the whole song, one or two per bar."""
    progressions, cadence = choose_progressions(style, key, rng)
    tonic = style.tonic_major if key.mode == "major" else style.tonic_minor
    chords: list[Chord] = []
    for planned in sections:
        is_instrumental_intro = planned.role == "intro" and planned.span.lyric_section is None
        ends_on_tonic = planned.role in _CADENCE_ROLES and not is_instrumental_intro
        entries = section_bars(
            progressions[planned.role], planned.bars, cadence if ends_on_tonic else None, tonic
        )
        for bar, entry in enumerate(entries):
            symbols = entry.split()
            length = BEATS_PER_BAR / len(symbols)
            bar_start = planned.span.start + bar * BEATS_PER_BAR
            for i, symbol in enumerate(symbols):
                chords.append(make_chord(symbol, key, bar_start + i * length, length))
    return tuple(chords)


def relative_chords(chords: Sequence[Chord], start: float, end: float) -> tuple[Chord, ...]:
    """The chords sounding in ``[start, end)``, with times relative to ``start``."""
    return tuple(
        Chord(c.start - start, c.duration, c.root, c.quality, c.symbol)
        for c in chords
        if c.start < end and c.end > start
    )
