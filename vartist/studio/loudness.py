"""Loudness and true peak, measured the way streaming services and ITU-R BS.1770-4 do.

Loudness uses pyloudnorm's K-weighting filters and BS.1770-4 gating (400 ms blocks every
100 ms, an absolute gate at -70 LUFS and a relative gate 10 LU under the ungated level);
the gating is computed with cumulative sums instead of pyloudnorm's per-block Python loop,
which takes most of a second on a 3-minute song.

True peak is the peak of the signal oversampled 8x by a Kaiser-windowed sinc interpolator
(BS.1770-4 Annex 2 asks for 4x at least) that keeps the original samples exactly, so it never
reads under the sample peak, as BS.1770-4 requires. The interpolation runs as small matrix
products (BLAS), one column per 16 input samples, and only the peak of each column is kept.

Both work in chunks, so a long song never needs a second full-size (or 8x-size) copy.
"""

from __future__ import annotations

import functools
import math
from typing import overload

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from pyloudnorm.iirfilter import IIRfilter
from scipy import signal

from vartist.audio import Audio, gain_to_db, power_to_db

GATE_BLOCK_SECONDS = 0.4
GATE_HOP_SECONDS = 0.1
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0

TRUE_PEAK_OVERSAMPLING = 8
"""Interpolated values per input sample. BS.1770-4 asks for at least 4x at 48 kHz, but a 4x
grid can miss the crest of a 20 kHz tone by 0.47 dB; an 8x grid misses it by at most 0.12 dB."""
TRUE_PEAK_TAPS = 32
"""Input samples each interpolated value is computed from (the windowed sinc's length)."""
TRUE_PEAK_KAISER_BETA = 5.0
"""Kaiser window shape. With 32 taps, 5.0 keeps every interpolated phase within 0.034 dB of
the ideal (sinc) interpolation up to 21.5 kHz at 48 kHz, and never above unity gain."""
TRUE_PEAK_ACCURATE_BAND = 21_500 / 24_000
"""Fraction of the Nyquist frequency up to which :data:`TRUE_PEAK_UNDER_READ_DB` holds."""
TRUE_PEAK_UNDER_READ_DB = 0.17
"""The most the meter can read under the true (continuous) peak of a signal with no content
above :data:`TRUE_PEAK_ACCURATE_BAND`. Two parts: the grid, since by Bernstein's inequality a
signal band-limited to f falls at most (pi f T)^2 / 2 of its peak within T / 2 of it, which at
21.5 kHz on a 384 kHz grid is 1.55 % (0.135 dB); and the interpolator's own error, at most
0.034 dB in that band."""

_CHUNK_FRAMES = 1 << 18
"""Frames K-weighted at a time: small enough to stay in cache-friendly memory, large enough
that per-call overhead vanishes."""

_TRUE_PEAK_CHUNK_FRAMES = 1 << 15
"""Frames oversampled at a time: the 8x product of a chunk (1 MB) stays in cache."""

_PRODUCT_MULTIPLY_ADDS = 400_000
"""Size of each matrix product. OpenBLAS computes a product under 2 x 4 x 65 536 multiply-adds
on the calling thread and splits larger ones over threads of its own, which on a busy machine
makes the meter four to ten times slower and competes with the two threads the master runs;
the smaller products cost about a quarter more on an idle machine."""

_TRUE_PEAK_STEP = 16
"""Input samples per column of the interpolation product. Shorter runs waste less of the
product on zero taps, longer ones make fewer, larger matrix products; 16 is the fastest."""

FloatArray64 = npt.NDArray[np.float64]
FloatArray32 = npt.NDArray[np.float32]


def k_weighting(sample_rate: int) -> npt.NDArray[np.float32]:
    """The two K-weighting biquads (high shelf, then high pass) as float32 second-order sections.

    float32 sections run several times faster in scipy than float64 ones, and the loudness they
    give agrees with pyloudnorm's float64 filters to well under 0.01 LU.
    """
    stages = (
        IIRfilter(4.0, 1.0 / math.sqrt(2.0), 1500.0, sample_rate, "high_shelf"),
        IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass"),
    )
    sections = [np.concatenate([stage.b / stage.a[0], stage.a / stage.a[0]]) for stage in stages]
    return np.asarray(sections, np.float32)


