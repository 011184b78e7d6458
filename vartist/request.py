"""What a user or a fan asks for: the input of the whole pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from vartist.errors import VartistError

MAX_PROMPT_CHARS = 500


class RequestError(VartistError):
    """The song request itself is unusable."""


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
        prompt = self.prompt.strip()
        if not prompt:
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
