"""Mastering: a 20 kHz band limit, gentle bus compression, loudness to the persona's target,
and a true-peak limiter whose ceiling holds.

The whole chain after the band limit is one gain curve, built from two measurements of the
band-limited mix made once: the K-weighted power and the 8x-oversampled (true) peak of every
16-sample block. Because a gain that changes slowly commutes with K-weighting and with
oversampling, the loudness and true peak of the mix times *any* smooth gain curve follow from
those block measurements without filtering or oversampling again. So the search for the gain
that reaches the target loudness after limiting costs milliseconds per step. Loudness needs no
second look (the model is exact for it up to the K-weighting filter's few milliseconds of
memory); the true peak of the finished master is measured again wherever its highest reading
can be (a bound from the same block measurements proves every other block reads lower), and a
final trim guarantees the ceiling.

The guarantee rests on the band limit. Content near Nyquist is where every true-peak meter,
ours and any other, reads low: no interpolator of practical length can tell a 23.5 kHz tone
from its image at 24.5 kHz. Above 21.5 kHz the master keeps nothing (70 dB down), and under it
the meter reads at most :data:`~vartist.studio.loudness.TRUE_PEAK_UNDER_READ_DB` low, so a
master that the meter reads :data:`GUARD_DB` (0.17 dB) under the ceiling is under it.

A target that the ceiling makes unreachable (say -6 LUFS under -0.1 dBTP) gives the loudest
master the limiter can make; :func:`master_with_report` says how far short it fell.

The limiter reads the oversampled peaks 2 ms ahead, ramps its gain down linearly so it
arrives at each peak exactly, holds briefly, and releases over about 80 ms whenever peaks come
thick and fast.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from vartist.audio import MASTER_RATE, Audio, db_to_gain, gain_to_db
from vartist.persona.schema import MixConfig
from vartist.studio.errors import SilentMixError
from vartist.studio.loudness import (
    TRUE_PEAK_ACCURATE_BAND,
    TRUE_PEAK_UNDER_READ_DB,
    _lufs,
    k_weighted_block_power,
    loudness_from_block_power,
    measure_loudness,
    measure_true_peak,
    true_peak_blocks,
    true_peak_interpolator_gain,
    true_peak_of_blocks,
)

__all__ = ["MasterResult", "master", "master_with_report", "measure_loudness", "measure_true_peak"]

BLOCK = 16
"""Samples per step of the gain curve (a third of a millisecond at 48 kHz)."""

COMPRESSOR_RATIO = 1.8
COMPRESSOR_KNEE_DB = 6.0
COMPRESSOR_THRESHOLD_OVER_LOUDNESS_DB = 4.0
"""The bus compressor only touches passages this much louder than the song as a whole."""
COMPRESSOR_DETECTOR_SECONDS = 0.05
COMPRESSOR_SMOOTHING_SECONDS = 0.15

BAND_LIMIT_PASSBAND_HZ = 20_000.0
"""The master keeps everything up to here (within 0.01 dB): the top of human hearing, and
where MP3 and AAC encoders cut too."""
BAND_LIMIT_STOPBAND_HZ = TRUE_PEAK_ACCURATE_BAND * MASTER_RATE / 2
"""From here (21.5 kHz) up the master keeps nothing: the band where the true-peak meter's
worst under-read is known ends here."""
BAND_LIMIT_RIPPLE_DB = 0.01
BAND_LIMIT_ATTENUATION_DB = 70.0
"""Content left above the stopband is this far down, so it moves no peak by 0.003 dB."""
GUARD_DB = TRUE_PEAK_UNDER_READ_DB + gain_to_db(1.0 + db_to_gain(-BAND_LIMIT_ATTENUATION_DB))
"""A master the meter reads this far under the ceiling is under it: the meter's worst
under-read in the band the master keeps, and what the band limit leaves above it."""
BAND_LIMIT_CHUNK = 1 << 18

LIMITER_LOOKAHEAD_SECONDS = 0.001
"""Half the attack ramp; the limiter looks twice this far ahead."""
LIMITER_HOLD_SECONDS = 0.004
LIMITER_RELEASE_SECONDS = 0.08
CEILING_MARGIN_DB = 0.02
"""The limiter aims this far under the guarded ceiling (the ceiling less the meter's worst
under-read), so that the final trim seldom has anything to do: a block's true peak after a
gain that moves within it can stray a little from the block model's prediction (on the
example songs it strays by under 0.001 dB)."""
ROUNDING_SLACK = 1e-5
"""Relative allowance for float32 rounding in the gain curve and the meter, in the bounds that
decide which blocks of the master to measure; far more than either makes."""
TRIM_EXTRA_DB = 0.001
"""A trim goes this much further than the measured overshoot, for float32 rounding."""

LOUDNESS_TOLERANCE_LU = 0.03
MAX_GAIN_STEPS = 16
TARGET_MISS_LU = 0.1
"""A master further than this from its loudness target reports the miss (one decimal, as
loudness meters show it)."""
APPLY_CHUNK = BLOCK * 4096
EDGE_FADE_IN_SECONDS = 0.002
EDGE_FADE_OUT_SECONDS = 0.02

FloatArray64 = npt.NDArray[np.float64]
_Result = TypeVar("_Result")


def _one_pole(values: FloatArray64, seconds: float, rate: float) -> FloatArray64:
    """A causal one-pole low-pass starting settled at the first value."""
    pole = math.exp(-1.0 / (seconds * rate))
    smoothed, _ = signal.lfilter([1.0 - pole], [1.0, -pole], values, zi=[pole * values[0]])
    return np.asarray(smoothed, np.float64)


def _compression_db(level: FloatArray64, loudness: float) -> FloatArray64:
    """Gain change (dB) of the soft-knee bus compressor for a detector ``level`` (LUFS), whose
    threshold sits a little over ``loudness``, the programme's own."""
    over = level - (loudness + COMPRESSOR_THRESHOLD_OVER_LOUDNESS_DB)
    knee = COMPRESSOR_KNEE_DB
    # the standard soft knee: quadratic through the knee, straight line above it
    excess = np.where(
        over > knee / 2, over, np.where(over < -knee / 2, 0.0, (over + knee / 2) ** 2 / (2 * knee))
    )
    return np.asarray(-(1.0 - 1.0 / COMPRESSOR_RATIO) * excess, np.float64)


