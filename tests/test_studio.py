"""The studio, measured: pitch and onsets of what the instruments play, where the drums put
their energy, the mix's balance and routing, the master's loudness and true peak, WAV files.

Every assertion measures rendered audio (FFT peaks, envelopes, RMS, LUFS, oversampled peaks)
against an independent reference (pyloudnorm, one-shot soxr, the score's note times).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile
from scipy import signal

from tests.builders import one_line_lyrics, syllable
from tests.measure import integrated_loudness, true_peak_dbtp
from vartist.audio import MASTER_RATE, Audio, SampleRateMismatch
from vartist.composer.score import Chord, Note, Part, Score, SectionSpan
from vartist.persona.schema import MixConfig
from vartist.pitch import Key, midi_to_hz
from vartist.studio import (
    AudioFileError,
    InvalidPartError,
    SilentMixError,
    StemMismatchError,
    UnknownDrumSoundError,
    master,
    measure_loudness,
    measure_true_peak,
    mix_song,
    read_tags,
    read_wav,
    render_band,
    write_wav,
)
from vartist.studio.engine import instruments
from vartist.studio.mix import DEFAULT_TREATMENT

SPB = 0.5
"""Seconds per beat (120 bpm) for the hand-made parts."""

FloatArray = npt.NDArray[np.float64]


def play(instrument: str, notes: list[Note], seconds: float, seed: int = 0) -> Audio:
    part = Part(name=instrument, instrument=instrument, notes=tuple(notes))
    player = instruments.get(instrument)()
    return player.render(part, SPB, seconds, MASTER_RATE, np.random.default_rng(seed))


def mono(audio: Audio) -> FloatArray:
    return audio.samples.astype(np.float64).mean(axis=0)


def strongest_frequency(x: FloatArray, rate: int) -> float:
    """The frequency of the largest spectral peak above 20 Hz (zero-padded FFT, parabolic
    interpolation between bins)."""
    size = 1 << int(np.ceil(np.log2(len(x) * 8)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), size))
    low = int(20.0 * size / rate)
    k = low + int(np.argmax(spectrum[low:-1]))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-30)
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + offset) * rate / size


def cents_between(frequency: float, midi: int) -> float:
    return float(1200.0 * np.log2(frequency / midi_to_hz(midi)))


def envelope(x: FloatArray, rate: int, hop_seconds: float = 0.001) -> FloatArray:
    hop = int(rate * hop_seconds)
    frames = len(x) // hop
    return np.abs(x[: frames * hop]).reshape(frames, hop).max(axis=1)


def onsets(x: FloatArray, rate: int, threshold: float) -> list[float]:
    """Times (s) where the 1 ms peak envelope rises through ``threshold`` after staying under
    it for at least 40 ms."""
    env = envelope(x, rate)
    above = env >= threshold
    times: list[float] = []
    quiet = 40
    for i in np.flatnonzero(above[1:] & ~above[:-1]) + 1:
        if i >= quiet and not above[i - quiet : i].any():
            times.append(float(i) / 1000.0)
    if above[0]:
        times.insert(0, 0.0)
    return times


def band_fraction(x: FloatArray, rate: int, low: float, high: float) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(power[(freqs >= low) & (freqs < high)].sum() / power.sum())


def rms_db(x: npt.NDArray[np.floating]) -> float:
    return float(10.0 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30))


# ---------------------------------------------------------------- instruments

PITCH_CASES = [
    ("bass", 33),
    ("bass", 40),
    ("bass", 47),
    ("piano", 55),
    ("piano", 64),
    ("piano", 76),
    ("pad", 52),
    ("pad", 60),
    ("pad", 69),
    ("pluck", 52),
    ("pluck", 64),
    ("pluck", 76),
]


@pytest.mark.parametrize(("instrument", "pitch"), PITCH_CASES)
def test_pitched_instruments_sound_the_written_note(instrument: str, pitch: int) -> None:
    audio = play(instrument, [Note(0.0, 4.0, pitch, 100)], seconds=2.5)
    assert audio.sample_rate == MASTER_RATE and audio.channels == 2
    assert audio.frames == round(2.5 * MASTER_RATE)
    # skip the attack, measure the held note
    held = mono(audio)[int(0.15 * MASTER_RATE) : int(2.0 * MASTER_RATE)]
    measured = strongest_frequency(held, MASTER_RATE)
    tolerance = 15.0 if instrument == "pad" else 8.0  # the pad is detuned on purpose
    assert abs(cents_between(measured, pitch)) < tolerance, f"{measured:.2f} Hz"


@pytest.mark.parametrize("instrument", ["bass", "piano", "pad", "pluck"])
def test_notes_start_where_the_part_says(instrument: str) -> None:
    beats = [1.0, 4.5, 8.0, 11.25]
    notes = [Note(b, 1.0, 57 + 2 * i, 100) for i, b in enumerate(beats)]
    audio = play(instrument, notes, seconds=7.0)
    x = mono(audio)
    found = onsets(x, MASTER_RATE, threshold=1e-4 * np.max(np.abs(x)))
    expected = [b * SPB for b in beats]
    assert len(found) == len(expected), found
    assert np.max(np.abs(np.array(found) - expected)) < 0.008


@pytest.mark.parametrize("instrument", ["bass", "piano", "pluck"])
def test_notes_stop_soon_after_their_release(instrument: str) -> None:
    audio = play(instrument, [Note(0.0, 1.0, 60, 100)], seconds=2.0)
    env = envelope(mono(audio), MASTER_RATE)
    # key up at 0.5 s; every instrument's release is under 0.25 s
    assert env[800:].max() < 1e-4 * env.max()
    assert env[400:500].max() > 0.05 * env.max()


def test_velocity_sets_the_level() -> None:
    soft = play("piano", [Note(0.0, 2.0, 60, 40)], seconds=1.5)
    loud = play("piano", [Note(0.0, 2.0, 60, 120)], seconds=1.5)
    difference = rms_db(loud.samples) - rms_db(soft.samples)
    assert 8.0 < difference < 20.0


def test_kick_energy_sits_below_150_hz_and_hats_above_5_khz() -> None:
    kicks = play("drums", [Note(float(b), 0.25, 36, 110) for b in range(8)], seconds=4.5)
    hats = play("drums", [Note(b / 2, 0.25, 42, 100) for b in range(16)], seconds=4.5)
    assert band_fraction(mono(kicks), MASTER_RATE, 20.0, 150.0) > 0.75
    assert band_fraction(mono(hats), MASTER_RATE, 5000.0, 24000.0) > 0.8
    snare = play("drums", [Note(0.0, 0.25, 38, 110)], seconds=1.0)
    # a snare is both: a drum tone under 400 Hz and the wires' noise above 2 kHz
    assert band_fraction(mono(snare), MASTER_RATE, 100.0, 400.0) > 0.1
    assert band_fraction(mono(snare), MASTER_RATE, 2000.0, 12000.0) > 0.3


def test_drum_hits_land_on_time_with_a_little_human_variation() -> None:
    beats = [2.0 * b + 1.0 for b in range(12)]
    audio = play("drums", [Note(b, 0.25, 36, 100) for b in beats], seconds=13.0, seed=4)
    x = mono(audio)
    found = np.array(onsets(x, MASTER_RATE, threshold=0.05 * np.max(np.abs(x))))
    expected = np.array(beats) * SPB
    assert len(found) == len(expected)
    errors = found - expected
    assert np.max(np.abs(errors)) < 0.01
    # humanised: hits are not all equally late, and not all equally loud
    assert np.std(errors) > 0.0005
    peaks = [np.max(np.abs(x[int(t * MASTER_RATE) : int((t + 0.1) * MASTER_RATE)])) for t in found]
    assert np.std(peaks) / np.mean(peaks) > 0.02


def test_open_hat_is_choked_by_the_next_closed_hat() -> None:
    ringing = play("drums", [Note(0.0, 0.5, 46, 100)], seconds=1.5)
    choked = play("drums", [Note(0.0, 0.5, 46, 100), Note(0.5, 0.25, 44, 1)], seconds=1.5)
    late = slice(int(0.5 * MASTER_RATE), MASTER_RATE)
    assert rms_db(choked.samples[:, late]) < rms_db(ringing.samples[:, late]) - 30.0


def small_score(parts: tuple[Part, ...], beats: float = 16.0) -> Score:
    lyrics = one_line_lyrics([syllable("la", "l a:")])
    return Score(
        title="test",
        genre="pop",
        tempo=120.0,
        beats_per_bar=4,
        key=Key(9, "minor"),
        sections=(SectionSpan("verse", 0.0, beats, 0, "verse 1"),),
        chords=(Chord(0.0, beats, 9, "min", "Am"),),
        vocal=(),
        parts=parts,
        lyrics=lyrics,
        vocal_range=(57, 69),
    )


def groove(bars: int = 4) -> tuple[Part, ...]:
    drums, bass, keys, pad, guitar = [], [], [], [], []
    for bar in range(bars):
        start = 4.0 * bar
        for step in range(8):
            beat = start + step / 2
            drums.append(Note(beat, 0.5, 42, 70 + 5 * (step % 2)))
            if step in (0, 4):
                drums.append(Note(beat, 0.5, 36, 110))
            if step in (2, 6):
                drums.append(Note(beat, 0.5, 38, 100))
            bass.append(Note(beat, 0.5, 45 if bar % 2 == 0 else 41, 100))
            guitar.append(Note(beat, 0.5, (69, 72, 76)[step % 3], 80))
        for pitch in (57, 60, 64):
            keys.append(Note(start, 1.0, pitch, 85))
            keys.append(Note(start + 2.0, 1.0, pitch, 80))
            pad.append(Note(start, 4.0, pitch - 12, 90))
    return (
        Part("drums", "drums", tuple(drums), is_drums=True),
        Part("bass", "bass", tuple(bass)),
        Part("keys", "piano", tuple(keys)),
        Part("pad", "pad", tuple(pad)),
        Part("guitar", "pluck", tuple(guitar)),
    )


def test_band_renders_every_part_at_song_length_and_is_deterministic() -> None:
    score = small_score(groove())
    band = render_band(score, np.random.default_rng(7))
    again = render_band(score, np.random.default_rng(7))
    other = render_band(score, np.random.default_rng(8))
    assert list(band) == ["drums", "bass", "keys", "pad", "guitar"]
    for name, audio in band.items():
        assert audio.sample_rate == MASTER_RATE and audio.channels == 2
        assert audio.frames == round(score.duration_seconds * MASTER_RATE)
        assert rms_db(audio.samples) > -40.0, f"{name} is silent"
        assert np.array_equal(audio.samples, again[name].samples)
    # the humanised drums and the pad's free-running voices follow the seed
    assert not np.array_equal(band["drums"].samples, other["drums"].samples)
    assert not np.array_equal(band["pad"].samples, other["pad"].samples)
    assert np.array_equal(band["bass"].samples, other["bass"].samples)


def test_each_part_keeps_its_sound_when_another_part_is_removed() -> None:
    parts = groove()
    rng = np.random.default_rng(11)
    state = rng.bit_generator.state
    full = render_band(small_score(parts), rng)
    # a generator put back in the same state plays the same band again
    rng.bit_generator.state = state
    replay = render_band(small_score(parts), rng)
    without_keys = render_band(
        small_score(tuple(p for p in parts if p.name != "keys")), np.random.default_rng(11)
    )
    assert list(without_keys) == ["drums", "bass", "pad", "guitar"]
    for name, audio in full.items():
        assert np.array_equal(audio.samples, replay[name].samples), name
    # the pad and the drums draw from their streams, and the pad now plays a place earlier
    for name in without_keys:
        assert np.array_equal(full[name].samples, without_keys[name].samples), name


def test_band_reports_notes_it_cannot_play() -> None:
    with pytest.raises(UnknownDrumSoundError, match="81"):
        render_band(
            small_score((Part("drums", "drums", (Note(0.0, 1.0, 81, 100),), True),)),
            np.random.default_rng(0),
        )
    with pytest.raises(InvalidPartError, match=r"'bass'.*velocity 200"):
        render_band(
            small_score((Part("bass", "bass", (Note(0.0, 1.0, 40, 200),)),)),
            np.random.default_rng(0),
        )
    with pytest.raises(InvalidPartError, match="unique"):
        twice = (Part("keys", "piano", ()), Part("keys", "pad", ()))
        render_band(small_score(twice), np.random.default_rng(0))


# ---------------------------------------------------------------- mix


def sung_line(seconds: float, rate: int, hz: float, start: float, stop: float) -> Audio:
    """A voice-like harmonic tone at ``hz`` between ``start`` and ``stop``, silence around."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * k * hz * t) / k**1.2 for k in range(1, 9))
    gate = ((t >= start) & (t < stop)).astype(np.float64)
    ramp = np.convolve(gate, np.ones(int(0.01 * rate)) / int(0.01 * rate), "same")
    return Audio.mono(0.1 * tone * ramp, rate)


