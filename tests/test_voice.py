"""The embedded singer, measured on what it sang.

Scores are built by hand (no composer, no lyric engine). Pitch and onsets come from an F0
tracker run on the sung audio, levels from its RMS, brightness from its spectrum; nothing is
read back from the score where the audio can be measured instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pytest
import pyworld

from tests.builders import one_line_lyrics, syllable, verse_score
from tests.measure import PitchTrack, cents, spectral_centroid, track_pitch
from vartist.audio import Audio
from vartist.composer.score import Score, SyllableRef, VocalNote
from vartist.lyrics import espeak
from vartist.lyrics.espeak import EspeakError
from vartist.lyrics.types import Syllable
from vartist.persona import Persona
from vartist.pitch import midi_to_hz
from vartist.voice import (
    VISEMES,
    BuiltinSinger,
    UnknownVisemeError,
    UnsingableScoreError,
    VocalTake,
    build_timeline,
    mouth_open,
    singers,
    viseme_of,
    visemes_of,
)
from vartist.voice.contour import VIBRATO_RATE_SPREAD
from vartist.voice.performance import vowel_positions
from vartist.voice.phonetics import PhoneKind, align_phoneme_events, is_vowel, phone_kinds
from vartist.voice.spoken import FRAME_SECONDS, EspeakVoice, WordToSpeak

# ---------------------------------------------------------------------------------------------
# Hand-made scores: one syllable per word, rests and melismas where asked.

REST: Final = "rest"
MELISMA: Final = "melisma"


@dataclass(frozen=True)
class Sung:
    """One event of a hand-written vocal line: a syllable, a rest or a melisma continuation."""

    what: Syllable | Literal["rest", "melisma"]
    beats: float
    pitch: int = 0


def line_score(events: Sequence[Sung], language: str, tempo: float = 100.0) -> Score:
    """A one-line song that starts after two beats and ends two beats after its last note."""
    syllables = [e.what for e in events if isinstance(e.what, Syllable)]
    lyrics = one_line_lyrics(syllables, language)
    beat, word, notes = 2.0, -1, []
    for event in events:
        if event.what == REST:
            beat += event.beats
            continue
        if event.what != MELISMA:
            word += 1
        ref = SyllableRef(0, 0, word, 0)
        notes.append(VocalNote(beat, event.beats, event.pitch, ref, melisma=event.what == MELISMA))
        beat += event.beats
    return verse_score(lyrics, tuple(notes), beat + 2.0, tempo)


def persona(low: str = "A3", high: str = "E5", **voice: object) -> Persona:
    return Persona.model_validate({"name": "Test", "voice": {"range": [low, high], **voice}})


S = syllable

# English, a low male voice (E2-E4), leaps of up to an octave and a melisma on "day".
ENGLISH_LOW = line_score(
    [
        Sung(S("my", "m 'aI"), 1, 45),
        Sung(S("love", "l 'V v"), 1, 52),
        Sung(S("is", "I z", 0), 1, 48),
        Sung(S("the", "D @", 0), 1, 57),
        Sung(S("sea", "s 'i:"), 1, 50),
        Sung(S("so", "s 'oU"), 1, 62),
        Sung(S("wide", "w 'aI d"), 1, 55),
        Sung(S("and", "a n d", 0), 1, 43),
        Sung(S("blue", "b l 'u:"), 1, 59),
        Sung(S("all", "'O: l"), 1, 47),
        Sung(S("day", "d 'eI"), 1, 52),
        Sung(MELISMA, 1, 55),
        Sung(MELISMA, 1, 50),
        Sung(S("long", "l 'O N"), 2, 45),
    ],
    "en-us",
)

# Dutch, a high voice (A3-E5) leaping across it.
DUTCH_HIGH = line_score(
    [
        Sung(S("zon", "z 'O n"), 1, 60),
        Sung(S("zee", "z 'e:"), 1, 67),
        Sung(S("licht", "l 'I x t"), 1, 72),
        Sung(S("maan", "m 'a: n"), 1, 64),
        Sung(S("vuur", "v 'y r"), 1, 76),
        Sung(S("ster", "s t 'E r"), 1, 69),
        Sung(S("hart", "h 'A r t"), 1, 62),
        Sung(S("nacht", "n 'A x t"), 1, 74),
        Sung(S("droom", "d r 'o: m"), 1, 65),
        Sung(S("blijf", "b l 'EI f"), 1, 71),
        Sung(S("jij", "j 'EI"), 1, 59),
        Sung(MELISMA, 1, 64),
        Sung(S("wij", "v# 'EI"), 2, 67),
    ],
    "nl",
)

# Swedish phrases with rests between them and long held notes. Each phrase after a rest opens on
# a vowel or a voiceless consonant, so voicing itself marks where the note begins (a voiced
# consonant is sung before the beat, on purpose, and would blur that measurement).
SWEDISH_PHRASES = line_score(
    [
        Sung(S("sol", "s 'u: l"), 1, 62),
        Sung(S("och", "O k", 0), 1, 65),
        Sung(S("hav", "h 'A: v"), 3, 69),
        Sung(REST, 2),
        Sung(S("en", "'E n"), 1, 67),
        Sung(S("mot", "m 'u: t"), 1, 64),
        Sung(S("natt", "n 'a t"), 3, 60),
        Sung(REST, 1.5),
        Sung(S("kom", "k 'O m"), 1, 65),
        Sung(S("se", "s 'e:"), 1, 69),
        Sung(S("dag", "d 'A: g"), 3, 64),
        Sung(REST, 2),
        Sung(S("tid", "t 'i: d"), 4, 62),
    ],
    "sv",
    tempo=90.0,
)

CASES = {
    "english-low": (ENGLISH_LOW, persona("E2", "E4")),
    "dutch-high": (DUTCH_HIGH, persona("A3", "E5", formant_shift=1.15)),
    "swedish-phrases": (SWEDISH_PHRASES, persona("A3", "E5")),
}

_takes: dict[str, tuple[Score, VocalTake, PitchTrack]] = {}


@pytest.fixture(scope="module", autouse=True)
def _forget_takes() -> Iterator[None]:
    yield
    _takes.clear()


def sung(case: str) -> tuple[Score, VocalTake, PitchTrack]:
    """Sing a case once per test session and track its pitch."""
    if case not in _takes:
        score, who = CASES[case]
        take = BuiltinSinger(who).sing(score, np.random.default_rng(7))
        _takes[case] = (score, take, track_pitch(take.audio))
    return _takes[case]


def note_seconds(score: Score, note: VocalNote) -> tuple[float, float]:
    return score.seconds(note.start), score.seconds(note.end)


def settle_time(track: PitchTrack, midi: float, start: float, end: float) -> float | None:
    """When the tracked F0 first comes within 50 cents of ``midi`` and stays for 15 ms."""
    frames = track.frames_between(start, end)
    near = np.abs(cents(np.maximum(track.f0[frames], 1e-3), midi)) < 50.0
    held = near[:-2] & near[1:-1] & near[2:]
    hits = np.flatnonzero(held)
    return float(track.times[frames[hits[0]]]) if hits.size else None


def voicing_onset(track: PitchTrack, start: float, end: float) -> float | None:
    frames = track.frames_between(start, end)
    voiced = track.f0[frames] > 0
    held = voiced[:-2] & voiced[1:-1] & voiced[2:]
    hits = np.flatnonzero(held)
    return float(track.times[frames[hits[0]]]) if hits.size else None


def click_ratio(samples: npt.NDArray[np.floating]) -> float:
    """The largest sample-to-sample jump over the RMS of the jumps around it (20 ms, the jump
    and its neighbours left out), with a floor 60 dB under the peak. A click in a quiet
    stretch scores in the tens; a voice, fricatives included, stays under about 8."""
    x = samples.astype(np.float64)
    jumps = np.abs(np.diff(x))
    width = 480
    energy = jumps**2
    running = np.concatenate([[0.0], np.cumsum(energy)])
    centre = np.arange(energy.size)
    low = np.clip(centre - width // 2, 0, energy.size)
    high = np.clip(centre + width // 2, 0, energy.size)
    window = running[high] - running[low]
    own = energy + np.roll(energy, 1) + np.roll(energy, -1)
    local = np.sqrt(np.maximum(window - own, 0.0) / (width - 3))
    floor = 1e-3 * np.max(np.abs(x))
    return float(np.max(jumps / (local + floor)))


# ---------------------------------------------------------------------------------------------
# Quality bars measured on the sung audio.


@pytest.mark.parametrize("case", ["english-low", "dutch-high", "swedish-phrases"])
def test_sung_pitch_follows_the_score(case: str) -> None:
    score, _, track = sung(case)
    errors, sung_frames = [], 0
    for note in score.vocal:
        start, end = note_seconds(score, note)
        frames = track.frames_between(start + 0.06, end)
        sung_frames += frames.size
        voiced = frames[track.f0[frames] > 0]
        errors.append(np.abs(cents(track.f0[voiced], note.pitch)))
    all_errors = np.concatenate(errors)
    print(f"{case}: median {np.median(all_errors):.1f} cents over {all_errors.size} frames")
    assert all_errors.size > 0.7 * sung_frames, "too few voiced frames inside the notes"
    assert np.median(all_errors) < 30.0


def test_the_melodies_span_more_than_two_octaves_of_sung_pitch() -> None:
    """The pitch cases above are only meaningful if the voice really went low and high."""
    low_f0, high_f0 = sung("english-low")[2].f0, sung("dutch-high")[2].f0
    lowest = float(np.percentile(low_f0[low_f0 > 0], 2))
    highest = float(np.percentile(high_f0[high_f0 > 0], 98))
    assert 12 * np.log2(highest / lowest) > 24.0


@pytest.mark.parametrize("case", ["english-low", "dutch-high"])
def test_leaps_arrive_within_40_ms_of_the_note(case: str) -> None:
    score, _, track = sung(case)
    errors = []
    for previous, note in pairwise(score.vocal):
        if abs(note.pitch - previous.pitch) < 2:
            continue
        start, end = note_seconds(score, note)
        arrived = settle_time(track, note.pitch, start - 0.1, end)
        assert arrived is not None, f"the voice never reached {note.pitch} at {start:.2f}s"
        errors.append(abs(arrived - start))
    errors_ms = np.array(errors) * 1000
    median, p90 = np.median(errors_ms), np.percentile(errors_ms, 90)
    print(f"{case}: {errors_ms.size} leaps, onset error median {median:.0f} ms, p90 {p90:.0f} ms")
    assert errors_ms.size >= 10
    assert p90 <= 40.0
    assert median <= 30.0


def test_notes_after_a_rest_start_their_voicing_on_time() -> None:
    score, _, track = sung("swedish-phrases")
    notes = score.vocal
    after_rest = [
        (previous, note) for previous, note in pairwise(notes) if note.start - previous.end >= 1.0
    ]
    assert len(after_rest) == 3
    for previous, note in after_rest:
        start, _ = note_seconds(score, note)
        onset = voicing_onset(track, score.seconds(previous.end) + 0.1, start + 0.3)
        assert onset is not None
        assert abs(onset - start) <= 0.040, f"voicing began {1000 * (onset - start):.0f} ms off"


def test_long_notes_hold_their_vowel() -> None:
    score, _, track = sung("swedish-phrases")
    long_notes = [n for n in score.vocal if score.seconds(n.duration) >= 1.5]
    assert len(long_notes) == 4
    for note in long_notes:
        frames = track.frames_between(*note_seconds(score, note))
        voiced = float(np.mean(track.f0[frames] > 0))
        assert voiced >= 0.8, f"only {voiced:.0%} of the {note.duration}-beat note is voiced"


@pytest.mark.parametrize("seconds", [0.5, 1.5, 4.0])
@pytest.mark.parametrize("diphthong", [False, True])
def test_a_held_vowel_drifts_once_through_its_spoken_vowel(seconds: float, diphthong: bool) -> None:
    """However long the note, the held vowel moves on through the spoken vowel and never turns
    back: swept back and forth every 0.3 s, each sweep was heard as a new syllable ("ago" held
    for two seconds came out as "go, go, go")."""
    frames = round(seconds / FRAME_SECONDS)
    positions, _ = vowel_positions(1000, 1030, frames, diphthong)
    assert positions.size == frames
    assert positions[0] == 1000 and positions[-1] == 1029
    assert np.all(np.diff(positions) >= 0.0), "the vowel turned back"
    middle = positions[frames // 4 : 3 * frames // 4]
    assert np.ptp(middle) >= 3.0, "the held vowel froze"


def test_melisma_moves_the_held_vowel_through_each_pitch() -> None:
    score, take, track = sung("english-low")
    day = [n for n in score.vocal if n.syllable == SyllableRef(0, 0, 10, 0)]
    assert [n.melisma for n in day] == [False, True, True]
    for note in day:
        start, end = note_seconds(score, note)
        frames = track.frames_between(start + 0.06, end)
        frames = frames[track.f0[frames] > 0]
        assert frames.size > 0.7 * (end - start - 0.06) / 0.005
        assert np.median(np.abs(cents(track.f0[frames], note.pitch))) < 30.0
    # one vowel carries the whole melisma
    vowels = [p for p in take.phonemes if p.syllable == day[0].syllable and p.phoneme == "'eI"]
    assert len(vowels) == 1
    assert vowels[0].end - vowels[0].start > 0.9 * score.seconds(3.0) - 0.15


@pytest.mark.parametrize("case", ["english-low", "dutch-high", "swedish-phrases"])
def test_audio_is_clean_and_spans_the_song(case: str) -> None:
    score, take, _ = sung(case)
    audio = take.audio
    assert audio.channels == 1 and audio.sample_rate in (22_050, 24_000)
    assert abs(audio.duration - score.duration_seconds) < 0.01
    samples = audio.samples[0]
    assert np.all(np.isfinite(samples))
    assert 0.5 < audio.peak() <= 1.0
    assert click_ratio(samples) < 12.0
    # silence before the first note's consonants and after the last note
    first_note = score.seconds(score.vocal[0].start)
    assert np.max(np.abs(samples[: int(0.3 * first_note * audio.sample_rate)])) < 1e-3


def test_click_measure_catches_a_click() -> None:
    """The click measure is only worth something if a real click trips it."""
    _, take, _ = sung("swedish-phrases")
    samples = take.audio.samples[0].copy()
    quiet = int(0.1 * take.audio.sample_rate)
    samples[quiet:] += 0.02  # a step in the silent lead-in
    assert click_ratio(samples) > 20.0


def test_rests_before_phrases_hold_a_soft_unvoiced_breath() -> None:
    score, take, track = sung("swedish-phrases")
    rate = take.audio.sample_rate
    samples = take.audio.samples[0]
    vowel_level = np.sqrt(
        np.mean(samples[int(score.seconds(5.0) * rate) : int(score.seconds(7.0) * rate)] ** 2)
    )
    notes = score.vocal
    gaps = [(p, n) for p, n in pairwise(notes) if n.start - p.end >= 1.0]
    for previous, note in gaps:
        rest_start = score.seconds(previous.end) + 0.1
        rest_end = score.seconds(note.start) - 0.15
        rest = samples[int(rest_start * rate) : int(rest_end * rate)]
        level_db = 20 * np.log10(np.sqrt(np.mean(rest**2)) / vowel_level)
        assert -45.0 < level_db < -15.0, f"breath at {level_db:.1f} dB under the vowels"
        frames = track.frames_between(rest_start, rest_end)
        assert np.mean(track.f0[frames] > 0) < 0.2, "the breath should be unvoiced"


def test_vibrato_sways_a_held_note_at_the_persona_rate_and_depth() -> None:
    score = line_score([Sung(S("la", "l 'a:"), 8, 64)], "en-us", tempo=120.0)
    singer = BuiltinSinger(persona(vibrato={"rate_hz": 5.0, "depth_cents": 60.0, "onset_s": 0.5}))
    take = singer.sing(score, np.random.default_rng(1))
    track = track_pitch(take.audio)
    start, end = note_seconds(score, score.vocal[0])
    steady = track.frames_between(start + 0.1, start + 0.45)
    assert np.std(cents(track.f0[steady], 64)) < 12.0, "no vibrato before its onset"
    held = track.frames_between(start + 1.0, end - 0.2)
    deviation = cents(track.f0[held], 64)
    assert np.all(track.f0[held] > 0)
    deviation = deviation - np.mean(deviation)
    spectrum = np.abs(np.fft.rfft(deviation * np.hanning(deviation.size), n=8192))
    rate = np.fft.rfftfreq(8192, d=0.005)[np.argmax(spectrum)]
    depth = np.sqrt(2) * np.std(deviation)
    # each note draws its own rate and depth around the persona's, within twice the spread
    assert abs(rate - 5.0) < 5.0 * 2 * VIBRATO_RATE_SPREAD + 0.1
    assert 40.0 < depth < 80.0


def _vibrato_of(deviation: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Rate (Hz, the spectral peak) and depth (± cents) of a pitch deviation in 5 ms frames."""
    deviation = deviation - np.mean(deviation)
    spectrum = np.abs(np.fft.rfft(deviation * np.hanning(deviation.size), n=8192))
    return float(np.fft.rfftfreq(8192, d=0.005)[np.argmax(spectrum)]), float(
        np.sqrt(2) * np.std(deviation)
    )


