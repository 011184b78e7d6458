"""The WORLD singer: speech of each word reshaped into singing.

Each distinct word of a song is spoken once by a speaking voice (espeak-ng for the builtin
singer, a VITS model for the coqui singer) and analysed into a spectral envelope
(:mod:`vartist.voice.spoken`); the performance plan stretches its vowels over the notes and
places its consonants around them (:mod:`vartist.voice.performance`); the pitch track follows
the score with glides and vibrato (:mod:`vartist.voice.contour`); WORLD then synthesises each
phrase in one call, the phrases in parallel threads (pyworld releases the GIL).
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
import pyworld as pw

from vartist.audio import Audio, db_to_gain
from vartist.composer.score import Score
from vartist.lyrics.types import Word
from vartist.persona import Persona, VoiceConfig
from vartist.pitch import midi_to_hz
from vartist.voice.contour import PitchedNote, sung_pitch_track
from vartist.voice.performance import (
    PerformancePlan,
    SyllableGroup,
    WordBank,
    WordKey,
    plan_performance,
    syllable_groups,
    word_key,
)
from vartist.voice.phonetics import PhoneKind
from vartist.voice.spoken import (
    FRAME_PERIOD_MS,
    FRAME_SECONDS,
    SpeakingVoice,
    WordToSpeak,
)
from vartist.voice.styles import STYLES, octaves_above_pivot
from vartist.voice.types import VocalTake

PEAK_DBFS = -3.0
LEGATO_GAP_SECONDS = 0.03
"""Notes closer than this are sung connected, gliding from one to the next."""
CHUNK_SPLIT_FRAMES = 8
"""A silence of 40 ms or more ends a phrase; phrases are synthesised separately."""
CHUNK_PAD_FRAMES = 4
SILENT_ENVELOPE = 1e-14
"""Envelope power where nothing sounds, about 100 dB under a sung vowel."""
MAX_THREADS = 4

T = TypeVar("T")
R = TypeVar("R")


def _parallel_map(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Map in threads, results in input order, so the output never depends on scheduling."""
    work = list(items)
    threads = min(MAX_THREADS, os.cpu_count() or 1, len(work))
    if threads <= 1:
        return [function(item) for item in work]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, work))


MAX_APERIODICITY = 0.98
"""A voiced frame keeps a trace of its pulse train however breathy it is."""
VOICED_OBSTRUENT_NOISE_FLOOR_DB = -6.0
"""The least aperiodicity (dB) of a voiced fricative or stop at any frequency: half noise even
under its voice bar. Voiced the whole way down, "the" came out as a hummed murmur and was heard
as "my" or "a"; English speakers half devoice these sounds anyway. Over the intelligibility
benchmark's seeds 1-3, the sung lines understood went from 83% (414 of 501) to 85% (428), over
seeds 4-6 from 76% (371 of 487) to 81% (394); with a floor of -3 dB, 84% over seeds 1-3."""


