"""The built-in drum kit: every General MIDI percussion sound it knows, synthesised.

Each kit piece is a short mono one-shot made from a pitched sine sweep, filtered noise or a few
partials, normalised to a peak of 1 and placed in the stereo field the way a drummer's kit sits
(hats and ride to the right, crash to the left, kick and snare in the middle). Noisy pieces get
a few variants so repeated hits do not sound like a machine gun.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy import signal

from vartist.studio.synth import FloatArray, pan_gains

Synthesizer = Callable[[int, np.random.Generator], FloatArray]
"""(sample_rate, rng) → one mono hit."""


@dataclass(frozen=True)
class KitPiece:
    name: str
    synthesize: Synthesizer
    level: float
    """Peak level of a hit at full velocity."""
    pan: float
    variants: int = 1
    """How many takes of the sound to make; noisy sounds want several."""
    choke_group: str | None = None
    """A hit in the same group cuts this one short (an open hat closed by the pedal)."""


def _time(seconds: float, sample_rate: int) -> FloatArray:
    return (np.arange(round(seconds * sample_rate)) / sample_rate).astype(np.float32)


def _decay(t: FloatArray, seconds: float) -> FloatArray:
    return np.exp(t * np.float32(-1.0 / seconds))


def _noise(rng: np.random.Generator, count: int) -> FloatArray:
    return rng.standard_normal(count).astype(np.float32)


def _filtered(
    noise: FloatArray,
    sample_rate: int,
    kind: str,
    cutoff: float | tuple[float, float],
    order: int = 2,
) -> FloatArray:
    sos = signal.butter(order, cutoff, btype=kind, fs=sample_rate, output="sos")
    return signal.sosfilt(sos, noise).astype(np.float32)


def _swept_sine(
    t: FloatArray, sample_rate: int, start_hz: float, end_hz: float, sweep_seconds: float
) -> FloatArray:
    frequency = end_hz + (start_hz - end_hz) * _decay(t, sweep_seconds)
    phase = np.cumsum(frequency, dtype=np.float64) * (2.0 * math.pi / sample_rate)
    return np.sin(phase).astype(np.float32)


def _finish(hit: FloatArray, sample_rate: int) -> FloatArray:
    """A 0.5 ms fade-in and 5 ms fade-out so no hit starts or ends with a click; peak 1."""
    hit = hit.astype(np.float32, copy=True)
    fade_in = max(1, sample_rate // 2000)
    fade_out = min(len(hit), max(1, sample_rate // 200))
    hit[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    hit[-fade_out:] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    peak = float(np.max(np.abs(hit)))
    return hit / np.float32(peak) if peak > 0 else hit


def _kick(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.5, sample_rate)
    body = _swept_sine(t, sample_rate, 150.0, 47.0, 0.035) * _decay(t, 0.22)
    # the beater's click: brief and quiet, so nearly all the energy stays under 150 Hz
    click = np.sin(2.0 * np.pi * 1400.0 * t) * _decay(t, 0.0015) * np.float32(0.12)
    return _finish(body + click, sample_rate)


def _snare(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.35, sample_rate)
    shell = np.sin(2.0 * np.pi * 188.0 * t) * _decay(t, 0.06) * np.float32(0.6)
    shell += np.sin(2.0 * np.pi * 331.0 * t) * _decay(t, 0.04) * np.float32(0.3)
    wires = _filtered(_noise(rng, len(t)), sample_rate, "bandpass", (1800.0, 9000.0))
    return _finish(shell + wires * _decay(t, 0.11) * np.float32(0.9), sample_rate)


def _rim(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.08, sample_rate)
    knock = np.sin(2.0 * np.pi * 1650.0 * t) * _decay(t, 0.009)
    tick = _filtered(_noise(rng, len(t)), sample_rate, "highpass", 3000.0) * _decay(t, 0.004)
    return _finish(knock + tick * np.float32(0.5), sample_rate)


def _clap(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.3, sample_rate)
    envelope = np.zeros_like(t)
    # a clap is several hands a few milliseconds apart, then the room
    for offset in (0.0, 0.009, 0.019):
        late = np.maximum(t - np.float32(offset), 0.0) * (t >= offset)
        envelope += (t >= offset) * _decay(late, 0.005)
    tail_start = np.float32(0.028)
    envelope += (t >= tail_start) * _decay(np.maximum(t - tail_start, 0.0), 0.08) * np.float32(0.8)
    noise = _filtered(_noise(rng, len(t)), sample_rate, "bandpass", (900.0, 4000.0))
    return _finish(noise * envelope, sample_rate)


def _hat(seconds: float, ring: float) -> Synthesizer:
    def synthesize(sample_rate: int, rng: np.random.Generator) -> FloatArray:
        t = _time(seconds, sample_rate)
        noise = _filtered(_noise(rng, len(t)), sample_rate, "highpass", 7000.0, order=4)
        return _finish(noise * _decay(t, ring), sample_rate)

    return synthesize


def _cymbal(seconds: float, ring: float, cutoff: float, bell: tuple[float, ...]) -> Synthesizer:
    def synthesize(sample_rate: int, rng: np.random.Generator) -> FloatArray:
        t = _time(seconds, sample_rate)
        wash = _filtered(_noise(rng, len(t)), sample_rate, "highpass", cutoff, order=2)
        hit = wash * _decay(t, ring)
        for partial in bell:
            hit += np.sin(2.0 * np.pi * partial * t) * _decay(t, ring * 0.6) * np.float32(0.08)
        return _finish(hit, sample_rate)

    return synthesize


def _tom(end_hz: float) -> Synthesizer:
    def synthesize(sample_rate: int, rng: np.random.Generator) -> FloatArray:
        t = _time(0.7, sample_rate)
        body = _swept_sine(t, sample_rate, end_hz * 1.6, end_hz, 0.05) * _decay(t, 0.3)
        skin = _filtered(_noise(rng, len(t)), sample_rate, "bandpass", (400.0, 4000.0))
        return _finish(body + skin * _decay(t, 0.025) * np.float32(0.25), sample_rate)

    return synthesize


def _tambourine(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.3, sample_rate)
    jingles = _filtered(_noise(rng, len(t)), sample_rate, "highpass", 6500.0, order=4)
    shimmer = 1.0 + 0.5 * np.sin(2.0 * np.pi * 38.0 * t)
    return _finish(jingles * _decay(t, 0.09) * shimmer, sample_rate)


def _cowbell(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.4, sample_rate)
    tone = np.zeros_like(t)
    for base in (562.0, 845.0):  # the two detuned plates of a cowbell
        for harmonic in (1, 3, 5):
            tone += np.sin(2.0 * np.pi * base * harmonic * t) / np.float32(harmonic)
    return _finish(tone * _decay(t, 0.085), sample_rate)


def _shaker(sample_rate: int, rng: np.random.Generator) -> FloatArray:
    t = _time(0.15, sample_rate)
    grains = _filtered(_noise(rng, len(t)), sample_rate, "highpass", 6000.0, order=4)
    swell = (1.0 - _decay(t, 0.008)) * _decay(t, 0.045)
    return _finish(grains * swell, sample_rate)


_TOM_HZ = {41: 82.0, 43: 98.0, 45: 112.0, 47: 132.0, 48: 150.0, 50: 176.0}


def _build_kit() -> Mapping[int, KitPiece]:
    kick = KitPiece("kick", _kick, 1.0, 0.0)
    snare = KitPiece("snare", _snare, 0.8, 0.0, variants=4)
    closed_hat = KitPiece("closed hat", _hat(0.15, 0.028), 0.36, 0.3, 4, "hat")
    pedal_hat = KitPiece("pedal hat", _hat(0.1, 0.018), 0.28, 0.3, 3, "hat")
    open_hat = KitPiece("open hat", _hat(0.9, 0.3), 0.36, 0.3, 3, "hat")
    crash = KitPiece("crash", _cymbal(2.8, 0.9, 3500.0, ()), 0.42, -0.4, 2)
    ride = KitPiece("ride", _cymbal(1.6, 0.5, 5000.0, (2680.0, 3970.0, 5210.0)), 0.3, 0.45, 3)
    kit: dict[int, KitPiece] = {
        35: kick,
        36: kick,
        37: KitPiece("side stick", _rim, 0.5, 0.0, 3),
        38: snare,
        39: KitPiece("clap", _clap, 0.65, 0.0, 4),
        40: snare,
        42: closed_hat,
        44: pedal_hat,
        46: open_hat,
        49: crash,
        51: ride,
        52: crash,
        53: ride,
        54: KitPiece("tambourine", _tambourine, 0.3, 0.5, 3),
        55: crash,
        56: KitPiece("cowbell", _cowbell, 0.35, -0.2),
        57: crash,
        59: ride,
        69: KitPiece("cabasa", _shaker, 0.25, -0.45, 3),
        70: KitPiece("maracas", _shaker, 0.25, -0.45, 3),
    }
    for number, end_hz in _TOM_HZ.items():
        # high toms to the left, floor tom to the right, as the audience sees the kit
        pan = 0.35 - 0.7 * (number - 41) / 9
        kit[number] = KitPiece(f"tom {number}", _tom(end_hz), 0.8, pan, 2)
    return MappingProxyType(kit)


GM_KIT: Mapping[int, KitPiece] = _build_kit()
"""General MIDI percussion number → the kit piece that plays it."""


def render_piece(piece: KitPiece, sample_rate: int, rng: np.random.Generator) -> list[FloatArray]:
    """The piece's variants as stereo ``(2, samples)`` hits at full velocity."""
    left, right = pan_gains(piece.pan)
    gains = np.array([[left], [right]], np.float32) * np.float32(piece.level)
    return [gains * piece.synthesize(sample_rate, rng)[None, :] for _ in range(piece.variants)]
