"""The catalogue of song forms, and the choice of one form for a song.

A form says which lyric sections a song sings in which order (verse–chorus with or without a
pre-chorus, AABA), how it ends (one chorus, a double chorus, a stripped final chorus) and
whether the intro plays the hook. The prompt's mood and energy and the genre decide which
forms fit; the request's seed picks among those; a requested length decides how many verse
rounds the song sings and whether it keeps its bridge.

This module sits beside :mod:`vartist.request` rather than inside the composer because both
the lyric writer (which writes the sections in the form's order) and the composer (which lays
out the intro, the interludes and the ending) must make the same choice, and the lyric stage
may not import the composer. It is a pure function of its inputs, so both stages agree.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from vartist.persona import Persona
from vartist.request import SongRequest

LyricKind = Literal["verse", "pre-chorus", "chorus", "bridge"]
Ending = Literal["single", "double", "stripped"]

STINGER_SECONDS = 40.0
"""Songs asked for shorter than this are stingers for streams: one verse and a chorus, or only
a chorus, with a one-bar intro and outro."""
STINGER_LIMIT_SECONDS = 37.0
"""The estimate a stinger (with its one-bar intro and outro) must stay under at the persona's
slowest tempo, leaving room below :data:`STINGER_SECONDS` for the master's tail."""
STINGER_EDGE_BARS = 2

BEATS_PER_BAR = 4
BARS_PER_LINE = 2
"""Measured: the melody fits a 6–9 syllable line into two bars (longer lines take four)."""
LINES_PER_SECTION: dict[LyricKind, float] = {
    "verse": 4,
    "pre-chorus": 2,
    "chorus": 4,
    "bridge": 3,  # the writer draws two to four bridge lines
}
ESTIMATED_EDGE_BARS = 8
"""Intro and outro together, as the styles draw them, for estimating a song's length before
the composer fits them exactly."""
INTERLUDE_BARS = 2
MIN_EDGE_BARS = 1
MAX_EDGE_BARS = 8
"""The composer sizes the intro and the outro of a song with a requested length within these
bars each: past eight bars of band alone a listener waits for the singer."""
MAX_ROUNDS = 16
"""Most verse rounds a long song sings before its bridge: enough for ten minutes at a fast
tempo. Past :data:`MAX_FRESH_VERSES` the verses' words come round again."""
MAX_FRESH_VERSES = 4
"""Verses with new words a song sings at most; the phrase book's rhymes run thin past that,
and a long folk song repeats its verses anyway."""
DEFAULT_ROUNDS = 2
SIZING_TOLERANCE = 0.05
"""How far outside the reach of its intro and outro a requested length may lie for the seed's
form to keep it: well inside the 15% promised, as the composer's tempo and line lengths add
their own error."""


@dataclass(frozen=True)
class FormShape:
    """One form of the catalogue and where it fits."""

    name: str
    round: tuple[LyricKind, ...]
    """One verse round, sung ``rounds`` times: ("verse", "chorus"), or AABA's A."""
    middle: tuple[LyricKind, ...]
    """The contrasting part after the rounds (the bridge); a short song may leave it out."""
    ending: tuple[LyricKind, ...]
    """What closes the song: the last chorus (twice for a double chorus), or AABA's last A."""
    ending_style: Ending = "single"
    chorus_lines: int = 4
    """Lines of the chorus; AABA's is a two-line refrain (the hook) closing each A."""
    interludes: bool = True
    """Whether a chorus hands back to the next verse through a short instrumental break; the
    A sections of AABA run straight on."""
    keeps_middle: bool = False
    """A short song may not drop the middle: AABA without its B is no longer AABA."""
    hook_intro: bool = False
    """The intro plays the chorus's first line (the hook) before anyone sings."""
    genres: frozenset[str] | None = None
    """Genres the form suits; None for every genre."""
    moods: frozenset[str] | None = None
    """Concept moods the form suits; None for every mood."""
    energy: tuple[float, float] = (0.0, 1.0)
    """The range of the prompt's energy (0 still … 1 driving) the form suits."""


_UPBEAT_MOODS = frozenset({"joy", "love", "defiance"})
_TENDER_MOODS = frozenset({"grief", "longing", "calm", "love"})
_STORY_GENRES = frozenset({"ballad", "folk"})
_BAND_GENRES = frozenset({"pop", "synthpop", "rock", "lofi"})

