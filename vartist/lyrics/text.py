"""Written text before phonetics: cleaning, splitting into words, and which script a word uses."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vartist.lyrics.errors import LyricsError

APOSTROPHE = "'"
HYPHEN = "-"
# typographic apostrophes and hyphens become their ASCII forms so look-ups find the word
_APOSTROPHES = {"\u2019", "\u2018", "\u02bc", "\u2032", "`", "\u00b4"}
_HYPHENS = {"\u2010", "\u2011"}
# emoji sequences glue their pictures with these; they are invisible marks, not text
_EMOJI_GLUE = {"\u200d", "\u20e3"} | {chr(c) for c in range(0xFE00, 0xFE10)}


def word_set(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list: long word lists read better written so."""
    return frozenset(text.split())


# Scripts each language is written in, keyed by the language's base code (before "-").
# Languages missing here accept any script: espeak-ng will say whether it can read them.
_LATIN = frozenset({"Latin"})


SCRIPTS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    **{
        code: _LATIN
        for code in word_set(
            "af ca cs cy da de en eo es et eu fi fr ga gd gl hr hu id is it la lb lt lv ms mt "
            "nb nl nn no pl pt ro sk sl sq sv sw tr vi"
        )
    },
    **{code: frozenset({"Cyrillic"}) for code in ("ru", "uk", "bg", "be", "mk", "kk", "ky")},
    # Serbian is written in both alphabets, and espeak-ng reads both
    "sr": frozenset({"Cyrillic", "Latin"}),
    "el": frozenset({"Greek"}),
    "grc": frozenset({"Greek"}),
    "ja": frozenset({"Hiragana", "Katakana", "Han"}),
    "cmn": frozenset({"Han"}),
    "yue": frozenset({"Han"}),
    "zh": frozenset({"Han"}),
    "ko": frozenset({"Hangul"}),
    **{code: frozenset({"Arabic"}) for code in ("ar", "fa", "ur", "ps", "sd", "ug")},
    "he": frozenset({"Hebrew"}),
    **{code: frozenset({"Devanagari"}) for code in ("hi", "mr", "ne", "sa", "kok")},
    "bn": frozenset({"Bengali"}),
    "as": frozenset({"Bengali"}),
    "pa": frozenset({"Gurmukhi"}),
    "gu": frozenset({"Gujarati"}),
    "or": frozenset({"Oriya"}),
    "ta": frozenset({"Tamil"}),
    "te": frozenset({"Telugu"}),
    "kn": frozenset({"Kannada"}),
    "ml": frozenset({"Malayalam"}),
    "si": frozenset({"Sinhala"}),
    "ka": frozenset({"Georgian"}),
    "hy": frozenset({"Armenian"}),
    "am": frozenset({"Ethiopic"}),
    "my": frozenset({"Myanmar"}),
}

# A language to suggest when a word is in a script the song's language does not use.
SUGGESTED_LANGUAGE: dict[str, str] = {
    "Latin": "en-us",
    "Cyrillic": "ru",
    "Greek": "el",
    "Hiragana": "ja",
    "Katakana": "ja",
    "Han": "cmn",
    "Hangul": "ko",
    "Arabic": "ar",
    "Hebrew": "he",
    "Devanagari": "hi",
    "Bengali": "bn",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Oriya": "or",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Georgian": "ka",
    "Armenian": "hy",
    "Ethiopic": "am",
    "Myanmar": "my",
}

# First word(s) of Unicode character names that belong to no single script.
_NEUTRAL_NAME_PREFIXES = ("COMBINING", "MODIFIER")
_NAME_ALIASES = {"CJK": "Han", "IDEOGRAPHIC": "Han", "KATAKANA-HIRAGANA": "Katakana"}


def base_language(language: str) -> str:
    """'en-us' → 'en', 'sv' → 'sv'."""
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LN" or (category[0] == "M" and char not in _EMOJI_GLUE)


_ASCII_WORD = re.compile(r"[A-Za-z0-9'-]+")


def normalise(text: str) -> str:
    """NFKC (full-width letters become plain ones) with ASCII apostrophes and hyphens."""
    if text.isascii():
        return text.replace("`", APOSTROPHE)
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        APOSTROPHE if c in _APOSTROPHES else HYPHEN if c in _HYPHENS else c for c in text
    )


def clean_line(text: str) -> str:
    """The line as it is shown: emoji and other symbols dropped, spaces collapsed.

    Letters, digits, apostrophes, hyphens and ordinary punctuation stay.
    """
    kept = []
    for char in normalise(text):
        category = unicodedata.category(char)
        # symbols (emoji among them), controls, private-use and separators become spaces
        if char in _EMOJI_GLUE or category[0] in "SCZ":
            kept.append(" ")
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


def split_words(text: str) -> list[str]:
    """The singable words of a line: runs of letters, digits, apostrophes and hyphens.

    Apostrophes and hyphens at a word's edges are quotes and dashes, so they are trimmed.
    """
    if text.isascii():
        # the common case, without a Unicode look-up per character
        trimmed = (
            w.strip(APOSTROPHE + HYPHEN) for w in _ASCII_WORD.findall(text.replace("`", "'"))
        )
        return [w for w in trimmed if any(c.isalnum() for c in w)]
    words = []
    current: list[str] = []
    for char in normalise(text) + " ":
        if _is_word_char(char) or char in (APOSTROPHE, HYPHEN):
            current.append(char)
            continue
        if current:
            word = "".join(current).strip(APOSTROPHE + HYPHEN)
            if any(_is_word_char(c) for c in word):
                words.append(word)
            current = []
    return words


def script_of(char: str) -> str | None:
    """The script a letter belongs to ("Latin", "Cyrillic", "Han", …); None for digits/marks."""
    if unicodedata.category(char)[0] not in "LM":
        return None
    name = unicodedata.name(char, "")
    if not name or name.startswith(_NEUTRAL_NAME_PREFIXES):
        return None
    first, *rest = name.split()
    if first in ("FULLWIDTH", "HALFWIDTH") and rest:
        first = rest[0]
    return _NAME_ALIASES.get(first, first.capitalize())


def check_script(word: str, language: str, line_number: int | None = None) -> None:
    """Raise :class:`LyricsError` when ``word`` uses a script ``language`` is not written in."""
    allowed = SCRIPTS_BY_LANGUAGE.get(base_language(language))
    if allowed is None or (word.isascii() and "Latin" in allowed):
        return
    script = _foreign_script(word, allowed)
    if script is not None:
        where = f"line {line_number}: " if line_number is not None else ""
        expected = " or ".join(sorted(allowed))
        suggestion = SUGGESTED_LANGUAGE.get(script, "…")
        raise LyricsError(
            f"{where}the word {word!r} is written in {script} script, but {language!r} lyrics "
            f"are written in {expected}; write it in {expected} or, if the song is in another "
            f"language, pick it with `--set language={suggestion}`"
        )


@lru_cache(maxsize=4096)
def _foreign_script(word: str, allowed: frozenset[str]) -> str | None:
    """The first script in ``word`` that is not one of ``allowed``."""
    for char in word:
        script = script_of(char)
        if script is not None and script not in allowed:
            return script
    return None