def test_vibrato_waits_grows_and_differs_from_note_to_note() -> None:
    """Six long notes with rests between: on each, the F0 of what was sung holds still at
    first, then swings, more in the note's second half than just after the onset; and the
    swing's rate and depth differ between the notes, as a singer's do."""
    events = []
    for pitch in (62, 64, 62, 65, 64, 62):
        events += [Sung(S("la", "l 'a:"), 6, pitch), Sung(REST, 2)]
    score = line_score(events, "en-us", tempo=120.0)
    singer = BuiltinSinger(persona(vibrato={"rate_hz": 5.5, "depth_cents": 50.0, "onset_s": 0.4}))
    track = track_pitch(singer.sing(score, np.random.default_rng(3)).audio)
    rates, depths = [], []
    for note in score.vocal:
        start, end = note_seconds(score, note)
        still = cents(track.f0[track.frames_between(start + 0.08, start + 0.22)], note.pitch)
        assert np.std(still) < 10.0, "vibrato before its onset"
        growing = cents(track.f0[track.frames_between(start + 0.3, start + 0.7)], note.pitch)
        full = cents(track.f0[track.frames_between(start + 1.4, end - 0.1)], note.pitch)
        assert np.std(growing) < 0.85 * np.std(full), "vibrato should grow in, not switch on"
        rate, depth = _vibrato_of(full)
        rates.append(rate)
        depths.append(depth)
    assert 5.0 < np.mean(rates) < 6.0 and 35.0 < np.mean(depths) < 65.0, (rates, depths)
    assert np.ptp(rates) > 0.15, f"every note swings at the same rate: {rates}"
    assert np.ptp(depths) > 0.1 * np.mean(depths), f"every note swings as deep: {depths}"


