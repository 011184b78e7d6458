"""Spoken words as WORLD parameters: the raw material the builtin singer reshapes.

espeak-ng speaks each word on a monotone, so its F0 is known and the spectral envelope can be
estimated with CheapTrick directly, without tracking pitch. The envelope is then warped for the
persona's formant shift and thinned to the synthesis FFT size once per word, so a chorus that
repeats a word costs nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pyworld as pw

from vartist.lyrics import espeak
from vartist.pitch import midi_to_hz
from vartist.voice.phonetics import align_phoneme_events

FRAME_PERIOD_MS = 5.0
FRAME_SECONDS = FRAME_PERIOD_MS / 1000.0
SINGING_RATE = 24_000
"""The singer's native output rate. espeak-ng speaks at 22.05 kHz, but WORLD can synthesise at
any rate from an envelope on a frequency axis; at 24 kHz a 5 ms frame is a whole 120 samples."""
SYNTHESIS_FFT_DIVISOR = 2
"""Synthesis uses half the analysis FFT size: the envelope is smooth (CheapTrick smooths it over
the source's F0), so this loses nothing audible and halves the cost of WORLD's per-pulse FFTs."""
WORDS_PER_MINUTE = 200
"""Speaking rate for the source speech: consonants come out at a natural sung length, vowels are
stretched anyway."""

# F0 of espeak-ng's default voices (en-us, nl, sv alike) against its pitch parameter with a flat
# pitch range, measured with WORLD's harvest. Used to pick the parameter for a persona's range.
_ESPEAK_PITCH_TO_HZ = ((25, 68.6), (50, 89.2), (75, 118.6), (99, 157.9))
_LOWEST_ESPEAK_PITCH = 25
"""Below this espeak-ng's F0 (about 65 Hz) would need an analysis FFT of 2048 at 22.05 kHz."""


def espeak_pitch_for(lowest_midi: int) -> int:
    """The espeak-ng pitch parameter whose monotone sits nearest a persona's lowest note.

    A source near the sung register keeps the envelope estimate honest; the parameter is
    clamped to espeak-ng's range, so high voices use its highest setting.
    """
    params = np.array([p for p, _ in _ESPEAK_PITCH_TO_HZ], dtype=float)
    log_hz = np.log([hz for _, hz in _ESPEAK_PITCH_TO_HZ])
    wanted = np.log(midi_to_hz(lowest_midi))
    # extrapolate linearly in log-frequency beyond the measured points, then clamp
    slope = (params[-1] - params[0]) / (log_hz[-1] - log_hz[0])
    if wanted < log_hz[0] or wanted > log_hz[-1]:
        param = params[0] + slope * (wanted - log_hz[0])
    else:
        param = float(np.interp(wanted, log_hz, params))
    return int(np.clip(round(param), _LOWEST_ESPEAK_PITCH, 99))


@lru_cache(maxsize=32)
def measure_espeak_voice(language: str, pitch: int, words_per_minute: int) -> tuple[float, int]:
    """(monotone F0, sample rate) of espeak-ng's voice for a language, measured once on a
    short phrase; the F0 falls back to the measured table when tracking finds too little."""
    words = espeak.text_to_phonemes("la la la", language)
    speech = espeak.speak_phonemes(
        " ".join("".join(w) for w in words), language, words_per_minute, pitch
    )
    table_hz = float(
        np.interp(pitch, [p for p, _ in _ESPEAK_PITCH_TO_HZ], [hz for _, hz in _ESPEAK_PITCH_TO_HZ])
    )
    x = speech.samples.astype(np.float64)
    if x.size < speech.sample_rate // 10:
        return table_hz, speech.sample_rate
    f0, times = pw.dio(
        x, speech.sample_rate, f0_floor=40.0, f0_ceil=400.0, frame_period=FRAME_PERIOD_MS
    )
    f0 = pw.stonemask(x, f0, times, speech.sample_rate)
    voiced = f0[f0 > 0]
    f0_hz = float(np.median(voiced)) if voiced.size >= 5 else table_hz
    return f0_hz, speech.sample_rate


@dataclass(frozen=True)
class SpokenWord:
    """One word spoken by espeak-ng, as WORLD envelope frames with its phonemes located."""

    envelope: npt.NDArray[np.float64]
    """Power spectral envelope, shaped (frames, synthesis bins), formants already shifted."""
    phoneme_frames: tuple[tuple[int, int], ...]
    """[start, end) frame of each phoneme of the word, syllables one after another."""
    syllable_starts: tuple[int, ...]
    """Index into ``phoneme_frames`` of each syllable's first phoneme."""

    def syllable_phonemes(self, syllable: int) -> range:
        first = self.syllable_starts[syllable]
        last = (
            self.syllable_starts[syllable + 1]
            if syllable + 1 < len(self.syllable_starts)
            else len(self.phoneme_frames)
        )
        return range(first, last)


@dataclass(frozen=True)
class _RawWord:
    """espeak-ng's speech for one word and where its phonemes start and end (samples)."""

    samples: npt.NDArray[np.float64]
    phoneme_samples: tuple[tuple[int, int], ...]
    syllable_starts: tuple[int, ...]


class SpeakingVoice:
    """espeak-ng in one language at one pitch, feeding WORLD analysis."""

    def __init__(
        self,
        language: str,
        espeak_pitch: int,
        formant_shift: float,
        output_rate: int = SINGING_RATE,
    ) -> None:
        self.language = language
        self.espeak_pitch = espeak_pitch
        self.formant_shift = formant_shift
        self.source_f0, self.sample_rate = measure_espeak_voice(
            language, espeak_pitch, WORDS_PER_MINUTE
        )
        self.output_rate = output_rate
        self.hop = self.sample_rate * FRAME_SECONDS
        # CheapTrick's window spans three periods of the source F0 and must fit the FFT
        self.analysis_fft_size = int(
            pw.get_cheaptrick_fft_size(self.sample_rate, 0.95 * self.source_f0)
        )
        self.synthesis_fft_size = self.analysis_fft_size // SYNTHESIS_FFT_DIVISOR
        self._warp = _FormantWarp(
            formant_shift,
            (self.sample_rate, self.analysis_fft_size),
            (output_rate, self.synthesis_fft_size),
        )

    def speak(self, syllables: Sequence[Sequence[str]]) -> _RawWord:
        """Speak one word (its syllables' phonemes). Holds espeak-ng's lock; call serially."""
        flat = [p for syllable in syllables for p in syllable]
        # '|' keeps neighbouring mnemonics apart ('a' + 'I' must not become 'aI')
        speech = espeak.speak_phonemes(
            "|".join(flat), self.language, WORDS_PER_MINUTE, self.espeak_pitch
        )
        spans = align_phoneme_events(flat, speech.phoneme_starts, len(speech.samples))
        starts = tuple(np.cumsum([0] + [len(s) for s in syllables[:-1]]).tolist())
        return _RawWord(speech.samples.astype(np.float64), tuple(spans), starts)

    def analyse(self, raw: _RawWord) -> SpokenWord:
        """WORLD envelope of a spoken word. Pure numpy and pyworld: safe to run in threads."""
        first = int(np.floor(raw.phoneme_samples[0][0] / self.hop))
        last = max(first + 1, int(np.ceil(raw.phoneme_samples[-1][1] / self.hop)))
        positions = np.arange(first, last) * FRAME_SECONDS
        f0 = np.full(positions.size, self.source_f0)
        x = raw.samples if raw.samples.size else np.zeros(int(self.hop) * 2)
        spectrum = pw.cheaptrick(
            x, f0, positions, self.sample_rate, fft_size=self.analysis_fft_size
        )
        envelope = self._warp.apply(spectrum)
        frames = tuple(
            (
                int(np.clip(round(start / self.hop) - first, 0, last - first)),
                int(np.clip(round(end / self.hop) - first, 0, last - first)),
            )
            for start, end in raw.phoneme_samples
        )
        return SpokenWord(np.ascontiguousarray(envelope), frames, raw.syllable_starts)


class _FormantWarp:
    """Reads an analysis envelope at ``frequency / shift`` for each synthesis bin: a shift above
    1 moves formants up, like a smaller vocal tract. The synthesis axis may belong to another
    rate; above the speech's Nyquist frequency there is nothing to read, so the envelope fades
    out there instead of repeating its last value."""

    def __init__(self, shift: float, analysis: tuple[int, int], synthesis: tuple[int, int]) -> None:
        (analysis_rate, analysis_fft), (synthesis_rate, synthesis_fft) = analysis, synthesis
        nyquist = analysis_rate / 2
        hz = np.arange(synthesis_fft // 2 + 1) * synthesis_rate / synthesis_fft / shift
        source = np.clip(hz * analysis_fft / analysis_rate, 0.0, analysis_fft // 2 - 1e-6)
        self.low = np.floor(source).astype(np.intp)
        self.weight = source - self.low
        beyond = np.clip((hz - 0.9 * nyquist) / (0.2 * nyquist), 0.0, 1.0)
        self.fade = 10.0 ** (-4.0 * beyond)  # down to -40 dB in power

    def apply(self, spectrum: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        low, weight = self.low, self.weight
        warped = spectrum[:, low] * (1.0 - weight) + spectrum[:, low + 1] * weight
        return np.asarray(warped * self.fade, dtype=np.float64)
