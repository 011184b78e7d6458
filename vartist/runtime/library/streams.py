"""Streamed renders on disk: the master of a song that is still rendering, readable as it grows.

When a worker has the song's plan it writes ``streams/<request id>.json`` (rate, channels,
frames, title), then writes each chunk of the master into ``streams/<request id>.pcm`` at its
place: 24-bit little-endian PCM, interleaved, the very bytes ``song.wav``'s data chunk will
hold. A reader follows the file as it grows and sends the WAV header first, since the length
is known from the plan. Before each chunk's audio the worker replaces
``streams/<request id>.timeline.json`` with the song's timeline as far as it is sung, so the
stage can move the avatar's mouth to audio it has just received.

Renders are deterministic, so a render retried after its worker died writes the same bytes
at the same places again: chunks go in with ``pwrite`` at their own offsets and the file is
never truncated, so its length always marks a prefix that is final, and a reader waiting at
its offset simply carries on. When the song is stored (or the request fails) the worker removes
both files; a reader that already has the file open reads on to the end. Files of requests
that ended while no worker held them (failed by the reconciler after crashes, cancelled while
queued for a retry) are swept by the reconciler (:meth:`RenderQueue.sweep_streams`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile

from vartist.studio.files import clip_for_24_bit

BYTES_PER_SAMPLE = 3


@dataclass(frozen=True)
class StreamInfo:
    sample_rate: int
    channels: int
    frames: int
    title: str

    @property
    def data_bytes(self) -> int:
        return self.frames * self.channels * BYTES_PER_SAMPLE

    def wav_header(self) -> bytes:
        """A 44-byte canonical WAV header for 24-bit PCM of this length."""
        block_align = self.channels * BYTES_PER_SAMPLE
        return b"".join(
            [
                b"RIFF",
                struct.pack("<I", 36 + self.data_bytes),
                b"WAVEfmt ",
                struct.pack(
                    "<IHHIIHH",
                    16,
                    1,  # PCM
                    self.channels,
                    self.sample_rate,
                    self.sample_rate * block_align,
                    block_align,
                    BYTES_PER_SAMPLE * 8,
                ),
                b"data",
                struct.pack("<I", self.data_bytes),
            ]
        )


def pcm24(samples: npt.NDArray[np.float32], sample_rate: int) -> bytes:
    """``samples`` (channels × n) as interleaved little-endian 24-bit PCM, converted exactly as
    :func:`~vartist.studio.files.write_wav` converts them."""
    buffer = io.BytesIO()
    with soundfile.SoundFile(
        buffer,
        "w",
        sample_rate,
        samples.shape[0],
        subtype="PCM_24",
        format="RAW",
        endian="LITTLE",
    ) as sink:
        sink.write(clip_for_24_bit(samples.T))
    return buffer.getvalue()


class StreamFiles:
    """The two files of each request's streamed render under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def info_path(self, request_id: str) -> Path:
        return self.root / f"{request_id}.json"

    def audio_path(self, request_id: str) -> Path:
        return self.root / f"{request_id}.pcm"

    def start(
        self, request_id: str, info: StreamInfo, timeline: list[dict[str, Any]]
    ) -> StreamWriter:
        """Open (or, for a retried render, reopen) the stream of ``request_id``, with the
        timeline known before any audio (everything the score decides). The plan is written
        last: once a reader finds it, the audio and the timeline files are there too."""
        self.root.mkdir(parents=True, exist_ok=True)
        writer = StreamWriter(self, request_id, info)
        try:
            writer.write_timeline(timeline, 0.0)
            _replace_text(self.info_path(request_id), json.dumps(info.__dict__))
        except BaseException:
            writer.close()  # a full disk must not leak the descriptor into every retry
            raise
        return writer

    def info(self, request_id: str) -> StreamInfo | None:
        """The stream's plan, or None while there is none (not started, or already gone)."""
        try:
            data = json.loads(self.info_path(request_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return StreamInfo(**data)

    def timeline_path(self, request_id: str) -> Path:
        return self.root / f"{request_id}.timeline.json"

    def timeline(self, request_id: str) -> dict[str, Any] | None:
        """``{"until": seconds, "events": [...]}``: the timeline as far as it is final, or
        None while there is none."""
        try:
            data = json.loads(self.timeline_path(request_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return dict(data)

    def open_audio(self, request_id: str) -> int | None:
        """A read-only descriptor of the stream's audio, or None when there is none."""
        try:
            return os.open(self.audio_path(request_id), os.O_RDONLY)
        except FileNotFoundError:
            return None

    def request_ids(self) -> set[str]:
        """The requests that have stream files here (staged files being written aside)."""
        try:
            names = [path.name for path in self.root.iterdir()]
        except FileNotFoundError:
            return set()
        return {name.split(".", 1)[0] for name in names if not name.startswith(".")}

    def remove(self, request_id: str) -> None:
        paths = (self.audio_path(request_id), self.info_path(request_id))
        for path in (*paths, self.timeline_path(request_id)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


class StreamWriter:
    def __init__(self, files: StreamFiles, request_id: str, info: StreamInfo) -> None:
        self.info = info
        self._files = files
        self._request_id = request_id
        # no O_TRUNC: a retried render rewrites the same bytes over the same places
        self._fd = os.open(files.audio_path(request_id), os.O_WRONLY | os.O_CREAT, 0o644)

    def write_timeline(self, events: list[dict[str, Any]], until: float) -> None:
        """Replace the published timeline with ``events``, final up to ``until`` seconds."""
        document = json.dumps({"until": until, "events": events})
        _replace_text(self._files.timeline_path(self._request_id), document)

    def write(self, start_frame: int, samples: npt.NDArray[np.float32]) -> None:
        """Write ``samples`` (channels × n) as frames ``start_frame`` onwards."""
        data = pcm24(samples, self.info.sample_rate)
        offset = start_frame * self.info.channels * BYTES_PER_SAMPLE
        while data:
            written = os.pwrite(self._fd, data, offset)
            data, offset = data[written:], offset + written

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _replace_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once (readers see the old file or the new one); a
    write that fails half way (a full disk) leaves no staged file behind."""
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
