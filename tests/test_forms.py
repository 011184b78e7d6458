"""Song forms and lengths, measured from what the writer and the composer produced.

Forms are read back from the Score's section labels and kinds and from the Lyrics' sections
(which words each span sings), lengths from the Score's duration and, for whole renders, from
the decoded master file. The form catalogue is only consulted to know which form a seed was
given, never to predict a measurement.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.measure import integrated_loudness
from tests.runner import PERSONAS, one_error_line, vartist
from vartist.audio import Audio
from vartist.composer import Score, compose
from vartist.composer.score import SectionSpan
from vartist.lyrics import lyric_engines
from vartist.lyrics.concept import read_prompt
from vartist.persona import Persona, load_persona
from vartist.request import RequestError, SongRequest, parse_length
from vartist.runtime import Pipeline
from vartist.song_forms import form_for_request

GRIEF = "a song about my grandmother's funeral"
JOY = "an upbeat party anthem for my sister's birthday"
SEEDS = range(5)
LENGTH_TOLERANCE = 0.15
STINGER_SECONDS = 40.0


def persona(name: str) -> Persona:
    return load_persona(PERSONAS / f"{name}.toml")


def composed(name: str, prompt: str, seed: int, length: float | None = None) -> Score:
    artist = persona(name)
    request = SongRequest(prompt, seed=seed, length_seconds=length)
    writer = lyric_engines.get("builtin")(artist)
    lyrics = writer.write(request, artist, np.random.default_rng(seed))
    return compose(lyrics, artist, request, np.random.default_rng(seed))


def shape_of(score: Score) -> tuple[str, ...]:
    """The section labels without their counters: ("intro", "verse", "chorus", …)."""
    return tuple(re.sub(r" \d+", "", span.label) for span in score.sections)


def sung_spans(score: Score) -> list[int]:
    return [i for i, span in enumerate(score.sections) if span.lyric_section is not None]


def melody_of(score: Score, index: int) -> list[tuple[float, float, int]]:
    span = score.sections[index]
    return [
        (round(n.start - span.start, 4), round(n.duration, 4), n.pitch)
        for n in score.vocal
        if span.start <= n.start < span.end
    ]


def chosen_form_name(name: str, prompt: str, seed: int) -> str:
    artist = persona(name)
    concept = read_prompt(prompt, artist.language)
    return form_for_request(
        SongRequest(prompt, seed=seed), artist, concept.mood, concept.energy
    ).name


# --- forms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "prompt"), [("nova", GRIEF), ("kit", JOY), ("bram", GRIEF)])
def test_five_seeds_of_one_persona_and_prompt_give_at_least_three_forms(
    name: str, prompt: str
) -> None:
    shapes = {shape_of(composed(name, prompt, seed)) for seed in SEEDS}
    assert len(shapes) >= 3, shapes


def is_aaba(score: Score) -> bool:
    """Each A a verse closed by its refrain (a short chorus), an A returning after the bridge
    (B), and no instrumental break between the A sections."""
    sung = [score.sections[i] for i in sung_spans(score)]
    kinds = [span.kind for span in sung]
    if kinds != ["verse", "chorus", "verse", "chorus", "bridge", "verse", "chorus"]:
        return False
    return all(before.end == after.start for before, after in itertools.pairwise(sung))


def test_a_folk_persona_sings_aaba_with_a_refrain_closing_each_a() -> None:
    aaba = [score for seed in SEEDS if is_aaba(score := composed("bram", GRIEF, seed))]
    assert aaba, "no AABA over five seeds of a folk persona's grief song"
    for score in aaba:
        refrains = [i for i in sung_spans(score) if score.sections[i].kind == "chorus"]
        lyric = score.sections[refrains[0]].lyric_section
        assert lyric is not None
        # a refrain is shorter than a verse's four lines, and each A sings it alike
        assert len(score.lyrics.sections[lyric].lines) < 4
        assert all(melody_of(score, i) == melody_of(score, refrains[0]) for i in refrains)
        # the refrain opens on the hook, which names the song
        hook = score.lyrics.sections[lyric].lines[0].text
        assert score.title.casefold() in hook.casefold(), (score.title, hook)


def test_band_genres_never_sing_aaba() -> None:
    for name, prompt in (("nova", GRIEF), ("kit", GRIEF), ("saga", JOY)):
        for seed in SEEDS:
            score = composed(name, prompt, seed)
            kinds = [score.sections[i].kind for i in sung_spans(score)]
            assert kinds[kinds.index("bridge") + 1] == "chorus", (name, seed, kinds)


@pytest.mark.parametrize(("name", "prompt"), [("nova", JOY), ("bram", JOY), ("kit", JOY)])
def test_a_double_chorus_ends_the_song_exactly_where_chosen(name: str, prompt: str) -> None:
    doubled = 0
    for seed in SEEDS:
        score = composed(name, prompt, seed)
        last, before = sung_spans(score)[-1], sung_spans(score)[-2]
        ends_twice = (
            score.sections[last].kind == score.sections[before].kind == "chorus"
            and score.sections[before].end == score.sections[last].start
        )
        assert ends_twice == (chosen_form_name(name, prompt, seed) == "double-chorus ending")
        if ends_twice:
            doubled += 1
            assert melody_of(score, last) == melody_of(score, before)
    assert doubled, "no seed gave this upbeat song a double chorus"


def test_a_grief_song_never_ends_on_a_double_chorus_nor_a_joyful_one_stripped() -> None:
    for seed in range(8):
        assert "chorus (stripped)" not in shape_of(composed("nova", JOY, seed))
        grief = composed("nova", GRIEF, seed)
        last, before = sung_spans(grief)[-2:]
        assert not (grief.sections[last].kind == grief.sections[before].kind == "chorus")


@pytest.mark.parametrize("name", ["nova", "saga"])
def test_a_stripped_final_chorus_is_marked_where_chosen_and_sings_the_chorus(name: str) -> None:
    stripped_songs = 0
    for seed in SEEDS:
        score = composed(name, GRIEF, seed)
        marked = [i for i, span in enumerate(score.sections) if "(stripped)" in span.label]
        if chosen_form_name(name, GRIEF, seed) != "stripped final chorus":
            assert not marked
            continue
        stripped_songs += 1
        # only the final chorus, and it sings the same words and tune as the first
        assert marked == [sung_spans(score)[-1]]
        first_chorus = next(i for i in sung_spans(score) if score.sections[i].kind == "chorus")
        assert score.sections[marked[0]].kind == "chorus"
        assert melody_of(score, marked[0]) == melody_of(score, first_chorus)
    assert stripped_songs, "no seed gave this grief song a stripped final chorus"


def test_a_hook_intro_is_labelled_and_leaves_room_for_the_hook() -> None:
    hooked = 0
    for name, prompt in (("bram", GRIEF), ("kit", JOY)):
        for seed in SEEDS:
            score = composed(name, prompt, seed)
            intro = score.sections[0]
            assert intro.kind == "intro" and intro.lyric_section is None
            assert not [n for n in score.vocal if n.start < intro.end]
            if intro.label == "intro (hook)":
                hooked += 1
                # the hook line takes two bars; the intro frames it with a bar each side
                assert intro.duration >= 4 * score.beats_per_bar
    assert hooked


# --- the form's touches, heard in the arrangement --------------------------------------------


def band_notes(score: Score, span: SectionSpan) -> dict[str, int]:
    """Notes each accompaniment part starts inside ``span``."""
    return {
        part.name: sum(1 for n in part.notes if span.start <= n.start < span.end)
        for part in score.parts
    }


def per_bar(counts: dict[str, int], span: SectionSpan, beats_per_bar: int) -> float:
    return sum(counts.values()) / (span.duration / beats_per_bar)


def first_chorus(score: Score) -> SectionSpan:
    return next(score.sections[i] for i in sung_spans(score) if score.sections[i].kind == "chorus")


@pytest.mark.parametrize("name", ["nova", "saga", "bram"])
def test_a_stripped_final_chorus_thins_the_band_and_keeps_the_voice(name: str) -> None:
    stripped_songs = 0
    for seed in SEEDS:
        score = composed(name, GRIEF, seed)
        stripped = [span for span in score.sections if "(stripped)" in span.label]
        if not stripped:
            continue
        stripped_songs += 1
        full_span, thin_span = first_chorus(score), stripped[0]
        full, thin = band_notes(score, full_span), band_notes(score, thin_span)
        bar = score.beats_per_bar
        assert per_bar(thin, thin_span, bar) <= 0.5 * per_bar(full, full_span, bar), (full, thin)
        assert sum(c > 0 for c in thin.values()) < sum(c > 0 for c in full.values())
        assert thin.get("drums", 0) <= 0.25 * full.get("drums", 0)
        # no drum fill leads into it either: the bar before is no busier than the groove
        drums = [p for p in score.parts if p.is_drums]
        if drums:
            before = [
                n for n in drums[0].notes if thin_span.start - bar <= n.start < thin_span.start
            ]
            earlier = [
                n
                for n in drums[0].notes
                if thin_span.start - 2 * bar <= n.start < thin_span.start - bar
            ]
            assert len(before) <= len(earlier) + 2
        # the voice carries it: the whole chorus is still sung
        assert len(melody_of(score, score.sections.index(thin_span))) == len(
            melody_of(score, score.sections.index(full_span))
        )
    assert stripped_songs, f"no seed gave {name}'s grief song a stripped final chorus"


def shape_of_line(
    notes: list[tuple[float, float, int]],
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """A line's rhythm (gaps between onsets, and the last note's length) and its intervals:
    what stays when the line is moved in time or transposed."""
    onsets = [start for start, _, _ in notes]
    gaps = tuple(round(b - a, 3) for a, b in itertools.pairwise(onsets))
    intervals = tuple(b[2] - a[2] for a, b in itertools.pairwise(notes))
    return (*gaps, round(notes[-1][1], 3)), intervals


def test_a_hook_intro_plays_the_hook_line_over_the_chorus_chords() -> None:
    hooked = 0
    for name, prompt in (("bram", GRIEF), ("kit", JOY), ("nova", JOY)):
        for seed in SEEDS:
            score = composed(name, prompt, seed)
            intro = score.sections[0]
            if intro.label != "intro (hook)":
                continue
            hooked += 1
            chorus = first_chorus(score)
            sung = [n for n in score.vocal if chorus.start <= n.start < chorus.end]
            hook = [
                (n.start, n.duration, n.pitch)
                for n in sung
                if n.syllable.line == sung[0].syllable.line
            ]
            played = {
                part.name: sorted(
                    (n.start, n.duration, n.pitch) for n in part.notes if n.start < intro.end
                )
                for part in score.parts
                if not part.is_drums
            }
            leads = [
                part_name
                for part_name, notes in played.items()
                if notes and shape_of_line(notes) == shape_of_line(hook)
            ]
            assert leads, (name, seed, played)
            lead = score.part(leads[0])
            # a band instrument of the genre plays it: the rock guitar in rock
            timbres = {
                (p.instrument, p.midi_program): p.name
                for p in score.parts
                if p.name in ("keys", "guitar")
            }
            assert (lead.instrument, lead.midi_program) in timbres
            if score.genre == "rock":
                assert timbres[(lead.instrument, lead.midi_program)] == "guitar"
            # over the chords the voice later sings it over
            shift = lead.notes[0].start - hook[0][0]
            for start, _, _ in hook:
                intro_chord, chorus_chord = score.chord_at(start + shift), score.chord_at(start)
                assert intro_chord is not None and chorus_chord is not None
                assert intro_chord.symbol == chorus_chord.symbol
    assert hooked >= 2


@pytest.mark.slow
def test_a_rendered_stripped_chorus_is_quieter_than_the_full_one_and_still_sung() -> None:
    seed = next(
        s for s in range(8) if chosen_form_name("nova", GRIEF, s) == "stripped final chorus"
    )
    song = Pipeline(persona("nova"), keep_stems=True).render(SongRequest(GRIEF, seed=seed))
    score, rate = song.score, song.master.sample_rate
    stripped = next(span for span in score.sections if "(stripped)" in span.label)
    full = first_chorus(score)
    band = sum(audio.samples for name, audio in song.stems.items() if name != "vocals")
    vocal = song.stems["vocals"].samples
    assert isinstance(band, np.ndarray)

    def level_db(samples: np.ndarray, span: SectionSpan) -> float:
        window = samples[
            :, round(score.seconds(span.start) * rate) : round(score.seconds(span.end) * rate)
        ]
        return float(10 * np.log10(np.mean(np.square(window, dtype=np.float64))))

    assert level_db(band, stripped) <= level_db(band, full) - 6.0
    # the voice is still there, not buried under what is left of the band
    assert level_db(vocal, stripped) >= level_db(band, stripped) - 3.0

    # and the listener hears it: the master does not lift it back to a full chorus's loudness
    def loudness(span: SectionSpan) -> float:
        start, end = round(score.seconds(span.start) * rate), round(score.seconds(span.end) * rate)
        return integrated_loudness(Audio(song.master.samples[:, start:end], rate))

    assert loudness(stripped) <= loudness(full) - 1.5


# --- length ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nova", "kit", "bram", "saga"])
@pytest.mark.parametrize("seconds", [90.0, 150.0, 240.0])
def test_a_requested_length_is_met_within_fifteen_percent(name: str, seconds: float) -> None:
    for seed in range(3):
        score = composed(name, GRIEF if seed % 2 else JOY, seed, length=seconds)
        assert abs(score.duration_seconds - seconds) <= LENGTH_TOLERANCE * seconds, (
            seed,
            score.tempo,
            score.duration_seconds,
            shape_of(score),
        )


def test_longer_requests_sing_more_sections() -> None:
    sections = [len(sung_spans(composed("nova", JOY, 1, length))) for length in (60, 150, 300)]
    assert sections == sorted(sections) and sections[0] < sections[-1]


@pytest.mark.parametrize("name", ["nova", "kit", "bram", "saga"])
def test_a_stinger_is_a_chorus_with_at_most_one_verse_under_forty_seconds(name: str) -> None:
    for seed in SEEDS:
        score = composed(name, JOY, seed, length=30.0)
        kinds = [score.sections[i].kind for i in sung_spans(score)]
        assert kinds in (["chorus"], ["verse", "chorus"]), kinds
        assert score.duration_seconds < STINGER_SECONDS
        intro, outro = score.sections[0], score.sections[-1]
        assert intro.duration <= 2 * score.beats_per_bar >= outro.duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("2:30", 150.0), ("150", 150.0), ("150s", 150.0), ("0:30", 30.0)]
)
def test_lengths_are_read_as_a_user_writes_them(text: str, seconds: float) -> None:
    assert parse_length(text) == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abc", "not a length"), ("2:75", "0 to 59"), ("0", "cannot be made"), ("11:00", "10 min")],
)
def test_bad_lengths_are_refused_with_the_fix(text: str, expected: str) -> None:
    with pytest.raises(RequestError, match=expected):
        SongRequest("a song", length_seconds=parse_length(text))


@pytest.mark.parametrize(
    ("text", "expected"), [("abc", "not a length"), ("0", "15 s to 10 minutes")]
)
def test_the_cli_refuses_a_bad_length_in_one_line(text: str, expected: str, tmp_path: Path) -> None:
    result = vartist("sing", "a song about rain", "--length", text, "--out", "out", cwd=tmp_path)
    assert expected in one_error_line(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("length", "low", "high"), [("0:30", 0.0, 40.0), ("2:30", 127.5, 172.5)])
def test_rendered_songs_land_on_the_requested_length(
    length: str, low: float, high: float, tmp_path: Path
) -> None:
    result = vartist(
        "sing",
        JOY,
        "--persona",
        str(PERSONAS / "kit.toml"),
        "--seed",
        "3",
        "--length",
        length,
        "--out",
        "song",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    audio, rate = soundfile.read(tmp_path / "song/song.wav", dtype="float32", always_2d=True)
    seconds = audio.shape[0] / rate
    assert low < seconds < high, seconds
    assert np.sqrt(np.mean(audio**2)) > 0.05, "the master is (nearly) silent"
