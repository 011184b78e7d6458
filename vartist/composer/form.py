"""Song form: an instrumental intro, the lyric sections in order with their phrases placed,
short instrumental interludes where a chorus hands back to a verse, and an outro.

When the lyrics follow the form :mod:`vartist.song_forms` chose for the request, the form's
touches are laid out too: an intro that plays the hook, a stripped final chorus. A requested
length is met by sizing the intro and the outro for the tempo.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
from vartist.lyrics.concept import read_prompt
from vartist.lyrics.types import Lyrics, Section, SectionKind
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.song_forms import MAX_EDGE_BARS, MIN_EDGE_BARS, SongForm, form_for_request

INTERLUDE_BARS = 2
EMPTY_SECTION_BARS = 4
"""A lyric section without a singable syllable still gets a few bars of band."""
MAX_STINGER_EDGE_BARS = 2
"""A stinger's intro and outro stay short even when it has time to spare: it is a jingle."""
HOOK_INTRO_BARS = 4
"""An intro that plays the hook lasts at least as long as the hook line (two bars, or four
for a long line) and a bar to breathe on each side of it."""
HOOK_LABEL = "intro (hook)"
STRIPPED_SUFFIX = " (stripped)"
"""Labels mark the form's touches in the Score, where every later stage reads sections."""


@dataclass(frozen=True)
class PlannedSection:
    """One span of the song: where it sits, what it does, and (if sung) its phrases."""

    span: SectionSpan
    role: Role
    phrases: tuple[PlacedPhrase, ...] = ()
    stripped: bool = False
    """A final chorus the arrangement should thin out (fewer instruments, no full drums):
    the voice carries it. Set only when the song's form asks for it."""
    hook_section: int | None = None
    """For an intro that plays the hook: the lyric section (the first chorus, or AABA's
    first refrain) whose first phrase an instrument may play before anyone sings."""

    @property
    def bars(self) -> int:
        return round(self.span.duration / BEATS_PER_BAR)


def hook_entry_beats(intro: PlannedSection, hook_beats: float) -> float:
    """Beats from the intro's start where an instrument comes in with the hook line: after a
    bar that sets the groove when the intro holds the line and that bar, at once otherwise."""
    if intro.span.duration >= hook_beats + BEATS_PER_BAR:
        return float(BEATS_PER_BAR)
    return 0.0


def hook_phrase(
    sections: Sequence[PlannedSection], lyric_section: int
) -> tuple[PlannedSection, PlacedPhrase] | None:
    """The first span that sings ``lyric_section`` and its first phrase: the hook line an
    intro plays."""
    for planned in sections:
        if planned.span.lyric_section == lyric_section and planned.phrases:
            return planned, planned.phrases[0]
    return None


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


def _chosen_form(
    lyrics: Lyrics, request: SongRequest | None, persona: Persona | None
) -> SongForm | None:
    if request is None or persona is None or request.lyrics_text is not None:
        return None
    concept = read_prompt(request.prompt, persona.language)
    return form_for_request(request, persona, concept.mood, concept.energy)


def _fitted_edges(
    target_seconds: float, tempo: float, body_bars: int, stinger: bool
) -> tuple[int, int]:
    """Intro and outro bars that bring a song whose sung part and interludes last
    ``body_bars`` closest to ``target_seconds`` at ``tempo``."""
    most = MAX_STINGER_EDGE_BARS if stinger else MAX_EDGE_BARS
    wanted = round(target_seconds * tempo / (60.0 * BEATS_PER_BAR)) - body_bars
    edges = min(max(wanted, 2 * MIN_EDGE_BARS), 2 * most)
    intro = (edges + 1) // 2
    return intro, edges - intro


def plan_form(
    lyrics: Lyrics,
    style: StyleModel,
    feel: RhythmFeel,
    rng: np.random.Generator,
    request: SongRequest | None = None,
    persona: Persona | None = None,
    tempo: float | None = None,
) -> tuple[PlannedSection, ...]:
    """The song's spans in order, each with a label like ``"verse 1"`` or ``"chorus 2"``.

    With the ``request`` and ``persona``, lyrics written to the form chosen for them get its
    hook intro (labelled ``"intro (hook)"``) and stripped final chorus (``"chorus 3
    (stripped)"``); with a ``tempo`` too, a requested length sizes the intro and outro.
    """
    if not any(line.syllables for section in lyrics.sections for line in section.lines):
        raise UnsingableLyricsError(
            f"the lyrics of {lyrics.title!r} have no syllables to sing; give at least one "
            "section with a line of words"
        )
    intro_bars = int(style.intro_bars[int(rng.integers(len(style.intro_bars)))])
    outro_bars = int(style.outro_bars[int(rng.integers(len(style.outro_bars)))])
    form = _chosen_form(lyrics, request, persona)
    kinds = tuple(section.kind for section in lyrics.sections)
    follows_form = form is not None and kinds == form.lyric_kinds
    stinger = follows_form and form is not None and form.is_stinger
    # a stinger has no time for breaks, and AABA's sections run straight on
    breathes = not (follows_form and form is not None and (stinger or not form.shape.interludes))

    # (role, bars, label, lyric section, phrases) in sung order
    layout: list[tuple[Role, int, str, int | None, tuple[PlacedPhrase, ...]]] = []
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
        if _needs_interlude(lyrics, index) and breathes:
            interludes += 1
            layout.append(("interlude", INTERLUDE_BARS, f"interlude {interludes}", None, ()))

    target = request.length_seconds if request is not None else None
    if target is not None and tempo is not None:
        body_bars = sum(bars for _, bars, _, _, _ in layout)
        intro_bars, outro_bars = _fitted_edges(target, tempo, body_bars, stinger)
    hook_section: int | None = None
    stripped_at: int | None = None
    if follows_form and form is not None:
        if form.shape.hook_intro:
            hook_section = kinds.index("chorus")
            hook_line_bars = next(
                (
                    entry[4][0].rhythm.bars
                    for entry in layout
                    if entry[3] == hook_section and entry[4]
                ),
                HOOK_INTRO_BARS - 2,
            )
            intro_bars = max(intro_bars, HOOK_INTRO_BARS, hook_line_bars + 2)
        if form.shape.ending_style == "stripped":
            stripped_at = max(i for i, entry in enumerate(layout) if entry[0] == "chorus")
            role, bars, label, lyric, phrases = layout[stripped_at]
            layout[stripped_at] = (role, bars, label + STRIPPED_SUFFIX, lyric, phrases)
    intro_label = HOOK_LABEL if hook_section is not None else "intro"
    layout.insert(0, ("intro", intro_bars, intro_label, None, ()))
    layout.append(("outro", outro_bars, "outro", None, ()))

    planned: list[PlannedSection] = []
    beat = 0.0
    for position, (role, bars, label, lyric, phrases) in enumerate(layout):
        kind: SectionKind = role
        duration = float(bars * BEATS_PER_BAR)
        planned.append(
            PlannedSection(
                SectionSpan(kind, beat, duration, lyric, label),
                role,
                phrases,
                stripped=stripped_at is not None and position == stripped_at + 1,
                hook_section=hook_section if role == "intro" else None,
            )
        )
        beat += duration
    return tuple(planned)
