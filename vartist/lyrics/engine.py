"""The lyric-engine extension point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from vartist.lyrics.types import Lyrics
from vartist.persona import Persona
from vartist.plugins import Registry
from vartist.request import SongRequest


class LyricWriter(Protocol):
    """Writes original lyrics for a request, in the persona's language and themes."""

    def write(self, request: SongRequest, persona: Persona, rng: np.random.Generator) -> Lyrics: ...


LyricWriterFactory = Callable[[Persona], LyricWriter]

lyric_engines: Registry[LyricWriterFactory] = Registry("lyrics", "lyric engine")
"""Lyric engines by name; the persona's ``lyrics.engine`` picks one."""
