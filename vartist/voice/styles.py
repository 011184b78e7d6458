"""Singing styles: what ``voice.style`` changes in the builtin singer's tone and dynamics.

Each style is a handful of named traits the singer reads: how much air it adds, how bright the
tone sits, how much a held note swells and brightens as it grows louder (a voice's spectral
tilt flattens with effort: Sundberg, *The Science of the Singing Voice*, ch. 4), how far the
vibrato swings, and how much the chorus is lifted over the verses.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from vartist.lyrics.types import SectionKind

TILT_PIVOT_HZ = 1000.0
"""Tilt leaves the envelope alone below this and turns it by so many dB per octave above: the
first formant region carries the vowel's loudness, the region above its colour."""


@dataclass(frozen=True)
class SingingStyle:
    """One character of the builtin singer; every field is applied on top of the persona's own
    breathiness and vibrato."""

    extra_breathiness: float
    """Air added to the persona's breathiness as a held vowel swells, none at its onset: breath
    leaks into a sustained note, while the attack stays clean (added from the first frame, it
    blurred where Saga's notes begin by more than the 40 ms onset bar)."""
    tilt_db_per_octave: float
    """Static spectral tilt above :data:`TILT_PIVOT_HZ`: positive is brighter."""
    swell_db: float
    """How much louder a held vowel ends than it begins: it opens after the attack."""
    brightening_db_per_octave: float
    """Extra tilt at the height of the swell: louder singing is brighter singing."""
    vibrato_depth_scale: float
    """Scales the persona's vibrato depth."""
    chorus_lift_db: float
    """Level added to chorus lines (half as much to the pre-chorus and bridge): the lift a
    singer gives the hook."""


STYLES: Final = MappingProxyType(
    {
        "clean": SingingStyle(
            extra_breathiness=0.0,
            tilt_db_per_octave=0.0,
            swell_db=1.5,
            brightening_db_per_octave=1.0,
            vibrato_depth_scale=1.0,
            chorus_lift_db=1.5,
        ),
        "breathy": SingingStyle(
            extra_breathiness=0.15,
            tilt_db_per_octave=-1.5,
            swell_db=1.0,
            brightening_db_per_octave=0.5,
            vibrato_depth_scale=0.75,
            chorus_lift_db=1.0,
        ),
        "belt": SingingStyle(
            extra_breathiness=0.0,
            tilt_db_per_octave=1.5,
            swell_db=2.0,
            brightening_db_per_octave=2.0,
            vibrato_depth_scale=1.2,
            chorus_lift_db=2.0,
        ),
    }
)
"""The styles ``voice.style`` names, documented on :class:`vartist.persona.VoiceConfig`."""

SECTION_LIFT_SHARE: Final = MappingProxyType({"chorus": 1.0, "pre-chorus": 0.5, "bridge": 0.5})
"""Share of a style's chorus lift each section kind gets; other sections get none."""


def section_lift_db(style: SingingStyle, kind: SectionKind) -> float:
    return style.chorus_lift_db * SECTION_LIFT_SHARE.get(kind, 0.0)


def octaves_above_pivot(fft_size: int, sample_rate: int) -> npt.NDArray[np.float64]:
    """For each synthesis bin, how many octaves it sits above :data:`TILT_PIVOT_HZ` (0 below)."""
    hz = np.linspace(0.0, sample_rate / 2, fft_size // 2 + 1)
    return np.log2(np.maximum(hz, TILT_PIVOT_HZ) / TILT_PIVOT_HZ)