def _bus_compression(block_power: FloatArray64, loudness: float) -> FloatArray64:
    """Gain per block of a soft-knee RMS compressor keyed on K-weighted (loudness) power."""
    block_rate = MASTER_RATE / BLOCK
    detector = _one_pole(block_power / BLOCK, COMPRESSOR_DETECTOR_SECONDS, block_rate)
    reduction_db = _compression_db(_lufs(np.maximum(detector, 1e-12)), loudness)
    smoothed = _one_pole(reduction_db, COMPRESSOR_SMOOTHING_SECONDS, block_rate)
    return db_to_gain(smoothed)


def _block_gains_to_knots(block_gain: FloatArray64) -> FloatArray64:
    """Gains at block boundaries (one more than blocks) from gains per block."""
    return np.concatenate([block_gain[:1], block_gain])


def _windowed_min(values: FloatArray64, back: int, ahead: int) -> FloatArray64:
    """``out[j] = min(values[j - back : j + ahead + 1])`` (edges repeat)."""
    size = back + ahead + 1
    return np.asarray(
        minimum_filter1d(values, size, mode="nearest", origin=(size - 1) // 2 - ahead), np.float64
    )


def _limiter_ramp(
    pre_gain: FloatArray64, peaks: npt.NDArray[np.float32], ceiling: float
) -> FloatArray64:
    """The limiter's gain at each block boundary before its release, so that ``pre_gain *
    ramp`` keeps every block's true peak under ``ceiling``.

    Within a block the gain is linear between its two knots, so a block is safe when both its
    knots are; the box smoothing never averages in a knot from further away than the min
    filter reached, which keeps the guarantee while turning steps into ramps.
    """
    block_peak = peaks * np.maximum(pre_gain[:-1], pre_gain[1:])
    need = np.minimum(1.0, ceiling / np.maximum(block_peak, 1e-12))
    # knot j bounds blocks j - 1 and j
    need_knot = np.minimum(np.concatenate([need[:1], need]), np.concatenate([need, need[-1:]]))
    reach = max(1, round(LIMITER_LOOKAHEAD_SECONDS * MASTER_RATE / BLOCK))
    hold = round(LIMITER_HOLD_SECONDS * MASTER_RATE / BLOCK)
    floor = _windowed_min(need_knot, reach * 2 + hold, reach * 2)
    ramp = uniform_filter1d(floor, 2 * reach + 1, mode="nearest")
    ramp = uniform_filter1d(ramp, 2 * reach + 1, mode="nearest")
    # float rounding in the averages must not break the bound
    return np.asarray(np.minimum(ramp, need_knot), np.float64)


def _limiter_knots(
    pre_gain: FloatArray64, peaks: npt.NDArray[np.float32], ceiling: float
) -> FloatArray64:
    """Limiter gain at each block boundary: :func:`_limiter_ramp` with its release."""
    ramp = _limiter_ramp(pre_gain, peaks, ceiling)
    released = _one_pole(ramp, LIMITER_RELEASE_SECONDS, MASTER_RATE / BLOCK)
    return np.minimum(ramp, released)


def _loudness_after(knots: FloatArray64, block_power: FloatArray64, frames: int) -> float:
    # mean of a squared linear ramp between the block's two knots
    start, end = knots[:-1], knots[1:]
    block_gain_sq = (start * start + start * end + end * end) / 3.0
    return loudness_from_block_power(block_power * block_gain_sq, BLOCK, frames, MASTER_RATE)


def _gain_knots(
    block_power: FloatArray64,
    peaks: npt.NDArray[np.float32],
    frames: int,
    target: float,
    ceiling: float,
) -> tuple[FloatArray64, float]:
    """The whole master's gain at every block boundary (compression, make-up, limiting to the
    linear true peak ``ceiling``) and the loudness it gives; the loudest there is when
    ``target`` is out of reach."""
    loudness = loudness_from_block_power(block_power, BLOCK, frames, MASTER_RATE)
    compression = _block_gains_to_knots(_bus_compression(block_power, loudness))

    def knots_for(gain_db: float) -> FloatArray64:
        pre = compression * db_to_gain(gain_db)
        return pre * _limiter_knots(pre, peaks, ceiling)

    # secant search on the make-up gain; loudness never falls as the gain rises
    gain = target - loudness
    knots = knots_for(gain)
    reached = _loudness_after(knots, block_power, frames)
    best = (abs(reached - target), knots, reached)
    previous: tuple[float, float] | None = None
    for _ in range(MAX_GAIN_STEPS):
        if abs(reached - target) <= LOUDNESS_TOLERANCE_LU:
            break
        slope = 1.0
        if previous is not None and gain != previous[0]:
            slope = min(1.5, max(0.05, (reached - previous[1]) / (gain - previous[0])))
        previous = (gain, reached)
        gain += max(-12.0, min(12.0, (target - reached) / slope))
        knots = knots_for(gain)
        reached = _loudness_after(knots, block_power, frames)
        if abs(reached - target) < best[0]:
            best = (abs(reached - target), knots, reached)
        added = reached - previous[1]
        if reached < target and gain > previous[0] and added < LOUDNESS_TOLERANCE_LU:
            break  # every block already sits at the ceiling: more gain adds no loudness
    return best[1], best[2]


def _knots_to_samples(knots: FloatArray64, start: int, stop: int) -> npt.NDArray[np.float32]:
    """Samples ``start:stop`` of the gain curve, linear between knots; ``start`` is a whole
    number of blocks."""
    first = start // BLOCK
    count = -(-(stop - start) // BLOCK)
    low = knots[first : first + count].astype(np.float32)
    step = (knots[first + 1 : first + count + 1] - knots[first : first + count]).astype(np.float32)
    ramp = np.arange(BLOCK, dtype=np.float32) / np.float32(BLOCK)
    gains = step[:, None] * ramp[None, :]
    gains += low[:, None]
    return gains.reshape(-1)[: stop - start]


def _apply_gain(samples: npt.NDArray[np.float32], knots: FloatArray64) -> None:
    """Multiply ``samples`` by the gain curve, in place."""
    frames = samples.shape[1]
    for start in range(0, frames, APPLY_CHUNK):
        stop = min(frames, start + APPLY_CHUNK)
        samples[:, start:stop] *= _knots_to_samples(knots, start, stop)[None, :]


def _fade_edges(samples: npt.NDArray[np.float32]) -> None:
    frames = samples.shape[1]
    fade_in = min(frames, round(EDGE_FADE_IN_SECONDS * MASTER_RATE))
    fade_out = min(frames, round(EDGE_FADE_OUT_SECONDS * MASTER_RATE))
    samples[:, :fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    samples[:, frames - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def _band_limit_sections() -> npt.NDArray[np.float32]:
    """The band limit: the lowest-order elliptic low-pass that meets its four constants."""
    order, edge = signal.ellipord(
        BAND_LIMIT_PASSBAND_HZ,
        BAND_LIMIT_STOPBAND_HZ,
        BAND_LIMIT_RIPPLE_DB,
        BAND_LIMIT_ATTENUATION_DB,
        fs=MASTER_RATE,
    )
    sections = signal.ellip(
        order,
        BAND_LIMIT_RIPPLE_DB,
        BAND_LIMIT_ATTENUATION_DB,
        edge,
        output="sos",
        fs=MASTER_RATE,
    )
    return np.asarray(sections, np.float32)


def _band_limit(source: npt.NDArray[np.float32], out: npt.NDArray[np.float32]) -> None:
    """``out[:] =`` one channel with nothing left above :data:`BAND_LIMIT_STOPBAND_HZ`."""
    sections = _band_limit_sections()
    state = np.zeros((sections.shape[0], 2), np.float32)
    for start in range(0, len(source), BAND_LIMIT_CHUNK):
        stop = min(len(source), start + BAND_LIMIT_CHUNK)
        out[start:stop], state = signal.sosfilt(sections, source[start:stop], zi=state)


def _prepare_channel(
    source: npt.NDArray[np.float32], out: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float32], FloatArray64]:
    """Band-limit one channel of the mix into ``out``; its true peak and K-weighted power per
    block."""
    _band_limit(source, out)
    channel = out[None, :]
    peaks = true_peak_blocks(channel, MASTER_RATE, BLOCK)
    return peaks, k_weighted_block_power(channel, MASTER_RATE, BLOCK)


def _blocks_to_measure(
    peaks: npt.NDArray[np.float32], knots: FloatArray64, frames: int
) -> npt.NDArray[np.intp]:
    """The blocks of the master that can hold its highest true-peak reading: all the others
    provably read lower, so measuring these alone gives exactly what measuring all would.

    The meter is linear. Over the samples that block j's interpolated values draw on (the
    block and one either side), the gain stays within the range ``[low, high]`` of four knots,
    so the master reads within ``G * (high - low) / 2 * P'`` of ``(high + low) / 2 * P``, where
    ``P`` is the mix's reading in the block, ``P'`` the largest in it and its neighbours, and
    ``G`` the interpolator's gain (:func:`true_peak_interpolator_gain`). The highest reading is
    at least the largest lower bound, so a block whose upper bound is under that cannot hold it.
    The faded edges are always measured.
    """
    count = len(peaks)
    padded = np.concatenate([knots[:1], knots, knots[-1:]])
    around = np.stack([padded[first : first + count] for first in range(4)])
    high, low = around.max(axis=0), around.min(axis=0)
    reading = peaks.astype(np.float64)
    neighbourhood = np.maximum(reading, np.concatenate([reading[1:], [0.0]]))
    neighbourhood[1:] = np.maximum(neighbourhood[1:], reading[:-1])
    centre = (high + low) / 2 * reading
    slack = true_peak_interpolator_gain() * (high - low) / 2 * neighbourhood
    upper = (centre + slack) * (1.0 + ROUNDING_SLACK)
    lower = (centre - slack) * (1.0 - ROUNDING_SLACK)
    fade_in = round(EDGE_FADE_IN_SECONDS * MASTER_RATE)
    fade_out = round(EDGE_FADE_OUT_SECONDS * MASTER_RATE)
    starts = np.arange(count) * BLOCK
    edges = (starts - BLOCK < fade_in) | (starts + 2 * BLOCK > frames - fade_out)
    lower[edges] = 0.0
    return np.flatnonzero(edges | (upper >= lower.max()))


def _finish_channel(
    samples: npt.NDArray[np.float32], knots: FloatArray64, measure: npt.NDArray[np.intp]
) -> float:
    """Apply the gain curve and the edge fades to one channel in place; its true peak in the
    blocks ``measure`` (see :func:`_blocks_to_measure`)."""
    channel = samples[None, :]
    _apply_gain(channel, knots)
    _fade_edges(channel)
    return float(true_peak_of_blocks(channel, BLOCK, measure).max(initial=0.0))


def _both_channels(
    pool: Executor, work: Callable[..., _Result], *per_channel: tuple[Any, Any]
) -> tuple[_Result, _Result]:
    """``work`` on the left channel here and on the right on ``pool`` at the same time; each
    argument is a (left, right) pair. The filters and the meter release the GIL, and each
    channel is independent, so this uses both cores and gives the same result every time."""
    right = pool.submit(work, *(pair[1] for pair in per_channel))
    left = work(*(pair[0] for pair in per_channel))
    return left, right.result()


@dataclass(frozen=True)
class MasterResult:
    """A finished master and what it reached, so a caller can say when a target was missed."""

    audio: Audio
    """48 kHz stereo."""
    loudness_lufs: float
    """Integrated loudness reached (BS.1770-4), as the master's own meter models it: within a
    few hundredths of a LU of a measurement of ``audio``."""
    true_peak_dbtp: float
    """True peak of ``audio`` by the master's 8x meter (:func:`measure_true_peak`). The
    continuous signal's peak may be up to :data:`GUARD_DB` higher, and is still at or under
    ``ceiling_dbtp``."""
    target_lufs: float
    ceiling_dbtp: float

    @property
    def shortfall_lu(self) -> float:
        """How far under the loudness target the master is (negative if over it)."""
        return self.target_lufs - self.loudness_lufs

    @property
    def target_reached(self) -> bool:
        return abs(self.shortfall_lu) <= TARGET_MISS_LU

    @property
    def warning(self) -> str | None:
        """A sentence for the user when the loudness target was missed; None when it was met."""
        if self.target_reached:
            return None
        if self.shortfall_lu > 0:
            return (
                f"the loudness target of {self.target_lufs:.1f} LUFS is out of reach under the "
                f"true-peak ceiling of {self.ceiling_dbtp:.1f} dBTP; the master is "
                f"{self.loudness_lufs:.1f} LUFS, the loudest the limiter can make it. Lower "
                "mix.loudness_lufs or raise mix.true_peak_dbtp (at most -0.1) to meet it"
            )
        return (
            f"the master is {self.loudness_lufs:.1f} LUFS, louder than its target of "
            f"{self.target_lufs:.1f} LUFS"
        )


def master(mixdown: Audio, config: MixConfig) -> Audio:
    """The finished master: 48 kHz stereo at ``config.loudness_lufs`` integrated (within a few
    hundredths of a LU when the ceiling allows it) with true peak at or under
    ``config.true_peak_dbtp``; no sample reaches full scale. A target the ceiling puts out of
    reach gives the loudest master the limiter can make; :func:`master_with_report` says so.

    Raises :class:`SilentMixError` for a silent mixdown and
    :class:`~vartist.audio.SampleRateMismatch` for one not at 48 kHz.
    """
    return master_with_report(mixdown, config).audio


def master_with_report(mixdown: Audio, config: MixConfig) -> MasterResult:
    """:func:`master`, with the loudness and true peak it reached."""
    mixdown.require_rate(MASTER_RATE, "the mixdown")
    mix = mixdown.to_stereo().samples
    frames = mix.shape[1]
    if frames == 0:
        raise SilentMixError("the mixdown is empty; check that the band and the vocal rendered")
    out = np.empty_like(mix)
    with ThreadPoolExecutor(max_workers=1) as pool:
        (left_peaks, left_power), (right_peaks, right_power) = _both_channels(
            pool, _prepare_channel, (mix[0], mix[1]), (out[0], out[1])
        )
        peaks = np.maximum(left_peaks, right_peaks)
        block_power = left_power + right_power
        if not math.isfinite(loudness_from_block_power(block_power, BLOCK, frames, MASTER_RATE)):
            raise SilentMixError(
                "the mixdown is silent (below -70 LUFS once cut to 20 kHz), so no gain can "
                "reach the loudness target; check that the band and the vocal rendered any sound"
            )
        guarded_db = config.true_peak_dbtp - GUARD_DB
        knots, loudness = _gain_knots(
            block_power,
            peaks,
            frames,
            config.loudness_lufs,
            db_to_gain(guarded_db - CEILING_MARGIN_DB),
        )
        # the block model is exact for loudness and close for true peak: measure the master
        # wherever its highest reading can be
        measure = _blocks_to_measure(peaks, knots, frames)
        finished = _both_channels(
            pool, _finish_channel, (out[0], out[1]), (knots, knots), (measure, measure)
        )
    peak_db = gain_to_db(max(finished))
    if peak_db > guarded_db:
        trim_db = guarded_db - peak_db - TRIM_EXTRA_DB
        out *= np.float32(db_to_gain(trim_db))
        peak_db += trim_db
        loudness += trim_db
    return MasterResult(
        audio=Audio(out, MASTER_RATE),
        loudness_lufs=loudness,
        true_peak_dbtp=peak_db,
        target_lufs=config.loudness_lufs,
        ceiling_dbtp=config.true_peak_dbtp,
    )
