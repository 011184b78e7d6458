"""Streamed renders: the master section by section, joined sample for sample, equal to the
batch render, and served over HTTP while the song still renders.

Every check measures what a listener would get: the bytes a client received, the samples the
stream handed on, an independent loudness meter and an oversampled peak.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyloudnorm
import pytest
import soundfile

from tests.measure import ideal_true_peak, wav_data_bytes
from tests.runner import vartist
from tests.servers import free_port
from tests.test_service import Served, wait_all, wait_healthy, wait_taken
from vartist.audio import Audio
from vartist.persona import load_persona
from vartist.persona.schema import MixConfig
from vartist.request import SongRequest
from vartist.runtime.library.streams import StreamFiles, StreamInfo, pcm24
from vartist.runtime.pipeline import AudioChunk, Pipeline, SongPlan
from vartist.runtime.song import Song
from vartist.studio.files import write_wav
from vartist.studio.stream_master import StreamingMaster, section_loudness_targets

RATE = 48_000
ROOT = Path(__file__).resolve().parent.parent
NOVA = ROOT / "examples" / "personas" / "nova.toml"


def odd_sizes(total: int, seed: int) -> list[int]:
    """Chunk sizes that are seldom a whole number of blocks: 1, primes, a second and more."""
    chooser = random.Random(seed)
    sizes, left = [], total
    while left > 0:
        size = min(left, chooser.choice([1, 7, 15, 17, 333, 4097, 12_345, 48_001, 100_003]))
        sizes.append(size)
        left -= size
    return sizes


def test_stream_files_join_odd_chunks_exactly_whatever_their_order(tmp_path: Path) -> None:
    # a ramp of distinct 24-bit values: a dropped, doubled or misplaced sample changes the bytes
    frames = 200_000
    ramp = (np.arange(frames, dtype=np.float64) - frames / 2) / 2**23
    samples = np.stack([ramp, -ramp]).astype(np.float32)
    info = StreamInfo(RATE, 2, frames, "ramp")
    files = StreamFiles(tmp_path / "streams")
    pieces, start = [], 0
    for size in odd_sizes(frames, seed=3):
        pieces.append((start, samples[:, start : start + size]))
        start += size
    random.Random(5).shuffle(pieces)
    with files.start("abc123", info, []) as writer:
        for start, piece in pieces:
            writer.write(start, piece)
    # a retried render writes the same bytes over the same places again
    with files.start("abc123", info, []) as writer:
        for start, piece in pieces[: len(pieces) // 2]:
            writer.write(start, piece)

    streamed = files.audio_path("abc123").read_bytes()
    assert len(streamed) == info.data_bytes
    back = np.frombuffer(streamed, np.uint8).reshape(-1, 3).astype(np.int32)
    values = back[:, 0] | (back[:, 1] << 8) | (back[:, 2] << 16)
    values = np.where(values >= 1 << 23, values - (1 << 24), values).reshape(-1, 2).T
    np.testing.assert_array_equal(values, np.round(samples.astype(np.float64) * 2**23))

    # and they are the bytes song.wav's data chunk holds
    write_wav(Audio(samples, RATE), tmp_path / "song.wav")
    assert wav_data_bytes((tmp_path / "song.wav").read_bytes()) == streamed
    header = info.wav_header()
    read, rate = soundfile.read(io.BytesIO(header + streamed), dtype="float32", always_2d=True)
    assert rate == RATE and np.array_equal(read.T, samples)
    assert pcm24(samples[:, :10], RATE) == streamed[: 10 * 6]


def _programme(frames: int) -> np.ndarray:
    """A loud stereo programme that needs limiting: a swelling chord over noise bursts."""
    t = np.arange(frames) / RATE
    rng = np.random.default_rng(1)
    swell = 0.3 + 0.25 * np.sin(2 * np.pi * 0.2 * t)
    tone = swell * (np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 331 * t))
    bursts = rng.normal(0.0, 0.2, frames) * (np.sin(2 * np.pi * 2 * t) > 0.6)
    return np.stack([tone + bursts, tone - 0.5 * bursts]).astype(np.float32)


def test_the_streaming_master_joins_odd_chunks_without_a_seam() -> None:
    # a sine whose level ramps up: smooth at every sample, so a dropped or doubled sample at a
    # join shows as a jump in its second difference, 30 times the largest anywhere else
    frames = 6 * RATE
    t = np.arange(frames) / RATE
    wave = 0.05 * (1 + t) * np.sin(2 * np.pi * 220 * t)
    mix = np.stack([wave, wave]).astype(np.float32)
    master = StreamingMaster(MixConfig())
    out, joins, start = [], [], 0
    sizes = odd_sizes(frames, seed=11)
    for number, size in enumerate(sizes):
        finished = master.push(mix[:, start : start + size], -16.0, last=number == len(sizes) - 1)
        out.append(finished)
        joins.append(sum(piece.shape[1] for piece in out))
        start += size
    whole = np.concatenate(out, axis=1)
    assert whole.shape == mix.shape, "samples were dropped or doubled"
    curve = np.abs(np.diff(whole[0].astype(np.float64), 2))
    inner = [j for j in joins[:-1] if 2_000 < j < frames - 2_000]
    assert inner, "the chunks made no joins to check"
    for join in inner:
        around = np.concatenate([curve[join - 400 : join - 4], curve[join + 4 : join + 400]])
        assert curve[join - 3 : join + 2].max() <= 1.5 * around.max(), f"a seam at {join}"


def test_the_streaming_master_meets_its_target_and_ceiling_by_independent_meters() -> None:
    config = MixConfig()
    frames = 40 * RATE
    mix = _programme(frames)
    kinds = [("intro", 8.0), ("verse", 12.0), ("chorus", 12.0), ("outro", 8.0)]
    targets = section_loudness_targets(kinds, config.loudness_lufs)
    master = StreamingMaster(config)
    out, start = [], 0
    for number, (_, seconds) in enumerate(kinds):
        stop = start + round(seconds * RATE)
        out.append(master.push(mix[:, start:stop], targets[number], last=stop >= frames))
        start = stop
    whole = np.concatenate(out, axis=1)
    assert whole.shape == mix.shape
    measured = pyloudnorm.Meter(RATE).integrated_loudness(whole.T.astype(np.float64))
    assert abs(measured - config.loudness_lufs) <= 0.5
    assert 20 * np.log10(ideal_true_peak(whole)) <= config.true_peak_dbtp
    assert np.abs(whole).max() < 1.0
    report = master.report()
    assert report.loudness_lufs == pytest.approx(measured, abs=0.1)
    # the shape survives: the chorus is louder than the verse
    meter = pyloudnorm.Meter(RATE)
    verse = meter.integrated_loudness(whole[:, 9 * RATE : 19 * RATE].T.astype(np.float64))
    chorus = meter.integrated_loudness(whole[:, 21 * RATE : 31 * RATE].T.astype(np.float64))
    assert chorus - verse > 1.0


def _stream(pipeline: Pipeline, request: SongRequest) -> tuple[list[AudioChunk], Song, float]:
    chunks: list[AudioChunk] = []
    started = time.perf_counter()
    first_audio = -1.0
    song = None
    for event in pipeline.stream(request):
        if isinstance(event, AudioChunk):
            if first_audio < 0 and event.samples.shape[1]:
                first_audio = time.perf_counter() - started
            chunks.append(event)
        elif isinstance(event, Song):
            song = event
        else:
            assert isinstance(event, SongPlan) and not chunks
    assert song is not None
    return chunks, song, first_audio


@pytest.mark.slow
def test_a_streamed_render_equals_the_batch_render_of_the_same_seed() -> None:
    persona = load_persona(NOVA)
    request = SongRequest("lanterns on the river", seed=21)
    chunks, streamed_song, first_audio = _stream(Pipeline(persona), request)
    position = 0
    for chunk in chunks:
        assert chunk.start == position, "a chunk does not start where the last one ended"
        position = chunk.end
    assert len({chunk.section for chunk in chunks}) == len(streamed_song.score.sections)
    joined = np.concatenate([chunk.samples for chunk in chunks], axis=1)
    batch = Pipeline(persona).render(request)
    assert joined.shape == batch.master.samples.shape
    assert np.array_equal(joined, batch.master.samples), "the stream differs from the batch"
    # the first audio came long before the song was done: at most one section's render
    assert 0.0 < first_audio < 1.5
    sung = [p for chunk in chunks for p in chunk.phonemes]
    assert sung and [p.start for p in sung] == sorted(p.start for p in sung)


@pytest.mark.slow
def test_the_service_streams_a_song_while_it_renders_and_it_equals_the_batch_song(
    tmp_path: Path,
) -> None:
    port = free_port()
    server = Served(
        [
            "serve",
            "--persona",
            str(NOVA),
            "--port",
            str(port),
            "--workers",
            "1",
            "--data-dir",
            str(tmp_path / "data"),
        ]
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.post(
                "/api/requests",
                json={"prompt": "lanterns on the river", "requester": "ann", "seed": 21},
            )
            request_id = response.json()["id"]
            # measured from the moment a worker takes it: a cold worker's start-up is not the
            # stream's (benchmarks/throughput.py times first audio on a warm service)
            wait_taken(client, request_id)
            received = bytearray()
            states_at_first_audio: list[str] = []
            taken = time.monotonic()
            first_audio = None
            with client.stream("GET", f"/api/requests/{request_id}/stream?wait=5") as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"] == "audio/wav"
                for piece in stream.iter_bytes():
                    received += piece
                    if first_audio is None and len(received) > 44:
                        first_audio = time.monotonic() - taken
                        state = client.get(f"/api/requests/{request_id}").json()["state"]
                        states_at_first_audio.append(state)
            status = wait_all(client, [request_id], 120)[request_id]
            stored = client.get(f"/api/songs/{status['song_id']}/audio").content
            again = client.get(f"/api/songs/{status['song_id']}/stream").content
    finally:
        server.stop()
    assert states_at_first_audio == ["rendering"], "the stream waited for the whole render"
    assert first_audio is not None and first_audio < 10.0
    header_frames = int.from_bytes(received[40:44], "little") // 6
    assert received[:4] == b"RIFF" and len(received) == 44 + header_frames * 6
    assert bytes(received[44:]) == wav_data_bytes(stored), "the stream is not the stored song"
    assert wav_data_bytes(again) == wav_data_bytes(stored)

    batch = vartist(
        "sing",
        "lanterns on the river",
        "--persona",
        str(NOVA),
        "--seed",
        "21",
        "--out",
        "batch",
        cwd=tmp_path,
    )
    assert batch.returncode == 0, batch.stderr
    on_disk = (tmp_path / "batch" / "song.wav").read_bytes()
    assert bytes(received[44:]) == wav_data_bytes(on_disk), "the stream is not the batch song"


@pytest.fixture
def nova_service(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    data = str(tmp_path / "data")
    server = Served(
        ["serve", "--persona", str(NOVA), "--port", str(port), "--workers", "1", "--data-dir", data]
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base
    finally:
        server.stop()


def _wait_rendering(client: httpx.Client, request_id: str) -> None:
    deadline = time.monotonic() + 60
    while client.get(f"/api/requests/{request_id}").json()["state"] != "rendering":
        assert time.monotonic() < deadline, "the request never started rendering"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_streamed_song_is_read_while_it_renders_with_its_timeline(nova_service: str) -> None:
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.streamed import StreamedSong

    with httpx.Client(base_url=nova_service, timeout=60) as client:
        body = {"prompt": "paper boats", "requester": "cy", "seed": 5}
        request_id = client.post("/api/requests", json=body).json()["id"]
        _wait_rendering(client, request_id)
        stop = threading.Event()
        with StreamedSong(ApiClient(nova_service), request_id) as song:
            first = song.read(0, 1024, stop)
            state_at_first = client.get(f"/api/requests/{request_id}").json()["state"]
            assert len(first) > 0
            blocks, position = [first], len(first)
            while position < song.frames:
                block = song.read(position, 48_000, stop)
                assert len(block), "the stream ended before the song did"
                blocks.append(block)
                position += len(block)
            deadline = time.monotonic() + 30
            while not song._complete:
                assert time.monotonic() < deadline, "the timeline never became complete"
                time.sleep(0.1)
            time.sleep(0.5)  # the follower's last poll
            _, timeline = song.timeline()
        status = wait_all(client, [request_id], 60)[request_id]
        stored = client.get(f"/api/songs/{status['song_id']}/files/song.wav").content
        document = client.get(f"/api/songs/{status['song_id']}/files/song.json").json()
    assert state_at_first == "rendering"
    heard = np.concatenate(blocks)
    expected, _ = soundfile.read(io.BytesIO(stored), dtype="float32", always_2d=True)
    assert heard.shape == expected.shape and np.array_equal(heard, expected)
    assert [e.__dict__ for e in timeline.events] == document["timeline"]


@pytest.mark.slow
def test_the_show_starts_a_song_while_it_still_renders(nova_service: str, tmp_path: Path) -> None:
    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow
    from vartist.runtime.performer import PacedSink

    heard_path = tmp_path / "heard.wav"
    sinks: list[PacedSink] = []

    def open_sink() -> PacedSink:
        sinks.append(PacedSink(heard_path))
        return sinks[-1]

    show = StageShow(ApiClient(nova_service), open_sink, list)
    runner = threading.Thread(target=show.run, daemon=True)
    runner.start()
    with httpx.Client(base_url=nova_service, timeout=60) as client:
        body = {"prompt": "tin roof", "requester": "dee", "seed": 8}
        request_id = client.post("/api/requests", json=body).json()["id"]
        deadline = time.monotonic() + 60
        while show.now_playing is None:
            assert time.monotonic() < deadline, "the show never started the song"
            time.sleep(0.01)
        state_when_it_started = client.get(f"/api/requests/{request_id}").json()["state"]
        # the listener hears a few seconds, at the render's pace on a busy machine
        while sinks[-1].position() < 2.5:
            assert time.monotonic() < deadline, "the song stalled before 2.5 s were heard"
            time.sleep(0.05)
        show.stop()
        runner.join(timeout=30)
        status = wait_all(client, [request_id], 60)[request_id]
        stored = client.get(f"/api/songs/{status['song_id']}/files/song.wav").content
    assert state_when_it_started == "rendering", "the show waited for the render to finish"
    assert show.now_playing is None and not runner.is_alive()
    heard, _ = soundfile.read(heard_path, dtype="float32", always_2d=True)
    expected, _ = soundfile.read(io.BytesIO(stored), dtype="float32", always_2d=True)
    assert 2.0 * RATE < len(heard) < len(expected)
    assert np.array_equal(heard, expected[: len(heard)]), "the show played other audio"


@pytest.mark.slow
def test_a_request_after_a_quiet_spell_starts_at_once(nova_service: str) -> None:
    """An idle worker keeps looking for work: a song asked for after 20 quiet seconds starts
    rendering within a second, as the live show needs."""
    with httpx.Client(base_url=nova_service, timeout=60) as client:
        time.sleep(20.0)
        asked = time.monotonic()
        body = {"prompt": "quiet spell", "requester": "eve", "seed": 2}
        request_id = client.post("/api/requests", json=body).json()["id"]
        _wait_rendering(client, request_id)
        waited = time.monotonic() - asked
        wait_all(client, [request_id], 120)
    assert waited < 1.0, f"the request waited {waited:.2f} s to start"
