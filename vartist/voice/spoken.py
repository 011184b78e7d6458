"""Spoken words as WORLD parameters: the raw material the builtin singer reshapes.

espeak-ng speaks each word on a constant F0, so the spectral envelope can be estimated with
CheapTrick directly, without tracking pitch. The envelope is then warped for the persona's
formant shift and resampled to the synthesis FFT once per word, so a chorus that repeats a
word costs nothing more.

espeak-ng keeps hidden state between utterances (see :mod:`vartist.lyrics.espeak_native`), so a
song's words are spoken together in one fresh process: the same words give the same speech no
matter what was spoken before, which keeps the singer a pure function of its score.

The speaking voice is pluggable (:class:`SpeakingVoice`): the builtin singer speaks with
espeak-ng (:class:`EspeakVoice`), the coqui singer with a VITS model
(:mod:`vartist.voice.coqui`); both hand on :class:`RawWord` s with their phonemes located, and
everything after that is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyworld as pw

from vartist.lyrics.espeak import speak_in_fresh_process
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
SOURCE_F0_RANGE = (70.0, 180.0)
"""The constant F0 espeak-ng speaks at follows the persona's lowest note within these bounds:
below 70 Hz CheapTrick would need a 2048-point FFT, above 180 Hz harmonics sample the envelope
too sparsely."""


def source_f0_for(lowest_midi: int) -> float:
    """The F0 espeak-ng speaks at for a persona whose lowest note is ``lowest_midi``: a source
    near the sung register keeps the envelope estimate honest."""
    low, high = SOURCE_F0_RANGE
    return float(round(np.clip(midi_to_hz(lowest_midi), low, high)))


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
class RawWord:
    """A voice's speech for one word and where its phonemes start and end (samples)."""

    samples: npt.NDArray[np.float64]
    sample_rate: int
    phoneme_samples: tuple[tuple[int, int], ...]
    syllable_starts: tuple[int, ...]


@dataclass(frozen=True)
class WordToSpeak:
    """One distinct word of a song, as a speaking voice is asked to say it."""

    syllables: tuple[tuple[str, ...], ...]
    """Each syllable's espeak-ng phoneme mnemonics."""
    nuclei: tuple[int, ...]
    """Index of each syllable's vowel (its nucleus) in its phonemes."""
    text: str
    """The word as written, for voices that read letters."""
    held_seconds: tuple[float, ...]
    """How long each syllable's vowel is sung at most in this song; a voice that can be told
    how long to say a sound may hold the vowel that long (espeak-ng cannot)."""
    stresses: tuple[int, ...]
    """Each syllable's stress from the lyrics: 0 none, 1 primary, 2 secondary."""


class SpeakingVoice(Protocol):
    """Says a song's words and analyses them into envelopes for the WORLD singer."""

    @property
    def output_rate(self) -> int:
        """The rate the singer synthesises at."""
        ...

    def speak(self, words: Sequence[WordToSpeak]) -> list[RawWord]:
        """Speak the words, in order; the same words give the same speech."""
        ...

    def synthesis_fft_size(self, speech_rate: int) -> int:
        """WORLD's FFT size for synthesis from envelopes this voice analysed."""
        ...

    def analyse(self, raw: RawWord) -> SpokenWord:
        """WORLD envelope of one spoken word; must be safe to run in threads."""
        ...


class EspeakVoice:
    """espeak-ng in one language on a constant F0, feeding WORLD analysis."""

    def __init__(
        self,
        language: str,
        source_f0: float,
        formant_shift: float,
        output_rate: int = SINGING_RATE,
        variant: str = "",
    ) -> None:
        self.language = language
        self.source_f0 = source_f0
        self.formant_shift = formant_shift
        self.output_rate = output_rate
        self.variant = variant
        """espeak-ng's voice variant ('f1', ...); empty for the language's own speaker."""

    def speak(self, words: Sequence[WordToSpeak]) -> list[RawWord]:
        """Speak words by their syllables' phonemes, all in one fresh espeak-ng."""
        syllables = [word.syllables for word in words]
        flat_words = [[p for syllable in word for p in syllable] for word in syllables]
        # '|' keeps neighbouring mnemonics apart ('a' + 'I' must not become 'aI')
        spoken = speak_in_fresh_process(
            ["|".join(stress_marked(word)) for word in words],
            self.language,
            self.source_f0,
            words_per_minute=WORDS_PER_MINUTE,
            variant=self.variant,
        )
        raw = []
        for word, flat, speech in zip(syllables, flat_words, spoken, strict=True):
            spans = align_phoneme_events(flat, speech.phoneme_starts, speech.samples.size)
            starts = tuple(np.cumsum([0] + [len(s) for s in word[:-1]]).tolist())
            raw.append(RawWord(speech.samples, speech.sample_rate, tuple(spans), starts))
        return raw

    def synthesis_fft_size(self, speech_rate: int) -> int:
        return analysis_fft_size(speech_rate, self.source_f0) // SYNTHESIS_FFT_DIVISOR

    def analyse(self, raw: RawWord) -> SpokenWord:
        """WORLD envelope of a spoken word. Pure numpy and pyworld: safe to run in threads."""
        analysis_fft = analysis_fft_size(raw.sample_rate, self.source_f0)
        return analyse_word(
            raw,
            lambda x, positions: np.full(positions.size, self.source_f0),
            analysis_fft,
            self.formant_shift,
            self.output_rate,
        )