@pytest.fixture(scope="module")
def band() -> dict[str, Audio]:
    return render_band(small_score(groove()), np.random.default_rng(3))


def test_mix_resamples_the_vocal_and_its_stems_sum_to_the_mixdown(band: dict[str, Audio]) -> None:
    vocal = sung_line(8.0, 22_050, 220.0, 1.0, 7.0)
    mixed = mix_song(vocal, band, MixConfig(), "pop")
    assert set(mixed.stems) == {"drums", "bass", "keys", "pad", "guitar", "vocals"}
    for stem in mixed.stems.values():
        assert stem.sample_rate == MASTER_RATE and stem.channels == 2
        assert stem.frames == mixed.mixdown.frames == 8 * MASTER_RATE
    total = sum(stem.samples.astype(np.float64) for stem in mixed.stems.values())
    assert np.max(np.abs(total - mixed.mixdown.samples)) < 1e-5
    # resampled, not relabelled: the vocal stem still sings 220 Hz at 48 kHz
    sung = mono(mixed.stems["vocals"])[2 * MASTER_RATE : 6 * MASTER_RATE]
    assert abs(cents_between(strongest_frequency(sung, MASTER_RATE), 57)) < 5.0
    # and still starts at 1 s
    found = onsets(mono(mixed.stems["vocals"]), MASTER_RATE, 0.01 * np.max(np.abs(sung)))
    assert abs(found[0] - 1.0) < 0.01


