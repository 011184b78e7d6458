"""The one audio contract: float32 samples shaped ``(channels, samples)`` plus a sample rate.

Every stage passes :class:`Audio`; a stage that needs another rate calls :meth:`Audio.resample`
explicitly. Rates are never guessed, and a mismatch is an error, not a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from vartist.errors import VartistError

MASTER_RATE = 48_000
"""The master, the stems and every instrument render at 48 kHz."""


FloatArray64 = npt.NDArray[np.float64]


SUBNORMAL_GUARD = 1e-15
"""Amplitude (-300 dBFS) of the noise :func:`without_subnormals` adds. It keeps every section
of an IIR filter (a band-pass or a low-pass too) well above float32's subnormal range (below
1.2e-38), where x86 arithmetic runs 10-100x slower, through the silences between notes."""
_GUARD_NOISE = (np.random.default_rng(0x5EED).integers(0, 2, 1 << 16) * 2 - 1).astype(
    np.float32
) * np.float32(SUBNORMAL_GUARD)
"""A fixed ±guard sequence, tiled: white, so it passes any filter, and the same on every run,
so a render stays bit-identical for a seed."""


def without_subnormals(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``samples`` (last axis: time) plus inaudible white noise at :data:`SUBNORMAL_GUARD`:
    feed this, not the raw signal, to an IIR filter over audio with silences in it (a singer's
    rests made a band-pass 25x slower)."""
    length = samples.shape[-1]
    guard = np.tile(_GUARD_NOISE, -(-length // len(_GUARD_NOISE)))[:length]
    return samples + guard.astype(samples.dtype, copy=False)


@overload
def db_to_gain(db: float) -> float: ...
@overload
def db_to_gain(db: FloatArray64) -> FloatArray64: ...
def db_to_gain(db: float | FloatArray64) -> float | FloatArray64:
    """Decibels → linear amplitude gain (0 dB → 1, -6 dB → about 0.5), elementwise for arrays."""
    return 10.0 ** (db / 20.0)


@overload
def gain_to_db(gain: float) -> float: ...
@overload
def gain_to_db(gain: FloatArray64) -> FloatArray64: ...
def gain_to_db(gain: float | FloatArray64) -> float | FloatArray64:
    """Linear amplitude → decibels; zero (and, for a float, anything under it) gives -inf."""
    if isinstance(gain, np.ndarray):
        with np.errstate(divide="ignore"):
            return 20.0 * np.log10(gain)
    return 20.0 * math.log10(gain) if gain > 0.0 else -math.inf


@overload
def power_to_db(power: float) -> float: ...
@overload
def power_to_db(power: FloatArray64) -> FloatArray64: ...
def power_to_db(power: float | FloatArray64) -> float | FloatArray64:
    """Power (a mean square) → decibels; zero (and, for a float, anything under it) gives -inf."""
    if isinstance(power, np.ndarray):
        with np.errstate(divide="ignore"):
            return 10.0 * np.log10(power)
    return 10.0 * math.log10(power) if power > 0.0 else -math.inf


class SampleRateMismatch(VartistError):
    """Two signals that must share a rate do not."""


@dataclass(frozen=True, eq=False)
class Audio:
    samples: npt.NDArray[np.float32]
    sample_rate: int

    def __post_init__(self) -> None:
        samples = self.samples
        if samples.ndim != 2:
            raise ValueError(
                f"Audio samples must be shaped (channels, samples), got {samples.shape}"
            )
        if samples.dtype != np.float32:
            raise ValueError(f"Audio samples must be float32, got {samples.dtype}")
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")

    @classmethod
    def mono(cls, samples: npt.ArrayLike, sample_rate: int) -> Audio:
        return cls(np.asarray(samples, dtype=np.float32).reshape(1, -1), sample_rate)

    @classmethod
    def silence(cls, seconds: float, sample_rate: int, channels: int = 1) -> Audio:
        return cls(np.zeros((channels, round(seconds * sample_rate)), np.float32), sample_rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def require_rate(self, sample_rate: int, what: str = "audio") -> None:
        if self.sample_rate != sample_rate:
            raise SampleRateMismatch(
                f"{what} is at {self.sample_rate} Hz but {sample_rate} Hz is required; "
                "resample it with Audio.resample first"
            )

    def resample(self, sample_rate: int) -> Audio:
        if sample_rate == self.sample_rate:
            return self
        import soxr

        # soxr wants (samples, channels)
        out = soxr.resample(self.samples.T, self.sample_rate, sample_rate, quality="HQ")
        return Audio(np.ascontiguousarray(out.T, dtype=np.float32), sample_rate)

    def to_stereo(self) -> Audio:
        if self.channels == 2:
            return self
        if self.channels == 1:
            return Audio(np.repeat(self.samples, 2, axis=0), self.sample_rate)
        raise ValueError(f"cannot make stereo from {self.channels} channels")

    def to_mono(self) -> Audio:
        if self.channels == 1:
            return self
        return Audio(self.samples.mean(axis=0, keepdims=True, dtype=np.float32), self.sample_rate)

    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if self.frames else 0.0
