"""The sung pitch track: the score's notes as a continuous F0 curve, one value per frame.

Notes become steps; connected notes glide into each other over a short raised-cosine centred on
the boundary (a singer's legato); a phrase's first note is approached from just below; held
notes gain vibrato after the persona's onset delay, each note with its own delay, rate and
depth; legato leaps are prepared by a small dip the other way and overshoot the new note
briefly; a slow seeded drift and a tiny jitter keep
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
VIBRATO_RAMP_SECONDS = 0.35
"""Vibrato grows to full depth over this time, as a singer's does, rather than switching on."""
VIBRATO_ONSET_SPREAD = 0.25
"""Relative spread of the vibrato's delay from note to note (clipped to ±50%): a singer lets it
in when the note has settled, never on a metronome."""
VIBRATO_RATE_SPREAD = 0.04
"""Relative spread of the vibrato rate between notes (trained singers vary by a few tenths of a
hertz around 5.5 Hz); drawn per note and clipped to twice this, so a note keeps the persona's
character."""
VIBRATO_DEPTH_SPREAD = 0.15
"""Relative spread of the vibrato depth between notes, clipped to twice this."""
VIBRATO_RATE_WOBBLE = 0.04
"""Within a note the rate drifts by this share, one slow sine cycle over the note (so its
average stays the note's rate): a real vibrato is never a pure tone."""
VIBRATO_FULL_DEPTH_SECONDS = 1.2
"""Notes held this long swing at the full depth; shorter held notes less, down to half."""
LEAP_SEMITONES = 3
"""Legato intervals of a minor third or more are prepared and overshot."""
PREPARATION_SEMITONES = 0.15
"""Before a leap the voice first dips this far the other way..."""
PREPARATION_SECONDS = 0.06
"""...over this time, ending where the glide begins."""
OVERSHOOT_SHARE = 0.08
"""After a leap the voice lands past the new note by this share of the interval..."""
OVERSHOOT_MAX_SEMITONES = 0.25
"""...never by more than a quarter tone, well inside the 50-cent band a note counts as reached..."""
OVERSHOOT_SECONDS = 0.08
"""...and eases back onto it over this time after the glide."""
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
    times = np.arange(frame_count, dtype=np.float64) * frame_seconds
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

    _leap_ornaments(track, notes, glide_out, times, frame_seconds)

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
        track += _vibrato(notes, glide_out, times, frame_seconds, vibrato, rng)
    return track


def _leap_ornaments(
    track: npt.NDArray[np.float64],
    notes: Sequence[PitchedNote],
    glide_out: npt.NDArray[np.float64],
    times: npt.NDArray[np.float64],
    frame_seconds: float,
) -> None:
    """Preparation before and overshoot after each legato leap, in place: the voice leans
    away from a big interval before taking it and lands a little past the new note."""
    frame_count = times.size
    for i in range(1, len(notes)):
        note, previous = notes[i], notes[i - 1]
        interval = note.pitch - previous.pitch
        if not note.legato or abs(interval) < LEAP_SEMITONES:
            continue
        direction = float(np.sign(interval))
        half_glide = float(glide_out[i - 1])
        glide_start = note.start - half_glide
        prep_start = max(
            previous.start + 0.5 * (previous.end - previous.start),
            glide_start - PREPARATION_SECONDS,
        )
        first = max(0, int(np.ceil(prep_start / frame_seconds)))
        last = min(frame_count, int(np.ceil(glide_start / frame_seconds)))
        if last > first and glide_start > prep_start:
            progress = (times[first:last] - prep_start) / (glide_start - prep_start)
            track[first:last] -= direction * PREPARATION_SEMITONES * np.sin(np.pi * progress)
        amount = min(OVERSHOOT_MAX_SEMITONES, OVERSHOOT_SHARE * abs(interval))
        settle = min(OVERSHOOT_SECONDS, 0.4 * (note.end - note.start))
        glide_end = note.start + half_glide
        first = max(0, int(np.ceil(glide_start / frame_seconds)))
        last = min(frame_count, int(np.ceil((glide_end + settle) / frame_seconds)))
        if last <= first or settle <= 0:
            continue
        # grows with the glide to its peak where the glide ends, then eases back over ``settle``
        since = times[first:last] - glide_start
        rise = np.clip(since / max(2 * half_glide, frame_seconds), 0.0, 1.0)
        fall = np.clip((since - 2 * half_glide) / settle, 0.0, 1.0)
        shape = np.sin(np.pi / 2 * rise) * (1.0 + np.cos(np.pi * fall)) / 2.0
        track[first:last] += direction * amount * shape


def _vibrato(
    notes: Sequence[PitchedNote],
    glide_out: npt.NDArray[np.float64],
    times: npt.NDArray[np.float64],
    frame_seconds: float,
    vibrato: Vibrato,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Vibrato in semitones for every frame: each note draws its own delay, rate and depth
    around the persona's, the depth grows in after the delay and with the note's length, and
    the rate drifts a little within the note."""
    sway = np.zeros(times.size)
    for i, note in enumerate(notes):
        rate_draw, depth_draw, delay_draw, wobble_phase = rng.standard_normal(4)
        rate = vibrato.rate_hz * (1.0 + _clipped_spread(rate_draw, VIBRATO_RATE_SPREAD))
        depth = (
            vibrato.depth_cents / 100.0 * (1.0 + _clipped_spread(depth_draw, VIBRATO_DEPTH_SPREAD))
        )
        delay = vibrato.onset_s * (
            1.0 + float(np.clip(VIBRATO_ONSET_SPREAD * delay_draw, -0.5, 0.5))
        )
        begin = note.start + delay
        end = note.end - glide_out[i]
        if end - begin < 1.0 / rate:
            continue  # too short to hold: no vibrato
        depth *= 0.5 + 0.5 * min(1.0, (note.end - note.start) / VIBRATO_FULL_DEPTH_SECONDS)
        first = int(np.ceil(begin / frame_seconds))
        last = min(times.size, int(np.ceil(end / frame_seconds)))
        since = times[first:last] - begin
        ramp = (1.0 - np.cos(np.pi * np.clip(since / VIBRATO_RAMP_SECONDS, 0.0, 1.0))) / 2.0
        drifting = rate * (
            1.0 + VIBRATO_RATE_WOBBLE * np.sin(2.0 * np.pi * since / (end - begin) + wobble_phase)
        )
        phase = 2.0 * np.pi * (np.cumsum(drifting) - drifting[:1]) * frame_seconds
        sway[first:last] += depth * ramp * np.sin(phase)
    return sway


def _clipped_spread(draw: float, spread: float) -> float:
    """A standard normal draw scaled to a relative spread, clipped to twice the spread."""
    return float(np.clip(spread * draw, -2.0 * spread, 2.0 * spread))
