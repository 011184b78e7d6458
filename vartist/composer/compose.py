"""The composer's entry point: lyrics + persona + request → Score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vartist.composer.arrangement import arrange
from vartist.composer.form import PlannedSection, plan_form
from vartist.composer.harmony import build_chord_track, relative_chords
from vartist.composer.melody import (
    BEATS_PER_BAR,
    comfortable_range,
    rhythm_feel,
    write_section_melody,
)
from vartist.composer.score import Chord, Score, SyllableRef, VocalNote
from vartist.composer.styles import ROLES, StyleModel, get_style
from vartist.lyrics.types import Lyrics, Section
from vartist.persona import Persona
from vartist.pitch import Key
from vartist.request import SongRequest

_SEED_BOUND = 2**63


def choose_tempo(
    persona_tempo: tuple[float, float], style_tempo: tuple[float, float], rng: np.random.Generator
) -> float:
    """A whole-number bpm inside the persona's range, and inside the style's comfortable
    range too when the two overlap."""
    low, high = persona_tempo
    overlap_low, overlap_high = max(low, style_tempo[0]), min(high, style_tempo[1])
    if overlap_low <= overlap_high:
        low, high = overlap_low, overlap_high
    drawn = float(rng.uniform(low, high))
    rounded = float(round(drawn))
    # rounding must not step outside a narrow range like (90.4, 90.6)
    return rounded if low <= rounded <= high else drawn


def _write_melody(
    lyrics: Lyrics,
    sections: Sequence[PlannedSection],
    chords: Sequence[Chord],
    key: Key,
    vocal_range: tuple[int, int],
    style: StyleModel,
    rng: np.random.Generator,
) -> tuple[VocalNote, ...]:
    # Sections of one role share a motif seed, so a second verse echoes the first one's
    # contour, and a repeated section with the same lyrics and chords sings the same notes.
    motif_seeds = {role: int(rng.integers(_SEED_BOUND)) for role in ROLES}
    comfortable = comfortable_range(vocal_range)
    written: dict[tuple[Section, str, tuple[Chord, ...]], tuple[VocalNote, ...]] = {}
    vocal: list[VocalNote] = []
    for planned in sections:
        index = planned.span.lyric_section
        if index is None or not planned.phrases:
            continue
        section = lyrics.sections[index]
        local_chords = relative_chords(chords, planned.span.start, planned.span.end)
        cache_key = (section, planned.role, local_chords)
        if cache_key not in written:
            written[cache_key] = write_section_melody(
                section,
                planned.phrases,
                local_chords,
                key,
                comfortable,
                planned.role,
                style,
                np.random.default_rng(motif_seeds[planned.role]),
            )
        offset = planned.span.start
        vocal.extend(
            VocalNote(
                note.start + offset,
                note.duration,
                note.pitch,
                SyllableRef(index, note.syllable.line, note.syllable.word, note.syllable.syllable),
                note.melisma,
            )
            for note in written[cache_key]
        )
    return tuple(vocal)


def compose(
    lyrics: Lyrics, persona: Persona, request: SongRequest, rng: np.random.Generator
) -> Score:
    """Write a song for ``lyrics`` in the requested genre (or the persona's first).

    Tempo comes from the persona's range (within the genre's where they overlap), the key
    from the persona's keys, in 4/4. The same ``rng`` state gives the identical Score.
    Raises :class:`~vartist.composer.errors.UnknownGenreError` for a genre no style covers.
    """
    style = get_style(request.genre or persona.style.genres[0])
    tempo = choose_tempo(persona.style.tempo, style.tempo, rng)
    key = Key.parse(persona.style.keys[int(rng.integers(len(persona.style.keys)))])
    feel = rhythm_feel(style, rng)
    sections = plan_form(lyrics, style, feel, rng)
    chords = build_chord_track(sections, key, style, rng)
    vocal_range = persona.voice.midi_range
    vocal = _write_melody(lyrics, sections, chords, key, vocal_range, style, rng)
    parts = arrange(sections, chords, key, style, vocal, rng)
    return Score(
        title=lyrics.title,
        genre=style.name,
        tempo=tempo,
        beats_per_bar=BEATS_PER_BAR,
        key=key,
        sections=tuple(p.span for p in sections),
        chords=chords,
        vocal=vocal,
        parts=parts,
        lyrics=lyrics,
        vocal_range=vocal_range,
    )


class Composer:
    """The composer stage bound to a persona: ``Composer(persona).compose(lyrics, request, rng)``."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona

    def compose(self, lyrics: Lyrics, request: SongRequest, rng: np.random.Generator) -> Score:
        return compose(lyrics, self.persona, request, rng)
