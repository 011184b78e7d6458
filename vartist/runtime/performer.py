"""The performer: plays a song and moves the avatar in time with it.

The audio position is the clock. A writer thread feeds the sink block by block; the stage loop
wakes :data:`FRAME_RATE_HZ` times a second, reads where the listener is in the song, and sends
each avatar link the mouth pose for that instant (from :mod:`vartist.runtime.lipsync`) and, at
a section change, the section. Sending keeps going through instrumentals: VTube Studio lets go
of a parameter that gets no data for a second.

A song comes from a :class:`SongSource`: a finished one (:class:`FinishedSong`) or one the
service is still rendering, whose audio and timeline arrive as each section is mastered. The
writer waits for audio that has not arrived yet (the sink's clock waits with it), and the stage
loop picks up the timeline whenever it grows.

Avatar links are plug-ins (``vartist.avatars`` entry points) found through :data:`avatar_links`;
the runtime never imports one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from vartist.audio import Audio
from vartist.errors import MissingDependencyError, StorageError, VartistError
from vartist.persona import Persona
from vartist.plugins import Registry
from vartist.runtime.lipsync import MouthPose, MouthTrack, mouth_track
from vartist.timeline import Timeline
from vartist.userfiles import shown

log = logging.getLogger("vartist.performer")

FRAME_RATE_HZ = 60
"""Avatar updates per second: two per video frame at 30 fps."""
BLOCK_FRAMES = 1024
"""Audio frames per write: 21 ms at 48 kHz, well inside one video frame."""


class PerformError(VartistError):
    """The song cannot be performed as asked."""


class AvatarLink(Protocol):
    """An avatar the performer drives. Methods are called from one asyncio task, in order."""

    name: str

    async def connect(self) -> None: ...

    async def begin_song(self, title: str, requester: str, timeline: Timeline) -> None:
        """A song is about to play (the overlay shows its lyrics; an avatar may ignore it)."""

    async def send_pose(self, pose: MouthPose, position: float) -> None:
        """The mouth at ``position`` seconds into the song."""

    async def enter_section(self, kind: str, label: str) -> None:
        """A new section (``verse``, ``chorus``…) starts now."""

    async def close(self) -> None: ...


AvatarFactory = Any
"""A class or callable: ``factory(persona) -> AvatarLink``."""

avatar_links: Registry[AvatarFactory] = Registry("avatars", "avatar link")


# --- audio out -----------------------------------------------------------------------------


class AudioSink(Protocol):
    """Where the song's samples go; its position is the performance's clock."""

    def start(self, sample_rate: int, channels: int) -> None: ...

    def write(self, block: npt.NDArray[np.float32]) -> None:
        """Queue ``(frames, channels)`` samples; blocks while the device's buffer is full."""

    def position(self) -> float:
        """Seconds of audio the listener has heard so far."""

    def close(self) -> None: ...


class PacedSink:
    """A sink with no sound card: audio is 'heard' at the wall clock's pace, and optionally
    written to a WAV file. ``null`` in ``--audio-out``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._file: Any = None
        self._rate = 48_000
        self._started: float | None = None
        """The clock starts with the first block, as a sound card's does."""
        self._written = 0

    def start(self, sample_rate: int, channels: int) -> None:
        self._rate = sample_rate
        if self.path is not None:
            import soundfile

            if os.path.lexists(self.path):
                raise PerformError(
                    f"{shown(self.path)} already exists; --audio-out writes a new file, so "
                    "choose a name that is not taken"
                )
            try:
                self._file = soundfile.SoundFile(
                    self.path, "w", sample_rate, channels, subtype="PCM_24", format="WAV"
                )
            except (soundfile.LibsndfileError, OSError) as exc:
                raise StorageError(f"cannot write {shown(self.path)}: {exc}") from None
        self._started = None

    def write(self, block: npt.NDArray[np.float32]) -> None:
        if self._started is None:
            self._started = time.monotonic()
        started = self._started
        if self._file is not None:
            self._file.write(block)
        self._written += len(block)
        # keep at most one block ahead of the listener, like a device buffer would
        ahead = (self._written - len(block)) / self._rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)

    def position(self) -> float:
        if self._started is None:
            return 0.0
        return min(time.monotonic() - self._started, self._written / self._rate)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class DeviceSink:
    """A sound card through PortAudio (sounddevice); the position is the device's own clock."""

    def __init__(self, device: str | int | None) -> None:
        try:
            import sounddevice
        except (ImportError, OSError):
            raise MissingDependencyError(
                "playing on a sound card", "pip install 'vartist[stage]' (and libportaudio2)"
            ) from None
        self._sd = sounddevice
        self.device = device
        self._stream: Any = None
        self._start_time = 0.0

    def start(self, sample_rate: int, channels: int) -> None:
        self._stream = self._sd.OutputStream(
            samplerate=sample_rate, channels=channels, dtype="float32", device=self.device
        )
        self._stream.start()
        self._start_time = float(self._stream.time)

    def write(self, block: npt.NDArray[np.float32]) -> None:
        self._stream.write(np.ascontiguousarray(block))

    def position(self) -> float:
        latency = float(self._stream.latency or 0.0)
        return max(0.0, float(self._stream.time) - self._start_time - latency)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def open_sink(spec: str) -> AudioSink:
    """``null``, a ``.wav`` path, or a sound device's name or number."""
    if spec == "null":
        return PacedSink()
    if spec.lower().endswith(".wav"):
        return PacedSink(Path(spec))
    return DeviceSink(int(spec) if spec.isdigit() else spec)