def test_the_vocal_sits_on_top_of_the_band(band: dict[str, Audio]) -> None:
    vocal = sung_line(8.0, 22_050, 330.0, 1.0, 7.0)
    quiet_singer = Audio(vocal.samples * np.float32(0.05), vocal.sample_rate)
    for take in (vocal, quiet_singer):
        mixed = mix_song(take, band, MixConfig(), "pop")
        singing = slice(int(1.5 * MASTER_RATE), int(6.5 * MASTER_RATE))
        music = np.sum([s.samples for name, s in mixed.stems.items() if name != "vocals"], axis=0)
        voice_db = rms_db(mixed.stems["vocals"].samples[:, singing])
        band_db = rms_db(music[:, singing])
        assert abs(voice_db - band_db) < 4.0
        voice_lufs = measure_loudness(Audio(mixed.stems["vocals"].samples[:, singing], MASTER_RATE))
        band_lufs = measure_loudness(Audio(np.ascontiguousarray(music[:, singing]), MASTER_RATE))
        assert voice_lufs > band_lufs


def test_mix_places_stems_in_the_stereo_field_and_ducks_the_pad(band: dict[str, Audio]) -> None:
    # the vocal sings only in the second half
    mixed = mix_song(sung_line(8.0, 22_050, 262.0, 4.0, 8.0), band, MixConfig(), "pop")
    stems = mixed.stems
    left, right = (rms_db(stems["keys"].samples[c]) for c in (0, 1))
    assert left > right + 2.0
    left, right = (rms_db(stems["guitar"].samples[c]) for c in (0, 1))
    assert right > left + 2.0
    assert np.array_equal(stems["bass"].samples[0], stems["bass"].samples[1])
    # the pad dips under the vocal: compare to its level before the mix in the same spans
    before, during = slice(MASTER_RATE, 3 * MASTER_RATE), slice(5 * MASTER_RATE, 7 * MASTER_RATE)
    raw = band["pad"].samples
    dip = (rms_db(stems["pad"].samples[:, during]) - rms_db(raw[:, during])) - (
        rms_db(stems["pad"].samples[:, before]) - rms_db(raw[:, before])
    )
    assert -6.0 < dip < -2.0


