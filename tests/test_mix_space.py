"""The mix's space, measured on rendered songs: air above 12 kHz, stereo width, reverb time.

Three genres that should sound different in space (rock dry and close, lo-fi and ballad in a
long room) each render one song with stems; everything is measured on those stems and on the
master, with the timeline telling where the voice sings which phoneme.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal

from vartist.persona import load_persona
from vartist.request import SongRequest
from vartist.runtime import Pipeline
from vartist.studio.mix import GENRE_MIXES, vocal_effects

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "a storm over the harbour"
GENRES = {"rock": "kit", "lofi": "saga", "ballad": "nova"}
"""Genre → the example persona that sings it."""
SIBILANTS = {"s", "z", "S", "Z", "f", "T", "tS", "dZ"}
"""espeak-ng's hissing consonants: s, z, sh, zh, f, th, ch, j."""
VOWEL_LETTERS = set("aeiouAEIOU@V3")
"""The first letters of espeak-ng's vowels and diphthongs (a, aI, @, 3:, V, …)."""


@dataclass(frozen=True)
class Rendered:
    stems: dict[str, npt.NDArray[np.float64]]
    """Stem name → (samples, 2) at the master rate."""
    master: npt.NDArray[np.float64]
    rate: int
    phonemes: list[tuple[float, float, str]]
    """(start s, end s, phoneme) of every sung phoneme."""


_renders: dict[str, Rendered] = {}


def render(genre: str) -> Rendered:
    if genre not in _renders:
        persona = load_persona(ROOT / "examples" / "personas" / f"{GENRES[genre]}.toml")
        song = Pipeline(persona, keep_stems=True).render(SongRequest(PROMPT, seed=4, genre=genre))
        phonemes = [(e.start, e.end, e.text) for e in song.timeline.events if e.kind == "phoneme"]
        _renders[genre] = Rendered(
            {name: audio.samples.T.astype(np.float64) for name, audio in song.stems.items()},
            song.master.samples.T.astype(np.float64),
            song.master.sample_rate,
            phonemes,
        )
    return _renders[genre]


@pytest.fixture(scope="module", autouse=True)
def _forget_renders() -> Iterator[None]:
    yield
    _renders.clear()


def side_to_mid_db(stereo: npt.NDArray[np.float64]) -> float:
    mid = (stereo[:, 0] + stereo[:, 1]) / 2
    side = (stereo[:, 0] - stereo[:, 1]) / 2
    return float(10 * np.log10((np.mean(side**2) + 1e-20) / np.mean(mid**2)))


def band_share_db(mono: npt.NDArray[np.float64], rate: int, low: float, high: float) -> float:
    """Energy between ``low`` and ``high`` Hz against all of it, in dB (Welch spectrum)."""
    freqs, power = signal.welch(mono, rate, nperseg=4096)
    inside = power[(freqs >= low) & (freqs < high)].sum()
    return float(10 * np.log10(inside / power.sum() + 1e-30))


def reverb_time_s(mono: npt.NDArray[np.float64], rate: int, start: float) -> float:
    """RT60 of what rings on after ``start`` (the voice's last phoneme), from Schroeder's
    backward-integrated energy decay: the slope between -5 and -25 dB, extrapolated to 60."""
    tail = mono[round(start * rate) : round((start + 4.0) * rate)]
    decay = np.cumsum(tail[::-1] ** 2)[::-1]
    decay_db = 10 * np.log10(decay / decay[0] + 1e-30)
    seconds = np.arange(len(tail)) / rate
    used = (decay_db <= -5.0) & (decay_db >= -25.0)
    slope = np.polyfit(seconds[used], decay_db[used], 1)[0]
    return float(-60.0 / slope)


@pytest.mark.parametrize("genre", GENRES)
def test_the_vocal_has_air_above_12_khz_that_follows_its_consonants(genre: str) -> None:
    song = render(genre)
    vocal = song.stems["vocals"].mean(axis=1)
    share = band_share_db(vocal, song.rate, 12_000, 20_000)
    # a close-miked voice keeps roughly -30 to -45 dB of its energy up there: present, not hiss
    assert -45.0 < share < -25.0, f"energy above 12 kHz: {share:.1f} dB of the vocal's"

    air = signal.sosfilt(signal.butter(6, 12_000, "highpass", fs=song.rate, output="sos"), vocal)

    def air_db(sibilant: bool) -> float:
        parts = [
            air[round(start * song.rate) : round(end * song.rate)]
            for start, end, phoneme in song.phonemes
            if (phoneme in SIBILANTS if sibilant else phoneme[:1] in VOWEL_LETTERS)
        ]
        joined = np.concatenate([p for p in parts if len(p)])
        return float(10 * np.log10(np.mean(joined**2) + 1e-30))

    # the air comes from the voice itself: brightest on the hiss of s, sh, f, quiet on vowels
    assert air_db(sibilant=True) > air_db(sibilant=False) + 6.0


@pytest.mark.parametrize("genre", GENRES)
def test_the_band_is_wide_while_bass_kick_and_voice_stay_centred(genre: str) -> None:
    song = render(genre)
    band = sum(audio for name, audio in song.stems.items() if name != "vocals")
    assert isinstance(band, np.ndarray)
    assert -12.0 <= side_to_mid_db(band) <= -6.0
    assert side_to_mid_db(song.stems["bass"]) < -40.0
    lows = signal.sosfilt(
        signal.butter(4, 150.0, "lowpass", fs=song.rate, output="sos"), song.stems["drums"], axis=0
    )
    assert side_to_mid_db(lows) < -25.0, "the kick drifted off centre"
    vocal = song.stems["vocals"]
    balance_db = 10 * np.log10(np.mean(vocal[:, 0] ** 2) / np.mean(vocal[:, 1] ** 2))
    assert abs(balance_db) < 1.5, "the voice leans to one side"
    assert side_to_mid_db(vocal) < -10.0, "the voice is not in the middle"
    assert -14.0 <= side_to_mid_db(song.master) <= -6.0


def test_reverb_is_audible_and_longer_for_ballad_and_lofi_than_for_rock() -> None:
    times = {}
    for genre in GENRES:
        song = render(genre)
        last_phoneme_end = max(end for _, end, _ in song.phonemes)
        times[genre] = reverb_time_s(song.stems["vocals"].mean(axis=1), song.rate, last_phoneme_end)
    assert all(0.6 < rt60 < 4.0 for rt60 in times.values()), times
    assert times["ballad"] > times["rock"] + 0.8, times
    assert times["lofi"] > times["rock"] + 0.8, times


def test_reverb_and_echo_stay_out_of_the_gaps_between_words_and_bloom_after_a_phrase() -> None:
    """A sung tone, a 40 ms word gap, the tone again, then a rest: through the vocal's effects,
    the gap stays far under the voice while the tail after the phrase still rings out."""
    rate = 24_000
    t = np.arange(4 * rate) / rate
    tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 20)) * 0.1
    sounding = (t < 1.0) | ((t >= 1.04) & (t < 2.0))
    dry = (tone * sounding).astype(np.float32)
    out = vocal_effects(dry, rate, 0.3, GENRE_MIXES["pop"])

    def level_db(start: float, end: float) -> float:
        return float(10 * np.log10(np.mean(out[:, round(start * rate) : round(end * rate)] ** 2)))

    singing = level_db(0.5, 0.9)
    # undocked, the reverb and echo fill the gap to about -14 dB under the voice; ducked 9 dB
    # and released at once, to about -22 dB, which still cost Whisper words
    assert level_db(1.008, 1.036) < singing - 35.0
    assert level_db(2.05, 2.35) > singing - 24.0
