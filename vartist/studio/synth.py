"""DSP building blocks the instruments share: velocity, envelopes, wavetables, panning.

Everything works on whole arrays. A pitched instrument renders each pitch's *tone* once (a
band-limited wavetable read out at the note's frequency, with per-partial-group decays) and
shapes every note of that pitch by an attack/hold/release envelope, so a song's thousand notes
cost a few dozen oscillator renders.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal as scipy_signal

FloatArray = npt.NDArray[np.float32]

TABLE_SIZE = 1 << 14
"""Samples per wavetable cycle. At this size a nearest-sample read of our low-passed tables
keeps the interpolation noise near -65 dB, cheaper than interpolating a smaller table."""

_TABLE_MASK = TABLE_SIZE - 1
_NYQUIST_MARGIN = 0.45
"""Partials above this fraction of the sample rate are dropped: no aliasing, ever."""


def velocity_gain(velocity: int) -> float:
    """MIDI velocity → linear level; a power law, so 64 sounds about 9 dB under 127."""
    return (min(max(velocity, 0), 127) / 127.0) ** 1.5


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (left, right) gains for ``pan`` in -1 (left) … 1 (right); unity at 0."""
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * math.pi / 4.0
    return math.sqrt(2.0) * math.cos(angle), math.sqrt(2.0) * math.sin(angle)


