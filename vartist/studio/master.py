"""Mastering: gentle bus compression, loudness to the persona's target, a true-peak limiter.

The whole chain is one gain curve, built from three measurements of the mix made once:
the K-weighted power and the 4x-oversampled (true) peak of every 16-sample block. Because a
gain that changes slowly commutes with K-weighting and with oversampling, the loudness and
true peak of the mix times *any* smooth gain curve follow from those block measurements
without filtering or oversampling again. So the search for the gain that reaches the target
loudness after limiting costs milliseconds per step. Loudness needs no second look (the model
is exact for it up to the K-weighting filter's few milliseconds of memory); the true peak is
measured again wherever the model puts it near the ceiling, and a final trim guarantees it.

A target that the ceiling makes unreachable (say -7 LUFS under -6 dBTP) gives the loudest
master the limiter can make; the gain search never pushes past the point where more gain
stops adding loudness.

The limiter reads the oversampled peaks 2 ms ahead, ramps its gain down linearly so it
arrives at each peak exactly, holds briefly, and releases over about 80 ms whenever peaks come
thick and fast.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from vartist.audio import MASTER_RATE, Audio, db_to_gain, gain_to_db
from vartist.persona.schema import MixConfig
from vartist.studio.errors import SilentMixError
from vartist.studio.loudness import (
    _lufs,
    k_weighted_block_power,
    loudness_from_block_power,
    measure_loudness,
    measure_true_peak,
    true_peak,
    true_peak_blocks,
    true_peak_of_spans,
)

__all__ = ["master", "measure_loudness", "measure_true_peak"]

BLOCK = 16
"""Samples per step of the gain curve (a third of a millisecond at 48 kHz)."""

COMPRESSOR_RATIO = 1.8
COMPRESSOR_KNEE_DB = 6.0
COMPRESSOR_THRESHOLD_OVER_LOUDNESS_DB = 4.0
"""The bus compressor only touches passages this much louder than the song as a whole."""
COMPRESSOR_DETECTOR_SECONDS = 0.05
COMPRESSOR_SMOOTHING_SECONDS = 0.15

LIMITER_LOOKAHEAD_SECONDS = 0.001
"""Half the attack ramp; the limiter looks twice this far ahead."""
LIMITER_HOLD_SECONDS = 0.004
LIMITER_RELEASE_SECONDS = 0.08
CEILING_MARGIN_DB = 0.1
"""The limiter aims this far under the ceiling; the final trim covers what is left."""

LOUDNESS_TOLERANCE_LU = 0.03
MAX_GAIN_STEPS = 16
VERIFY_WITHIN_DB = 0.6
"""Blocks predicted this close to the ceiling get their true peak measured after the gain."""
SPAN_MERGE_BLOCKS = 300
"""Hot blocks this close (100 ms) are oversampled as one span."""
APPLY_CHUNK = BLOCK * 4096
EDGE_FADE_IN_SECONDS = 0.002
EDGE_FADE_OUT_SECONDS = 0.02

FloatArray64 = npt.NDArray[np.float64]


def _one_pole(values: FloatArray64, seconds: float, rate: float) -> FloatArray64:
    """A causal one-pole low-pass starting settled at the first value."""
    pole = math.exp(-1.0 / (seconds * rate))
    smoothed, _ = signal.lfilter([1.0 - pole], [1.0, -pole], values, zi=[pole * values[0]])
    return np.asarray(smoothed, np.float64)


def _bus_compression(block_power: FloatArray64, loudness: float) -> FloatArray64:
    """Gain per block of a soft-knee RMS compressor keyed on K-weighted (loudness) power."""
    block_rate = MASTER_RATE / BLOCK
    detector = _one_pole(block_power / BLOCK, COMPRESSOR_DETECTOR_SECONDS, block_rate)
    level = _lufs(np.maximum(detector, 1e-12))
    over = level - (loudness + COMPRESSOR_THRESHOLD_OVER_LOUDNESS_DB)
    knee = COMPRESSOR_KNEE_DB
    # the standard soft knee: quadratic through the knee, straight line above it
    excess = np.where(
        over > knee / 2, over, np.where(over < -knee / 2, 0.0, (over + knee / 2) ** 2 / (2 * knee))
    )
    reduction_db = -(1.0 - 1.0 / COMPRESSOR_RATIO) * excess
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


def _limiter_knots(
    pre_gain: FloatArray64, peaks: npt.NDArray[np.float32], ceiling: float
) -> FloatArray64:
    """Limiter gain at each block boundary so that ``pre_gain * limiter`` keeps every block's
    true peak under ``ceiling``.

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
    ramp = np.minimum(ramp, need_knot)  # float rounding in the averages must not break the bound
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
    config: MixConfig,
) -> FloatArray64:
    """The whole master's gain at every block boundary: compression, make-up, limiting."""
    loudness = loudness_from_block_power(block_power, BLOCK, frames, MASTER_RATE)
    compression = _block_gains_to_knots(_bus_compression(block_power, loudness))
    ceiling = db_to_gain(config.true_peak_dbtp - CEILING_MARGIN_DB)
    target = config.loudness_lufs

    def knots_for(gain_db: float) -> FloatArray64:
        pre = compression * db_to_gain(gain_db)
        return pre * _limiter_knots(pre, peaks, ceiling)

    # secant search on the make-up gain; loudness never falls as the gain rises
    gain = target - loudness
    knots = knots_for(gain)
    reached = _loudness_after(knots, block_power, frames)
    best = (abs(reached - target), knots)
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
            best = (abs(reached - target), knots)
    return best[1]


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


