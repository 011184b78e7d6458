"""A finished song: everything one render produced, ready to be written, played or sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vartist.audio import Audio
from vartist.composer.score import Score
from vartist.lyrics.types import Lyrics
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.timeline import Timeline
from vartist.voice.types import VocalTake


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float


@dataclass(frozen=True, eq=False)
class Song:
    request: SongRequest
    persona: Persona
    lyrics: Lyrics
    score: Score
    take: VocalTake
    timeline: Timeline
    master: Audio
    """48 kHz stereo, mastered to the persona's loudness."""
    stems: dict[str, Audio]
    """Mixed stems at 48 kHz stereo, ``vocals`` among them, summing to the pre-master mix;
    empty unless the pipeline was asked to keep them."""
    provenance: dict[str, Any]
    timings: tuple[StageTiming, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    """What the render could not honour (say, a loudness target the true-peak ceiling rules
    out); shown to the user and stored in song.json."""

    @property
    def title(self) -> str:
        return self.score.title

    @property
    def duration(self) -> float:
        return self.master.duration
