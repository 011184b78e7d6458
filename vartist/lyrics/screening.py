"""Words the lyrics never sing: the persona's ``lyrics.avoid`` list and the built-in blocklist.

Every lyric engine screens what it writes with :func:`banned_words` and :func:`is_banned`;
an engine that hands the fan's words to a model also screens the request with
:func:`refuse_banned_request`, so a banned word never steers the model in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from vartist.lyrics.errors import LyricsError
from vartist.lyrics.text import base_language, split_words


class RefusedRequestError(LyricsError):
    """The request asks for a word the artist does not sing."""


@lru_cache(maxsize=8)
def blocklist(language: str) -> frozenset[str]:
    """The built-in blocklist for ``language`` (empty for a language without one)."""
    source = resources.files("vartist.lyrics").joinpath(f"blocklists/{base_language(language)}.txt")
    if not source.is_file():
        return frozenset()
    lines = source.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def _lower_words(text: str) -> list[str]:
    return [w.lower() for w in split_words(text)]


def banned_words(avoid: Iterable[str], language: str) -> frozenset[str]:
    """The persona's avoided words plus the blocklist of the lyrics' language, lower case."""
    return frozenset(w for entry in avoid for w in _lower_words(entry)) | blocklist(language)


def banned_word_in(text: str, banned: frozenset[str]) -> str | None:
    """The first word of ``text`` that is banned, or None."""
    for word in _lower_words(text):
        # "love's" is still "love"
        if word in banned or re.sub(r"'s$", "", word) in banned:
            return word
    return None


def is_banned(text: str, banned: frozenset[str]) -> bool:
    return banned_word_in(text, banned) is not None


def refuse_banned_request(prompt: str, banned: frozenset[str], artist: str) -> None:
    """Raise :class:`RefusedRequestError` when the fan's prompt holds a banned word."""
    word = banned_word_in(prompt, banned)
    if word is not None:
        raise RefusedRequestError(
            f"{artist} does not sing about {word!r} (the blocklist or the persona's "
            "lyrics.avoid list); ask for another song"
        )
