"""Timbre morphing: one built-in instrument that sits anywhere between two others.

A persona asks for it per part, ``[arrangement.keys] timbre = "piano:0.3,pad:0.7"`` (or
``--set arrangement.keys.timbre=piano:0.3,pad:0.7``): the part called ``keys`` is played by a
blend that is 30 % piano and 70 % pad. The pipeline writes the blend into the score as the
part's instrument name (:func:`apply_timbres`), so ``song.json`` says what played, and the band
builds it from that name (:func:`instrument_named`).

The blend is one instrument, not two layered: each note has one envelope whose attack,
release, decay and sustain are interpolated between the two instruments', and its tone is the
weighted sum of the two instruments' tones at their own levels. The built-in tones are
harmonic wavetables that start every partial in sine phase, so at one pitch their partials line
up and the sum interpolates each harmonic's amplitude: the spectrum moves from one instrument's
to the other's continuously as the weight goes from 0 to 1 (NSynth interpolates in a learned
embedding instead; with two additive instruments the harmonic amplitudes are the embedding).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import signal as scipy_signal

from vartist.composer.score import Score
from vartist.studio.engine import Instrument, instruments
from vartist.studio.errors import InvalidPartError
from vartist.studio.instruments import TonalInstrument
from vartist.studio.synth import FloatArray

LOUDNESS_WINDOW_SECONDS = 1.0
"""How much of each tone sets its loudness for the blend: the attack and the held part a
listener compares, not a decayed tail."""
MORPH_FRAME = 2048
"""STFT frame of the spectral morph (43 ms at 48 kHz): fine enough in frequency to keep the
partials of a low note apart, short enough to follow a piano's attack."""
MORPH_MAX_GAIN = 4.0
"""The most a spectral cell is raised to reach the blend's power (12 dB): enough for two
partials that half cancel, not enough to lift the residue of a full cancellation."""
WEIGHT_TOLERANCE = 0.01
"""Blend weights must add up to 1 within this (0.33 + 0.67 is fine)."""
_TERM = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*:\s*([0-9]*\.?[0-9]+)\s*$")


class TimbreError(InvalidPartError):
    """A timbre blend names an instrument that cannot blend, or weights that do not add up."""


@dataclass(frozen=True)
class TimbreBlend:
    first: str
    second: str
    weight: float
    """How much of ``second``: 0 is all ``first``, 1 all ``second``."""

    @property
    def name(self) -> str:
        """The blend as an instrument name, in the persona's own notation."""
        return f"{self.first}:{1.0 - self.weight:g},{self.second}:{self.weight:g}"


def is_blend(name: str) -> bool:
    return ":" in name


def parse_timbre(text: str) -> TimbreBlend:
    """``"piano:0.3,pad:0.7"`` → a blend of piano and pad at weight 0.7."""
    terms = [_TERM.match(term) for term in text.split(",")]
    usage = "write two instruments and their weights adding up to 1, like 'piano:0.3,pad:0.7'"
    if len(terms) != 2 or not all(terms):
        raise TimbreError(f"timbre {text!r} is not a blend; {usage}")
    (first, first_weight), (second, second_weight) = (
        (m.group(1), float(m.group(2))) for m in terms if m is not None
    )
    if abs(first_weight + second_weight - 1.0) > WEIGHT_TOLERANCE:
        raise TimbreError(
            f"timbre {text!r}: the weights add up to {first_weight + second_weight:g}; {usage}"
        )
    return TimbreBlend(first, second, second_weight / (first_weight + second_weight))


def _lerp(a: float, b: float, weight: float) -> float:
    return (1.0 - weight) * a + weight * b


