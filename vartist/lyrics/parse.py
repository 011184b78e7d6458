"""The user's own lyrics: tagged sections of text → :class:`Lyrics` ready to be sung."""

from __future__ import annotations

import dataclasses
import re

from vartist.lyrics.errors import LyricsError
from vartist.lyrics.phonetics import make_line, rhyme_letters
from vartist.lyrics.types import Line, Lyrics, Section, SectionKind

MAX_BYTES = 10_000
MAX_LINES = 200
MAX_SYLLABLES_PER_LINE = 24

# tag spellings (lower case, spaces and hyphens removed) → section kind
_KIND_BY_TAG: dict[str, SectionKind] = {
    "intro": "intro",
    "verse": "verse",
    "prechorus": "pre-chorus",
    "chorus": "chorus",
    "bridge": "bridge",
    "outro": "outro",
}
_TAG_LINE = re.compile(r"^\s*\[([^\]]*)\]\s*(.*)$")
_TAG_NAME = re.compile(r"^(?P<name>\D*?)\s*(?P<number>\d+)?$")
_KNOWN_TAGS = "[intro], [verse], [pre-chorus], [chorus], [bridge] or [outro]"
_TITLE_TRIM = " \t,.;:!?-–—\"'()"


def _section_kind(tag: str, line_number: int) -> SectionKind:
    # "[Verse 2: Mia]": what follows a colon credits a singer; the kind comes before it
    match = _TAG_NAME.match(tag.split(":", 1)[0].strip().lower())
    key = re.sub(r"[\s\-_]", "", match.group("name")) if match else ""
    if key not in _KIND_BY_TAG:
        raise LyricsError(
            f"lyrics line {line_number}: unknown section tag [{tag.strip()}]; use {_KNOWN_TAGS}, "
            "optionally numbered like [verse 2]"
        )
    return _KIND_BY_TAG[key]


def _check_size(text: str) -> None:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise LyricsError(
            f"the lyrics are {size} bytes; keep them under {MAX_BYTES // 1000} kB "
            "(one song, not an album)"
        )


def parse_lyrics(text: str, language: str, title: str | None = None) -> Lyrics:
    """Parse the user's lyrics: sections tagged ``[verse]``, ``[chorus]``, … (case-insensitive,
    optionally numbered); untagged text is a verse, and blank lines split sections.

    Raises :class:`LyricsError`, naming the line, for an unknown tag, a word in a script the
    language does not use, a line over 24 syllables, lyrics over 10 kB or 200 lines, or no
    singable text at all.
    """
    _check_size(text)
    sections: list[Section] = []
    kind: SectionKind = "verse"
    lines: list[Line] = []
    sung_lines = 0

    def close_section() -> None:
        nonlocal lines
        if lines:
            letters = rhyme_letters(lines, language)
            sections.append(
                Section(
                    kind,
                    tuple(
                        dataclasses.replace(ln, rhyme=r)
                        for ln, r in zip(lines, letters, strict=True)
                    ),
                )
            )
        lines = []

    for line_number, raw in enumerate(text.splitlines(), start=1):
        tag = _TAG_LINE.match(raw)
        if tag:
            close_section()
            kind = _section_kind(tag.group(1), line_number)
            raw = tag.group(2)
        if not raw.strip():
            if not tag and lines:
                close_section()
                kind = "verse"  # an untagged block after a blank line is a new verse
            continue
        line = make_line(raw, language, line_number=line_number)
        if not line.words:
            continue  # only emoji or punctuation: nothing to sing
        sung_lines += 1
        if sung_lines > MAX_LINES:
            raise LyricsError(
                f"lyrics line {line_number}: the lyrics have more than {MAX_LINES} sung lines; "
                "shorten them to one song"
            )
        syllables = len(line.syllables)
        if syllables > MAX_SYLLABLES_PER_LINE:
            raise LyricsError(
                f"lyrics line {line_number} has {syllables} syllables, more than one sung line "
                f"holds ({MAX_SYLLABLES_PER_LINE}); split it into two lines"
            )
        lines.append(line)
    close_section()

    if not sections:
        raise LyricsError(
            "the lyrics have no singable text; write at least one line of words "
            "(section tags like [verse] alone are not sung)"
        )
    if title is None or not title.strip():
        choruses = [s for s in sections if s.kind == "chorus"]
        title = (choruses[0] if choruses else sections[0]).lines[0].text
    return Lyrics(title.strip(_TITLE_TRIM) or title.strip(), language, tuple(sections), "user")
