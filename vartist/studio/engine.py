"""The instrument extension point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from vartist.audio import Audio
from vartist.composer.score import Part
from vartist.plugins import Registry


class Instrument(Protocol):
    """Plays one part of the arrangement."""

    def render(
        self,
        part: Part,
        seconds_per_beat: float,
        total_seconds: float,
        sample_rate: int,
        rng: np.random.Generator,
    ) -> Audio:
        """Stereo audio of the part, starting at song time 0 and ``total_seconds`` long."""
        ...


InstrumentFactory = Callable[[], Instrument]

instruments: Registry[InstrumentFactory] = Registry("instruments", "instrument")
"""Instruments by name; a score ``Part.instrument`` picks one."""