def _apply_gain(mix: npt.NDArray[np.float32], knots: FloatArray64) -> npt.NDArray[np.float32]:
    frames = mix.shape[1]
    out = np.empty((2, frames), np.float32)
    for start in range(0, frames, APPLY_CHUNK):
        stop = min(frames, start + APPLY_CHUNK)
        np.multiply(
            mix[:, start:stop],
            _knots_to_samples(knots, start, stop)[None, :],
            out=out[:, start:stop],
        )
    return out


def _fade_edges(samples: npt.NDArray[np.float32]) -> None:
    frames = samples.shape[1]
    fade_in = min(frames, round(EDGE_FADE_IN_SECONDS * MASTER_RATE))
    fade_out = min(frames, round(EDGE_FADE_OUT_SECONDS * MASTER_RATE))
    samples[:, :fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    samples[:, frames - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)


def _hot_spans(
    predicted: npt.NDArray[np.float64], threshold: float, frames: int
) -> list[tuple[int, int]]:
    """Sample spans around the blocks whose predicted true peak reaches ``threshold``; blocks
    closer than :data:`SPAN_MERGE_BLOCKS` share a span."""
    hot = np.flatnonzero(predicted >= threshold)
    if len(hot) == 0:
        return []
    breaks = np.flatnonzero(np.diff(hot) > SPAN_MERGE_BLOCKS)
    firsts = np.concatenate([hot[:1], hot[breaks + 1]])
    lasts = np.concatenate([hot[breaks], hot[-1:]])
    return [
        (int(f) * BLOCK, min(frames, (int(last) + 1) * BLOCK))
        for f, last in zip(firsts, lasts, strict=True)
    ]


def _true_peak_after(
    out: npt.NDArray[np.float32],
    knots: FloatArray64,
    peaks: npt.NDArray[np.float32],
    ceiling_db: float,
) -> float:
    """The output's true peak (linear), oversampling only where it can come near the ceiling.

    The block model predicts each block's true peak; with a gain that changes by at most a
    few dB per millisecond, the real value cannot stray a tenth of that from the prediction,
    so only blocks predicted within :data:`VERIFY_WITHIN_DB` of the ceiling are measured.
    """
    frames = out.shape[1]
    predicted = peaks.astype(np.float64) * np.maximum(knots[:-1], knots[1:])
    spans = _hot_spans(predicted, db_to_gain(ceiling_db - VERIFY_WITHIN_DB), frames)
    if sum(stop - start for start, stop in spans) > frames // 3:
        return true_peak(out, MASTER_RATE)
    measured = true_peak_of_spans(out, MASTER_RATE, spans)
    elsewhere = predicted.copy()
    for start, stop in spans:
        elsewhere[start // BLOCK : -(-stop // BLOCK)] = 0.0
    return max(measured, float(elsewhere.max(initial=0.0)))


def master(mixdown: Audio, config: MixConfig) -> Audio:
    """The finished master: 48 kHz stereo at ``config.loudness_lufs`` integrated (within a few
    hundredths of a LU when the ceiling allows it) with true peak at or under
    ``config.true_peak_dbtp``; no sample reaches full scale.

    Raises :class:`SilentMixError` for a silent mixdown and
    :class:`~vartist.audio.SampleRateMismatch` for one not at 48 kHz.
    """
    mixdown.require_rate(MASTER_RATE, "the mixdown")
    mix = mixdown.to_stereo().samples
    frames = mix.shape[1]
    if frames == 0:
        raise SilentMixError("the mixdown is empty; check that the band and the vocal rendered")
    # the two measurements release the GIL, so they share the machine's two cores
    with ThreadPoolExecutor(max_workers=1) as pool:
        peaks_job = pool.submit(true_peak_blocks, mix, MASTER_RATE, BLOCK)
        block_power = k_weighted_block_power(mix, MASTER_RATE, BLOCK)
        peaks = peaks_job.result()
    if not math.isfinite(loudness_from_block_power(block_power, BLOCK, frames, MASTER_RATE)):
        raise SilentMixError(
            "the mixdown is silent (below -70 LUFS), so no gain can reach the loudness target; "
            "check that the band and the vocal rendered any sound"
        )
    knots = _gain_knots(block_power, peaks, frames, config)
    out = _apply_gain(mix, knots)
    _fade_edges(out)
    # the block model is exact for loudness and close for true peak; measure and trim
    true_peak_db = gain_to_db(
        max(_true_peak_after(out, knots, peaks, config.true_peak_dbtp), 1e-12)
    )
    overshoot = true_peak_db - config.true_peak_dbtp
    if overshoot > -0.005:
        out *= np.float32(db_to_gain(-(overshoot + 0.01)))
    return Audio(out, MASTER_RATE)