FORMS: tuple[FormShape, ...] = (
    FormShape(
        "verse-chorus",
        round=("verse", "chorus"),
        middle=("bridge",),
        ending=("chorus",),
    ),
    FormShape(
        "verse-pre-chorus-chorus",
        round=("verse", "pre-chorus", "chorus"),
        middle=("bridge",),
        ending=("chorus",),
        genres=_BAND_GENRES,
    ),
    FormShape(
        "hook-intro verse-chorus",
        round=("verse", "chorus"),
        middle=("bridge",),
        ending=("chorus",),
        hook_intro=True,
        genres=_BAND_GENRES,
        energy=(0.35, 1.0),
    ),
    FormShape(
        "double-chorus ending",
        round=("verse", "pre-chorus", "chorus"),
        middle=("bridge",),
        ending=("chorus", "chorus"),
        ending_style="double",
        moods=_UPBEAT_MOODS,
        energy=(0.4, 1.0),
    ),
    FormShape(
        "stripped final chorus",
        round=("verse", "chorus"),
        middle=("bridge",),
        ending=("chorus",),
        ending_style="stripped",
        moods=_TENDER_MOODS,
        energy=(0.0, 0.7),
    ),
    # AABA as songwriters of standards and folk songs write it: each A is a verse closed by
    # a two-line refrain that carries the hook (the Score calls the refrain a chorus, so it
    # repeats exactly like one); B is the bridge, after which an A returns.
    FormShape(
        "AABA",
        round=("verse", "chorus"),
        middle=("bridge",),
        ending=("verse", "chorus"),
        chorus_lines=2,
        interludes=False,
        keeps_middle=True,
        genres=_STORY_GENRES,
        energy=(0.0, 0.75),
    ),
    FormShape(
        "AABA with a hook intro",
        round=("verse", "chorus"),
        middle=("bridge",),
        ending=("verse", "chorus"),
        chorus_lines=2,
        interludes=False,
        keeps_middle=True,
        hook_intro=True,
        genres=_STORY_GENRES,
        energy=(0.0, 0.75),
    ),
)
"""Every form a builtin song may take; :func:`fitting_forms` says which suit a song."""

STINGER = FormShape("stinger", round=("verse",), middle=(), ending=("chorus",))
"""A verse and a chorus (or the chorus alone, when that is all that fits) for a stream."""


@dataclass(frozen=True)
class SongForm:
    """The form chosen for one song, sized for its length."""

    shape: FormShape
    rounds: int
    """How many times the shape's round is sung (0 for a chorus-only stinger)."""
    with_middle: bool
    target_seconds: float | None
    with_ending: bool = True
    """False only for a short song whose rounds already end on the ending's section."""
    """The requested length, which the composer meets with the intro and outro; None for the
    form's natural length."""

    @property
    def name(self) -> str:
        return self.shape.name

    @property
    def is_stinger(self) -> bool:
        return self.shape is STINGER

    @property
    def lyric_kinds(self) -> tuple[LyricKind, ...]:
        """The lyric sections in sung order."""
        middle = self.shape.middle if self.with_middle else ()
        ending = self.shape.ending if self.with_ending else ()
        return (*(self.shape.round * self.rounds), *middle, *ending)


def fitting_forms(mood: str, energy: float, genre: str) -> tuple[FormShape, ...]:
    """The catalogue's forms that suit a song of this mood, energy and genre, in catalogue
    order; plain verse–chorus suits every song, so the answer is never empty."""
    return tuple(
        shape
        for shape in FORMS
        if (shape.genres is None or genre in shape.genres)
        and (shape.moods is None or mood in shape.moods)
        and shape.energy[0] <= energy <= shape.energy[1]
    )


def estimated_bars(form: SongForm, edge_bars: int = ESTIMATED_EDGE_BARS) -> float:
    """A song's length in bars before its lines are written: lines × bars a line, plus the
    intro, the outro and the interludes where a chorus hands back to a verse."""
    kinds = form.lyric_kinds
    lines = {**LINES_PER_SECTION, "chorus": form.shape.chorus_lines}
    sung = sum(lines[kind] * BARS_PER_LINE for kind in kinds)
    interludes = sum(
        1 for before, after in itertools.pairwise(kinds) if (before, after) == ("chorus", "verse")
    )
    return sung + edge_bars + (interludes * INTERLUDE_BARS if form.shape.interludes else 0)