def harmonic_table(amplitudes: Sequence[float] | npt.NDArray[np.float64]) -> FloatArray:
    """One cycle of ``sum(a_k * sin(2 pi k x))`` for harmonics k = 1, 2, …, exactly band-limited."""
    spectrum = np.zeros(TABLE_SIZE // 2 + 1, np.complex128)
    # the table holds harmonics below its own Nyquist only
    amps = np.asarray(amplitudes, np.float64)[: TABLE_SIZE // 2 - 1]
    # irfft divides by the size and a sine is the negative imaginary part of its coefficient
    spectrum[1 : len(amps) + 1] = -0.5j * TABLE_SIZE * amps
    return np.fft.irfft(spectrum, TABLE_SIZE).astype(np.float32)


def table_indices(
    frequency: float, length: int, sample_rate: int, phase: float
) -> npt.NDArray[np.int64]:
    """Wavetable positions of an oscillator at ``frequency`` starting at ``phase`` (cycles)."""
    step = frequency * TABLE_SIZE / sample_rate
    positions = np.arange(length, dtype=np.float64) * step + phase * TABLE_SIZE
    return positions.astype(np.int64) & _TABLE_MASK


@dataclass(frozen=True)
class PartialGroup:
    """Harmonics that decay together: a cheap stand-in for per-partial decay rates."""

    amplitudes: tuple[float, ...]
    """Amplitude of harmonic ``first``, ``first + 1``, …"""
    decay_per_second: float
    """Exponential decay rate (1/s); 0 sustains."""
    first: int = 1


def decaying_harmonic_tone(
    frequency: float,
    groups: Sequence[PartialGroup],
    length: int,
    sample_rate: int,
    phase: float = 0.0,
    floor: float = 1e-4,
) -> FloatArray:
    """A harmonic tone whose partial groups fade at their own rates, ``length`` samples long.

    Each group is one wavetable read out only while it is above ``floor`` (-80 dB), so fast
    decaying upper partials cost little.
    """
    limit = int(_NYQUIST_MARGIN * sample_rate / frequency)
    indices = table_indices(frequency, length, sample_rate, phase)
    tone = np.zeros(length, np.float32)
    for group in groups:
        count = min(len(group.amplitudes), limit - group.first + 1)
        if count <= 0:
            continue
        amps = np.zeros(group.first - 1 + count)
        amps[group.first - 1 :] = group.amplitudes[:count]
        peak = float(np.sum(np.abs(amps)))
        table = harmonic_table(amps)
        if group.decay_per_second <= 0.0:
            tone += table[indices]
            continue
        life = math.log(max(peak, floor) / floor) / group.decay_per_second
        audible = min(length, int(life * sample_rate) + 1)
        decay = np.exp(
            np.arange(audible, dtype=np.float32) * np.float32(-group.decay_per_second / sample_rate)
        )
        tone[:audible] += table[indices[:audible]] * decay
    return tone


def lowpassed_saw_amplitudes(
    frequency: float, cutoff: float, sample_rate: int
) -> npt.NDArray[np.float64]:
    """Harmonic amplitudes of a sawtooth through a 12 dB/octave low-pass at ``cutoff`` Hz."""
    count = max(1, int(_NYQUIST_MARGIN * sample_rate / frequency))
    k = np.arange(1, count + 1, dtype=np.float64)
    return (1.0 / k) / np.sqrt(1.0 + (k * frequency / cutoff) ** 4)


def note_envelope(
    hold: int,
    release: int,
    attack: int,
    decay_samples: float = 0.0,
    sustain: float = 1.0,
) -> FloatArray:
    """Amplitude envelope of one note: ``hold`` samples keyed, then ``release`` samples of fade.

    A raised-cosine attack over ``attack`` samples, an exponential fall towards ``sustain`` with
    time constant ``decay_samples`` (0 keeps the level), and a quadratic release from wherever
    the level is when the key lifts, so short notes never click.
    """
    n = np.arange(hold + release, dtype=np.float32)
    if decay_samples > 0.0 and sustain < 1.0:
        after_attack = np.maximum(n - attack, 0.0)
        envelope = sustain + (1.0 - sustain) * np.exp(
            after_attack * np.float32(-1.0 / decay_samples)
        )
    else:
        envelope = np.ones_like(n)
    if attack > 0:
        rise = min(attack, hold + release)
        envelope[:rise] *= 0.5 - 0.5 * np.cos(np.pi * n[:rise] / attack)
    if release > 0:
        fade = 1.0 - np.arange(1, release + 1, dtype=np.float32) / release
        envelope[hold:] *= fade * fade
    return envelope.astype(np.float32)


def seconds_to_samples(seconds: float, sample_rate: int) -> int:
    return max(0, round(seconds * sample_rate))


def soft_clip(signal: FloatArray, drive: float) -> FloatArray:
    """An overdriven amplifier: ``tanh`` of the signal pushed by ``drive``, rescaled so a full
    scale input still peaks at 1. The odd harmonics it adds are what makes a guitar 'dirty'."""
    gain = np.float32(drive)
    return (np.tanh(signal * gain) / np.tanh(gain)).astype(np.float32)


def detuned_saw_stack(
    frequency: float,
    length: int,
    sample_rate: int,
    detune_cents: Sequence[float],
    phases: Sequence[float],
    cutoff: float,
) -> FloatArray:
    """Several low-passed sawtooths around ``frequency``, summed (a 'supersaw'): their slow
    beating against each other is the wide, shimmering synth-pop lead."""
    table = harmonic_table(lowpassed_saw_amplitudes(frequency, cutoff, sample_rate))
    out = np.zeros(length, np.float32)
    for cents, phase in zip(detune_cents, phases, strict=True):
        detuned = frequency * 2.0 ** (cents / 1200.0)
        out += table[table_indices(detuned, length, sample_rate, phase)]
    return out / np.float32(math.sqrt(len(detune_cents)))


VINYL_CLICKS_PER_SECOND = 6.0
"""Dust clicks per second on a worn record."""
VINYL_HISS_LEVEL = 0.004
"""Level of the surface hiss (about -48 dBFS): heard in the gaps, never over the music."""
VINYL_HISS_LOOP_SECONDS = 2.3
"""The hiss is one stretch of filtered noise repeated: under music a 2.3 s loop of noise is
not heard as a loop, and it costs a fraction of filtering a whole song's worth."""
VINYL_CLICK_LEVEL = 0.05
VINYL_HISS_BAND_HZ = (900.0, 7000.0)
"""The hiss is band-passed: a record's surface noise has little deep rumble and its top
is rolled off by the stylus."""


def add_vinyl_texture(into: FloatArray, sample_rate: int, rng: np.random.Generator) -> None:
    """Add record-surface noise to ``into`` (``(channels, samples)``, in place, the same on
    every channel as on a mono record): a band-limited hiss plus sparse dust clicks."""
    length = into.shape[-1]
    sos = scipy_signal.butter(2, VINYL_HISS_BAND_HZ, btype="bandpass", fs=sample_rate, output="sos")
    loop = min(length, round(VINYL_HISS_LOOP_SECONDS * sample_rate))
    hiss = scipy_signal.sosfilt(sos, rng.standard_normal(loop, dtype=np.float32))
    hiss = (hiss * VINYL_HISS_LEVEL).astype(np.float32)
    for start in range(0, length, loop):
        stop = min(length, start + loop)
        into[..., start:stop] += hiss[: stop - start]
    clicks = int(rng.poisson(VINYL_CLICKS_PER_SECOND * length / sample_rate))
    shape = np.array([1.0, -0.6, 0.3, -0.1], np.float32)
    positions = rng.integers(0, max(1, length - shape.size), clicks)
    sizes = VINYL_CLICK_LEVEL * rng.random(clicks) ** 2 * rng.choice([-1.0, 1.0], clicks)
    for offset, weight in enumerate(shape):
        for channel in into.reshape(-1, length):
            np.add.at(channel, positions + offset, (sizes * weight).astype(np.float32))
