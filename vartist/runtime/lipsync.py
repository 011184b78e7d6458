"""The mouth of a singing avatar, from the phoneme timeline (never from loudness).

Each phoneme's viseme class gives a target pose: how far the mouth opens and how far the lips
spread (an "ee") or round (an "oo"). Targets are placed a little before the sound, because a
mouth shapes a vowel before it is heard, and then smoothed by a fast-opening, slower-closing
filter, which is what makes consecutive shapes blend (co-articulation) instead of snapping.
The result is a curve sampled at :data:`TRACK_RATE_HZ` that a performer reads at any audio
position.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from vartist.timeline import Timeline
from vartist.voice.visemes import mouth_open

TRACK_RATE_HZ = 200
ANTICIPATION_SECONDS = 0.04
"""Lips move this far ahead of the sound they make (about one video frame)."""
OPEN_SECONDS = 0.025
"""Time constant of the mouth opening: jaws open fast on a vowel onset."""
CLOSE_SECONDS = 0.06
"""Time constant of the mouth closing: slower, so a short consonant does not slam it shut."""

# How spread (1) or rounded (0) the lips are for each class; 0.5 is relaxed. VTube Studio's
# MouthSmile input reads the same way.
_SPREAD: Mapping[str, float] = MappingProxyType(
    {
        "E": 0.75,
        "ih": 0.85,
        "SS": 0.65,
        "CH": 0.35,
        "ou": 0.1,
        "oh": 0.25,
        "RR": 0.35,
        "FF": 0.55,
    }
)
NEUTRAL_SPREAD = 0.5


@dataclass(frozen=True)
class MouthPose:
    open: float
    """0 closed to 1 wide open."""
    spread: float
    """0 rounded ("oo"), 0.5 relaxed, 1 spread ("ee")."""


@dataclass(frozen=True)
class MouthTrack:
    """The mouth's pose over the whole song, sampled at :data:`TRACK_RATE_HZ`."""

    openness: npt.NDArray[np.float32]
    spread: npt.NDArray[np.float32]

    @property
    def duration(self) -> float:
        return len(self.openness) / TRACK_RATE_HZ

    def at(self, seconds: float) -> MouthPose:
        index = min(max(0, round(seconds * TRACK_RATE_HZ)), len(self.openness) - 1)
        return MouthPose(float(self.openness[index]), float(self.spread[index]))


def _smooth(targets: npt.NDArray[np.float64], neutral: float) -> npt.NDArray[np.float32]:
    """Follow ``targets`` with an opening and a closing time constant (relative to neutral)."""
    opening = 1.0 - math.exp(-1.0 / (OPEN_SECONDS * TRACK_RATE_HZ))
    closing = 1.0 - math.exp(-1.0 / (CLOSE_SECONDS * TRACK_RATE_HZ))
    out = np.empty(len(targets), np.float32)
    value = neutral
    for index, target in enumerate(targets):
        moving_out = abs(target - neutral) > abs(value - neutral)
        value += (target - value) * (opening if moving_out else closing)
        out[index] = value
    return out


def mouth_track(timeline: Timeline, duration: float) -> MouthTrack:
    """The mouth curve for a song of ``duration`` seconds from its phoneme events."""
    samples = max(1, math.ceil(duration * TRACK_RATE_HZ))
    openness = np.zeros(samples, np.float64)
    spread = np.full(samples, NEUTRAL_SPREAD, np.float64)
    for event in timeline.of("phoneme"):
        first = max(0, round((event.start - ANTICIPATION_SECONDS) * TRACK_RATE_HZ))
        last = min(samples, round((event.end - ANTICIPATION_SECONDS) * TRACK_RATE_HZ))
        if last <= first:
            continue
        openness[first:last] = mouth_open(event.viseme or "sil")
        spread[first:last] = _SPREAD.get(event.viseme, NEUTRAL_SPREAD)
    return MouthTrack(_smooth(openness, 0.0), _smooth(spread, NEUTRAL_SPREAD))
