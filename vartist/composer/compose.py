"""The composer's entry point: lyrics + persona + request → Score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vartist.composer.arrangement import arrange
from vartist.composer.form import PlannedSection, hook_entry_beats, hook_phrase, plan_form
from vartist.composer.harmony import build_chord_track, relative_chords
from vartist.composer.learned.guidance import LearnedMelodyBias, learned_feel, styled_model
from vartist.composer.learned.model import StyleBlend
from vartist.composer.melody import (
    BEATS_PER_BAR,
    MelodyBias,
    SungTune,
    comfortable_range,
    rhythm_feel,
    sung_range,
    sung_tune,
    swing_vocal,
    write_section_melody,
)
from vartist.composer.score import Chord, Score, SyllableRef, VocalNote
from vartist.composer.styles import ROLES, Role, StyleModel, get_style
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


def with_hook_harmony(
    chords: Sequence[Chord], sections: Sequence[PlannedSection]
) -> tuple[Chord, ...]:
    """The chord track with the chorus's chords under the hook line wherever an intro plays
    it, so the instrument playing the hook has the harmony the hook was written over."""
    track = list(chords)
    for intro in sections:
        if intro.hook_section is None:
            continue
        found = hook_phrase(sections, intro.hook_section)
        if found is None:
            continue
        chorus, phrase = found
        line_start = chorus.span.start + phrase.start
        entry = intro.span.start + hook_entry_beats(intro, phrase.rhythm.beats)
        end = min(entry + phrase.rhythm.beats, intro.span.end)
        shift = entry - line_start
        borrowed = [
            replace(chord, start=chord.start + shift)
            for chord in chords
            if line_start <= chord.start < line_start + (end - entry)
        ]
        track = [c for c in track if not entry <= c.start < end]
        track = sorted([*track, *borrowed], key=lambda chord: chord.start)
    return tuple(track)


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
    # Sections of one role share a motif seed and sing the tune the role's first section
    # sang, so a second verse sings the first one's tune to its own words, and a repeated
    # section with the same lyrics and chords sings the same notes.
    motif_seeds = {role: int(rng.integers(_SEED_BOUND)) for role in ROLES}
    comfortable = comfortable_range(vocal_range)
    written: dict[tuple[Section, str, tuple[Chord, ...]], tuple[VocalNote, ...]] = {}
    tunes: dict[Role, SungTune] = {}
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
                tunes.get(planned.role, ()),
            )
            tunes.setdefault(planned.role, sung_tune(section, written[cache_key]))
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
    chords = with_hook_harmony(build_chord_track(sections, key, style, rng), sections)
    vocal_range = persona.voice.midi_range
    # the prompt's energy places the melody in the singer's comfortable range: still songs
    # low, driving ones high and a little wider
    energy = read_prompt(request.prompt, persona.language).energy
    singing_range = sung_range(comfortable_range(vocal_range), energy, rng)
    vocal = _write_melody(lyrics, sections, chords, key, singing_range, style, rng, bias)
    # the voice swings with the band, so sung off-beats land with the hi-hat
    vocal = swing_vocal(vocal, style.swing)
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
