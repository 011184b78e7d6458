"""The coqui singer: a Coqui VITS voice, sung by the WORLD singer.

The VITS model is the speaking voice. Each distinct word of a song is said once with every
token's duration forced (:mod:`vartist.voice.vits_tokens`), each vowel as long as its longest
note, so where each phoneme starts and ends in the speech is known exactly rather than
guessed. From there the word goes the builtin singer's way (:mod:`vartist.voice.world_singer`):
WORLD analysis into an envelope, the performance plan that places its phonemes on the notes,
and synthesis on the score's pitch with its vibrato and glides. So the phoneme timeline comes
out exactly as from the builtin singer, and the melody is the score's, not the model's.

Persona: ``voice.engine = "coqui"``, ``voice.model`` (a checkpoint or a Coqui model name),
``voice.config`` (the checkpoint's config.json), ``voice.speaker`` for multi-speaker models,
``voice.device``; ``voice.licence`` and ``voice.consent`` record the right to use the voice
(:mod:`vartist.voice.licence`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyworld as pw
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfiltfilt

from vartist.persona import Persona
from vartist.voice.engine import singers
from vartist.voice.spoken import (
    FRAME_PERIOD_MS,
    SINGING_RATE,
    SYNTHESIS_FFT_DIVISOR,
    RawWord,
    SpeakingVoice,
    SpokenWord,
    WordToSpeak,
    analyse_word,
    analysis_fft_size,
)
from vartist.voice.vits_model import LoadedVits, load_vits
from vartist.voice.vits_tokens import phoneme_ipa, phoneme_letters, phoneme_seconds, timed_tokens
from vartist.voice.world_singer import WorldSinger

ENGINE_NAME = "coqui"
SPEECH_F0_RANGE = (71.0, 800.0)
"""Where the F0 of a VITS voice is looked for (WORLD's default floor): unlike espeak-ng, the
model speaks with its own intonation, so the envelope is analysed on the tracked F0."""
UNVOICED_ANALYSIS_F0 = 500.0
"""CheapTrick's F0 for frames where the model's speech has none (WORLD's own default): a
short window, smoothed over wide bands, which is what noise, unlike a harmonic spectrum,
needs."""
ENVELOPE_SMOOTHING_FRAMES = 5
"""The envelope is averaged over this many 5 ms frames (Welch's method): a noisy frame's
spectrum varies at random from one frame to the next, and a sung vowel looped over such frames
would flutter. 25 ms is shorter than a formant transition, so speech keeps its shape."""
SUBSONIC_HZ = 50.0
"""A VITS decoder can leave a DC offset or rumble; below the lowest sung F0 it would only
smear the envelope's low end, so it is filtered out before analysis."""
SUBSONIC_FILTER_MIN_SAMPLES = 15
"""sosfiltfilt pads the signal at both ends and needs at least this many samples."""
SPEECH_PEAK = 0.5
"""Each word's speech is scaled to this peak, so a quiet model or word still sits far above
the singer's silent floor; the performance plan evens the vowels' levels after that."""


@lru_cache(maxsize=8)
def _subsonic_filter(rate: int) -> npt.NDArray[np.float64]:
    return np.asarray(butter(2, SUBSONIC_HZ, "highpass", fs=rate, output="sos"))


def _seed_of(word: WordToSpeak) -> int:
    """A word's own seed for the model's noise: the same word always sounds the same, whatever
    else the song holds."""
    return zlib.crc32(repr(word.syllables).encode("utf-8"))


class VitsVoice:
    """A loaded VITS model saying words with forced durations, analysed for WORLD."""

    def __init__(
        self,
        vits: LoadedVits,
        language: str,
        conditioning: dict[str, Any],
        formant_shift: float,
        output_rate: int = SINGING_RATE,
    ) -> None:
        self.vits = vits
        self.language = language
        self.conditioning = conditioning
        self.formant_shift = formant_shift
        self._output_rate = output_rate

    @property
    def output_rate(self) -> int:
        return self._output_rate

    def _symbols(self, word: WordToSpeak) -> list[str]:
        if self.vits.vocabulary.reads_phonemes:
            return phoneme_ipa(word, self.language)
        return phoneme_letters(word)

    def speak(self, words: Sequence[WordToSpeak]) -> list[RawWord]:
        spoken = []
        samples_per_frame = self.vits.sample_rate / self.vits.frames_per_second
        for word in words:
            tokens = timed_tokens(
                self._symbols(word),
                phoneme_seconds(word),
                self.vits.vocabulary,
                self.vits.frames_per_second,
            )
            speech = self.vits.say(tokens, _seed_of(word), self.conditioning)
            if speech.size > SUBSONIC_FILTER_MIN_SAMPLES:
                speech = sosfiltfilt(_subsonic_filter(self.vits.sample_rate), speech)
            peak = float(np.max(np.abs(speech))) if speech.size else 0.0
            if peak > 0:
                speech = speech * (SPEECH_PEAK / peak)
            spans = tuple(
                (round(start * samples_per_frame), round(end * samples_per_frame))
                for start, end in tokens.phoneme_frames
            )
            starts = tuple(np.cumsum([0] + [len(s) for s in word.syllables[:-1]]).tolist())
            spoken.append(RawWord(speech, self.vits.sample_rate, spans, starts))
        return spoken

    def synthesis_fft_size(self, speech_rate: int) -> int:
        return analysis_fft_size(speech_rate, SPEECH_F0_RANGE[0]) // SYNTHESIS_FFT_DIVISOR

    def analyse(self, raw: RawWord) -> SpokenWord:
        rate = raw.sample_rate

        def tracked_f0(
            x: npt.NDArray[np.float64], positions: npt.NDArray[np.float64]
        ) -> npt.NDArray[np.float64]:
            low, high = SPEECH_F0_RANGE
            f0, times = pw.dio(x, rate, f0_floor=low, f0_ceil=high, frame_period=FRAME_PERIOD_MS)
            f0 = pw.stonemask(x, f0, times, rate)
            nearest = np.clip(np.round(positions * 1000 / FRAME_PERIOD_MS), 0, f0.size - 1)
            f0 = f0[nearest.astype(np.intp)]
            voiced = f0 > 0
            f0[~voiced] = UNVOICED_ANALYSIS_F0
            return np.ascontiguousarray(f0)

        fft_size = analysis_fft_size(rate, SPEECH_F0_RANGE[0])
        word = analyse_word(raw, tracked_f0, fft_size, self.formant_shift, self.output_rate)
        smoothed = uniform_filter1d(
            word.envelope, ENVELOPE_SMOOTHING_FRAMES, axis=0, mode="nearest"
        )
        return replace(word, envelope=np.ascontiguousarray(smoothed))


@singers.register(ENGINE_NAME)
class CoquiSinger(WorldSinger):
    """Sings with a Coqui VITS voice: forced-duration speech reshaped by WORLD."""

    engine_name = ENGINE_NAME

    def __init__(self, persona: Persona) -> None:
        super().__init__(persona)
        # loading here, not on the first song, makes a wrong model fail before any render
        self.vits = load_vits(persona.voice)
        self.speaker = self.vits.speaker_input(persona.voice.speaker)
        self.vits.language_input(persona.language)

    def speaking_voice(self, language: str) -> SpeakingVoice:
        conditioning = {**self.speaker, **self.vits.language_input(language)}
        return VitsVoice(self.vits, language, conditioning, self.voice_config.formant_shift)