def test_a_legato_leap_overshoots_a_little_and_settles() -> None:
    """Up a fifth, legato: the tracked F0 passes the new note by 8 to 40 cents just after the
    glide, then settles within 15 cents of it."""
    score = line_score(
        [Sung(S("la", "l 'a:"), 2, 57), Sung(S("ah", "'a:"), 2, 64)], "en-us", tempo=100.0
    )
    singer = BuiltinSinger(persona(vibrato={"depth_cents": 0.0}))
    track = track_pitch(singer.sing(score, np.random.default_rng(2)).audio)
    start, end = note_seconds(score, score.vocal[1])
    landing = cents(track.f0[track.frames_between(start, start + 0.15)], 64)
    settled = cents(track.f0[track.frames_between(start + 0.3, end - 0.1)], 64)
    assert 8.0 < np.max(landing) < 40.0, landing.round()
    assert abs(np.median(settled)) < 15.0


def _band_balance_db(audio: Audio, start: float, end: float) -> float:
    """Energy from 2 to 8 kHz over energy below 1 kHz, in dB: how bright the tone is."""
    x = audio.samples[0, int(start * audio.sample_rate) : int(end * audio.sample_rate)]
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    hz = np.fft.rfftfreq(x.size, 1 / audio.sample_rate)
    high = spectrum[(hz >= 2000) & (hz < 8000)].sum()
    low = spectrum[hz < 1000].sum()
    return float(10 * np.log10(high / low))


