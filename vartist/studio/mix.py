"""The mix: level, tone and place every stem, put the vocal on top, and sum.

Each band stem gets its gain staged to a level by role (measured while it plays, so sparse
parts are not pushed up), a high-pass unless it carries the bass, a touch of EQ, a place in the
stereo field, and (the pad) a dip whenever the vocal sings. The vocal is EQ'd and compressed,
set against the band playing under it, and gets a reverb send and a short slap delay. Effects
run through pedalboard.

The vocal's own chain, reverb and delay run at the singer's rate before it is resampled to
48 kHz: it carries nothing above the singer's Nyquist frequency anyway, and the reverb costs a
half or less of what it would at 48 kHz. Band stems must already be at 48 kHz. The vocal is
processed first, alone, before the band stems, so its full-length temporaries are freed before
the band's are made; its level is set last, against the band playing under it.

Everything song-length is written once into its output array, a chunk at a time, so the mix
makes no song-length temporaries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import pedalboard
import soxr
from scipy import signal

from vartist.audio import MASTER_RATE, Audio, db_to_gain, power_to_db, without_subnormals
from vartist.persona.schema import MixConfig
from vartist.studio.errors import StemMismatchError
from vartist.studio.loudness import k_weighting
from vartist.studio.synth import FloatArray, pan_gains

VOCAL_STEM = "vocals"

FRAME_SECONDS = 0.02
"""Resolution of level measurements and of the ducking curve."""

EqShape = Literal["low_shelf", "peak", "high_shelf", "low_pass"]


@dataclass(frozen=True)
class EqBand:
    shape: EqShape
    hz: float
    gain_db: float = 0.0
    q: float = 0.7071


_EQ_PLUGINS: Mapping[EqShape, Callable[[EqBand], pedalboard.Plugin]] = MappingProxyType(
    {
        "low_shelf": lambda band: pedalboard.LowShelfFilter(band.hz, band.gain_db, band.q),
        "peak": lambda band: pedalboard.PeakFilter(band.hz, band.gain_db, band.q),
        "high_shelf": lambda band: pedalboard.HighShelfFilter(band.hz, band.gain_db, band.q),
        "low_pass": lambda band: pedalboard.LowpassFilter(band.hz),
    }
)


@dataclass(frozen=True)
class StemTreatment:
    """How one band stem is mixed."""

    level_db: float
    """RMS (dBFS) the stem is staged to as it arrives, measured while it plays, before EQ
    and the genre's offsets."""
    pan: float = 0.0
    """-1 left … 1 right; where a mono stem sits."""
    width: float = 1.0
    """Scales a stereo stem's side signal: 0 folds it to mono, above 1 widens it."""
    highpass_hz: float | None = 120.0
    """None for stems that carry the bass (bass, drums with their kick)."""
    eq: tuple[EqBand, ...] = ()
    """Tone shaping after the high-pass."""
    duck_db: float = 0.0
    """How far the stem dips while the vocal sings."""
    room_db: float | None = None
    """Early reflections of a small room under the stem, this many dB down, different on each
    side (see :data:`ROOM_REFLECTIONS`); high-passed at :data:`ROOM_HIGHPASS_HZ` so the kick
    and the bass stay in the middle."""


ROOM_HIGHPASS_HZ = 350.0
ROOM_REFLECTIONS = ((0, 0.011, 1.0), (1, 0.017, 1.0), (1, 0.023, 0.6), (0, 0.029, 0.6))
"""(channel, delay in seconds, relative level) of each early reflection: walls 4-10 m away.
Different delays on the two sides decorrelate them, which the ear hears as the width of a
room; a few taps cost a fraction of a reverb's time over a whole stem."""


