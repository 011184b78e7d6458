"""The composer, measured on hand-made lyrics with realistic English stress patterns.

Every genre composes the same song for several seeds and voices; the tests measure what the
score holds (pitches, onsets, chords, note counts, densities), never the inputs echoed back.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from tests.builders import (
    SILVER_SEA,
    VOICES,
    ComposedScores,
    persona_for,
    stressed_line,
    stressed_section,
)
from vartist.composer import (
    GENRES,
    STYLES,
    Composer,
    Score,
    UnknownGenreError,
    UnsingableLyricsError,
    compose,
    fit_melody_to_syllables,
)
from vartist.composer.melody import comfortable_range, phrase_bars
from vartist.composer.styles import DRUM_NOTES, ROLES, get_style
from vartist.composer.theory import chord_tones, make_chord, parse_roman
from vartist.errors import VartistError
from vartist.lyrics.types import Lyrics, Section
from vartist.pitch import Key
from vartist.request import SongRequest

SEEDS = (1, 7, 42)
CASES = [
    pytest.param(genre, seed, voice, id=f"{genre}-{seed}-{voice}")
    for genre in GENRES
    for seed, voice in zip(SEEDS, VOICES, strict=True)
]


def lyric_spans(score: Score) -> list[int]:
    return [i for i, s in enumerate(score.sections) if s.lyric_section is not None]


def notes_in(score: Score, index: int) -> list[tuple[float, float, int, str, bool]]:
    span = score.sections[index]
    return [
        (n.start - span.start, n.duration, n.pitch, score.syllable(n.syllable).text, n.melisma)
        for n in score.vocal
        if span.start <= n.start < span.end
    ]


# --- the melody ------------------------------------------------------------------------------


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_every_note_is_in_key_or_a_chord_tone_and_inside_the_range(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    low, high = persona_for(genre, voice).voice.midi_range
    scale = set(score.key.scale)
    pitches = np.array([n.pitch for n in score.vocal])
    assert pitches.min() >= low and pitches.max() <= high
    for note in score.vocal:
        chord = score.chord_at(note.start)
        assert chord is not None
        assert note.pitch % 12 in scale | set(chord_tones(chord)), f"{note} against {chord}"
    # the melody uses the comfortable middle, not the extremes, and moves around in it
    comfortable_low, comfortable_high = comfortable_range((low, high))
    assert comfortable_low <= pitches.min() and pitches.max() <= comfortable_high
    assert pitches.max() - pitches.min() >= 7


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_stressed_syllables_land_on_beats(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    stressed = [n for n in score.vocal if not n.melisma and score.syllable(n.syllable).stress > 0]
    on_beat = [n for n in stressed if n.start == round(n.start)]
    assert len(stressed) >= 50
    assert len(on_beat) / len(stressed) >= 0.85


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_every_syllable_is_sung_once_in_order_without_overlaps(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    sung = [n.syllable for n in score.vocal if not n.melisma]
    expected = [
        (s, li, w, y)
        for s, section in enumerate(SILVER_SEA.sections)
        for li, line in enumerate(section.lines)
        for w, word in enumerate(line.words)
        for y in range(len(word.syllables))
    ]
    assert [(r.section, r.line, r.word, r.syllable) for r in sung] == expected
    for before, after in zip(score.vocal, score.vocal[1:], strict=False):
        assert before.end <= after.start + 1e-9
    assert min(n.duration for n in score.vocal) >= 0.25
    # a melisma note carries on the syllable of the note right before it
    for before, after in zip(score.vocal, score.vocal[1:], strict=False):
        if after.melisma:
            assert after.syllable == before.syllable and after.pitch != before.pitch


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_phrases_breathe_and_end_on_a_long_note(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    notes = score.vocal
    line_ends = [
        i
        for i in range(len(notes))
        if i == len(notes) - 1
        or notes[i + 1].syllable.line != notes[i].syllable.line
        or notes[i + 1].syllable.section != notes[i].syllable.section
    ]
    assert len(line_ends) == sum(len(s.lines) for s in SILVER_SEA.sections)
    for i in line_ends:
        last = notes[i]
        # the held final syllable, melisma included, lasts at least a beat
        held = last.duration + (notes[i - 1].duration if last.melisma else 0.0)
        assert held >= 1.0
        if i + 1 < len(notes):
            assert notes[i + 1].start - last.end >= 0.5


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_repeated_sections_sing_exactly_the_same_melody(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    for kind in ("chorus", "pre-chorus"):
        spans = [i for i, s in enumerate(score.sections) if s.kind == kind]
        assert len(spans) >= 2
        first = notes_in(score, spans[0])
        assert len(first) >= 12
        for other in spans[1:]:
            assert notes_in(score, other) == first


def test_the_melody_moves_mostly_by_step_with_occasional_leaps_and_arcs(
    composed: ComposedScores,
) -> None:
    intervals: list[int] = []
    rises = 0
    phrases = 0
    for genre in GENRES:
        for seed in SEEDS:
            score = composed(genre, seed)
            by_line: dict[tuple[int, int], list[int]] = {}
            for note in score.vocal:
                by_line.setdefault((note.syllable.section, note.syllable.line), []).append(
                    note.pitch
                )
            for pitches in by_line.values():
                intervals.extend(np.abs(np.diff(pitches)))
                if len(pitches) >= 6:
                    phrases += 1
                    # an arc: the phrase's peak comes after its first note and before its last
                    peak = int(np.argmax(pitches))
                    rises += int(max(pitches) > pitches[0] and 0 < peak < len(pitches) - 1)
    steps = np.asarray(intervals)
    assert np.mean(steps <= 2) >= 0.6
    assert 0.0 < np.mean(steps >= 5) <= 0.2
    assert steps.max() <= 12
    assert rises / phrases >= 0.6


def test_choruses_sit_higher_than_verses(composed: ComposedScores) -> None:
    for genre in GENRES:
        score = composed(genre, SEEDS[0])
        by_kind: dict[str, list[int]] = {}
        for index in lyric_spans(score):
            by_kind.setdefault(score.sections[index].kind, []).extend(
                p for _, _, p, _, _ in notes_in(score, index)
            )
        assert np.mean(by_kind["chorus"]) > np.mean(by_kind["verse"])


def test_melismas_appear_at_phrase_ends(composed: ComposedScores) -> None:
    melismas = [
        (score, i)
        for genre in GENRES
        for seed in SEEDS
        for score in [composed(genre, seed)]
        for i, note in enumerate(score.vocal)
        if note.melisma
    ]
    assert len(melismas) >= 10
    for score, i in melismas:
        # the continuation is the last note of its line
        line = (score.vocal[i].syllable.section, score.vocal[i].syllable.line)
        if i + 1 < len(score.vocal):
            following = score.vocal[i + 1].syllable
            assert (following.section, following.line) != line


# --- form and harmony ------------------------------------------------------------------------


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_every_sung_section_ends_on_the_tonic_over_a_cadence(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    key = score.key
    leading = {"major": {key.scale[4], key.scale[3]}, "minor": {key.scale[4], key.scale[6]}}
    for index in lyric_spans(score):
        span = score.sections[index]
        last_note = notes_in(score, index)[-1]
        assert last_note[2] % 12 == key.tonic, span.label
        final = score.chord_at(span.end - 1e-6)
        before = score.chord_at(final.start - 1e-6) if final else None
        assert final is not None and before is not None
        assert final.root == key.tonic, span.label
        assert before.root in leading[key.mode] and before.root != key.tonic, span.label
        # the final chord is the tonic triad of the mode (possibly with a seventh)
        third = (key.tonic + (4 if key.mode == "major" else 3)) % 12
        assert third in chord_tones(final)


@pytest.mark.parametrize("genre", GENRES)
def test_form_has_instrumental_intro_and_outro_and_labelled_sections(
    genre: str, composed: ComposedScores
) -> None:
    score = composed(genre, SEEDS[0])
    spans = score.sections
    assert spans[0].kind == "intro" and spans[0].lyric_section is None
    assert spans[-1].kind == "outro" and spans[-1].lyric_section is None
    for edge in (spans[0], spans[-1]):
        assert 8 <= edge.duration <= 16
        assert not [n for n in score.vocal if edge.start <= n.start < edge.end]
    # spans tile the song without gaps and start on bar lines
    for before, after in itertools.pairwise(spans):
        assert after.start == before.end
        assert after.start % 4 == 0
    labels = [s.label for s in spans if s.lyric_section is not None]
    assert labels == [
        "verse 1",
        "pre-chorus 1",
        "chorus 1",
        "verse 2",
        "pre-chorus 2",
        "chorus 2",
        "bridge 1",
        "chorus 3",
    ]
    # a short instrumental break between the first chorus and the second verse
    between = [s for s in spans if s.lyric_section is None][1:-1]
    assert len(between) == 1 and between[0].duration == 8
    # 4-line verses of 7-9 syllables are 8 bars; the 13-syllable bridge line takes 4 bars
    verse = spans[labels.index("verse 1") + 1]
    bridge = spans[labels.index("bridge 1") + 2]
    assert verse.duration == 32 and bridge.duration == 32


@pytest.mark.parametrize("genre", GENRES)
def test_song_lasts_about_three_minutes_at_a_tempo_inside_both_ranges(
    genre: str, composed: ComposedScores
) -> None:
    style = get_style(genre)
    for seed in SEEDS:
        score = composed(genre, seed)
        assert style.tempo[0] <= score.tempo <= style.tempo[1]
        assert score.tempo == round(score.tempo)
        assert 100.0 <= score.duration_seconds <= 260.0
        assert score.key.name in {Key.parse(k).name for k in persona_for(genre).style.keys}
        assert score.beats_per_bar == 4


def test_tempo_falls_back_to_the_persona_range_when_it_misses_the_genres() -> None:
    persona = persona_for("ballad", tempo=(140.0, 150.0))
    tempi = {
        compose(SILVER_SEA, persona, SongRequest("x"), np.random.default_rng(seed)).tempo
        for seed in range(6)
    }
    assert all(140.0 <= t <= 150.0 for t in tempi)
    assert len(tempi) > 1


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_chord_track_covers_the_song_with_one_or_two_chords_a_bar(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    chords = score.chords
    assert chords[0].start == 0 and chords[-1].end == score.duration_beats
    for before, after in itertools.pairwise(chords):
        assert after.start == before.end
    for bar in range(int(score.duration_beats // 4)):
        in_bar = [c for c in chords if bar * 4 <= c.start < bar * 4 + 4]
        assert 1 <= len(in_bar) <= 2
    # every chord is diatonic to the key, so the band never fights the melody's scale
    for chord in chords:
        assert set(chord_tones(chord)) <= set(score.key.scale), chord


@pytest.mark.parametrize("genre", GENRES)
def test_repeated_sections_play_identical_progressions(
    genre: str, composed: ComposedScores
) -> None:
    score = composed(genre, SEEDS[1])
    for kind in ("chorus", "pre-chorus", "verse"):
        spans = [s for s in score.sections if s.kind == kind]
        progressions = [
            [(c.start - s.start, c.symbol) for c in score.chords if s.start <= c.start < s.end]
            for s in spans
        ]
        assert len(progressions) >= 2 and progressions[0], kind
        assert all(p == progressions[0] for p in progressions)


def test_every_style_progression_is_diatonic_and_cadences_lead_home() -> None:
    for style in STYLES.values():
        for key, table, cadences, tonic in (
            (Key(2, "major"), style.major, style.cadences_major, style.tonic_major),
            (Key(2, "minor"), style.minor, style.cadences_minor, style.tonic_minor),
        ):
            mode = key.mode
            for role in ROLES:
                for progression in style.progression_options(role, mode):
                    assert len(progression) >= 2
                    for bar in progression:
                        for symbol in bar.split():
                            assert set(chord_tones(make_chord(symbol, key, 0, 4))) <= set(key.scale)
            assert make_chord(tonic, key, 0, 4).root == key.tonic
            allowed = {3, 4} if mode == "major" else {4, 6}
            assert {parse_roman(c).degree for c in cadences} <= allowed
            assert set(table) >= {"verse", "chorus"}


def test_roman_numerals_name_chords_in_the_key() -> None:
    c_major, a_minor, e_flat = Key(0, "major"), Key(9, "minor"), Key(3, "major")
    assert make_chord("vi", c_major, 0, 4).symbol == "Am"
    assert make_chord("vii°", c_major, 0, 4).symbol == "Bdim"
    assert make_chord("V7", c_major, 0, 4).symbol == "G7"
    assert make_chord("VII", a_minor, 0, 4).symbol == "G"
    assert make_chord("III", a_minor, 0, 4).symbol == "C"
    assert make_chord("IVmaj7", e_flat, 0, 4).symbol == "Abmaj7"
    assert make_chord("ii7", e_flat, 0, 4).symbol == "Fm7"
    with pytest.raises(ValueError, match="roman-numeral"):
        parse_roman("H7")


# --- arrangement -----------------------------------------------------------------------------


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_parts_use_the_studio_instruments_and_valid_notes(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    instruments = {p.name: p.instrument for p in score.parts}
    expected = {"drums": "drums", "bass": "bass", "keys": "piano", "pad": "pad"}
    if STYLES[genre].guitar:
        expected["guitar"] = "pluck"
    assert instruments == expected
    gm_drums = set(DRUM_NOTES.values())
    for part in score.parts:
        assert part.is_drums == (part.name == "drums")
        assert len(part.notes) >= 50
        for note in part.notes:
            assert 1 <= note.velocity <= 127
            assert note.start >= 0 and note.end <= score.duration_beats + 1e-9
            assert note.duration > 0
        if part.is_drums:
            assert {n.pitch for n in part.notes} <= gm_drums
        # no two notes of one pitch overlap (a MIDI note-off would cut the second)
        by_pitch: dict[int, list[tuple[float, float]]] = {}
        for note in part.notes:
            by_pitch.setdefault(note.pitch, []).append((note.start, note.end))
        for times in by_pitch.values():
            times.sort()
            assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(times))


def _notes_per_bar(score: Score, label: str) -> float:
    span = next(s for s in score.sections if s.label == label)
    count = sum(1 for p in score.parts for n in p.notes if span.start <= n.start < span.end)
    return count / (span.duration / 4)


@pytest.mark.parametrize("genre", GENRES)
def test_choruses_are_fuller_and_louder_than_verses(genre: str, composed: ComposedScores) -> None:
    score = composed(genre, SEEDS[0])
    assert _notes_per_bar(score, "chorus 1") > 1.3 * _notes_per_bar(score, "verse 1")

    def mean_velocity(label: str) -> float:
        span = next(s for s in score.sections if s.label == label)
        velocities = [
            n.velocity
            for p in score.parts
            if p.name in ("bass", "keys")
            for n in p.notes
            if span.start <= n.start < span.end
        ]
        return float(np.mean(velocities))

    assert mean_velocity("chorus 1") > mean_velocity("verse 1")


@pytest.mark.parametrize("genre", GENRES)
def test_drums_crash_on_section_downbeats_and_fill_into_choruses(
    genre: str, composed: ComposedScores
) -> None:
    score = composed(genre, SEEDS[0])
    drums = score.part("drums")
    crash, toms_and_snare = DRUM_NOTES["crash"], {38, 45, 48}
    for span in score.sections:
        if span.kind == "chorus":
            assert any(n.pitch == crash and n.start == span.start for n in drums.notes)
            fill_bar = [n for n in drums.notes if span.start - 4 <= n.start < span.start]
            groove_bar = [n for n in drums.notes if span.start + 4 <= n.start < span.start + 8]
            fill_hits = sum(n.pitch in toms_and_snare for n in fill_bar)
            groove_hits = sum(n.pitch in toms_and_snare for n in groove_bar)
            assert fill_hits > groove_hits, span.label
    # the song ends on one last hit
    last = max(n.start for n in score.part("pad").notes + score.part("keys").notes)
    assert last == score.duration_beats - 4


@pytest.mark.parametrize(("genre", "seed", "voice"), CASES)
def test_keys_stay_out_of_the_vocal_register(
    genre: str, seed: int, voice: str, composed: ComposedScores
) -> None:
    score = composed(genre, seed, voice)
    vocal = np.array([n.pitch for n in score.vocal])
    low, high = np.percentile(vocal, [25, 75])
    keys = np.array([n.pitch for n in score.part("keys").notes])
    inside = np.mean((keys >= low) & (keys <= high))
    assert inside <= 0.25
    # chords move by voice-leading: consecutive keys chords share or step between notes
    chords: dict[float, list[int]] = {}
    for note in score.part("keys").notes:
        chords.setdefault(note.start, []).append(note.pitch)
    tops = [max(p) for _, p in sorted(chords.items()) if len(p) >= 3]
    assert np.median(np.abs(np.diff(tops))) <= 3


def test_swung_styles_delay_off_beat_eighths_and_straight_ones_do_not(
    composed: ComposedScores,
) -> None:
    def off_beat_positions(genre: str) -> set[float]:
        hats = [n for n in composed(genre, SEEDS[0]).part("drums").notes if n.pitch == 42]
        return {round(n.start % 1.0, 2) for n in hats if n.start % 1.0 != 0}

    assert off_beat_positions("lofi") == {round(0.5 + get_style("lofi").swing, 2)}
    assert 0.5 in off_beat_positions("pop")


def test_lofi_sings_its_off_beat_eighths_with_the_bands_swing(composed: ComposedScores) -> None:
    def off_beats(starts: list[float]) -> Counter[float]:
        """Onsets counted by their place within the beat, leaving out those on the beat."""
        return Counter(round(start % 1.0, 2) for start in starts if round(start % 1.0, 2))

    for seed, voice in zip(SEEDS, VOICES, strict=True):
        lofi = composed("lofi", seed, voice)
        hats = off_beats([n.start for n in lofi.part("drums").notes if n.pitch == 42])
        sung = off_beats([n.start for n in lofi.vocal])
        # the voice's off-beat eighths sit where the hi-hat's do, none on the straight grid
        assert set(hats) == {0.6}
        assert sung[0.6] >= 10 and sung[0.5] == 0, sung
        # a swung note still follows on from the note before it (or after a real breath)
        for before, after in itertools.pairwise(lofi.vocal):
            if round(after.start % 1.0, 2) == 0.6:
                gap = after.start - before.end
                assert abs(gap) < 1e-6 or gap >= 0.5 - 1e-6, (before, after)
    straight = composed("pop", SEEDS[0])
    assert off_beats([n.start for n in straight.vocal])[0.5] >= 10


# --- the whole call --------------------------------------------------------------------------


def test_same_seed_gives_the_same_score_and_another_seed_a_different_one() -> None:
    persona = persona_for("synthpop")
    request = SongRequest("x", seed=5)
    first = compose(SILVER_SEA, persona, request, np.random.default_rng(5))
    again = Composer(persona).compose(SILVER_SEA, request, np.random.default_rng(5))
    other = compose(SILVER_SEA, persona, request, np.random.default_rng(6))
    assert first == again and first.to_json() == again.to_json()
    assert [n.pitch for n in first.vocal] != [n.pitch for n in other.vocal]
    assert Score.from_dict(first.to_dict()) == first


def test_the_request_genre_overrides_the_persona_and_unknown_genres_are_named() -> None:
    persona = persona_for("pop")
    rock = compose(SILVER_SEA, persona, SongRequest("x", genre="Rock"), np.random.default_rng(0))
    assert rock.genre == "rock" and rock.tempo >= 110
    with pytest.raises(UnknownGenreError) as caught:
        compose(
            SILVER_SEA, persona, SongRequest("x", genre="polka-trance"), np.random.default_rng(0)
        )
    assert isinstance(caught.value, VartistError)
    message = str(caught.value)
    assert "polka-trance" in message and all(g in message for g in GENRES)


def test_user_lyrics_with_extreme_lines_and_any_order_still_make_a_song() -> None:
    long_line = " ".join(
        [
            "oh oh remember every word",
            "and every road leads home again tonight",
            "beautiful forever",
        ]
    )
    lyrics = Lyrics(
        "Odd",
        "en-us",
        (
            stressed_section("chorus", "go", "stop stop stop stop stop stop stop stop"),
            stressed_section("bridge", long_line),
            stressed_section("chorus", "go", "stop stop stop stop stop stop stop stop"),
            Section("verse", ()),
            stressed_section("bridge", "walk", long_line),
        ),
        "user",
    )
    assert len(stressed_line(long_line).syllables) == 24
    for genre in GENRES:
        score = compose(lyrics, persona_for(genre), SongRequest("x"), np.random.default_rng(3))
        spans = score.sections
        assert [s.kind for s in spans if s.lyric_section is not None] == [
            "chorus",
            "bridge",
            "chorus",
            "verse",
            "bridge",
        ]
        assert notes_in(score, 1) == notes_in(score, 3)
        assert sum(1 for n in score.vocal if not n.melisma) == sum(
            len(line.syllables) for s in lyrics.sections for line in s.lines
        )
        # a 24-syllable line gets a 4-bar phrase; eight stresses in a row get four bars too
        assert spans[2].duration == 16 and spans[1].duration == 24
        stressed = [n for n in score.vocal if not n.melisma and score.syllable(n.syllable).stress]
        assert np.mean([n.start == round(n.start) for n in stressed]) >= 0.85
        for before, after in zip(score.vocal, score.vocal[1:], strict=False):
            assert before.end <= after.start + 1e-9


def test_lyrics_without_a_syllable_are_refused_with_a_reason() -> None:
    empty = Lyrics("Nothing", "en-us", (Section("verse", ()),), "user")
    with pytest.raises(UnsingableLyricsError, match="no syllables"):
        compose(empty, persona_for(), SongRequest("x"), np.random.default_rng(0))


# --- rhythm fitting on its own ---------------------------------------------------------------


def test_an_iambic_line_puts_every_stress_on_a_beat_in_two_bars() -> None:
    rhythm = fit_melody_to_syllables([0, 1, 0, 1, 0, 1, 0, 1])
    assert rhythm.bars == 2 and rhythm.grid == 0.5
    assert all(o == round(o) for o, s in zip(rhythm.onsets, [0, 1] * 4, strict=True) if s)
    assert all(o * 2 == round(o * 2) for o in rhythm.onsets)
    end = rhythm.onsets[-1] + rhythm.durations[-1]
    assert rhythm.durations[-1] >= 1.0 and 8 - end >= 0.5
    assert all(
        a + d <= b
        for a, d, b in zip(rhythm.onsets, rhythm.durations, rhythm.onsets[1:], strict=False)
    )


def test_long_lines_get_four_bars_and_sixteenths_only_when_eighths_cannot_fit() -> None:
    assert phrase_bars([0, 1] * 5) == 2
    assert phrase_bars([0, 1, 0] * 4) == 4
    assert phrase_bars([1] * 8) == 4
    roomy = fit_melody_to_syllables([0, 1, 0, 0, 1, 0], bars=2)
    assert roomy.grid == 0.5 and roomy.stresses_off_beat == 0
    cramped = fit_melody_to_syllables([0, 1, 0, 0, 1, 0], bars=1)
    assert cramped.grid == 0.25 and cramped.stresses_off_beat == 0
    assert any(o * 2 != round(o * 2) for o in cramped.onsets)