def test_a_held_vowel_brightens_as_it_swells_and_styles_differ() -> None:
    """A four-second "ah": its last second is louder and brighter than its second one (most of
    all for a belt), and a belt is brighter than a clean voice, a clean one than a breathy one."""
    score = line_score([Sung(S("ah", "'a:"), 8, 62)], "en-us", tempo=120.0)
    start, _ = note_seconds(score, score.vocal[0])
    early, late = (start + 0.5, start + 1.5), (start + 2.8, start + 3.8)
    brightness, change, swell = {}, {}, {}
    for style in ("breathy", "clean", "belt"):
        take = BuiltinSinger(persona(style=style)).sing(score, np.random.default_rng(0))
        audio = take.audio
        change[style] = _band_balance_db(audio, *late) - _band_balance_db(audio, *early)
        brightness[style] = _band_balance_db(audio, start + 0.5, start + 3.8)
        x = audio.samples[0]
        level = [
            np.sqrt(np.mean(x[int(a * audio.sample_rate) : int(b * audio.sample_rate)] ** 2))
            for a, b in (early, late)
        ]
        swell[style] = 20 * np.log10(level[1] / level[0])
    assert brightness["belt"] > brightness["clean"] + 2.0, brightness
    assert brightness["clean"] > brightness["breathy"] + 2.0, brightness
    assert change["belt"] > 1.0 and change["belt"] > change["breathy"], change
    assert swell["belt"] > 1.0 and swell["clean"] > 0.3, swell


