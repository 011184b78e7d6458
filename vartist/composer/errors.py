"""The composer's named exceptions."""

from __future__ import annotations

from vartist.errors import VartistError


class ComposerError(VartistError):
    """The composer cannot write a score for these inputs."""


class UnknownGenreError(ComposerError):
    """A request or persona names a genre no style model covers."""


class UnsingableLyricsError(ComposerError):
    """The lyrics hold nothing the composer can set to music."""