def test_reverb_setting_adds_room_after_the_vocal_stops(band: dict[str, Audio]) -> None:
    tails = []
    for amount in (0.0, 0.8):
        mixed = mix_song(
            sung_line(8.0, 22_050, 262.0, 1.0, 5.0), band, MixConfig(reverb=amount), "pop"
        )
        vocal = mixed.stems["vocals"].samples
        # 0.3-0.8 s after the voice stops, relative to the voice itself
        tails.append(
            rms_db(vocal[:, int(5.3 * MASTER_RATE) : int(5.8 * MASTER_RATE)])
            - rms_db(vocal[:, MASTER_RATE * 2 : MASTER_RATE * 4])
        )
    dry_tail, wet_tail = tails
    assert wet_tail > dry_tail + 15.0
    assert wet_tail < -8.0


def test_mix_refuses_stems_it_cannot_mix(band: dict[str, Audio]) -> None:
    vocal = sung_line(8.0, 22_050, 220.0, 1.0, 7.0)
    wrong_rate = dict(band, keys=band["keys"].resample(44_100))
    with pytest.raises(SampleRateMismatch, match="keys"):
        mix_song(vocal, wrong_rate, MixConfig(), "pop")
    with pytest.raises(StemMismatchError, match="vocals"):
        mix_song(vocal, dict(band, vocals=band["keys"]), MixConfig(), "pop")


