"""The runtime: the pipeline that renders songs and the files it writes."""

from vartist.runtime.outputs import (
    SONG_FILES,
    OutputError,
    SongFolder,
    song_document,
    write_song,
)
from vartist.runtime.pipeline import STAGES, Pipeline
from vartist.runtime.song import Song, StageTiming

__all__ = [
    "SONG_FILES",
    "STAGES",
    "OutputError",
    "Pipeline",
    "Song",
    "SongFolder",
    "StageTiming",
    "song_document",
    "write_song",
]