# --- the performance -----------------------------------------------------------------------


@dataclass(frozen=True)
class SentPose:
    """One mouth update as sent: for A/V sync reports."""

    sent_at: float
    """time.monotonic() when the link was called."""
    audio_position: float
    """Where the listener was in the song at that moment."""


@dataclass
class Performance:
    """What happened on stage: every pose sent, every section entered, every link error."""

    started_at: float = 0.0
    """time.monotonic() when the first audio block was handed to the sink."""
    poses: list[SentPose] = field(default_factory=list)
    sections: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0


class SongSource(Protocol):
    """A song to perform: audio that can be read block by block (perhaps while it is still
    being made) and its timeline as far as it is known."""

    @property
    def sample_rate(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def frames(self) -> int:
        """Length of the whole song, known before all of it has arrived."""

    def read(self, start: int, count: int, stop: threading.Event) -> npt.NDArray[np.float32]:
        """Frames ``start`` onwards, ``(n, channels)``, at most ``count`` of them, waiting until
        some are there; fewer than asked (even none) only when ``stop`` is set or the song
        cannot go on."""

    def timeline(self) -> tuple[int, Timeline]:
        """The timeline so far, with a number that changes whenever it grows."""


class FinishedSong:
    """A song whose audio and timeline are all here."""

    def __init__(self, audio: Audio, timeline: Timeline) -> None:
        self._samples = audio.samples.T
        self._audio = audio
        self._timeline = timeline

    @property
    def sample_rate(self) -> int:
        return self._audio.sample_rate

    @property
    def channels(self) -> int:
        return self._audio.channels

    @property
    def frames(self) -> int:
        return self._audio.frames

    def read(self, start: int, count: int, stop: threading.Event) -> npt.NDArray[np.float32]:
        return np.ascontiguousarray(self._samples[start : start + count])

    def timeline(self) -> tuple[int, Timeline]:
        return 0, self._timeline


class Performer:
    """Plays one song at a time on ``sink`` and drives ``links`` from its timeline."""

    def __init__(self, sink: AudioSink, links: Sequence[AvatarLink]) -> None:
        self.sink = sink
        self.links = list(links)
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def perform(
        self, audio: Audio, timeline: Timeline, title: str = "", requester: str = ""
    ) -> Performance:
        return self.perform_source(FinishedSong(audio, timeline), title, requester)

    def perform_source(
        self, source: SongSource, title: str = "", requester: str = ""
    ) -> Performance:
        return asyncio.run(self.perform_async(source, title, requester))

    async def perform_async(
        self, source: SongSource, title: str = "", requester: str = ""
    ) -> Performance:
        duration = source.frames / source.sample_rate
        self.sink.start(source.sample_rate, source.channels)  # a bad --audio-out fails at once
        try:
            for link in self.links:
                await link.connect()
        except BaseException:
            self.sink.close()
            raise
        performance = Performance(duration=duration)
        _, timeline = source.timeline()
        await self._each(performance, "begin_song", title, requester, timeline)
        writer = threading.Thread(
            target=self._play, args=(source, performance), name="audio-out", daemon=True
        )
        # A full garbage collection walks every object in the process (a rendered song, the
        # libraries) and can stall the stage loop for a third of a second; objects that exist
        # before the show are set aside from collection until it ends.
        gc.collect()
        gc.freeze()
        writer.start()
        try:
            await self._drive(source, performance)
        finally:
            gc.unfreeze()
            self._stop.set()
            writer.join(timeout=5)
            for link in self.links:
                try:
                    await link.close()
                except Exception as exc:  # closing a dead connection: nothing left to do
                    log.debug("closing %s: %s", link.name, exc)
        return performance

    def _play(self, source: SongSource, performance: Performance) -> None:
        performance.started_at = time.monotonic()
        played = 0
        try:
            while played < source.frames and not self._stop.is_set():
                block = source.read(played, BLOCK_FRAMES, self._stop)
                if len(block) == 0:
                    break  # stopped, or the song ended early (its render failed)
                self.sink.write(block)
                played += len(block)
            # let the listener hear the last block before the clock stops
            while (
                not self._stop.is_set()
                and self.sink.position() < played / source.sample_rate - 1e-3
            ):
                time.sleep(0.005)
        finally:
            self.sink.close()
            self._stop.set()

    async def _drive(self, source: SongSource, performance: Performance) -> None:
        pumps = [_LinkPump(link, performance) for link in self.links]
        tasks = [asyncio.create_task(pump.run(), name=f"link-{pump.link.name}") for pump in pumps]
        period = 1.0 / FRAME_RATE_HZ
        duration = source.frames / source.sample_rate
        version: int | None = None
        track: MouthTrack | None = None
        sections: list[tuple[float, str]] = []
        entered = 0.0  # sections starting before this have been entered
        tick = time.monotonic()
        try:
            while not self._stop.is_set():
                latest, timeline = source.timeline()
                if latest != version or track is None:  # the timeline grew: redraw the mouth
                    version = latest
                    track = mouth_track(timeline, duration)
                    sections = [(e.start, e.text) for e in timeline.of("section")]
                position = self.sink.position()
                for start, label in sections:
                    if entered <= start <= position:
                        performance.sections.append((position, label))
                        for pump in pumps:
                            pump.offer_section(label.split()[0], label)
                entered = max(entered, position + 1e-9)
                pose = track.at(position)
                performance.poses.append(SentPose(time.monotonic(), position))
                for pump in pumps:
                    pump.offer_pose(pose, position)
                tick += period
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
                if time.monotonic() - tick > 0.5:  # the machine stalled: re-anchor the clock
                    tick = time.monotonic()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _each(self, performance: Performance, method: str, *args: Any) -> None:
        for link in self.links:
            try:
                await getattr(link, method)(*args)
            except Exception as exc:  # one broken avatar must not stop the song or the others
                _record(performance, f"{link.name}: {exc}")


def _record(performance: Performance, message: str) -> None:
    if not performance.errors or performance.errors[-1] != message:
        performance.errors.append(message)


class _LinkPump:
    """Feeds one link from its own task, so a slow or reconnecting avatar never delays the
    others; it always sends the newest pose (older ones are dropped, not queued) and every
    section change in order."""

    def __init__(self, link: AvatarLink, performance: Performance) -> None:
        self.link = link
        self._performance = performance
        self._pose: tuple[MouthPose, float] | None = None
        self._sections: list[tuple[str, str]] = []
        self._ready = asyncio.Event()

    def offer_pose(self, pose: MouthPose, position: float) -> None:
        self._pose = (pose, position)
        self._ready.set()

    def offer_section(self, kind: str, label: str) -> None:
        self._sections.append((kind, label))
        self._ready.set()

    async def run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            try:
                while self._sections:
                    await self.link.enter_section(*self._sections.pop(0))
                if self._pose is not None:
                    pose, position = self._pose
                    self._pose = None
                    await self.link.send_pose(pose, position)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one broken avatar must not stop the song or the others
                _record(self._performance, f"{self.link.name}: {exc}")


def links_for(persona: Persona, kinds: Sequence[str]) -> list[AvatarLink]:
    """Avatar links by registry name (``vtube_studio``, ``vmc``), configured by ``persona``."""
    return [avatar_links.get(kind)(persona) for kind in kinds if kind != "none"]
