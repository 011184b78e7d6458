"""The voice stage: singers that turn a Score into a sung VocalTake, and the song's timeline.

Importing this package registers the embedded ``builtin`` singer.
"""

from vartist.voice.builtin import BuiltinSinger
from vartist.voice.engine import Singer, SingerFactory, singers
from vartist.voice.errors import UnknownVisemeError, UnsingableScoreError, VoiceError
from vartist.voice.timeline import build_timeline
from vartist.voice.types import SungPhoneme, VocalTake
from vartist.voice.visemes import VISEMES, mouth_open, viseme_of, visemes_of

__all__ = [
    "VISEMES",
    "BuiltinSinger",
    "Singer",
    "SingerFactory",
    "SungPhoneme",
    "UnknownVisemeError",
    "UnsingableScoreError",
    "VocalTake",
    "VoiceError",
    "build_timeline",
    "mouth_open",
    "singers",
    "viseme_of",
    "visemes_of",
]
