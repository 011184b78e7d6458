"""The voice stage: singers that turn a Score into a sung VocalTake, and the song's timeline.

Importing this package registers the embedded ``builtin`` singer and the ``coqui`` singer
(which imports torch and coqui-tts only when a persona selects it).
"""

from vartist.voice.builtin import BuiltinSinger
from vartist.voice.coqui import CoquiSinger
from vartist.voice.engine import Singer, SingerFactory, singers
from vartist.voice.errors import (
    NeuralExtraMissingError,
    UnknownVisemeError,
    UnsingableScoreError,
    VoiceError,
    VoiceLicenceError,
    VoiceModelError,
)
from vartist.voice.licence import check_commercial_use
from vartist.voice.timeline import build_timeline
from vartist.voice.types import SungPhoneme, VocalTake
from vartist.voice.visemes import VISEMES, mouth_open, viseme_of, visemes_of

__all__ = [
    "VISEMES",
    "BuiltinSinger",
    "CoquiSinger",
    "NeuralExtraMissingError",
    "Singer",
    "SingerFactory",
    "SungPhoneme",
    "UnknownVisemeError",
    "UnsingableScoreError",
    "VocalTake",
    "VoiceError",
    "VoiceLicenceError",
    "VoiceModelError",
    "build_timeline",
    "check_commercial_use",
    "mouth_open",
    "singers",
    "viseme_of",
    "visemes_of",
]
