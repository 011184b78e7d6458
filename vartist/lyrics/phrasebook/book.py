"""The shape of a phrase book: the pieces a sung line is built from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Mood = Literal["verse", "pre-chorus", "chorus", "bridge"]
MOODS: tuple[Mood, ...] = ("verse", "pre-chorus", "chorus", "bridge")
THING = "{thing}"
"""A slot for any noun phrase: a person, a place or an image."""
PLACE = "{place}"
"""A slot for a place or an image ("we drove out to {place}"), never a person."""
WHO = "{who}"
"""A slot for a person only ("I still miss {who}")."""
SLOTS = (THING, PLACE, WHO)


def lines(text: str) -> tuple[str, ...]:
    """Phrases written one per line; blank lines and surrounding spaces are ignored."""
    return tuple(stripped for line in text.splitlines() if (stripped := line.strip()))


@dataclass(frozen=True)
class PromptVocabulary:
    """What the writer needs to pick noun phrases out of a prompt or a theme."""

    stopwords: frozenset[str]
    """Function words and request words ("song", "about") that are never topics."""
    determiners: frozenset[str]
    """Words that open a noun phrase ("the", "my"); kept with the phrase they open."""
    adjectives: frozenset[str]
    """Common adjectives, which may modify a topic but never are one."""
    adjective_endings: tuple[str, ...]
    """Endings that mark a word as an adjective or adverb ("-less", "-ly")."""
    verb_markers: frozenset[str]
    """Words after which a bare word is a verb ("to" in "reasons to stay")."""
    complete: Callable[[list[str]], str]
    """Turns a bare noun phrase (no determiner in the prompt) into one a line can sing."""


@dataclass(frozen=True)
class PhraseBook:
    language: str
    """Base language code: 'en', 'nl' or 'sv'."""
    openers: tuple[str, ...]
    """Short words a line may start with; they add a syllable where a line is one short."""
    clause_heads: Mapping[Mood, tuple[str, ...]]
    modal_heads: Mapping[Mood, tuple[str, ...]]
    adverb_tails: tuple[tuple[str, ...], ...]
    """Groups of adverbial phrases whose last words rhyme."""
    verb_tails: tuple[tuple[str, ...], ...]
    """Groups of verb phrases (what follows a modal head) whose last words rhyme."""
    things: tuple[str, ...]
    """The book's own images and places, for lines the prompt and themes leave open."""
    vocabulary: PromptVocabulary
    title_case: bool
    """Whether titles capitalise every main word (English) or only the first (Dutch, Swedish)."""
    minor_words: frozenset[str] = frozenset()
    """Words a title-cased title leaves in lower case."""
    concept_heads: Mapping[str, Mapping[Mood, tuple[str, ...]]] = field(default_factory=dict)
    """Clause heads that carry one song mood ("grief", "joy", …), by section."""
    concept_things: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The book's own images for each song mood."""
    mood_clashes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Word beginnings that put a phrase out of tune with a song mood ("danc" in grief).
    A clash of several words ("in love") matches them in a row, the last as a beginning."""


def groups(text: str) -> tuple[tuple[str, ...], ...]:
    """Groups of phrases, one phrase per line, groups separated by blank lines."""
    return tuple(lines(block) for block in text.split("\n\n") if lines(block))


def stems(text: str) -> tuple[str, ...]:
    """Word beginnings written space-separated (single-word mood clashes)."""
    return tuple(text.split())
