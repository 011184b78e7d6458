"""The sung pitch track: the score's notes as a continuous F0 curve, one value per frame.

Notes become steps; connected notes glide into each other over a short raised-cosine centred on
the boundary (a singer's legato); a phrase's first note is approached from just below; held
notes gain vibrato after the persona's onset delay; a slow seeded drift and a tiny jitter keep
the line from sounding machine-flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vartist.persona import Vibrato

GLIDE_SECONDS = (0.040, 0.060)
"""Portamento length for a step of a tone and for an octave or more; in between, linear."""
VIBRATO_RAMP_SECONDS = 0.2
"""Vibrato grows to full depth over this time, as a singer's does, rather than switching on."""
SCOOP_SEMITONES = 1.0
SCOOP_RISE_SECONDS = 0.04
"""Voiced consonants before a phrase's first vowel are sung from a semitone below, rising to the
note in the last 40 ms, as singers approach a note: the note itself arrives with its vowel."""
SCOOP_MAX_SECONDS = 0.15
DRIFT_KNOT_SECONDS = 0.25
DRIFT_CENTS = 3.0
JITTER_CENTS = 1.0


@dataclass(frozen=True)
class PitchedNote:
    """A note in seconds, as the pitch track needs it."""

    start: float
    end: float
    pitch: int
    """MIDI note number."""
    legato: bool
    """True when the note follows the previous one without a rest: the voice glides in."""


def glide_seconds(interval: float) -> float:
    short, long = GLIDE_SECONDS
    return short + (long - short) * min(1.0, abs(interval) / 12.0)


def sung_pitch_track(
    notes: Sequence[PitchedNote],
    frame_count: int,
    frame_seconds: float,
    vibrato: Vibrato,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Fractional MIDI pitch for each frame. Frames in a rest carry the next note's pitch, so
    consonants sung before a phrase's first beat are already on it."""
    times = np.arange(frame_count) * frame_seconds
    if not notes:
        return np.zeros(frame_count)
    pitches = np.array([n.pitch for n in notes], dtype=np.float64)
    switches = np.array(
        [n.start if (i == 0 or n.legato) else notes[i - 1].end for i, n in enumerate(notes)]
    )
    switches[0] = -np.inf
    current = np.searchsorted(switches, times, side="right") - 1
    track = pitches[np.clip(current, 0, len(notes) - 1)]

    # Slow drift and tiny jitter come first so the per-note draws below keep their order.
    knots = int(np.ceil(frame_count * frame_seconds / DRIFT_KNOT_SECONDS)) + 2
    drift = rng.normal(0.0, DRIFT_CENTS / 100.0, knots)
    track = track + np.interp(times, np.arange(knots) * DRIFT_KNOT_SECONDS, drift)
    track = track + rng.normal(0.0, JITTER_CENTS / 100.0, frame_count)

    glide_out = np.zeros(len(notes))
    for i in range(1, len(notes)):
        note, previous = notes[i], notes[i - 1]
        interval = note.pitch - previous.pitch
        if not note.legato or interval == 0:
            continue
        width = min(
            glide_seconds(interval),
            0.8 * (note.end - note.start),
            0.8 * (previous.end - previous.start),
        )
        glide_out[i - 1] = width / 2
        first = int(np.ceil((note.start - width / 2) / frame_seconds))
        last = min(frame_count, int(np.ceil((note.start + width / 2) / frame_seconds)))
        if last <= max(first, 0):
            continue
        first = max(first, 0)
        progress = (times[first:last] - (note.start - width / 2)) / width
        shape = (1.0 - np.cos(np.pi * np.clip(progress, 0.0, 1.0))) / 2.0
        # replace the step, keeping the drift and jitter already added
        track[first:last] += previous.pitch + interval * shape - pitches[current[first:last]]

    for i, note in enumerate(notes):
        if note.legato:
            continue
        lead_in = min(SCOOP_MAX_SECONDS, note.start - (notes[i - 1].end if i else 0.0))
        first = max(0, int(np.ceil((note.start - lead_in) / frame_seconds)))
        last = min(frame_count, int(np.ceil(note.start / frame_seconds)))
        if last > first:
            before = (note.start - times[first:last]) / SCOOP_RISE_SECONDS
            track[first:last] -= SCOOP_SEMITONES * np.clip(before, 0.0, 1.0)

    if vibrato.depth_cents > 0 and vibrato.rate_hz > 0:
        for i, note in enumerate(notes):
            rate = vibrato.rate_hz * (1.0 + 0.03 * rng.standard_normal())
            depth = vibrato.depth_cents / 100.0 * (1.0 + 0.1 * rng.standard_normal())
            begin = note.start + vibrato.onset_s
            end = note.end - glide_out[i]
            if end - begin < 1.0 / rate:
                continue  # too short to hold: no vibrato
            first = int(np.ceil(begin / frame_seconds))
            last = min(frame_count, int(np.ceil(end / frame_seconds)))
            since = times[first:last] - begin
            ramp = (1.0 - np.cos(np.pi * np.clip(since / VIBRATO_RAMP_SECONDS, 0.0, 1.0))) / 2.0
            track[first:last] += depth * ramp * np.sin(2.0 * np.pi * rate * since)
    return track
