"""The lyrics package's named exception."""

from __future__ import annotations

from vartist.errors import VartistError


class LyricsError(VartistError):
    """Lyrics that cannot be parsed, written or sung; the message says how to fix them."""
