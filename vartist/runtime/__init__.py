"""The runtime: the pipeline that renders songs, the files it writes, and the service.

Names are loaded on first use: the pipeline imports every stage (scipy, pyworld, pedalboard),
which takes most of a second, and a command that fails on its input should not wait for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vartist.runtime.outputs import SONG_FILES as SONG_FILES
    from vartist.runtime.outputs import OutputError as OutputError
    from vartist.runtime.outputs import SongFolder as SongFolder
    from vartist.runtime.outputs import song_document as song_document
    from vartist.runtime.outputs import write_song as write_song
    from vartist.runtime.pipeline import STAGES as STAGES
    from vartist.runtime.pipeline import Pipeline as Pipeline
    from vartist.runtime.song import Song as Song
    from vartist.runtime.song import StageTiming as StageTiming

_HOMES = {
    "SONG_FILES": "vartist.runtime.outputs",
    "OutputError": "vartist.runtime.outputs",
    "SongFolder": "vartist.runtime.outputs",
    "song_document": "vartist.runtime.outputs",
    "write_song": "vartist.runtime.outputs",
    "STAGES": "vartist.runtime.pipeline",
    "Pipeline": "vartist.runtime.pipeline",
    "Song": "vartist.runtime.song",
    "StageTiming": "vartist.runtime.song",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'vartist.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
