"""The composer's entry point: lyrics + persona + request → Score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vartist.composer.arrangement import arrange
from vartist.composer.form import PlannedSection, plan_form
from vartist.composer.harmony import build_chord_track, relative_chords
from vartist.composer.learned.guidance import LearnedMelodyBias, learned_feel, styled_model
from vartist.composer.learned.model import StyleBlend
from vartist.composer.melody import (
    BEATS_PER_BAR,
    MelodyBias,
    comfortable_range,
    rhythm_feel,
    sung_range,
    write_section_melody,
)
from vartist.composer.score import Chord, Score, SyllableRef, VocalNote
from vartist.composer.styles import ROLES, StyleModel, get_style
from vartist.lyrics.concept import read_prompt
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
    bias: MelodyBias | None = None,
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
                bias,
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

    With ``persona.style.model`` set, the learned style (or blend) writes the chord
    progressions, tilts the melody's pitches, intervals and note lengths, and the key is drawn
    from the persona's keys in the style's main mode when it lists any.
    """
    style = get_style(request.genre or persona.style.genres[0])
    blend = StyleBlend.load(persona.style.model) if persona.style.model else None
    tempo = choose_tempo(persona.style.tempo, style.tempo, rng)
    keys = [Key.parse(k) for k in persona.style.keys]
    if blend is not None:
        keys = [k for k in keys if k.mode == blend.main_mode] or keys
    key = keys[int(rng.integers(len(keys)))]
    feel = rhythm_feel(style, rng)
    bias: MelodyBias | None = None
    if blend is not None:
        feel = learned_feel(blend, feel)
        style = styled_model(style, blend, key, rng)
        bias = LearnedMelodyBias(blend, key, int(rng.integers(_SEED_BOUND)))
    sections = plan_form(lyrics, style, feel, rng, request, persona, tempo)
    chords = build_chord_track(sections, key, style, rng)
    vocal_range = persona.voice.midi_range
    # the prompt's energy places the melody in the singer's comfortable range: still songs
    # low, driving ones high and a little wider
    energy = read_prompt(request.prompt, persona.language).energy
    singing_range = sung_range(comfortable_range(vocal_range), energy, rng)
    vocal = _write_melody(lyrics, sections, chords, key, singing_range, style, rng, bias)
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