def air_shape(fft_size: int, sample_rate: int) -> npt.NDArray[np.float64]:
    """Breath noise per synthesis bin for breathiness 1: some everywhere, most above 5 kHz."""
    hz = np.linspace(0.0, sample_rate / 2, fft_size // 2 + 1)
    return 0.35 + 0.65 * np.clip(hz / 5000.0, 0.0, 1.0)


def aperiodicity_table(
    breathiness: float, fft_size: int, sample_rate: int
) -> npt.NDArray[np.float64]:
    """Aperiodicity (WORLD's 0..1 ratio of noise) per :class:`PhoneKind` and synthesis bin.

    Rules instead of D4C: the phoneme already says how a frame is excited, and D4C would cost
    about four times the envelope analysis. Vowels and sonorants are periodic with noise
    growing above 1 kHz as in a real voice; voiced fricatives and stops are half noise low
    down and mostly noise up high; breathiness adds air across the spectrum, most of it up high.
    """
    bins = fft_size // 2 + 1
    hz = np.linspace(0.0, sample_rate / 2, bins)
    periodic_db = -35.0 + 27.0 * np.clip((hz - 1000.0) / 7000.0, 0.0, 1.0)
    air = breathiness * air_shape(fft_size, sample_rate)
    periodic = np.minimum(np.hypot(10 ** (periodic_db / 20), air), MAX_APERIODICITY)
    obstruent_db = np.maximum(
        -25.0 + 24.0 * np.clip((hz - 600.0) / 1900.0, 0.0, 1.0), VOICED_OBSTRUENT_NOISE_FLOOR_DB
    )
    obstruent = np.maximum(10 ** (obstruent_db / 20), periodic)
    table = np.ones((len(PhoneKind), bins))
    table[PhoneKind.VOICED_OBSTRUENT] = obstruent
    table[PhoneKind.SONORANT] = periodic
    table[PhoneKind.VOWEL] = periodic
    return table


class WorldSinger(ABC):
    """Sings a score's vocal line with WORLD from the words a :class:`SpeakingVoice` says.

    A subclass names its engine and supplies the speaking voice; planning, pitch and
    synthesis are shared.
    """

    engine_name: ClassVar[str]

    def __init__(self, persona: Persona) -> None:
        self.voice_config: VoiceConfig = persona.voice
        self.style = STYLES[persona.voice.style]
        self._voiced = np.array([kind.voiced for kind in PhoneKind], dtype=np.float64)
        self._tonal = np.array(
            [kind in (PhoneKind.VOWEL, PhoneKind.SONORANT) for kind in PhoneKind], dtype=np.float64
        )

    @abstractmethod
    def speaking_voice(self, language: str) -> SpeakingVoice:
        """The voice that says this song's words, in the lyrics' espeak-ng language."""

    def _spoken_words(
        self, voice: SpeakingVoice, score: Score, groups: list[SyllableGroup]
    ) -> tuple[WordBank, int]:
        """Every distinct word of the song spoken once, in order of first appearance, and
        analysed; with the rate the voice spoke at. Nothing is kept between songs: each song's
        words are spoken afresh, so no earlier song can change how this one sounds."""
        keys = list(dict.fromkeys(word_key(score, n.syllable) for n in score.vocal))
        if not keys:
            return WordBank.stack({}), 0
        raw = voice.speak(_words_to_speak(score, keys, groups))
        words = dict(zip(keys, _parallel_map(voice.analyse, raw), strict=True))
        return WordBank.stack(words), raw[0].sample_rate

    def sing(self, score: Score, rng: np.random.Generator) -> VocalTake:
        voice = self.speaking_voice(score.lyrics.language)
        groups = syllable_groups(score)
        bank, speech_rate = self._spoken_words(voice, score, groups)
        duration = max([score.duration_seconds] + [g.end for g in groups])
        frame_count = int(np.floor(duration / FRAME_SECONDS)) + 1
        plan = plan_performance(score, groups, bank, frame_count, rng, self.style)
        vibrato = self.voice_config.vibrato
        styled_vibrato = vibrato.model_copy(
            update={"depth_cents": vibrato.depth_cents * self.style.vibrato_depth_scale}
        )
        pitch = sung_pitch_track(
            _pitched_notes(score, groups), frame_count, FRAME_SECONDS, styled_vibrato, rng
        )
        samples = np.zeros(round(duration * voice.output_rate))
        if groups:
            fft_size = voice.synthesis_fft_size(speech_rate)
            f0_hz = midi_to_hz(pitch)
            sung = self._synthesize(plan, f0_hz, bank, voice.output_rate, fft_size)
            samples += sung[: samples.size]
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 0:
            samples *= db_to_gain(PEAK_DBFS) / peak
        phonemes = tuple(sorted(plan.phonemes, key=lambda p: (p.start, p.end)))
        return VocalTake(Audio.mono(samples, voice.output_rate), phonemes, self.engine_name)

    def _synthesize(
        self,
        plan: PerformancePlan,
        f0_hz: npt.NDArray[np.float64],
        bank: WordBank,
        sample_rate: int,
        fft_size: int,
    ) -> npt.NDArray[np.float64]:
        frame_count = plan.kind.size
        aperiodicity_by_kind = aperiodicity_table(
            self.voice_config.breathiness, fft_size, sample_rate
        )
        leaking_air = self.style.extra_breathiness * air_shape(fft_size, sample_rate)
        octaves = octaves_above_pivot(fft_size, sample_rate)
        style = self.style
        hop = Fraction(sample_rate) * Fraction(FRAME_PERIOD_MS) / 1000
        # chunks start on frames whose first sample is a whole number, so joins are exact
        align = hop.denominator
        output = np.zeros(math.ceil(frame_count * hop) + fft_size)

        def render(chunk: tuple[int, int]) -> tuple[int, npt.NDArray[np.float64]]:
            first, last = chunk
            row, next_row = plan.row[first:last], plan.next_row[first:last]
            weight = plan.weight[first:last, None]
            kind = plan.kind[first:last]
            envelope = bank.envelope[row] * (1.0 - weight) + bank.envelope[next_row] * weight
            envelope *= plan.gain[first:last, None]
            # spectral tilt in dB per octave above the pivot, brighter as a held vowel swells;
            # only the tone is tilted, so a breathy voice keeps its consonants' hiss
            tilt = (
                style.tilt_db_per_octave + style.brightening_db_per_octave * plan.swell[first:last]
            )
            tilt *= self._tonal[kind]
            tilted = tilt != 0.0  # most frames of a clean voice: no power to raise
            envelope[tilted] *= 10.0 ** (tilt[tilted, None] * octaves[None, :] / 10.0)
            envelope[kind == PhoneKind.SILENCE] = SILENT_ENVELOPE
            np.maximum(envelope, SILENT_ENVELOPE, out=envelope)
            aperiodicity = aperiodicity_by_kind[kind]
            if leaking_air.any():
                air = (plan.swell[first:last] * self._tonal[kind])[:, None] * leaking_air[None, :]
                aperiodicity = np.minimum(np.hypot(aperiodicity, air), MAX_APERIODICITY)
            aperiodicity = np.ascontiguousarray(aperiodicity)
            f0 = np.ascontiguousarray(f0_hz[first:last] * self._voiced[kind])
            audio = pw.synthesize(f0, envelope, aperiodicity, sample_rate, FRAME_PERIOD_MS)
            return int(first * hop), audio

        for start, audio in _parallel_map(render, _phrase_chunks(plan.kind, align)):
            output[start : start + audio.size] += audio
        return output


def _words_to_speak(
    score: Score, keys: list[WordKey], groups: list[SyllableGroup]
) -> list[WordToSpeak]:
    """What each distinct word is, for the speaking voice: its phonemes, vowels, spelling and
    the longest time each of its vowels is sung in this score."""
    held: dict[WordKey, list[float]] = {key: [0.0] * len(key) for key in keys}
    written: dict[WordKey, Word] = {}
    for group in groups:
        key = word_key(score, group.ref)
        syllable = group.ref.syllable
        held[key][syllable] = max(held[key][syllable], group.end - group.start)
        line = score.lyrics.sections[group.ref.section].lines[group.ref.line]
        written.setdefault(key, line.words[group.ref.word])
    return [
        WordToSpeak(
            key,
            tuple(s.nucleus for s in written[key].syllables),
            written[key].text,
            tuple(held[key]),
            tuple(s.stress for s in written[key].syllables),
        )
        for key in keys
    ]


def _pitched_notes(score: Score, groups: list[SyllableGroup]) -> list[PitchedNote]:
    notes = sorted((n for g in groups for n in g.notes), key=lambda n: n.start)
    pitched: list[PitchedNote] = []
    for note in notes:
        start, end = score.seconds(note.start), score.seconds(note.end)
        legato = bool(pitched) and start - pitched[-1].end < LEGATO_GAP_SECONDS
        pitched.append(PitchedNote(start, end, note.pitch, legato))
    return pitched


def _phrase_chunks(kind: npt.NDArray[np.int8], align: int) -> list[tuple[int, int]]:
    """[first, last) frame ranges that hold sound, split at silences, padded and aligned."""
    sounding = np.flatnonzero(kind != PhoneKind.SILENCE)
    if sounding.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(sounding) > CHUNK_SPLIT_FRAMES)
    firsts = np.concatenate([[sounding[0]], sounding[breaks + 1]])
    lasts = np.concatenate([sounding[breaks], [sounding[-1]]])
    chunks = []
    for first, last in zip(firsts, lasts, strict=True):
        start = max(0, int(first) - CHUNK_PAD_FRAMES)
        start -= start % align
        end = min(kind.size, int(last) + CHUNK_PAD_FRAMES + 1)
        chunks.append((start, end))
    return chunks