def k_weighted_block_power(
    samples: npt.NDArray[np.float32], sample_rate: int, block: int
) -> FloatArray64:
    """Sum over channels and over each run of ``block`` samples of the K-weighted signal squared.

    The last block is zero-padded, as BS.1770's last gating block is.
    """
    channels, frames = samples.shape
    blocks = -(-frames // block)
    sos = k_weighting(sample_rate)
    states = np.zeros((channels, sos.shape[0], 2), np.float32)
    power = np.zeros(blocks, np.float64)
    chunk = max(block, _CHUNK_FRAMES // block * block)
    for start in range(0, frames, chunk):
        stop = min(frames, start + chunk)
        squared = np.zeros(-(-(stop - start) // block) * block, np.float64)
        for channel in range(channels):
            weighted, states[channel] = signal.sosfilt(
                sos, samples[channel, start:stop], zi=states[channel]
            )
            squared[: stop - start] += np.square(weighted, dtype=np.float64)
        first = start // block
        power[first : first + len(squared) // block] = squared.reshape(-1, block).sum(axis=1)
    return power


@overload
def _lufs(power: float) -> float: ...
@overload
def _lufs(power: FloatArray64) -> FloatArray64: ...
def _lufs(power: float | FloatArray64) -> float | FloatArray64:
    """Loudness (LUFS) of a mean square of the K-weighted signal summed over channels."""
    return -0.691 + power_to_db(power)


def gate_hop(sample_rate: int) -> int:
    """Samples per 100 ms gating hop."""
    return round(GATE_HOP_SECONDS * sample_rate)


def loudness_from_block_power(
    block_power: FloatArray64, block: int, frames: int, sample_rate: int
) -> float:
    """Integrated, gated loudness (LUFS) of ``frames`` samples from the output of
    :func:`k_weighted_block_power`.

    ``block`` must divide the 100 ms hop. Signals shorter than one 400 ms gating block are
    measured as one block. Silence gives ``-inf``.
    """
    hop = gate_hop(sample_rate)
    if hop % block:
        raise ValueError(f"block of {block} samples does not divide the {hop}-sample gating hop")
    per_hop = hop // block
    hops_per_gate = round(GATE_BLOCK_SECONDS / GATE_HOP_SECONDS)
    # pyloudnorm's count: the last block may run past the end and is zero-padded
    gates = max(1, round((frames / sample_rate - GATE_BLOCK_SECONDS) / GATE_HOP_SECONDS) + 1)
    hops = gates + hops_per_gate - 1
    padded = np.zeros(hops * per_hop, np.float64)
    used = min(len(block_power), len(padded))
    padded[:used] = block_power[:used]
    hop_power = padded.reshape(hops, per_hop).sum(axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(hop_power)])
    gate_power = (cumulative[hops_per_gate:] - cumulative[:-hops_per_gate]) / (hops_per_gate * hop)
    gate_loudness = _lufs(gate_power)
    above_absolute = gate_loudness >= ABSOLUTE_GATE_LUFS
    if not np.any(above_absolute):
        return -math.inf
    relative_gate = _lufs(float(gate_power[above_absolute].mean())) + RELATIVE_GATE_LU
    kept = above_absolute & (gate_loudness > relative_gate)
    return _lufs(float(gate_power[kept].mean()))


def measure_loudness(audio: Audio) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, as pyloudnorm measures it); -inf if silent.

    Channels count with weight 1, so a mono signal reads 3 dB under the same signal in both
    channels of a stereo file, as BS.1770 specifies.
    """
    hop = gate_hop(audio.sample_rate)
    power = k_weighted_block_power(audio.samples, audio.sample_rate, hop)
    return loudness_from_block_power(power, hop, audio.frames, audio.sample_rate)


@functools.lru_cache(maxsize=4)
def _interpolation_matrix(step: int) -> FloatArray32:
    """The true-peak interpolator for one run of ``step`` input samples, as a matrix.

    Row ``j * 8 + p`` gives the signal at ``j + p / 8`` samples after the run's first sample;
    column ``i`` weighs input sample ``i - (TAPS / 2 - 1)``. Each value is a Kaiser-windowed
    sinc over the :data:`TRUE_PEAK_TAPS` nearest input samples: the polyphase form of a
    windowed-sinc Nyquist filter, whose sinc is zero at every other input sample. Rows for the
    input samples themselves (``p == 0``) are set to exactly 1 on that sample, so the 8x
    signal contains the input unchanged and the meter never reads under the sample peak.
    """
    factor = TRUE_PEAK_OVERSAMPLING
    half = TRUE_PEAK_TAPS // 2
    outputs = np.arange(step * factor) / factor
    inputs = np.arange(step + TRUE_PEAK_TAPS - 1) - (half - 1)
    offset = outputs[:, None] - inputs[None, :]
    inside = np.abs(offset) < half
    window = np.i0(
        TRUE_PEAK_KAISER_BETA * np.sqrt(np.where(inside, 1.0 - (offset / half) ** 2, 0.0))
    )
    kernel = np.where(inside, np.sinc(offset) * window / np.i0(TRUE_PEAK_KAISER_BETA), 0.0)
    on_sample = np.arange(0, step * factor, factor)
    kernel[on_sample] = 0.0
    kernel[on_sample, np.arange(step) + half - 1] = 1.0
    return kernel.astype(np.float32)


def _zero_padded(channel: npt.NDArray[np.float32], start: int, stop: int) -> FloatArray32:
    """``channel[start:stop]`` with zeros where the range runs past either end."""
    piece = np.zeros(stop - start, np.float32)
    low, high = max(0, start), min(len(channel), stop)
    if high > low:
        piece[low - start : high - start] = channel[low:high]
    return piece


def _peaks_of_windows(matrix: FloatArray32, windows: FloatArray32) -> FloatArray32:
    """The largest absolute interpolated value for each row of ``windows`` (one run's input
    samples, as :func:`_interpolation_matrix` lays them out)."""
    count = len(windows)
    per_product = max(1, _PRODUCT_MULTIPLY_ADDS // matrix.size)
    # one column per run, so the peaks reduce along contiguous rows, several times faster
    # than reducing each short row of the transposed product
    oversampled = np.empty((matrix.shape[0], count), np.float32)
    for column in range(0, count, per_product):
        end = min(count, column + per_product)
        np.matmul(matrix, windows[column:end].T, out=oversampled[:, column:end])
    np.abs(oversampled, out=oversampled)
    return np.asarray(oversampled.max(axis=0), np.float32)


def _true_peak_runs(samples: npt.NDArray[np.float32], step: int) -> FloatArray32:
    """The largest absolute value of the 8x-oversampled signal within each run of ``step``
    input samples, over all channels; the signal is zero outside its samples."""
    channels, frames = samples.shape
    runs = -(-frames // step)
    peaks = np.zeros(runs, np.float32)
    matrix = _interpolation_matrix(step)
    width = matrix.shape[1]
    lead = TRUE_PEAK_TAPS // 2 - 1
    per_chunk = max(1, _TRUE_PEAK_CHUNK_FRAMES // step)
    for first in range(0, runs, per_chunk):
        count = min(runs, first + per_chunk) - first
        begin = first * step - lead
        for channel in range(channels):
            piece = _zero_padded(samples[channel], begin, begin + (count - 1) * step + width)
            # BLAS reads the transpose of a contiguous array as it is, but not a view whose
            # rows overlap
            windows = np.ascontiguousarray(sliding_window_view(piece, width)[::step])
            chunk = peaks[first : first + count]
            np.maximum(chunk, _peaks_of_windows(matrix, windows), out=chunk)
    return peaks


def true_peak_of_blocks(
    samples: npt.NDArray[np.float32], block: int, which: npt.NDArray[np.intp]
) -> FloatArray32:
    """What :func:`true_peak_blocks` gives for the blocks numbered ``which`` only, at the cost
    of those blocks alone; meant for short blocks (the master's are 16 samples)."""
    channels, frames = samples.shape
    matrix = _interpolation_matrix(block)
    width = matrix.shape[1]
    peaks = np.zeros(len(which), np.float32)
    if len(which) == 0:
        return peaks
    positions = (which * block - (TRUE_PEAK_TAPS // 2 - 1))[:, None] + np.arange(width)
    outside = (positions < 0) | (positions >= frames)
    np.clip(positions, 0, frames - 1, out=positions)
    for channel in range(channels):
        windows = samples[channel][positions]
        windows[outside] = 0.0
        np.maximum(peaks, _peaks_of_windows(matrix, windows), out=peaks)
    return peaks


@functools.lru_cache(maxsize=1)
def true_peak_interpolator_gain() -> float:
    """The most the interpolator can amplify: no interpolated value exceeds this times the
    largest input sample it is computed from (the largest sum of absolute weights)."""
    return float(np.abs(_interpolation_matrix(1).astype(np.float64)).sum(axis=1).max())


def true_peak_blocks(
    samples: npt.NDArray[np.float32], sample_rate: int, block: int
) -> FloatArray32:
    """The largest absolute value of the 8x-oversampled signal within each run of ``block``
    input samples, over all channels.

    ``sample_rate`` does not change the interpolation (it works in fractions of the rate); it
    is taken so that every meter is called the same way.
    """
    del sample_rate
    if block <= 0:
        raise ValueError(f"block must be a positive number of samples, got {block}")
    step = math.gcd(block, _TRUE_PEAK_STEP)
    runs = _true_peak_runs(samples, step)
    per_block = block // step
    if per_block == 1:
        return runs
    padded = np.zeros(-(-len(runs) // per_block) * per_block, np.float32)
    padded[: len(runs)] = runs
    return padded.reshape(-1, per_block).max(axis=1)


def true_peak(samples: npt.NDArray[np.float32], sample_rate: int) -> float:
    """True peak (linear): the peak of the signal oversampled 8x; 0 if empty.

    Never under the sample peak; see :data:`TRUE_PEAK_UNDER_READ_DB` for how far under the
    peak of the continuous signal it can read.
    """
    if samples.shape[1] == 0:
        return 0.0
    return float(true_peak_blocks(samples, sample_rate, _TRUE_PEAK_STEP).max())


def measure_true_peak(audio: Audio) -> float:
    """True peak in dBTP (ITU-R BS.1770-4 Annex 2, oversampled 8x); -inf if silent.

    Never under the sample peak; within :data:`TRUE_PEAK_UNDER_READ_DB` of the peak of the
    continuous signal for content up to :data:`TRUE_PEAK_ACCURATE_BAND` of the Nyquist
    frequency (21.5 kHz at 48 kHz). Content closer to Nyquist reads low: no interpolator of
    practical length can tell it from its image above Nyquist.
    """
    return gain_to_db(true_peak(audio.samples, audio.sample_rate))
