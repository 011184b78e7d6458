"""vartist.studio: the band that plays the score, the mix, the master and the files.

Importing this package registers the built-in instruments (``drums``, ``bass``, ``piano``,
``pad``, ``pluck``) in the registry :data:`vartist.studio.engine.instruments` (the name
``vartist.studio.instruments`` is the module that defines them).
"""

from vartist.studio.engine import Instrument
from vartist.studio.errors import (
    AudioFileError,
    InvalidPartError,
    SilentMixError,
    StemMismatchError,
    StudioError,
    UnknownDrumSoundError,
)
from vartist.studio.files import read_tags, read_wav, write_wav
from vartist.studio.instruments import render_band
from vartist.studio.loudness import measure_loudness, measure_true_peak
from vartist.studio.master import MasterResult, master, master_with_report
from vartist.studio.mix import MixResult, mix_song

__all__ = [
    "AudioFileError",
    "Instrument",
    "InvalidPartError",
    "MasterResult",
    "MixResult",
    "SilentMixError",
    "StemMismatchError",
    "StudioError",
    "UnknownDrumSoundError",
    "master",
    "master_with_report",
    "measure_loudness",
    "measure_true_peak",
    "mix_song",
    "read_tags",
    "read_wav",
    "render_band",
    "write_wav",
]
