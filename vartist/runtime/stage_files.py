"""Reading a finished song folder back for the stage: the master, the timeline, the persona."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vartist.audio import Audio
from vartist.errors import VartistError
from vartist.timeline import Timeline, TimelineEvent
from vartist.userfiles import read_user_text, shown

MAX_SONG_JSON_BYTES = 64 * 1024 * 1024


class SongFolderError(VartistError):
    """The folder does not hold a song vartist can perform."""


@dataclass(frozen=True)
class StagedSong:
    title: str
    audio: Audio
    timeline: Timeline
    persona: dict[str, Any]


def read_song_for_stage(folder: Path) -> StagedSong:
    """The song in ``folder`` (``song.wav`` and ``song.json`` as `vartist sing` writes them)."""
    text = read_user_text(folder / "song.json", MAX_SONG_JSON_BYTES, "song.json", SongFolderError)
    try:
        document = json.loads(text)
        events = tuple(TimelineEvent(**event) for event in document["timeline"])
        persona = dict(document["provenance"]["persona"])
        title = str(document["title"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SongFolderError(
            f"{shown(folder / 'song.json')} is not a vartist song ({type(exc).__name__}: {exc}); "
            "perform a folder written by `vartist sing`"
        ) from None
    if not (folder / "song.wav").is_file():
        raise SongFolderError(f"{shown(folder)} has no song.wav; sing the song again")
    from vartist.studio.files import read_wav  # the studio takes a second to import

    return StagedSong(title, read_wav(folder / "song.wav"), Timeline(events), persona)