def seconds_for_bars(bars: float, tempo: float) -> float:
    return bars * BEATS_PER_BAR * 60.0 / tempo


def _stinger(target: float, tempo_range: tuple[float, float]) -> SongForm:
    """A verse and a chorus when they stay under the stinger limit even at the persona's
    slowest tempo and land nearer ``target`` than the chorus alone; else the chorus alone."""
    verse_and_chorus = SongForm(STINGER, 1, False, target)
    chorus_only = SongForm(STINGER, 0, False, target)
    middle_tempo = sum(tempo_range) / 2

    def bars(form: SongForm) -> float:
        return estimated_bars(form, edge_bars=STINGER_EDGE_BARS)

    if seconds_for_bars(bars(verse_and_chorus), min(tempo_range)) > STINGER_LIMIT_SECONDS:
        return chorus_only
    return min(
        (verse_and_chorus, chorus_only),
        key=lambda form: abs(seconds_for_bars(bars(form), middle_tempo) - target),
    )


def _reach_miss(form: SongForm, target: float, tempo: float) -> float:
    """How many seconds ``target`` lies outside what the composer can reach for ``form`` at
    ``tempo`` by sizing the intro and outro; 0 when it can reach it."""
    shortest = seconds_for_bars(estimated_bars(form, edge_bars=2 * MIN_EDGE_BARS), tempo)
    longest = seconds_for_bars(estimated_bars(form, edge_bars=2 * MAX_EDGE_BARS), tempo)
    return max(shortest - target, target - longest, 0.0)


def _sized(shape: FormShape, target: float, tempo: float) -> SongForm:
    """The number of rounds, with or without the middle, whose estimate is nearest ``target``;
    on a tie, the song that keeps its bridge and sings closest to two rounds."""
    middles = (True,) if shape.keeps_middle else (True, False)
    candidates = [
        SongForm(shape, rounds, with_middle, target)
        for rounds in range(1, MAX_ROUNDS + 1)
        for with_middle in middles
    ]
    if not shape.keeps_middle:
        # the shortest song: one round and no ending, a verse and its chorus
        candidates.append(SongForm(shape, 1, False, target, with_ending=False))

    def miss(form: SongForm) -> tuple[float, bool, bool, float]:
        return (
            _reach_miss(form, target, tempo),
            not form.with_ending,
            not form.with_middle,
            abs(seconds_for_bars(estimated_bars(form), tempo) - target),
        )

    return min(candidates, key=miss)


def choose_form(
    mood: str,
    energy: float,
    genre: str,
    seed: int,
    tempo_range: tuple[float, float],
    target_seconds: float | None = None,
) -> SongForm:
    """The form of one song.

    The concept (``mood``, ``energy``) and the ``genre`` decide which forms fit; the ``seed``
    walks through them, so consecutive seeds of one prompt give different forms. With a
    ``target_seconds``, the rounds are sized for the middle of ``tempo_range`` (the composer
    picks the tempo later), and under :data:`STINGER_SECONDS` the song is a stinger.
    """
    if target_seconds is not None and target_seconds < STINGER_SECONDS:
        return _stinger(target_seconds, tempo_range)
    fitting = fitting_forms(mood, energy, genre)
    first = seed % len(fitting)
    in_turn = fitting[first:] + fitting[:first]
    if target_seconds is None:
        return SongForm(in_turn[0], DEFAULT_ROUNDS, True, None)
    middle_tempo = sum(tempo_range) / 2
    sized = [_sized(shape, target_seconds, middle_tempo) for shape in in_turn]
    # the seed's form unless its sections cannot come near the length (AABA is long even
    # with one A before the bridge); then the next fitting form that can
    for form in sized:
        if _reach_miss(form, target_seconds, middle_tempo) <= SIZING_TOLERANCE * target_seconds:
            return form
    return min(sized, key=lambda form: _reach_miss(form, target_seconds, middle_tempo))


def form_for_request(request: SongRequest, persona: Persona, mood: str, energy: float) -> SongForm:
    """:func:`choose_form` for a request sung by ``persona``: the request's genre (or the
    persona's first), seed and length, and the persona's tempo range."""
    genre = request.genre or persona.style.genres[0]
    return choose_form(
        mood, energy, genre, request.seed, persona.style.tempo, request.length_seconds
    )
