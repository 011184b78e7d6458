"""The singer extension point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from vartist.composer.score import Score
from vartist.persona import Persona
from vartist.plugins import Registry
from vartist.voice.types import VocalTake


class Singer(Protocol):
    """Sings a score's vocal line with its lyric's phonemes."""

    def sing(self, score: Score, rng: np.random.Generator) -> VocalTake: ...


SingerFactory = Callable[[Persona], Singer]

singers: Registry[SingerFactory] = Registry("singers", "singer")
"""Singers by name; the persona's ``voice.engine`` picks one."""
