"""The song's timeline from its score and the sung take: what lip sync, lyrics and the avatar read."""

from __future__ import annotations

import math
from typing import TypeVar

from vartist.composer.score import Score
from vartist.timeline import EventKind, Timeline, TimelineEvent
from vartist.voice.types import VocalTake

# Events that start together are listed from the largest to the smallest unit.
_KIND_ORDER: dict[EventKind, int] = {
    "section": 0,
    "line": 1,
    "word": 2,
    "syllable": 3,
    "phoneme": 4,
    "beat": 5,
}


K = TypeVar("K")


def _widen(spans: dict[K, tuple[float, float]], key: K, start: float, end: float) -> None:
    """Grow the span stored under ``key`` to cover [start, end)."""
    known = spans.get(key)
    spans[key] = (start, end) if known is None else (min(start, known[0]), max(end, known[1]))


def build_timeline(score: Score, take: VocalTake) -> Timeline:
    """Sections, lines, words, syllables (from the score's vocal notes), phonemes with their
    visemes (from the take) and beats as "bar:beat", all in seconds, sorted by start."""
    events: list[TimelineEvent] = []
    for span in score.sections:
        events.append(
            TimelineEvent("section", score.seconds(span.start), score.seconds(span.end), span.label)
        )

    # a melisma's notes share one syllable: the syllable spans them all
    syllables: dict[tuple[int, int, int, int], tuple[float, float]] = {}
    words: dict[tuple[int, int, int], tuple[float, float]] = {}
    lines: dict[tuple[int, int], tuple[float, float]] = {}
    for note in score.vocal:
        ref = note.syllable
        start, end = score.seconds(note.start), score.seconds(note.end)
        _widen(syllables, (ref.section, ref.line, ref.word, ref.syllable), start, end)
        _widen(words, (ref.section, ref.line, ref.word), start, end)
        _widen(lines, (ref.section, ref.line), start, end)

    lyric_sections = score.lyrics.sections
    for (section, line, word, syllable), (start, end) in syllables.items():
        text = lyric_sections[section].lines[line].words[word].syllables[syllable].text
        events.append(TimelineEvent("syllable", start, end, text))
    for (section, line, word), (start, end) in words.items():
        events.append(
            TimelineEvent("word", start, end, lyric_sections[section].lines[line].words[word].text)
        )
    for (section, line), (start, end) in lines.items():
        events.append(TimelineEvent("line", start, end, lyric_sections[section].lines[line].text))

    for phoneme in take.phonemes:
        events.append(
            TimelineEvent("phoneme", phoneme.start, phoneme.end, phoneme.phoneme, phoneme.viseme)
        )

    total_beats = score.duration_beats
    for beat in range(math.ceil(total_beats)):
        bar, beat_in_bar = divmod(beat, score.beats_per_bar)
        events.append(
            TimelineEvent(
                "beat",
                score.seconds(beat),
                score.seconds(min(beat + 1, total_beats)),
                f"{bar + 1}:{beat_in_bar + 1}",
            )
        )

    events.sort(key=lambda e: (e.start, _KIND_ORDER[e.kind], e.end))
    return Timeline(tuple(events))