class BlendedInstrument(TonalInstrument):
    """Two built-in pitched instruments morphed into one at a weight (see the module)."""

    level = 1.0
    """Each tone comes at its own instrument's level."""

    def __init__(self, blend: TimbreBlend) -> None:
        made = [instruments.get(name)() for name in (blend.first, blend.second)]
        tonal = [m for m in made if isinstance(m, TonalInstrument)]
        if len(tonal) != 2:
            odd = next(
                n
                for n, m in zip((blend.first, blend.second), made, strict=True)
                if not isinstance(m, TonalInstrument)
            )
            raise TimbreError(
                f"timbre {blend.name!r}: {odd!r} is not a pitched built-in instrument and "
                "cannot be blended; blend two of piano, pad, pluck, bass, …"
            )
        self._first, self._second = tonal
        self._weight = weight = blend.weight
        # one envelope per note, between the two instruments' own
        self.attack_seconds = _lerp(self._first.attack_seconds, self._second.attack_seconds, weight)
        self.release_seconds = _lerp(
            self._first.release_seconds, self._second.release_seconds, weight
        )
        self.decay_seconds = _lerp(self._first.decay_seconds, self._second.decay_seconds, weight)
        self.sustain = _lerp(self._first.sustain, self._second.sustain, weight)
        self.stereo = self._first.stereo or self._second.stereo

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        """The weighted sum of both instruments' tones at ``pitch``, each at its own level."""
        tones = [
            instrument.tone(pitch, length, sample_rate, rng)
            for instrument in (self._first, self._second)
        ]
        if self.stereo:
            tones = [np.broadcast_to(t, (2, length)) for t in tones]
        window = max(1, min(length, round(LOUDNESS_WINDOW_SECONDS * sample_rate)))
        rms = [max(float(np.sqrt(np.mean(t[..., :window] ** 2))), 1e-9) for t in tones]
        # the blend's loudness moves between the two instruments' own
        loudness = _lerp(self._first.level * rms[0], self._second.level * rms[1], self._weight)
        equal = [t * np.float32(1.0 / r) for t, r in zip(tones, rms, strict=True)]
        return (morph_spectra(equal[0], equal[1], self._weight) * np.float32(loudness)).astype(
            np.float32
        )


def morph_spectra(first: FloatArray, second: FloatArray, weight: float) -> FloatArray:
    """A sound whose short-time power spectrum is ``1 - weight`` of ``first``'s plus ``weight``
    of ``second``'s, in every time-frequency cell.

    Summing the two waves would not do it: where both have a partial at one frequency (two
    harmonic tones at one pitch) the partials interfere, and the result depends on their
    phases. Here the summed wave keeps its phase and each cell's magnitude is set to the
    interpolated power, so the spectrum moves evenly with the weight. Where the two waves all
    but cancel, the gain is capped (:data:`MORPH_MAX_GAIN`) rather than amplify what is left.
    """
    if weight <= 0.0:
        return first
    if weight >= 1.0:
        return second
    length = first.shape[-1]
    # a Hann window at half overlap adds up to a constant, so istft rebuilds the wave exactly
    stft = {"nperseg": MORPH_FRAME, "noverlap": MORPH_FRAME // 2, "boundary": "even"}
    _, _, a = scipy_signal.stft(first, **stft)
    _, _, b = scipy_signal.stft(second, **stft)
    power = (1.0 - weight) * (a.real**2 + a.imag**2) + weight * (b.real**2 + b.imag**2)
    summed = np.float32(np.sqrt(1.0 - weight)) * a + np.float32(np.sqrt(weight)) * b
    size = np.abs(summed)
    gain = np.minimum(np.sqrt(power) / np.maximum(size, 1e-12), MORPH_MAX_GAIN)
    _, wave = scipy_signal.istft(summed * gain, **stft)
    out = np.zeros_like(first)
    out[..., : min(length, wave.shape[-1])] = wave[..., :length]
    return out


def instrument_named(name: str) -> Instrument:
    """The instrument a score part names: a registered one, or a blend such as
    ``"piano:0.3,pad:0.7"``."""
    if is_blend(name):
        return BlendedInstrument(parse_timbre(name))
    return instruments.get(name)()


def apply_timbres(score: Score, timbres: Mapping[str, Any]) -> Score:
    """``score`` with each part named in ``timbres`` (part name → a section with a ``timbre``
    blend) played by that blend; parts the song does not have (genres differ in their parts)
    are left out. Every blend is checked here, before anything renders."""
    if not timbres:
        return score
    parts = []
    for part in score.parts:
        settings = timbres.get(part.name)
        timbre = getattr(settings, "timbre", "") if settings is not None else ""
        if timbre:
            blend = parse_timbre(timbre)
            BlendedInstrument(blend)  # an unknown or unblendable instrument fails now
            part = replace(part, instrument=blend.name)
        parts.append(part)
    return replace(score, parts=tuple(parts))