def test_a_cappella_and_mono_stems_mix_too() -> None:
    vocal = sung_line(4.0, MASTER_RATE, 196.0, 0.5, 3.5)  # already at 48 kHz: no resampling
    alone = mix_song(vocal, {}, MixConfig(), "ballad")
    assert list(alone.stems) == ["vocals"]
    assert np.array_equal(alone.mixdown.samples, alone.stems["vocals"].samples)
    assert -26.0 < measure_loudness(alone.mixdown) < -14.0
    t = np.arange(4 * MASTER_RATE) / MASTER_RATE
    organ = Audio.mono(0.1 * np.sin(2 * np.pi * 110.0 * t), MASTER_RATE)  # one channel
    mixed = mix_song(vocal, {"organ": organ}, MixConfig(), "an unknown genre")
    stem = mixed.stems["organ"]
    assert stem.channels == 2 and stem.frames == 4 * MASTER_RATE
    # staged to the default level, then a first-order high-pass at 120 Hz takes 3.4 dB off 110 Hz
    expected = DEFAULT_TREATMENT.level_db - 3.4
    assert abs(rms_db(stem.samples[:, MASTER_RATE:]) - expected) < 0.5
    assert abs(cents_between(strongest_frequency(mono(stem)[MASTER_RATE:], MASTER_RATE), 45)) < 5


def test_mix_leaves_its_inputs_alone(band: dict[str, Audio]) -> None:
    vocal = sung_line(8.0, 22_050, 220.0, 1.0, 7.0)
    copies = {name: audio.samples.copy() for name, audio in band.items()}
    voice = vocal.samples.copy()
    mix_song(vocal, band, MixConfig(), "rock")
    assert all(np.array_equal(copies[name], band[name].samples) for name in band)
    assert np.array_equal(voice, vocal.samples)


# ---------------------------------------------------------------- master


