"""What a singer hands on: the sung audio and when each phoneme sounds."""

from __future__ import annotations

from dataclasses import dataclass

from vartist.audio import Audio
from vartist.composer.score import SyllableRef


@dataclass(frozen=True)
class SungPhoneme:
    start: float
    """Seconds from the start of the song."""
    end: float
    phoneme: str
    """espeak-ng mnemonic, as in the lyrics."""
    viseme: str
    """Mouth shape class (see :mod:`vartist.voice.visemes`)."""
    syllable: SyllableRef


@dataclass(frozen=True)
class VocalTake:
    audio: Audio
    """The dry lead vocal, mono, at the singer's native rate; starts at song time 0."""
    phonemes: tuple[SungPhoneme, ...]
    engine: str
