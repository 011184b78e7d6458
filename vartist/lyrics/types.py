"""The lyrics of one song: sections → lines → words → syllables with phonemes and stress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SectionKind = Literal["intro", "verse", "pre-chorus", "chorus", "bridge", "outro", "interlude"]
"""Kinds of song section; an interlude is a short instrumental break the composer adds."""


@dataclass(frozen=True)
class Syllable:
    text: str
    """The written piece of the word this syllable sings ("beau", "ti", "ful")."""
    phonemes: tuple[str, ...]
    """espeak-ng phoneme mnemonics in the lyric's language, e.g. ("b", "j", "u:")."""
    nucleus: int
    """Index in ``phonemes`` of the vowel (or syllabic consonant) the note holds."""
    stress: int
    """Metrical stress: 0 none, 1 primary, 2 secondary. Function words carry 0."""

    @property
    def onset(self) -> tuple[str, ...]:
        return self.phonemes[: self.nucleus]

    @property
    def vowel(self) -> str:
        return self.phonemes[self.nucleus]

    @property
    def coda(self) -> tuple[str, ...]:
        return self.phonemes[self.nucleus + 1 :]


@dataclass(frozen=True)
class Word:
    text: str
    syllables: tuple[Syllable, ...]


@dataclass(frozen=True)
class Line:
    text: str
    words: tuple[Word, ...]
    rhyme: str = ""
    """Rhyme class within its section ("A", "B", …); lines sharing one rhyme."""

    @property
    def syllables(self) -> tuple[Syllable, ...]:
        return tuple(s for w in self.words for s in w.syllables)


@dataclass(frozen=True)
class Section:
    kind: SectionKind
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Lyrics:
    title: str
    language: str
    """espeak-ng language the phonemes belong to."""
    sections: tuple[Section, ...]
    """Sections in sung order; a repeated chorus appears each time it is sung, identical."""
    engine: str
    """Who wrote them: 'builtin', 'user', or a plug-in's name."""

    @property
    def text(self) -> str:
        blocks = []
        for section in self.sections:
            body = "\n".join(line.text for line in section.lines)
            blocks.append(f"[{section.kind}]\n{body}")
        return "\n\n".join(blocks)