PRIMARY_STRESS = "'"
"""espeak-ng's mark for primary stress, written before the stressed vowel."""
SECONDARY_STRESS = ","
"""Its mark for secondary stress, which the singer gives every other syllable of a word."""


def stress_marked(word: WordToSpeak) -> list[str]:
    """The word's mnemonics with its vowels marked for stress, for espeak-ng's phoneme input.

    Left unmarked, espeak-ng stresses the last syllable of a word said on its own: "city" and
    "rainy" came out as ci-TY and rai-NY, their first vowel cut to 35-50 ms, too short to hold
    a note on. So the syllable the lyrics stress is marked as primary, and every other one as
    secondary: sung, each syllable is a full vowel on its own note, and unstressed, espeak-ng
    reduced it (the t of "city" flapped, the vowel of "closer" a fifth shorter). Measured with
    Whisper over seeds 1-6, primary marks alone made 7 more of 988 sung lines pass, with the
    secondary marks 17. A word of one syllable is left unmarked: espeak-ng stresses it
    either way.
    """
    if len(word.syllables) == 1:
        return list(word.syllables[0])
    marked = []
    for syllable, nucleus, stress in zip(word.syllables, word.nuclei, word.stresses, strict=True):
        mark = PRIMARY_STRESS if stress == 1 else SECONDARY_STRESS
        marked += [mark + p if k == nucleus else p for k, p in enumerate(syllable)]
    return marked


F0Track = Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""The F0 of speech ``x`` at ``positions`` (seconds), 0 where unvoiced."""


def analyse_word(
    raw: RawWord, f0_of: F0Track, analysis_fft: int, formant_shift: float, output_rate: int
) -> SpokenWord:
    """WORLD envelope of a spoken word on the singer's frame grid, formants warped and the
    envelope resampled for synthesis at ``output_rate``; phonemes located in frames."""
    rate = raw.sample_rate
    hop = rate * FRAME_SECONDS
    first = int(np.floor(raw.phoneme_samples[0][0] / hop))
    last = max(first + 1, int(np.ceil(raw.phoneme_samples[-1][1] / hop)))
    positions = np.asarray(np.arange(first, last) * FRAME_SECONDS, dtype=np.float64)
    x = raw.samples if raw.samples.size else np.zeros(int(hop) * 2)
    f0 = f0_of(x, positions)
    spectrum = pw.cheaptrick(x, f0, positions, rate, fft_size=analysis_fft)
    warp = _formant_warp(
        formant_shift,
        (rate, analysis_fft),
        (output_rate, analysis_fft // SYNTHESIS_FFT_DIVISOR),
    )
    frames = tuple(
        (
            int(np.clip(round(start / hop) - first, 0, last - first)),
            int(np.clip(round(end / hop) - first, 0, last - first)),
        )
        for start, end in raw.phoneme_samples
    )
    return SpokenWord(warp.apply(spectrum), frames, raw.syllable_starts)


def analysis_fft_size(rate: int, lowest_f0: float) -> int:
    """CheapTrick's FFT size for speech at ``rate`` whose F0 never falls below ``lowest_f0``."""
    # CheapTrick's window spans three periods of the source F0 and must fit the FFT
    return int(pw.get_cheaptrick_fft_size(rate, 0.95 * lowest_f0))


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
        return np.ascontiguousarray(warped * self.fade, dtype=np.float64)


@lru_cache(maxsize=16)
def _formant_warp(
    shift: float, analysis: tuple[int, int], synthesis: tuple[int, int]
) -> _FormantWarp:
    return _FormantWarp(shift, analysis, synthesis)
