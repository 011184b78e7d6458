"""WAV files: 24-bit PCM through soundfile, tags as an ID3 chunk through mutagen."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import soundfile
from mutagen import MutagenError
from mutagen.id3 import COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TXXX, Frame
from mutagen.wave import WAVE

from vartist.audio import Audio
from vartist.studio.errors import AudioFileError

PathLike = str | os.PathLike[str]

_WRITE_CHUNK_FRAMES = 1 << 18
_LARGEST_24_BIT = 1.0 - 2.0**-23
"""The largest value 24-bit PCM holds; a float beyond it would wrap around, so it is clipped."""

_TEXT_FRAMES: Mapping[str, Callable[[str], Frame]] = MappingProxyType(
    {
        "title": lambda text: TIT2(encoding=3, text=[text]),
        "artist": lambda text: TPE1(encoding=3, text=[text]),
        "album": lambda text: TALB(encoding=3, text=[text]),
        "genre": lambda text: TCON(encoding=3, text=[text]),
        "date": lambda text: TDRC(encoding=3, text=[text]),
        "comment": lambda text: COMM(encoding=3, lang="eng", desc="", text=[text]),
    }
)
"""Tag names with an ID3 frame of their own; any other name goes into a TXXX frame."""

_FRAME_IDS = {"TIT2": "title", "TPE1": "artist", "TALB": "album", "TCON": "genre", "TDRC": "date"}


def clip_for_24_bit(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``samples`` with anything beyond what 24-bit PCM holds clipped, so nothing wraps."""
    return np.clip(samples, -1.0, _LARGEST_24_BIT)


def write_wav(audio: Audio, path: PathLike, tags: dict[str, str] | None = None) -> None:
    """Write ``audio`` as 24-bit PCM WAV at its own rate (the master and stems are 48 kHz).

    ``tags`` (``title``, ``artist``, ``comment``, ``album``, ``genre``, ``date`` or any other
    name) are stored in the file's ID3 chunk. Samples beyond full scale are clipped, which a
    mastered song never has.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise AudioFileError(f"cannot write {target}: the folder {target.parent} does not exist")
    samples = audio.samples
    try:
        with soundfile.SoundFile(
            target, "w", audio.sample_rate, audio.channels, subtype="PCM_24", format="WAV"
        ) as sink:
            for start in range(0, audio.frames, _WRITE_CHUNK_FRAMES):
                chunk = samples[:, start : start + _WRITE_CHUNK_FRAMES].T
                sink.write(clip_for_24_bit(chunk))
    except (soundfile.LibsndfileError, OSError) as exc:
        raise AudioFileError(f"cannot write {target}: {exc}") from None
    if tags:
        _write_tags(target, tags)


def _write_tags(path: Path, tags: dict[str, str]) -> None:
    try:
        wave = WAVE(path)
        wave.add_tags()  # a file write_wav just made has no ID3 chunk yet
        id3 = wave.tags
        if not isinstance(id3, ID3):
            raise AudioFileError(f"cannot tag {path}: mutagen made no ID3 chunk for it")
        for name, text in tags.items():
            make = _TEXT_FRAMES.get(name.lower())
            id3.add(make(text) if make else TXXX(encoding=3, desc=name, text=[text]))
        wave.save()
    except MutagenError as exc:
        raise AudioFileError(f"cannot tag {path}: {exc}") from None


def read_wav(path: PathLike) -> Audio:
    """The samples of a WAV (or any file libsndfile reads) as float32 ``Audio`` at its rate."""
    source = Path(path)
    if not source.is_file():
        raise AudioFileError(f"cannot read {source}: no such file")
    try:
        samples, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, OSError) as exc:
        raise AudioFileError(f"cannot read {source}: {exc}; is it a WAV file?") from None
    return Audio(np.ascontiguousarray(samples.T), int(rate))


def read_tags(path: PathLike) -> dict[str, str]:
    """The tags :func:`write_wav` stored, by the same names; empty when the file has none."""
    try:
        id3 = WAVE(Path(path)).tags
    except MutagenError as exc:
        raise AudioFileError(f"cannot read the tags of {path}: {exc}") from None
    if id3 is None:
        return {}
    tags: dict[str, str] = {}
    for frame in id3.values():
        text = "; ".join(str(part) for part in frame.text) if hasattr(frame, "text") else ""
        if isinstance(frame, COMM):
            tags["comment"] = text
        elif isinstance(frame, TXXX):
            tags[frame.desc] = text
        elif frame.FrameID in _FRAME_IDS:
            tags[_FRAME_IDS[frame.FrameID]] = text
    return tags
