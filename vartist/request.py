"""What a user or a fan asks for: the input of the whole pipeline."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from vartist.errors import VartistError

MAX_PROMPT_CHARS = 500
MIN_LENGTH_SECONDS = 15.0
"""The shortest song worth asking for: a chorus alone lasts about this long at a fast tempo."""
MAX_LENGTH_SECONDS = 600.0
"""Ten minutes: longer songs only repeat themselves and keep a render worker busy for long."""
_LENGTH_PATTERN = re.compile(
    r"^(?:(?P<minutes>\d+):(?P<clock>\d{2})|(?P<seconds>\d+(?:\.\d+)?)s?)$"
)


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


def parse_length(text: str) -> float:
    """A song length as a user writes it: ``"2:30"``, ``"150"`` or ``"150s"`` → 150.0 seconds.

    Raises :class:`RequestError` for text that is no length; the range is checked by
    :class:`SongRequest`."""
    found = _LENGTH_PATTERN.match(text.strip().lower())
    if found is None:
        raise RequestError(
            f"the length {text[:40]!r} is not a length; write minutes:seconds like 2:30, "
            "or seconds like 150 or 150s"
        )
    if found["seconds"] is not None:
        return float(found["seconds"])
    clock = int(found["clock"])
    if clock >= 60:
        raise RequestError(
            f"the length {text.strip()!r} has {clock} in its seconds; write 0 to 59 after the colon"
        )
    return int(found["minutes"]) * 60.0 + clock


@dataclass(frozen=True)
class SongRequest:
    prompt: str
    seed: int = 0
    lyrics_text: str | None = None
    """The user's own lyrics, sections tagged ``[verse]``, ``[chorus]``, …; None lets the engine write."""
    genre: str | None = None
    """Overrides the persona's first genre."""
    requested_by: str = "cli"
    length_seconds: float | None = None
    """How long the song should last (the form and the intro and outro are sized to land
    within 15%); under 40 s gives a stinger for streams; None for the form's natural length."""

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
        if self.length_seconds is not None and not (
            math.isfinite(self.length_seconds)
            and MIN_LENGTH_SECONDS <= self.length_seconds <= MAX_LENGTH_SECONDS
        ):
            raise RequestError(
                f"a song of {self.length_seconds:g} s cannot be made; ask for "
                f"{MIN_LENGTH_SECONDS:.0f} s to {MAX_LENGTH_SECONDS / 60:.0f} minutes, like 2:30 "
                "(or 0:30 for a stinger)"
            )
        object.__setattr__(self, "prompt", prompt)
