"""A song the service is still rendering, read over HTTP for the stage.

:class:`StreamedSong` is a :class:`~vartist.runtime.performer.SongSource`: a thread reads
``GET /api/requests/{id}/stream`` (a 24-bit WAV whose header comes first) into the song's
buffer as the sections are mastered, and another follows ``/api/requests/{id}/timeline`` until
it is complete. For a finished song both answer at once, so the stage plays every song this way.
"""

from __future__ import annotations

import http.client
import logging
import struct
import threading
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from vartist.errors import VartistError
from vartist.integrations.web.client import ApiClient
from vartist.timeline import Timeline, TimelineEvent

log = logging.getLogger("vartist.stage")

READ_BYTES = 6 * 8192
"""Bytes per read from the stream: a whole number of 24-bit stereo frames."""
TIMELINE_POLL_SECONDS = 0.25
STREAM_TIMEOUT_SECONDS = 120.0
"""How long the stream may go quiet (a render waiting for a worker) before the song gives up."""


MAX_STREAM_SECONDS = 20 * 60.0
"""The longest song the stage accepts (the composer writes a few minutes): the buffer for the
whole song is allocated from the header's length, so a header that claims hours (or the
0xFFFFFFFF of a WAV of unknown length) is refused rather than allocated."""
MAX_EXTRA_CHUNK_BYTES = 1 << 16
"""The largest chunk other than the data the header may carry (a LIST tag, a fact chunk)."""
WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


class StreamFormatError(VartistError):
    """The service's stream is not the 24-bit PCM WAV the stage plays."""


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    data = b""
    while len(data) < count:
        piece = stream.read(count - len(data))
        if not piece:
            raise StreamFormatError("the song's stream ended inside its WAV header")
        data += piece
    return data


def read_wav_header(stream: BinaryIO) -> tuple[int, int, int]:
    """(sample rate, channels, frames) from a 24-bit PCM WAV header, leaving ``stream`` at the
    first sample."""
    riff = _read_exactly(stream, 12)
    if riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise StreamFormatError("the song's stream is not a WAV file")
    rate = channels = 0
    while True:
        name, size = struct.unpack("<4sI", _read_exactly(stream, 8))
        if name == b"data":
            if not channels:
                raise StreamFormatError("the song's stream has no format chunk before its data")
            frames = size // (channels * 3)
            if frames > MAX_STREAM_SECONDS * rate:
                raise StreamFormatError(
                    f"the song's stream claims {frames / rate:.0f} s of audio; the stage plays "
                    f"songs up to {MAX_STREAM_SECONDS:.0f} s"
                )
            return rate, channels, frames
        if size > MAX_EXTRA_CHUNK_BYTES:
            raise StreamFormatError(
                f"the song's stream has a {size}-byte {name!r} chunk before its audio"
            )
        body = _read_exactly(stream, size + (size & 1))
        if name == b"fmt ":
            if size < 16:
                raise StreamFormatError(f"the song's stream has a {size}-byte format chunk")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag not in (WAVE_FORMAT_PCM, WAVE_FORMAT_EXTENSIBLE) or bits != 24:
                raise StreamFormatError(
                    f"the song's stream is format {tag} at {bits} bits; the stage plays 24-bit PCM"
                )
            if not 1 <= channels <= 2 or not 8_000 <= rate <= 192_000:
                raise StreamFormatError(
                    f"the song's stream has {channels} channel(s) at {rate} Hz; the stage "
                    "plays mono or stereo at 8 to 192 kHz"
                )


def decode_pcm24(data: bytes, channels: int) -> npt.NDArray[np.float32]:
    """Little-endian 24-bit PCM to float32 frames × channels."""
    raw = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
    values = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    values -= (values & 0x800000) << 1  # sign-extend
    return (values.astype(np.float32) / np.float32(1 << 23)).reshape(-1, channels)


class StreamedSong:
    """The service's render of one request, playable while it is still being made."""

    def __init__(self, client: ApiClient, request_id: str) -> None:
        self.request_id = request_id
        self._client = client
        self._response: Any = client.open(
            "GET", f"/api/requests/{request_id}/stream", timeout=STREAM_TIMEOUT_SECONDS
        )
        try:
            self._rate, self._channels, self._frames = read_wav_header(self._response)
            first = client.get(f"/api/requests/{request_id}/timeline")
        except BaseException:
            self._response.close()
            raise
        self.title = str(first["title"])
        self._samples = np.zeros((self._frames, self._channels), np.float32)
        self._arrived = 0
        self._ended = False
        self._closed = threading.Event()
        self._changed = threading.Condition()
        self._timeline = (0, _timeline(first["events"]))
        self._complete = bool(first["complete"])
        self._reader = threading.Thread(target=self._read_audio, name="song-stream", daemon=True)
        self._follower = threading.Thread(
            target=self._follow_timeline, name="song-timeline", daemon=True
        )
        self._reader.start()
        self._follower.start()

    @property
    def sample_rate(self) -> int:
        return self._rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def frames(self) -> int:
        return self._frames

    @property
    def arrived(self) -> int:
        """Frames received so far."""
        return self._arrived

    def read(self, start: int, count: int, stop: threading.Event) -> npt.NDArray[np.float32]:
        with self._changed:
            while self._arrived <= start and not self._ended and not stop.is_set():
                self._changed.wait(0.05)
            end = min(self._arrived, start + count)
        return self._samples[start:end] if end > start else self._samples[:0]

    def timeline(self) -> tuple[int, Timeline]:
        return self._timeline

    def close(self) -> None:
        self._closed.set()
        self._response.close()
        self._reader.join(timeout=5)
        self._follower.join(timeout=5)

    def __enter__(self) -> StreamedSong:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_audio(self) -> None:
        frame_bytes = self._channels * 3
        left = b""
        try:
            while self._arrived < self._frames and not self._closed.is_set():
                piece = self._response.read1(READ_BYTES)
                if not piece:
                    break
                data = left + piece
                whole = len(data) // frame_bytes * frame_bytes
                left = data[whole:]
                frames = decode_pcm24(data[:whole], self._channels)
                count = min(len(frames), self._frames - self._arrived)
                self._samples[self._arrived : self._arrived + count] = frames[:count]
                with self._changed:
                    self._arrived += count
                    self._changed.notify_all()
        except (OSError, ValueError, AttributeError, http.client.HTTPException) as exc:
            # a closed or broken connection: a server that died mid-song ends its chunked
            # body without the last chunk, which http.client reports as IncompleteRead
            if not self._closed.is_set():
                log.warning("the stream of %s broke off: %s", self.request_id, exc)
        finally:
            if self._arrived < self._frames and not self._closed.is_set():
                log.warning(
                    "the stream of %s ended at %.1f s of %.1f s",
                    self.request_id,
                    self._arrived / self._rate,
                    self._frames / self._rate,
                )
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _follow_timeline(self) -> None:
        known = len(self._timeline[1].events)
        while not self._complete and not self._closed.wait(TIMELINE_POLL_SECONDS):
            try:
                latest = self._client.get(f"/api/requests/{self.request_id}/timeline")
            except VartistError as exc:  # the request failed or the service went away
                log.debug("timeline of %s: %s", self.request_id, exc)
                if self._ended:
                    return
                continue
            self._complete = bool(latest["complete"])
            if len(latest["events"]) != known:
                known = len(latest["events"])
                self._timeline = (self._timeline[0] + 1, _timeline(latest["events"]))


def _timeline(events: list[dict[str, Any]]) -> Timeline:
    return Timeline(tuple(TimelineEvent(**event) for event in events))
