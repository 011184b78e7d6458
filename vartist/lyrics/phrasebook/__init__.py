"""Phrase material the builtin lyric writer combines: one book per language it writes.

A sung line is built as ``[opener] head tail``:

- a *clause head* ("we were dancing") takes an *adverb tail* ("in the pouring rain");
- a *modal head* ("I will never") takes a *verb tail* ("let you go");
- a head whose last slot is ``{thing}`` ("I remember {thing}") may also stand alone, ending the
  line on a noun phrase from the prompt, the persona's themes or the book's own images.

Tails are written in groups that should rhyme; the writer checks every rhyme with
:func:`vartist.lyrics.phonetics.rhymes` and only pairs tails whose rhyme keys really match.
Everything here is original material written for vartist.
"""

from __future__ import annotations

from vartist.lyrics.phrasebook.book import MOODS, THING, Mood, PhraseBook, PromptVocabulary
from vartist.lyrics.phrasebook.en import ENGLISH
from vartist.lyrics.phrasebook.nl import DUTCH
from vartist.lyrics.phrasebook.sv import SWEDISH

PHRASEBOOKS: dict[str, PhraseBook] = {"en": ENGLISH, "nl": DUTCH, "sv": SWEDISH}
"""Phrase books by base language code."""

__all__ = ["MOODS", "PHRASEBOOKS", "THING", "Mood", "PhraseBook", "PromptVocabulary"]
