"""Writing a finished song to a folder, all or nothing.

Files are written into a hidden temporary folder beside the target and renamed into place at
the end, so an error never leaves a half-written song behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vartist.composer.export import write_lrc, write_midi
from vartist.errors import VartistError
from vartist.runtime.song import Song
from vartist.studio import write_wav

SONG_FILES = ("song.wav", "song.mid", "song.lrc", "song.json")


class OutputError(VartistError):
    """The output folder cannot be written."""


def song_document(song: Song) -> dict[str, Any]:
    """Everything about the song that is not audio, as one JSON-ready document."""
    return {
        "title": song.title,
        "artist": song.persona.name,
        "duration_seconds": round(song.master.duration, 3),
        "lyrics": song.lyrics.text,
        "score": song.score.to_dict(),
        "timeline": [asdict(event) for event in song.timeline.events],
        "provenance": song.provenance,
    }


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file; pass --out with a folder path")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "song.json").exists():
        raise OutputError(
            f"{out_dir} already holds files that are not a vartist song; choose another --out folder"
        )


def write_song(song: Song, out_dir: Path, stems: bool = False) -> Path:
    """Write song.wav, song.mid, song.lrc, song.json (and stems/) into ``out_dir``.

    An existing vartist song in ``out_dir`` is replaced; any other content is left alone and
    refused.
    """
    out_dir = Path(out_dir)
    _check_target(out_dir)
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create {out_dir}: {exc.strerror}") from None
    try:
        tags = {
            "title": song.title,
            "artist": song.persona.name,
            "comment": "AI-generated with vartist",
        }
        write_wav(song.master, staging / "song.wav", tags)
        write_midi(song.score, staging / "song.mid")
        write_lrc(song.timeline, staging / "song.lrc", song.title, song.persona.name)
        document = json.dumps(song_document(song), ensure_ascii=False, indent=1)
        (staging / "song.json").write_text(document, encoding="utf-8")
        if stems:
            if not song.stems:
                raise OutputError(
                    "this song kept no stems; render it with Pipeline(keep_stems=True)"
                )
            (staging / "stems").mkdir()
            for name, audio in song.stems.items():
                write_wav(audio, staging / "stems" / f"{name}.wav")
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{staging.name}")
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