def _spectral_centroid(audio: Audio, start: float, end: float) -> float:
    x = audio.samples[0, int(start * audio.sample_rate) : int(end * audio.sample_rate)]
    return spectral_centroid(x, audio.sample_rate)


def test_formant_shift_brightens_the_voice() -> None:
    score = line_score([Sung(S("ah", "'a:"), 4, 60), Sung(S("eh", "'E"), 4, 64)], "en-us")
    start, end = score.seconds(2.5), score.seconds(9.5)
    centroids = {
        shift: _spectral_centroid(
            BuiltinSinger(persona(formant_shift=shift)).sing(score, np.random.default_rng(0)).audio,
            start,
            end,
        )
        for shift in (0.85, 1.25)
    }
    assert centroids[1.25] > 1.2 * centroids[0.85]


def test_breathiness_adds_air_to_the_tone() -> None:
    """Aperiodicity measured by WORLD's D4C on the sung vowel, with the score's F0."""
    score = line_score([Sung(S("ah", "'a:"), 6, 62)], "en-us")
    start, end = score.seconds(2.5), score.seconds(7.5)
    noise = {}
    for breathiness in (0.0, 0.8):
        take = BuiltinSinger(persona(breathiness=breathiness)).sing(score, np.random.default_rng(0))
        rate = take.audio.sample_rate
        x = take.audio.samples[0].astype(np.float64)
        times = np.arange(start, end, 0.005)
        f0 = np.full(times.size, midi_to_hz(62))
        aperiodicity = pyworld.d4c(x, f0, times, rate)
        band = slice(int(1000 / rate * 2 * (aperiodicity.shape[1] - 1)), None)
        noise[breathiness] = float(np.mean(aperiodicity[:, band]))
    assert noise[0.8] > noise[0.0] + 0.1


def test_the_chorus_is_sung_louder_than_the_verse() -> None:
    """The same line sung as a verse and then as a chorus: the chorus comes out louder, by
    about the style's lift (a belt lifts more than a breathy voice)."""
    line_syllables = [S("we", "w 'i:"), S("ride", "r 'aI d"), S("on", "'0 n")]
    verse = one_line_lyrics(line_syllables, "en-us")
    lyrics = replace(verse, sections=(verse.sections[0], replace(verse.sections[0], kind="chorus")))
    notes = tuple(
        VocalNote(2.0 + 8.0 * section + 2.0 * word, 2.0, 60, SyllableRef(section, 0, word, 0))
        for section in (0, 1)
        for word in range(3)
    )
    score = verse_score(lyrics, notes, 20.0)
    lifts = {}
    for style in ("breathy", "belt"):
        audio = BuiltinSinger(persona(style=style)).sing(score, np.random.default_rng(4)).audio
        x, rate = audio.samples[0], audio.sample_rate
        levels = [
            np.sqrt(
                np.mean(x[int(score.seconds(a) * rate) : int(score.seconds(a + 6) * rate)] ** 2)
            )
            for a in (2.0, 10.0)
        ]
        lifts[style] = 20 * np.log10(levels[1] / levels[0])
    assert 0.5 < lifts["breathy"] < lifts["belt"] < 3.5, lifts


def test_same_seed_sings_bit_for_bit_and_another_seed_differs() -> None:
    score, who = CASES["swedish-phrases"]
    first = BuiltinSinger(who).sing(score, np.random.default_rng(5))
    again = BuiltinSinger(who).sing(score, np.random.default_rng(5))
    other = BuiltinSinger(who).sing(score, np.random.default_rng(6))
    assert np.array_equal(first.audio.samples, again.audio.samples)
    assert first.phonemes == again.phonemes
    assert not np.array_equal(first.audio.samples, other.audio.samples)


def test_what_was_sung_before_does_not_change_a_song() -> None:
    """espeak-ng keeps state between utterances; the singer must not let it leak between songs."""
    score, who = CASES["swedish-phrases"]
    first = BuiltinSinger(who).sing(score, np.random.default_rng(5))
    BuiltinSinger(who).sing(DUTCH_HIGH, np.random.default_rng(5))
    BuiltinSinger(persona("E2", "E4")).sing(ENGLISH_LOW, np.random.default_rng(9))
    again = BuiltinSinger(who).sing(score, np.random.default_rng(5))
    assert np.array_equal(first.audio.samples, again.audio.samples)


