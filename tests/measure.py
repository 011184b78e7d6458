"""Measurements the tests make on rendered audio: F0 tracks, loudness, true peak."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pyworld
import soxr

from vartist.audio import Audio

FRAME_SECONDS = 0.005


@dataclass(frozen=True)
class PitchTrack:
    times: npt.NDArray[np.float64]
    f0: npt.NDArray[np.float64]
    """Hz; 0 where unvoiced."""
    rms: npt.NDArray[np.float64]
    """RMS of the signal around each frame."""

    def frames_between(self, start: float, end: float) -> npt.NDArray[np.intp]:
        return np.flatnonzero((self.times >= start) & (self.times < end))


def track_pitch(audio: Audio) -> PitchTrack:
    """F0 by WORLD's DIO refined by StoneMask, 5 ms frames, 60-1100 Hz."""
    x = audio.to_mono().samples[0].astype(np.float64)
    rate = audio.sample_rate
    f0, times = pyworld.dio(
        x, rate, f0_floor=60.0, f0_ceil=1100.0, frame_period=FRAME_SECONDS * 1000
    )
    f0 = pyworld.stonemask(x, f0, times, rate)
    # RMS over ±7.5 ms around each frame's own time, from a running sum of squares, so the
    # level and the F0 of a frame describe the same instant at any sample rate
    half = round(1.5 * FRAME_SECONDS * rate)
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    centres = np.round(times * rate).astype(np.intp)
    lo = np.clip(centres - half, 0, len(x))
    hi = np.clip(centres + half, 0, len(x))
    rms = np.sqrt((energy[hi] - energy[lo]) / np.maximum(hi - lo, 1))
    return PitchTrack(times, f0, rms)


def cents(f0: npt.NDArray[np.float64], midi: float) -> npt.NDArray[np.float64]:
    reference = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
    return 1200.0 * np.log2(f0 / reference)


def integrated_loudness(audio: Audio) -> float:
    meter = pyloudnorm.Meter(audio.sample_rate)
    return float(meter.integrated_loudness(audio.samples.T.astype(np.float64)))


def true_peak_dbtp(audio: Audio) -> float:
    """Peak of the signal oversampled 4×, in dB relative to full scale (ITU-R BS.1770 style)."""
    oversampled = soxr.resample(
        audio.samples.T.astype(np.float64), audio.sample_rate, audio.sample_rate * 4
    )
    return float(20.0 * np.log10(np.max(np.abs(oversampled)) + 1e-12))
