"""What a user or a fan asks for: the input of the whole pipeline."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from vartist.errors import VartistError

MAX_PROMPT_CHARS = 500


class RequestError(VartistError):
    """The song request itself is unusable."""


def _visible(text: str) -> bool:
    """Whether ``text`` holds a character that shows: not blank, not only zero-width marks."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def _check_text(text: str, what: str, allow_newlines: bool = False) -> None:
    for char in text:
        if "\ud800" <= char <= "\udfff":
            # Python's stand-in for a byte that is not UTF-8 (argv is decoded with surrogateescape)
            raise RequestError(
                f"{what} is not valid UTF-8 text; check the terminal's or the file's encoding"
            )
        if unicodedata.category(char) == "Cc" and not (allow_newlines and char in "\n\r\t"):
            raise RequestError(
                f"{what} holds the control character U+{ord(char):04X}; use plain text"
            )


@dataclass(frozen=True)
class SongRequest:
    prompt: str
    seed: int = 0
    lyrics_text: str | None = None
    """The user's own lyrics, sections tagged ``[verse]``, ``[chorus]``, …; None lets the engine write."""
    genre: str | None = None
    """Overrides the persona's first genre."""
    requested_by: str = "cli"

    def __post_init__(self) -> None:
        _check_text(self.prompt, "the prompt")
        if self.lyrics_text is not None:
            _check_text(self.lyrics_text, "the lyrics", allow_newlines=True)
        prompt = self.prompt.strip()
        if not _visible(prompt):
            raise RequestError(
                'the prompt is empty; describe the song in a few words, like "a rainy night in the city"'
            )
        if len(prompt) > MAX_PROMPT_CHARS:
            raise RequestError(
                f"the prompt is {len(prompt)} characters; keep it under {MAX_PROMPT_CHARS} "
                "(put long texts in a lyrics file and pass --lyrics FILE)"
            )
        if not 0 <= self.seed < 2**63:
            raise RequestError(
                f"seed {self.seed} is out of range; use a whole number from 0 to 2**63-1"
            )
        object.__setattr__(self, "prompt", prompt)
