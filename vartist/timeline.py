"""The Timeline: every timed event of a finished song, in seconds.

Lip sync, the LRC file, the overlay and the avatar read it; none of them re-derives timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventKind = Literal["section", "line", "word", "syllable", "phoneme", "beat"]


@dataclass(frozen=True)
class TimelineEvent:
    kind: EventKind
    start: float
    end: float
    text: str
    """Section label, line or word text, syllable text, phoneme mnemonic, or bar:beat."""
    viseme: str = ""
    """Mouth shape, for phoneme events."""


@dataclass(frozen=True)
class Timeline:
    events: tuple[TimelineEvent, ...]

    def of(self, kind: EventKind) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in self.events if e.kind == kind)
