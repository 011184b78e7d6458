"""Song form: an instrumental intro, the lyric sections in order with their phrases placed,
short instrumental interludes where a chorus hands back to a verse, and an outro."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from vartist.composer.errors import UnsingableLyricsError
from vartist.composer.melody import (
    BEATS_PER_BAR,
    PlacedPhrase,
    RhythmFeel,
    fit_melody_to_syllables,
)
from vartist.composer.score import SectionSpan
from vartist.composer.styles import Role, StyleModel
from vartist.lyrics.types import Lyrics, Section, SectionKind

INTERLUDE_BARS = 2
EMPTY_SECTION_BARS = 4
"""A lyric section without a singable syllable still gets a few bars of band."""


@dataclass(frozen=True)
class PlannedSection:
    """One span of the song: where it sits, what it does, and (if sung) its phrases."""

    span: SectionSpan
    role: Role
    phrases: tuple[PlacedPhrase, ...] = ()

    @property
    def bars(self) -> int:
        return round(self.span.duration / BEATS_PER_BAR)


def place_phrases(section: Section, feel: RhythmFeel) -> tuple[PlacedPhrase, ...]:
    """Each line with syllables becomes one phrase, one after another from the section start."""
    phrases = []
    start = 0.0
    for index, line in enumerate(section.lines):
        stresses = [s.stress for s in line.syllables]
        if not stresses:
            continue
        rhythm = fit_melody_to_syllables(stresses, feel)
        phrases.append(PlacedPhrase(index, start, rhythm))
        start += rhythm.beats
    return tuple(phrases)


def _needs_interlude(lyrics: Lyrics, index: int) -> bool:
    # a chorus handing back to a verse is where songs naturally take a breath
    sections = lyrics.sections
    return (
        sections[index].kind == "chorus"
        and index + 1 < len(sections)
        and sections[index + 1].kind == "verse"
    )


def plan_form(
    lyrics: Lyrics, style: StyleModel, feel: RhythmFeel, rng: np.random.Generator
) -> tuple[PlannedSection, ...]:
    """The song's spans in order, each with a label like ``"verse 1"`` or ``"chorus 2"``."""
    if not any(line.syllables for section in lyrics.sections for line in section.lines):
        raise UnsingableLyricsError(
            f"the lyrics of {lyrics.title!r} have no syllables to sing; give at least one "
            "section with a line of words"
        )
    intro_bars = int(style.intro_bars[int(rng.integers(len(style.intro_bars)))])
    outro_bars = int(style.outro_bars[int(rng.integers(len(style.outro_bars)))])

    # (role, bars, label, lyric section, phrases) in sung order
    layout: list[tuple[Role, int, str, int | None, tuple[PlacedPhrase, ...]]] = [
        ("intro", intro_bars, "intro", None, ())
    ]
    counts: Counter[str] = Counter()
    interludes = 0
    for index, section in enumerate(lyrics.sections):
        counts[section.kind] += 1
        phrases = place_phrases(section, feel)
        beats = sum(p.rhythm.beats for p in phrases)
        bars = round(beats / BEATS_PER_BAR) if phrases else EMPTY_SECTION_BARS
        layout.append(
            (section.kind, bars, f"{section.kind} {counts[section.kind]}", index, phrases)
        )
        if _needs_interlude(lyrics, index):
            interludes += 1
            layout.append(("interlude", INTERLUDE_BARS, f"interlude {interludes}", None, ()))
    layout.append(("outro", outro_bars, "outro", None, ()))

    planned: list[PlannedSection] = []
    beat = 0.0
    for role, bars, label, lyric, phrases in layout:
        kind: SectionKind = role
        duration = float(bars * BEATS_PER_BAR)
        planned.append(
            PlannedSection(SectionSpan(kind, beat, duration, lyric, label), role, phrases)
        )
        beat += duration
    return tuple(planned)