# Keys and guitar sit on opposite sides and the pad spreads wide, so the band fills the stereo
# field (side 6-12 dB under mid, as in commercial pop masters) while the bass, the kick and the
# lead vocal stay in the middle, where they carry best on mono speakers and in clubs.
_KEYS = StemTreatment(-27.0, pan=-0.75, highpass_hz=140.0, eq=(EqBand("peak", 420.0, -2.0, 1.0),))
_GUITAR = StemTreatment(-27.5, pan=0.75, highpass_hz=150.0, eq=(EqBand("peak", 2800.0, 1.5, 0.8),))

STEM_TREATMENTS: Mapping[str, StemTreatment] = MappingProxyType(
    {
        "drums": StemTreatment(-22.0, highpass_hz=None, room_db=-6.0),
        "bass": StemTreatment(-23.5, highpass_hz=None),
        "keys": _KEYS,
        "piano": _KEYS,
        "pad": StemTreatment(-27.0, width=2.2, highpass_hz=160.0, duck_db=3.5),
        "guitar": _GUITAR,
        "pluck": _GUITAR,
        # the hook played in an intro: in front and in the middle, where the voice will be
        "lead": StemTreatment(-23.5, highpass_hz=150.0, eq=(EqBand("peak", 2500.0, 1.5, 0.9),)),
    }
)
"""Treatments by stem (part) name; other names get :data:`DEFAULT_TREATMENT`."""

DEFAULT_TREATMENT = StemTreatment(-28.0, highpass_hz=120.0)


DELAY_SECONDS = 0.11
DELAY_RETURN_DB = -20.0
REVERB_PREDELAY_SECONDS = 0.02
EFFECTS_DUCK_DB = 30.0
"""How far the reverb return and the echo dip while the singer sings: out of the way of the
words, blooming in the rests and after phrases (a ducked reverb). The gaps between words carry
the word boundaries a listener needs: filled with reverb, Whisper understood a tenth fewer
lines. Ducked 9 dB, the effects still cost words: over the intelligibility benchmark's songs of
seeds 1 and 2, Whisper understood 78% of sung lines with them and 83% with no effects at all;
ducked 30 dB and held through word gaps, 82%."""
EFFECTS_DUCK_HOLD_SECONDS = 0.06
"""The effects stay fully down this long after the voice stops: longer than a word gap, so the
gaps inside a phrase stay clean."""
EFFECTS_DUCK_RELEASE_SECONDS = 0.15
"""How fast the effects come back after the hold: they bloom within a few tenths of a second
of a phrase's end."""
DUCK_FRAME_SECONDS = 0.005
DUCK_THRESHOLD_DB = -30.0
"""The voice counts as singing above this level against its loudest 5 ms frames."""


@dataclass(frozen=True)
class GenreMix:
    """A genre's lean on the mix."""

    drums_db: float = 0.0
    bass_db: float = 0.0
    vocal_lift_db: float = 4.5
    """How much louder the dry vocal is set than the band playing under it (K-weighted, while
    the vocal sings), in dB. A lead vocal that listeners can follow sits 3–6 LU over the band;
    its reverb and echo add a little on top of this."""
    reverb_scale: float = 1.0
    """Scales the persona's reverb amount (the level of the vocal's reverb return)."""
    room_size: float = 0.55
    """pedalboard's room size for the vocal reverb (0-1). Measured as the vocal's RT60 on
    rendered songs (tests/test_mix_space.py): rock's 0.45 rings about 0.9 s, folk's 0.6 about
    1.5 s, synthpop's 0.62 about 1.8 s, lo-fi's 0.78 about 2.3 s."""
    delay_seconds: float = DELAY_SECONDS
    """The vocal's echo: a short slap for driving genres, a longer one for slow ones."""
    duck_scale: float = 1.0