def test_a_line_sung_twice_sounds_the_same_apart_from_its_seeded_drift() -> None:
    """Repeated words are spoken once and reused: the second line's loudness contour and pitch
    follow the first's, differing only by the small seeded drift, jitter and vibrato."""
    line = [
        Sung(S("so", "s 'oU"), 1, 62),
        Sung(S("far", "f 'A@"), 1, 67),
        Sung(S("a", "@", 0), 2, 64),
    ]
    score = line_score([*line, Sung(REST, 4), *line], "en-us")
    take = BuiltinSinger(persona()).sing(score, np.random.default_rng(2))
    rate, hop = take.audio.sample_rate, int(0.01 * take.audio.sample_rate)
    track = track_pitch(take.audio)

    def contour(start_beat: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        start = score.seconds(start_beat)
        x = take.audio.samples[0, int(start * rate) : int((start + score.seconds(4)) * rate)]
        frames = x.size // hop
        level = 20 * np.log10(np.sqrt(np.mean(x[: frames * hop].reshape(frames, hop) ** 2, 1)))
        f0 = track.f0[track.frames_between(start, start + score.seconds(4))]
        return level, f0

    (level_1, f0_1), (level_2, f0_2) = contour(2.0), contour(10.0)
    frames = min(level_1.size, level_2.size)
    assert np.corrcoef(level_1[:frames], level_2[:frames])[0, 1] > 0.95
    n = min(f0_1.size, f0_2.size)
    both = (f0_1[:n] > 0) & (f0_2[:n] > 0)
    assert both.mean() > 0.7
    assert np.median(np.abs(1200 * np.log2(f0_1[:n][both] / f0_2[:n][both]))) < 15.0


# ---------------------------------------------------------------------------------------------
# The phoneme and viseme timeline.


@pytest.mark.parametrize("case", ["english-low", "swedish-phrases"])
def test_sung_phonemes_are_ordered_and_sit_with_their_notes(case: str) -> None:
    score, take, _ = sung(case)
    starts = [p.start for p in take.phonemes]
    assert starts == sorted(starts)
    assert all(p.end >= p.start for p in take.phonemes)
    expected = sum(len(score.syllable(n.syllable).phonemes) for n in score.vocal if not n.melisma)
    assert len(take.phonemes) == expected
    for phoneme in take.phonemes:
        notes = [n for n in score.vocal if n.syllable == phoneme.syllable]
        first, last = score.seconds(notes[0].start), score.seconds(notes[-1].end)
        assert first - 0.2 <= phoneme.start and phoneme.end <= last + 1e-9
        assert phoneme.viseme in VISEMES
    # every vowel starts on its note
    for note in (n for n in score.vocal if not n.melisma):
        syllable = score.syllable(note.syllable)
        vowel = next(
            p for p in take.phonemes if p.syllable == note.syllable and p.phoneme == syllable.vowel
        )
        assert abs(vowel.start - score.seconds(note.start)) < 0.006


@pytest.mark.parametrize("case", ["english-low", "dutch-high", "swedish-phrases"])
def test_mouth_opens_with_the_voice(case: str) -> None:
    """Mouth openness from the viseme timeline correlates with the vocal's RMS envelope, and
    open-mouthed phonemes are clearly louder than closed ones."""
    score, take, _ = sung(case)
    timeline = build_timeline(score, take)
    rate = take.audio.sample_rate
    hop = int(0.01 * rate)
    samples = take.audio.samples[0]
    frames = samples.size // hop
    rms = np.sqrt(np.mean(samples[: frames * hop].reshape(frames, hop) ** 2, axis=1))
    openness = np.full(frames, np.nan)
    for event in timeline.of("phoneme"):
        openness[int(event.start / 0.01) : int(event.end / 0.01)] = mouth_open(event.viseme)
    inside = ~np.isnan(openness)
    correlation = np.corrcoef(openness[inside], rms[inside])[0, 1]
    level_db = 20 * np.log10(rms + 1e-9)
    open_db = np.median(level_db[inside & (openness >= 0.4)])
    closed_db = np.median(level_db[inside & (openness <= 0.25)])
    print(f"{case}: mouth/RMS correlation {correlation:.2f}, open {open_db - closed_db:.1f} dB up")
    assert correlation > 0.25
    assert open_db - closed_db > 8.0


def test_timeline_holds_every_kind_of_event_in_order() -> None:
    score, take, _ = sung("english-low")
    timeline = build_timeline(score, take)
    starts = [e.start for e in timeline.events]
    assert starts == sorted(starts)
    assert [e.text for e in timeline.of("section")] == ["verse 1"]
    assert [e.text for e in timeline.of("line")] == [score.lyrics.sections[0].lines[0].text]
    words = timeline.of("word")
    assert [w.text for w in words] == [w.text for w in score.lyrics.sections[0].lines[0].words]
    assert len(timeline.of("syllable")) == len(words)
    day = next(w for w in words if w.text == "day")
    assert day.end - day.start == pytest.approx(score.seconds(3.0))
    beats = timeline.of("beat")
    assert len(beats) == int(np.ceil(score.duration_beats))
    assert [b.text for b in beats[:6]] == ["1:1", "1:2", "1:3", "1:4", "2:1", "2:2"]
    assert beats[4].start == pytest.approx(score.seconds(4.0))
    phonemes = timeline.of("phoneme")
    assert len(phonemes) == len(take.phonemes)
    assert all(p.viseme in VISEMES for p in phonemes)
    line = timeline.of("line")[0]
    assert line.start == pytest.approx(score.seconds(2.0))


# ---------------------------------------------------------------------------------------------
# Visemes, phoneme classes and espeak-ng alignment.


@pytest.mark.parametrize(
    ("phoneme", "language", "viseme"),
    [
        ("p", "en-us", "PP"),
        ("m", "sv", "PP"),
        ("f", "nl", "FF"),
        ("T", "en-us", "TH"),
        ("t", "en-us", "DD"),
        ("k", "sv", "kk"),
        ("x", "nl", "kk"),
        ("tS", "en-us", "CH"),
        ("sx", "sv", "CH"),
        ("S;", "sv", "CH"),
        ("s", "nl", "SS"),
        ("n", "en-us", "nn"),
        ("r", "nl", "RR"),
        ("'aI", "en-us", "aa"),
        ("'A:", "sv", "aa"),
        ("'E", "nl", "E"),
        ("'i:", "sv", "ih"),
        ("'O:", "en-us", "oh"),
        ("'Y:", "sv", "oh"),
        ("'u:", "en-us", "ou"),
        ("'y", "nl", "ou"),
        ("w", "en-us", "ou"),
        ("w", "nl", "FF"),
        ("_:", "en-us", "sil"),
    ],
)
def test_viseme_of_phonemes_in_three_languages(phoneme: str, language: str, viseme: str) -> None:
    assert viseme_of(phoneme, language) == viseme


@pytest.mark.parametrize("language", ["en-us", "nl", "sv", "de"])
def test_every_espeak_phoneme_gets_a_viseme_and_vowels_open_the_mouth(language: str) -> None:
    text = "the quick brown fox jumps over the lazy dog while singing of love and the sea"
    for word in espeak.text_to_phonemes(text, language):
        for phoneme, kind, viseme in zip(
            word, phone_kinds(word), visemes_of(word, language), strict=True
        ):
            assert viseme in VISEMES
            if kind == PhoneKind.VOWEL:
                assert mouth_open(viseme) >= 0.4, f"{phoneme} in {language} maps to {viseme}"


def test_length_mark_keeps_the_previous_mouth_shape_and_voicing() -> None:
    assert visemes_of(["s", "'O", "N", ":"], "sv") == ("SS", "oh", "kk", "kk")
    assert phone_kinds(["s", "'O", "N", ":"])[-1] == PhoneKind.SONORANT


def test_mouth_open_is_a_fraction_and_unknown_visemes_are_named() -> None:
    values = [mouth_open(v) for v in VISEMES]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert mouth_open("aa") == max(values) and mouth_open("PP") == min(values)
    with pytest.raises(UnknownVisemeError, match="use one of sil, PP"):
        mouth_open("wide")


def test_alignment_forgives_stress_allophones_and_inserted_sounds() -> None:
    expected = ["b", "j", "'u:", "t", "i", "f", "@L"]
    events = [
        ("b", 300),
        ("j", 1000),
        ("'u:", 2700),
        ("t#", 4700),  # espeak-ng's flap for this 't'
        ("i", 5600),
        ("_", 6000),  # a pause inside the word
        ("f", 6200),
        ("@", 7000),  # a sound the lyrics did not ask for, merged into 'f'
        ("@L", 8000),
        ("_:", 11000),
        ("_", 11200),
    ]
    spans = align_phoneme_events(expected, events, 11200)
    assert spans == [
        (300, 1000),
        (1000, 2700),
        (2700, 4700),
        (4700, 5600),
        (5600, 6200),
        (6200, 8000),
        (8000, 11000),
    ]


@pytest.mark.parametrize("language", ["en-us", "nl", "sv"])
def test_alignment_on_real_speech_finds_each_vowel_where_the_voice_is(language: str) -> None:
    """In espeak-ng's own speech, each aligned vowel is louder than the word's consonants."""
    text = {"en-us": "sunshine morning", "nl": "zonlicht morgen", "sv": "solsken morgon"}[language]
    words = espeak.text_to_phonemes(text, language)
    spoken = espeak.speak_in_fresh_process(["|".join(w) for w in words], language, f0=120.0)
    for word, speech in zip(words, spoken, strict=True):
        spans = align_phoneme_events(word, speech.phoneme_starts, speech.samples.size)
        assert all(a <= b for a, b in spans)
        assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
        levels = [np.sqrt(np.mean(speech.samples[a:b] ** 2)) if b > a else 0.0 for a, b in spans]
        kinds = phone_kinds(word)
        vowel_levels = [lv for lv, k in zip(levels, kinds, strict=True) if k == PhoneKind.VOWEL]
        unvoiced = [lv for lv, k in zip(levels, kinds, strict=True) if k == PhoneKind.UNVOICED]
        assert vowel_levels and min(vowel_levels) > max(unvoiced, default=0.0)


@pytest.mark.parametrize(
    ("text", "syllables", "stresses"),
    [
        ("city", (("s", "I"), ("t", "i")), (1, 0)),
        ("rainy", (("r", "eI"), ("n", "i")), (1, 0)),
        ("together", (("t", "@"), ("g", "E"), ("D", "3")), (0, 1, 0)),
        ("tonight", (("t", "@"), ("n", "aI", "t")), (0, 1)),
    ],
)
def test_the_singers_source_speech_stresses_the_syllable_the_lyrics_stress(
    text: str, syllables: tuple[tuple[str, ...], ...], stresses: tuple[int, ...]
) -> None:
    """The word the singer reshapes is spoken with its stressed vowel the longest: left to its
    own rule, espeak-ng stressed the last syllable ("ci-TY", "sum-MER") and cut the first
    vowel to 35-50 ms, too short to hold a note on."""
    nuclei = tuple(next(k for k, p in enumerate(s) if is_vowel(p)) for s in syllables)
    word = WordToSpeak(syllables, nuclei, text, (0.3,) * len(syllables), stresses)
    (raw,) = EspeakVoice("en-us", source_f0=200.0, formant_shift=1.0, variant="f1").speak([word])
    vowel_lengths = [
        raw.phoneme_samples[start + nucleus][1] - raw.phoneme_samples[start + nucleus][0]
        for start, nucleus in zip(raw.syllable_starts, nuclei, strict=True)
    ]
    stressed = stresses.index(1)
    others = [n for k, n in enumerate(vowel_lengths) if k != stressed]
    assert vowel_lengths[stressed] > 1.3 * max(others), f"{text}: vowels {vowel_lengths}"


def test_a_word_final_liquid_espeak_folds_into_its_vowel_gets_the_vowels_dark_tail() -> None:
    """espeak-ng reports the 'l' of "will" and "feel" with no time of its own; the aligner gives
    it the end of the vowel, and that end is where the dark l sounds: little energy above
    1.5 kHz next to the vowel before it."""
    words = espeak.text_to_phonemes("will feel", "en-us")
    spoken = espeak.speak_in_fresh_process(["|".join(w) for w in words], "en-us", f0=120.0)

    def share_above_1500_hz_db(samples: npt.NDArray[np.float64], rate: int) -> float:
        power = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
        hz = np.fft.rfftfreq(samples.size, 1.0 / rate)
        return float(10 * np.log10(power[hz > 1500].sum() / power.sum()))

    for word, speech in zip(words, spoken, strict=True):
        assert word[-1] == "l"
        spans = align_phoneme_events(word, speech.phoneme_starts, speech.samples.size)
        (vowel_start, vowel_end), (l_start, l_end) = spans[-2], spans[-1]
        assert l_end - l_start >= 0.05 * speech.sample_rate, f"{word}: the l is {spans[-1]}"
        vowel = share_above_1500_hz_db(speech.samples[vowel_start:vowel_end], speech.sample_rate)
        dark = share_above_1500_hz_db(speech.samples[l_start:l_end], speech.sample_rate)
        assert dark < vowel - 6.0, f"{word}: l {dark:.1f} dB, vowel {vowel:.1f} dB above 1.5 kHz"


def test_legato_words_that_begin_with_a_consonant_are_set_apart_by_a_short_silence() -> None:
    """Sung legato, each word still begins after a brief silence, as a singer articulates it:
    words run together blur (Whisper understood far fewer lines)."""
    score, take, _ = sung("english-low")
    samples = take.audio.samples[0]
    rate = take.audio.sample_rate
    hop = round(0.005 * rate)
    frames = samples[: samples.size // hop * hop].reshape(-1, hop)
    level_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-30)
    loudest = float(np.percentile(level_db, 99))
    firsts = {}
    for phoneme in take.phonemes:
        ref = phoneme.syllable
        if ref.syllable == 0 and ref.word not in firsts:
            firsts[ref.word] = phoneme
    lyrics_words = score.lyrics.sections[0].lines[0].words
    checked = 0
    for word, first in firsts.items():
        if word == 0 or lyrics_words[word].syllables[0].nucleus == 0:
            continue  # the first word, and words that open on their vowel
        frame = round(first.start / 0.005)
        quietest = float(np.min(level_db[frame - 8 : frame]))
        assert quietest < loudest - 35.0, (
            f"before {lyrics_words[word].text!r} the voice only dips to {quietest - loudest:.0f} dB"
        )
        checked += 1
    assert checked >= 7


# ---------------------------------------------------------------------------------------------
# Contract and errors.


def test_importing_the_voice_package_registers_the_builtin_singer() -> None:
    factory = singers.get("builtin")
    assert factory is BuiltinSinger
    score = line_score([Sung(S("la", "l 'a:"), 1, 60)], "en-us")
    take = factory(persona()).sing(score, np.random.default_rng(0))
    assert take.engine == "builtin"
    track = track_pitch(take.audio)
    frames = track.frames_between(score.seconds(2.0) + 0.06, score.seconds(3.0))
    assert np.median(np.abs(cents(track.f0[frames][track.f0[frames] > 0], 60))) < 30.0


def test_a_language_espeak_knows_only_by_its_code_is_sung() -> None:
    """'en-gb' is a language code, not an espeak-ng voice name."""
    score = line_score([Sung(S("hel", "h @ l", 0), 1, 60), Sung(S("lo", "l 'oU"), 2, 64)], "en-gb")
    take = BuiltinSinger(persona()).sing(score, np.random.default_rng(0))
    track = track_pitch(take.audio)
    start, end = note_seconds(score, score.vocal[1])
    frames = track.frames_between(start + 0.06, end)
    assert np.mean(track.f0[frames] > 0) > 0.8
    assert np.median(np.abs(cents(track.f0[frames], 64))) < 30.0


def test_an_unknown_language_is_named_in_the_error() -> None:
    score = line_score([Sung(S("la", "l 'a:"), 1, 60)], "xx-nowhere")
    with pytest.raises(EspeakError, match="does not know the language 'xx-nowhere'"):
        BuiltinSinger(persona()).sing(score, np.random.default_rng(0))


def test_a_note_without_a_syllable_is_refused_with_a_fix() -> None:
    score = line_score([Sung(S("la", "l 'a:"), 1, 60)], "en-us")
    broken = replace(score, vocal=(VocalNote(2.0, 1.0, 60, SyllableRef(0, 0, 5, 0)),))
    with pytest.raises(UnsingableScoreError, match="bind notes to existing syllables"):
        BuiltinSinger(persona()).sing(broken, np.random.default_rng(0))


def test_an_empty_vocal_line_sings_silence_for_the_whole_song() -> None:
    score = line_score([Sung(S("la", "l 'a:"), 1, 60)], "en-us")
    silent = replace(score, vocal=())
    take = BuiltinSinger(persona()).sing(silent, np.random.default_rng(0))
    assert take.phonemes == ()
    assert take.audio.peak() == 0.0
    assert abs(take.audio.duration - silent.duration_seconds) < 0.01