def made_mix(kind: str, seconds: float = 20.0, seed: int = 0) -> Audio:
    """Test mixes: 'loud' (dense and hot, over full scale), 'dynamic' (a quiet verse, a loud
    chorus, sharp drum hits) and 'quiet' (everything 30 dB down)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * MASTER_RATE)
    t = np.arange(n) / MASTER_RATE
    chord = np.sum(
        [np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (110, 220, 277, 330)], axis=0
    )
    rumble = signal.lfilter([0.05], [1.0, -0.95], rng.standard_normal((2, n)), axis=1)
    hiss = rng.standard_normal((2, n)) * 0.05
    beat = (t % 0.5) < 0.03
    hits = beat * np.exp(-(t % 0.5) / 0.01) * rng.standard_normal(n) * 3.0
    x = 0.2 * chord[None, :] + 0.3 * rumble + hiss + hits[None, :]
    if kind == "loud":
        x = np.tanh(1.5 * x) * 1.4
    elif kind == "dynamic":
        x = x * np.where(t < seconds / 2, 0.08, 1.0)[None, :]
    elif kind == "quiet":
        x = x * 0.03
    return Audio(x.astype(np.float32), MASTER_RATE)


FAST_MASTER_CASES = {("loud", -10.0), ("dynamic", -14.0), ("quiet", -16.0)}


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        # one target per material in the fast loop; the full grid in the slow one
        (kind, target)
        if (kind, target) in FAST_MASTER_CASES
        else pytest.param(kind, target, marks=pytest.mark.slow)
        for kind in ("loud", "dynamic", "quiet")
        for target in (-14.0, -16.0, -10.0)
    ],
)
def test_master_hits_the_loudness_target_under_the_true_peak_ceiling(
    kind: str, target: float
) -> None:
    mix = made_mix(kind)
    config = MixConfig(loudness_lufs=target, true_peak_dbtp=-1.0)
    mastered = master(mix, config)
    assert mastered.sample_rate == MASTER_RATE and mastered.channels == 2
    assert mastered.frames == mix.frames
    assert abs(integrated_loudness(mastered) - target) <= 0.5
    assert true_peak_dbtp(mastered) <= config.true_peak_dbtp
    assert np.max(np.abs(mastered.samples)) < 1.0


def test_master_honours_a_lower_ceiling() -> None:
    config = MixConfig(loudness_lufs=-12.0, true_peak_dbtp=-3.0)
    mastered = master(made_mix("dynamic", seed=5), config)
    assert abs(integrated_loudness(mastered) - config.loudness_lufs) <= 0.5
    assert true_peak_dbtp(mastered) <= -3.0


def test_master_is_gentle_when_nothing_needs_limiting() -> None:
    # a steady tone needs only gain: the master must not change its shape
    t = np.arange(10 * MASTER_RATE) / MASTER_RATE
    tone = Audio.mono(0.01 * np.sin(2 * np.pi * 440.0 * t), MASTER_RATE).to_stereo()
    mastered = master(tone, MixConfig(loudness_lufs=-16.0))
    middle = mastered.samples[0, 2 * MASTER_RATE : 8 * MASTER_RATE]
    level = np.abs(middle).reshape(-1, 480).max(axis=1)
    assert level.max() / level.min() < 1.01
    assert abs(integrated_loudness(mastered) + 16.0) <= 0.1


def test_master_is_deterministic_and_refuses_silence_and_other_rates() -> None:
    mix = made_mix("dynamic", seconds=8.0)
    assert np.array_equal(master(mix, MixConfig()).samples, master(mix, MixConfig()).samples)
    with pytest.raises(SilentMixError, match="silent"):
        master(Audio.silence(5.0, MASTER_RATE, channels=2), MixConfig())
    with pytest.raises(SampleRateMismatch, match="mixdown"):
        master(mix.resample(44_100), MixConfig())


@pytest.mark.parametrize("seconds", [0.3, 5.05, 12.0])
def test_meters_agree_with_pyloudnorm_and_an_ideal_interpolation(seconds: float) -> None:
    """Loudness against pyloudnorm; true peak against a 16x spectral interpolation, on material
    inside the band the meter is specified for (the master low-passes at 20 kHz first)."""
    rng = np.random.default_rng(int(seconds * 100))
    n = int(seconds * MASTER_RATE)
    t = np.arange(n) / MASTER_RATE
    swell = 0.3 * (1.1 + np.sin(2 * np.pi * 0.7 * t))
    band = signal.firwin(255, 20_000, fs=MASTER_RATE)
    noise = np.convolve(rng.standard_normal(n), band, mode="same")
    x = np.stack([noise * swell * 0.3, np.sin(2 * np.pi * 11_000 * t) * swell])
    audio = Audio(x.astype(np.float32), MASTER_RATE)
    if seconds >= 0.4:  # pyloudnorm refuses signals shorter than one gating block
        assert abs(measure_loudness(audio) - integrated_loudness(audio)) < 0.01
    reading = measure_true_peak(audio)
    assert reading >= 20 * np.log10(np.abs(audio.samples).max()) - 1e-6
    assert abs(reading - true_peak_dbtp(audio)) < 0.2


# ---------------------------------------------------------------- files


def test_wav_round_trip_keeps_rate_channels_samples_and_tags(tmp_path: Path) -> None:
    mastered = master(made_mix("dynamic", seconds=6.0), MixConfig())
    path = tmp_path / "song.wav"
    tags = {"title": "Harbour Lights", "artist": "Nova", "comment": "AI-generated with vartist"}
    write_wav(mastered, path, tags)
    info = soundfile.info(str(path))
    assert (info.samplerate, info.channels, info.subtype) == (48_000, 2, "PCM_24")
    back = read_wav(path)
    assert back.sample_rate == MASTER_RATE and back.channels == 2 and back.frames == mastered.frames
    assert np.max(np.abs(back.samples - mastered.samples)) <= 2.0**-23
    assert read_tags(path) == tags
    untagged = tmp_path / "stem.wav"
    write_wav(Audio.mono(np.zeros(480), MASTER_RATE), untagged)
    assert read_tags(untagged) == {}
    assert read_wav(untagged).channels == 1


def test_wav_errors_say_what_is_wrong(tmp_path: Path) -> None:
    audio = Audio.silence(0.1, MASTER_RATE, channels=2)
    with pytest.raises(AudioFileError, match="does not exist"):
        write_wav(audio, tmp_path / "missing" / "song.wav")
    with pytest.raises(AudioFileError, match="no such file"):
        read_wav(tmp_path / "nothing.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(AudioFileError, match="WAV"):
        read_wav(tmp_path / "text.wav")