GENRE_MIXES: Mapping[str, GenreMix] = MappingProxyType(
    {
        "pop": GenreMix(),
        "ballad": GenreMix(
            drums_db=-2.0, vocal_lift_db=5.0, reverb_scale=1.3, room_size=0.78, delay_seconds=0.3
        ),
        "synthpop": GenreMix(drums_db=0.5, bass_db=0.5, duck_scale=1.5, room_size=0.62),
        "rock": GenreMix(
            drums_db=1.0, bass_db=0.5, vocal_lift_db=4.0, reverb_scale=0.8, room_size=0.45
        ),
        "folk": GenreMix(drums_db=-2.0, vocal_lift_db=4.5, reverb_scale=1.1, room_size=0.6),
        "lofi": GenreMix(
            drums_db=0.5, bass_db=1.0, vocal_lift_db=4.0, room_size=0.78, delay_seconds=0.25
        ),
    }
)
"""Genre leans; an unknown genre mixes like pop."""

VOCAL_PRE_LEVEL_DB = -20.0
"""The dry vocal is brought to this RMS before its compressor, so the threshold means the same
thing whatever level the singer delivered."""
VOCAL_COMPRESSOR_THRESHOLD_DB = -24.0
VOCAL_ALONE_LEVEL_DB = -21.0
"""K-weighted vocal level (dB) when there is no band to set it against."""


@dataclass(frozen=True)
class MixResult:
    stems: dict[str, Audio]
    """Processed stems, 48 kHz stereo and all the same length, ``vocals`` among them; they sum
    exactly to ``mixdown``."""
    mixdown: Audio


CHUNK_FRAMES = 64
"""Effects and gains run over 64 frames (1.28 s) at a time: small buffers that stay in cache
and are reused, instead of song-length temporaries."""


def _frame_length(sample_rate: int) -> int:
    return max(1, round(FRAME_SECONDS * sample_rate))


def _chunks(frames: int, chunk: int) -> list[tuple[int, int]]:
    return [(start, min(frames, start + chunk)) for start in range(0, frames, chunk)]


def frame_power(samples: npt.NDArray[np.float32], frame: int) -> npt.NDArray[np.float64]:
    """Mean square per frame of a mono signal (a last partial frame counts as a whole one)."""
    whole = len(samples) // frame
    rows = samples[: whole * frame].reshape(whole, frame)
    power = np.einsum("ij,ij->i", rows, rows).astype(np.float64)
    tail = samples[whole * frame :]
    if len(tail):
        power = np.append(power, float(np.dot(tail, tail)))
    return power / frame


def _stem_frame_power(channels: npt.NDArray[np.float32], frame: int) -> npt.NDArray[np.float64]:
    return np.mean([frame_power(channel, frame) for channel in channels], axis=0)


def _rms(channels: npt.NDArray[np.float32]) -> float:
    """RMS over all channels and samples."""
    if channels.size == 0:
        return 0.0
    return math.sqrt(sum(float(np.dot(c, c)) for c in channels) / channels.size)


def _active(power: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Frames where a stem is really playing: above -70 dBFS and within 40 dB of its peak."""
    if len(power) == 0:
        return np.zeros(0, bool)
    return (power > 1e-7) & (power > float(power.max()) * 1e-4)


def _playing_level_db(power: npt.NDArray[np.float64]) -> float:
    """Level (dB) of a signal over the frames where it plays, from its per-frame power."""
    active = _active(power)
    return power_to_db(float(power[active].mean())) if np.any(active) else -math.inf


def _k_weighted_frame_power(
    samples: npt.NDArray[np.float32], sample_rate: int
) -> npt.NDArray[np.float64]:
    """Mean square per 20 ms frame after K-weighting: loudness rather than energy, so a
    bass-heavy band and a bright voice compare the way a listener hears them."""
    weighted = signal.sosfilt(k_weighting(sample_rate), without_subnormals(samples))
    weighted = weighted.astype(np.float32, copy=False)
    return frame_power(weighted, _frame_length(sample_rate))


def _band_loudness_power(bus: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """K-weighted power per 20 ms frame of the band's mid signal, measured at half rate.

    Pairs of samples are averaged first: the level a listener hears lives well under 12 kHz,
    and it costs a quarter of filtering both channels at 48 kHz.
    """
    half_rate = MASTER_RATE // 2
    frame = _frame_length(half_rate)
    sos = k_weighting(half_rate)
    state = np.zeros((sos.shape[0], 2), np.float32)
    usable = bus.shape[1] // 2 * 2
    powers = []
    step = 2 * frame * CHUNK_FRAMES
    for start, stop in _chunks(usable, step):
        left, right = bus[0, start:stop], bus[1, start:stop]
        mid = (left[0::2] + left[1::2]) + (right[0::2] + right[1::2])
        mid *= np.float32(0.25)
        weighted, state = signal.sosfilt(sos, without_subnormals(mid), zi=state)
        powers.append(frame_power(weighted.astype(np.float32, copy=False), frame))
    return np.concatenate(powers) if powers else np.zeros(0)


def _ramp_between(values: npt.NDArray[np.float64], frame: int, start: int, stop: int) -> FloatArray:
    """Samples ``start:stop`` of a curve given per frame, linear from each frame's start to the
    next's. ``start`` must be a whole number of frames."""
    first = start // frame
    count = -(-(stop - start) // frame)
    knots = values[np.minimum(np.arange(first, first + count + 1), len(values) - 1)]
    ramp = np.arange(frame, dtype=np.float64) / frame
    curve = knots[:-1, None] + (knots[1:] - knots[:-1])[:, None] * ramp[None, :]
    return curve.reshape(-1)[: stop - start].astype(np.float32)


def vocal_presence(vocal: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.float64]:
    """0…1 per 20 ms frame: how much the vocal is singing, smoothed so ducking breathes."""
    power = frame_power(vocal, _frame_length(sample_rate))
    active = _active(power).astype(np.float64)
    if len(active) < 2:
        return active
    # a one-pole smoother run forwards and backwards: the dip starts a little before the vocal
    pole = math.exp(-FRAME_SECONDS / 0.12)
    smoothed = signal.filtfilt([1.0 - pole], [1.0, -pole], active, padlen=0)
    return np.asarray(np.clip(smoothed, 0.0, 1.0), np.float64)


def _is_dual_mono(samples: npt.NDArray[np.float32]) -> bool:
    if samples.shape[0] == 1 or samples.strides[0] == 0:
        return True
    # most stereo stems differ within their first second; only identical ones cost a full pass
    head = MASTER_RATE
    if not np.array_equal(samples[0, :head], samples[1, :head]):
        return False
    return bool(np.array_equal(samples[0], samples[1]))


def _board(treatment: StemTreatment) -> pedalboard.Pedalboard | None:
    plugins: list[pedalboard.Plugin] = []
    if treatment.highpass_hz is not None:
        plugins.append(pedalboard.HighpassFilter(treatment.highpass_hz))
    plugins.extend(_EQ_PLUGINS[band.shape](band) for band in treatment.eq)
    return pedalboard.Pedalboard(plugins) if plugins else None


def _add_room(out: npt.NDArray[np.float32], room_db: float) -> None:
    """Add :data:`ROOM_REFLECTIONS` of the stem's mid, ``room_db`` down, to a stereo stem."""
    sos = signal.butter(4, ROOM_HIGHPASS_HZ, "highpass", fs=MASTER_RATE, output="sos")
    mid = (out[0] + out[1]) * np.float32(0.5)
    reflected = signal.sosfilt(sos.astype(np.float32), without_subnormals(mid))
    reflected = reflected.astype(np.float32, copy=False)
    reflected *= np.float32(db_to_gain(room_db))
    for channel, seconds, level in ROOM_REFLECTIONS:
        delay = round(seconds * MASTER_RATE)
        if delay < out.shape[1]:
            out[channel, delay:] += reflected[:-delay] * np.float32(level)


def _genre_offset_db(name: str, lean: GenreMix) -> float:
    return {"drums": lean.drums_db, "bass": lean.bass_db}.get(name, 0.0)


def _mix_band_stem(
    name: str,
    audio: Audio,
    lean: GenreMix,
    presence: npt.NDArray[np.float64],
    frames: int,
) -> Audio:
    """One band stem levelled, EQ'd, ducked and placed, ``frames`` long.

    The gain is staged on the stem as it arrives (as an engineer sets a channel's input), so
    one pass over the audio does the rest. The caller's audio is not touched.
    """
    treatment = STEM_TREATMENTS.get(name, DEFAULT_TREATMENT)
    source = audio.samples[:, :frames]
    length = source.shape[1]
    mono = _is_dual_mono(source)
    centred = mono and treatment.pan == 0.0
    inputs = source[:1] if mono else source
    # a centred mono stem stays one channel, handed back as a read-only stereo view
    out = np.zeros((1 if centred else 2, frames), np.float32)
    stem = Audio(np.broadcast_to(out[0], (2, frames)) if centred else out, MASTER_RATE)
    frame = _frame_length(MASTER_RATE)
    level = _playing_level_db(_stem_frame_power(inputs, frame))
    if not math.isfinite(level):
        return stem
    gain = np.float32(db_to_gain(treatment.level_db + _genre_offset_db(name, lean) - level))
    duck_db = treatment.duck_db * lean.duck_scale
    dips = db_to_gain(-duck_db * presence) if duck_db > 0.0 and len(presence) else None
    board = _board(treatment)
    sides = np.array(pan_gains(treatment.pan), np.float32)[:, None]
    direct = np.float32((1.0 + treatment.width) / 2.0)
    cross = np.float32((1.0 - treatment.width) / 2.0)
    for start, stop in _chunks(length, frame * CHUNK_FRAMES):
        piece = inputs[:, start:stop]
        if board is not None:
            piece = board(np.ascontiguousarray(piece), MASTER_RATE, reset=start == 0)
        scale = gain if dips is None else _ramp_between(dips, frame, start, stop) * gain
        target = out[:, start:stop]
        if centred or (not mono and treatment.width == 1.0):
            np.multiply(piece, scale, out=target)
        elif mono:
            np.multiply(piece * scale, sides, out=target)
        else:
            # widen or narrow with mid/side, written as a 2x2 matrix on (left, right); spelt
            # out rather than np.matmul, whose BLAS kernels may round differently run to run
            scaled = piece * scale
            np.multiply(scaled[0], direct, out=target[0])
            target[0] += scaled[1] * cross
            np.multiply(scaled[1], direct, out=target[1])
            target[1] += scaled[0] * cross
    if treatment.room_db is not None and out.shape[0] == 2:
        _add_room(out, treatment.room_db)
    return stem


def _vocal_chain(vocal: npt.NDArray[np.float32], sample_rate: int) -> FloatArray:
    """The dry vocal: levelled, cleaned, given presence and compressed (mono, singer's rate)."""
    level = _playing_level_db(frame_power(vocal, _frame_length(sample_rate)))
    if not math.isfinite(level):
        return np.zeros_like(vocal)
    nyquist_safe = 0.42 * sample_rate
    board = pedalboard.Pedalboard(
        [
            pedalboard.HighpassFilter(90.0),
            pedalboard.PeakFilter(300.0, -2.5, 1.0),
            pedalboard.PeakFilter(min(3200.0, nyquist_safe), 2.5, 0.9),
            pedalboard.HighShelfFilter(min(9000.0, nyquist_safe), 1.5),
            pedalboard.Compressor(VOCAL_COMPRESSOR_THRESHOLD_DB, 3.5, 6.0, 120.0),
        ]
    )
    levelled = vocal * np.float32(db_to_gain(VOCAL_PRE_LEVEL_DB - level))
    return np.asarray(board(levelled, sample_rate), np.float32).reshape(-1)


def effects_duck_gain(dry: FloatArray, sample_rate: int) -> FloatArray:
    """Per-sample gain for the vocal's reverb return and echo: 1 in rests, EFFECTS_DUCK_DB
    down while the voice sounds, dipping at once, held through word gaps, then recovering
    over the release time."""
    hop = max(1, round(DUCK_FRAME_SECONDS * sample_rate))
    frames = len(dry) // hop + 1
    padded = np.zeros(frames * hop, np.float32)
    padded[: len(dry)] = dry
    power = np.mean(padded.reshape(frames, hop) ** 2, axis=1)
    loudest = float(np.percentile(power, 99)) if power.size else 0.0
    if loudest <= 0.0:
        return np.ones(len(dry), np.float32)
    sounding = power > loudest * db_to_gain(DUCK_THRESHOLD_DB) ** 2
    index = np.arange(frames)
    last_sounding = np.maximum.accumulate(np.where(sounding, index, -frames - 1))
    hold_frames = round(EFFECTS_DUCK_HOLD_SECONDS / DUCK_FRAME_SECONDS)
    held = (index - last_sounding <= hold_frames).astype(np.float64)
    coefficient = math.exp(-DUCK_FRAME_SECONDS / EFFECTS_DUCK_RELEASE_SECONDS)
    released = signal.lfilter([1.0 - coefficient], [1.0, -coefficient], held)
    # an instant dip as the voice starts, the smooth release once the hold ends; the release
    # runs on the amplitude, as a ducker's gain does: run on decibels, 30 dB took so long to
    # come back that the bloom after a phrase was lost
    ducking = np.maximum(held, released)
    floor = db_to_gain(-EFFECTS_DUCK_DB)
    frame_gain = 1.0 - (1.0 - floor) * ducking
    centres = (np.arange(frames) + 0.5) * hop
    return np.interp(np.arange(len(dry)), centres, frame_gain).astype(np.float32)


def vocal_effects(dry: FloatArray, sample_rate: int, reverb: float, lean: GenreMix) -> FloatArray:
    """Dry vocal in the middle plus its reverb return (wide) and echo (right of centre), both
    ducked under the voice (:func:`effects_duck_gain`)."""
    out = np.empty((2, len(dry)), np.float32)
    out[0] = dry
    out[1] = dry
    dry_rms = _rms(dry[None, :])
    if dry_rms == 0.0:
        return out
    duck = effects_duck_gain(dry, sample_rate)
    if reverb > 0.0:
        # the genre sets the room; a persona asking for more reverb also gets a larger one
        room_size = float(np.clip(lean.room_size + 0.2 * (reverb - 0.3), 0.3, 0.95))
        room = pedalboard.Reverb(room_size=room_size, damping=0.5, wet_level=1.0, dry_level=0.0)
        wet = np.asarray(room(out, sample_rate), np.float32)
        wet_rms = _rms(wet)
        if wet_rms > 0.0:
            # reverb 1 puts the return 3 dB under the dry voice, 0.3 puts it 13.5 dB under:
            # a space the listener hears, still behind the words
            gain = np.float32(reverb * db_to_gain(-3.0) * dry_rms / wet_rms)
            predelay = min(len(dry), round(REVERB_PREDELAY_SECONDS * sample_rate))
            wet *= gain
            wet[:, : len(dry) - predelay] *= duck[predelay:]
            out[:, predelay:] += wet[:, : len(dry) - predelay]
    echo_board = pedalboard.Pedalboard(
        [
            pedalboard.Delay(lean.delay_seconds, 0.25, 1.0),
            pedalboard.HighpassFilter(400.0),
            pedalboard.LowpassFilter(min(5000.0, 0.42 * sample_rate)),
        ]
    )
    echo = np.asarray(echo_board(dry, sample_rate), np.float32).reshape(-1)
    echo *= np.float32(db_to_gain(DELAY_RETURN_DB))
    echo *= duck
    # the right side hears the echo 13 ms after the left: a wide slap from a mono delay
    skew = min(len(dry), round(0.013 * sample_rate))
    out[1, skew:] += echo[: len(dry) - skew]
    echo *= np.float32(0.6)
    out[0] += echo
    return out


AIR_SOURCE_BAND_HZ = (4500.0, 10000.0)
"""The singer's top octave: sibilants, breath and the upper harmonics the air is made from."""
AIR_BAND_HZ = (11000.0, 18500.0)
"""Where the air goes: above what a 24 kHz singer can carry, below the master's band limit."""
AIR_LEVEL_DB = -12.0
"""The air's level against the source octave it comes from. A sung voice falls about 10 dB
per octave above 5 kHz (sibilants less), so this puts 11-18 kHz where a close microphone
would find it, and far enough down to stay clear of harshness."""


def add_vocal_air(singer: npt.NDArray[np.float32], frames: int) -> None:
    """Add the vocal's air band (11-18 kHz, at 48 kHz) in place, made from its top octave.

    The voice is synthesised at 24 kHz, so it holds nothing above 12 kHz. Full-wave
    rectifying its 4.5-10 kHz octave makes sums and differences of what is there: a sibilant's
    noise spreads an octave up, and voiced harmonics make harmonics of the same fundamental.
    Band-passed to 11-18 kHz and mixed under the voice, that is an exciter: content that moves
    with each consonant and note, not a fixed hiss.
    """
    mid = (singer[0, :frames] + singer[1, :frames]) * np.float32(0.5)
    # float32 filters: half the time of scipy's float64 default, and far below audible error
    source_sos = signal.butter(4, AIR_SOURCE_BAND_HZ, "bandpass", fs=MASTER_RATE, output="sos")
    air_sos = signal.butter(4, AIR_BAND_HZ, "bandpass", fs=MASTER_RATE, output="sos")
    source = signal.sosfilt(source_sos.astype(np.float32), without_subnormals(mid))
    source = source.astype(np.float32, copy=False)
    source_rms = _rms(source[None, :])
    if source_rms == 0.0:
        return
    np.abs(source, out=source)
    air = signal.sosfilt(air_sos.astype(np.float32), without_subnormals(source))
    air = air.astype(np.float32, copy=False)
    air_rms = _rms(air[None, :])
    if air_rms == 0.0:
        return
    air *= np.float32(db_to_gain(AIR_LEVEL_DB) * source_rms / air_rms)
    singer[0, :frames] += air
    singer[1, :frames] += air


def _resample_into(source: FloatArray, sample_rate: int, dest: npt.NDArray[np.float32]) -> None:
    """Resample each row of ``source`` to 48 kHz with soxr into the same row of ``dest`` (zero
    past the source's end). Streamed in chunks, so no full-length temporary is made."""
    chunk = _frame_length(sample_rate) * CHUNK_FRAMES
    frames = source.shape[1]
    for row, channel in zip(dest, source, strict=True):
        if sample_rate == MASTER_RATE:
            count = min(len(row), frames)
            row[:count] = channel[:count]
            continue
        stream = soxr.ResampleStream(sample_rate, MASTER_RATE, 1, dtype="float32")
        written = 0
        for start, stop in _chunks(frames, chunk):
            out = stream.resample_chunk(channel[start:stop], last=stop == frames)
            count = min(len(out), len(row) - written)
            row[written : written + count] = out[:count]
            written += count


def _check_band(band: Mapping[str, Audio]) -> None:
    if VOCAL_STEM in band:
        raise StemMismatchError(
            f"the band has a part named {VOCAL_STEM!r}, which is the lead vocal's stem; rename the part"
        )
    for name, audio in band.items():
        audio.require_rate(MASTER_RATE, f"band stem {name!r}")
        if audio.channels not in (1, 2):
            raise StemMismatchError(
                f"band stem {name!r} has {audio.channels} channels; stems must be mono or stereo"
            )


def _sum_into(bus: npt.NDArray[np.float32], stems: list[npt.NDArray[np.float32]]) -> None:
    """``bus += sum(stems)``, a chunk at a time so each chunk of the bus is touched once."""
    chunk = _frame_length(MASTER_RATE) * CHUNK_FRAMES
    for start, stop in _chunks(bus.shape[1], chunk):
        target = bus[:, start:stop]
        for stem in stems:
            target += stem[:, start:stop]


def _vocal_stem(
    voice: npt.NDArray[np.float32], sample_rate: int, reverb: float, lean: GenreMix, frames: int
) -> tuple[npt.NDArray[np.float32], float]:
    """The vocal through its chain and effects at 48 kHz, before its level is set, and the
    K-weighted level (dB) of the dry voice the effects were fed."""
    dry = _vocal_chain(voice, sample_rate)
    level = _playing_level_db(_k_weighted_frame_power(dry, sample_rate))
    wet = vocal_effects(dry, sample_rate, reverb, lean)
    singer = np.zeros((2, frames), np.float32)
    _resample_into(wet, sample_rate, singer)
    if sample_rate < MASTER_RATE:
        add_vocal_air(singer, min(frames, round(len(dry) * MASTER_RATE / sample_rate)))
    return singer, level


def mix_song(
    vocal: Audio, band: dict[str, Audio], config: MixConfig, genre: str, keep_stems: bool = True
) -> MixResult:
    """Mix the lead vocal (any rate; resampled to 48 kHz) over the band stems (48 kHz).

    With ``keep_stems=False`` each processed stem is added to the bus and dropped at once,
    and ``MixResult.stems`` stays empty: a 3-minute song then needs one stem's memory, not
    all of them.

    Raises :class:`~vartist.audio.SampleRateMismatch` when a band stem is not at 48 kHz and
    :class:`StemMismatchError` when a stem cannot be mixed.
    """
    _check_band(band)
    lean = GENRE_MIXES.get(genre.strip().lower(), GENRE_MIXES["pop"])
    voice = np.ascontiguousarray(vocal.to_mono().samples[0])
    vocal_frames = round(vocal.frames * MASTER_RATE / vocal.sample_rate)
    frames = max([vocal_frames, *(audio.frames for audio in band.values())])

    # The vocal's effects are linear after its compressor, so they run before its level is
    # known. They run first and alone: their full-length temporaries are freed before the band
    # stems are processed, which keeps a 3-minute song's peak memory under 600 MB.
    singer, dry_level = _vocal_stem(
        voice, vocal.sample_rate, config.reverb * lean.reverb_scale, lean, frames
    )
    # 20 ms frames at every rate, so the vocal's frames line up with the band's
    presence = vocal_presence(voice, vocal.sample_rate)
    stems: dict[str, Audio] = {}
    bus = np.zeros((2, frames), np.float32)
    for name, audio in band.items():
        stem = _mix_band_stem(name, audio, lean, presence, frames)
        _sum_into(bus, [stem.samples])
        if keep_stems:
            stems[name] = stem
        del stem  # without stems kept, at most one processed stem is alive at a time
    band_power = _band_loudness_power(bus) if band else np.zeros(0)

    if math.isfinite(dry_level):
        singing = presence[: len(band_power)] > 0.5
        under_vocal = band_power[: len(singing)][singing]
        if len(under_vocal) and float(under_vocal.mean()) > 0.0:
            target = power_to_db(float(under_vocal.mean())) + lean.vocal_lift_db
        else:
            target = VOCAL_ALONE_LEVEL_DB
        singer *= np.float32(db_to_gain(target - dry_level))
    if keep_stems:
        stems[VOCAL_STEM] = Audio(singer, MASTER_RATE)
    _sum_into(bus, [singer])
    return MixResult(stems, Audio(bus, MASTER_RATE))
