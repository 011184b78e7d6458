"""Sung audio back to notes: F0 tracking, voicing, note segmentation, MIDI out.

The passes, each its own function:

1. :func:`track_f0` — WORLD's DIO refined by StoneMask on a 16 kHz copy (harvest is steadier
   but ~20x slower: 20 s for a 95 s vocal on this machine, DIO under 1 s), with each frame's
   level in dB and its spectral flux;
2. voicing — a frame is sung when DIO finds a period *and* its level is within
   :data:`VOICED_FLOOR_DB` of the loudest frames (breath and reverb tails are quieter);
   :func:`_voiced_runs` bridges DIO's dropouts inside loud vowels;
3. :func:`segment_notes` — a note starts where the vowel of a voiced run opens
   (:func:`_vowel_onset`: singers put consonants before the beat and the vowel on it), where
   the pitch settles more than :data:`PITCH_CHANGE_SEMITONES` away from the note being held
   (vibrato swings less), or at a level dip between two syllables on one pitch, moved to the
   strongest spectral change just after it (:func:`_refined`);
4. each note's pitch is the median of its frames, rounded to the semitone, with octave slips
   of the tracker folded back (:func:`_fold_octave_slips`).

Measured on the embedded singer's own vocal stems (onset within 50 ms, pitch within a
semitone): 91.5 % of 118 notes (Nova, ``examples/lyrics-own.txt``, seed 3) and 96.3 % of 218
(Kit, "driving home at dawn", seed 1); most misses are notes opened by a dark voiced consonant
("l", "w", "j") whose onset still lands on the consonant, 55-95 ms before the vowel.
``benchmarks/transcription.py`` compares it with basic-pitch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt

from vartist.composer.errors import ComposerError
from vartist.composer.export import save_note_track

ANALYSIS_RATE = 16_000
"""DIO needs no more than the voice's harmonics below 8 kHz; a 16 kHz copy is 3x faster."""
FRAME_SECONDS = 0.005
F0_FLOOR_HZ = 65.0
F0_CEIL_HZ = 1050.0
"""C2 to C6: every range the persona schema allows, with room either side."""
VOICED_FLOOR_DB = -35.0
"""Frames quieter than this below the 95th-percentile level are breath, reverb or silence."""
PITCH_CHANGE_SEMITONES = 0.6
"""A new note when the pitch sits this far from the held one; vibrato (≤ 50 cents deep in any
persona) never reaches it, a semitone step always does."""
PITCH_CHANGE_HOLD_SECONDS = 0.03
"""...for at least this long, so a scoop or a glide's midpoint does not split a note."""
ONSET_DIP_DB = 6.0
"""A level dip this deep between two louder stretches on one pitch is a new syllable."""
ONSET_RISE_DB = 6.0
"""A vowel has opened when the level is this close to the syllable's peak."""
ONSET_DIP_LOOKBACK_SECONDS = 0.15
"""How far back the louder stretch before a dip may lie: a sung "n" or "m" holds a low
plateau for up to this long."""
ONSET_DIP_WINDOW_SECONDS = 0.13
"""How soon after a dip the next syllable must be louder again."""
FLUX_WINDOW = 512
"""32 ms at 16 kHz: a vowel's formants resolved, a consonant's burst not smeared."""
FLUX_BAND_HZ = (1000.0, 4000.0)
"""The band the flux is measured in: where a vowel's second and third formants rise out of a
consonant. A sung "l", "w", "j" or "m" is dark, so it barely moves this band, while the whole
spectrum jumps where it starts after a silence and would pull the onset onto the consonant."""
ONSET_REFINE_SECONDS = 0.06
"""A syllable found by its level dip starts at the strongest spectral change this soon after:
a sung "w", "l" or "r" is as loud as the vowel it leads into."""
MIN_NOTE_SECONDS = 0.05
"""Shorter fragments are consonant transitions or tracking glitches, not notes."""
MAX_LOUD_GAP_SECONDS = 0.1
VOWEL_LEVEL_DB = 12.0
"""Unvoiced frames within this of the 95th-percentile level are a vowel DIO lost, not a
consonant (sung consonants sit lower); gaps of them up to MAX_LOUD_GAP_SECONDS are bridged."""
MAX_VOICING_GAP_SECONDS = 0.03
"""Unvoiced holes this short are tracker dropouts or a voiced consonant ("v", "n") the tracker
missed, not rests; the level dip still finds the syllable."""
OCTAVE_SLIP_SEMITONES = 10
"""A leap out and back of at least this much is an F0 octave error (a real melody's leaps
out and back stay within a seventh)."""
STRETCH_GAP_SECONDS = 0.06
"""Notes of one pitch this close together are judged together for an octave slip."""
MIDI_TICKS_PER_BEAT = 480
MIDI_TEMPO_BPM = 120.0
"""Transcribed MIDI carries real time; at 120 bpm one beat is half a second."""


class TranscriptionError(ComposerError):
    """The recording cannot be read or holds nothing sung."""


@dataclass(frozen=True)
class F0Track:
    times: npt.NDArray[np.float64]
    """Seconds, one frame every :data:`FRAME_SECONDS`."""
    midi: npt.NDArray[np.float64]
    """Fractional MIDI pitch; NaN where unvoiced."""
    level_db: npt.NDArray[np.float64]
    """RMS level of each frame, dB full scale."""
    flux: npt.NDArray[np.float64]
    """How much the spectrum's shape grows from the frame before (log-magnitude flux)."""


@dataclass(frozen=True)
class TranscribedNote:
    start: float
    """Seconds from the start of the recording."""
    end: float
    pitch: int
    """MIDI note number: the median of the note's frames."""
    velocity: int


def read_recording(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """The recording's samples as mono float64 and its sample rate."""
    import soundfile

    if not path.is_file():
        raise TranscriptionError(f"cannot read {path}: no such file; pass a WAV of a sung voice")
    try:
        samples, rate = soundfile.read(path, dtype="float64", always_2d=True)
    except (soundfile.LibsndfileError, OSError, RuntimeError) as exc:
        raise TranscriptionError(
            f"cannot read {path} as audio ({exc}); pass a WAV or FLAC of a sung voice"
        ) from None
    if len(samples) == 0:
        raise TranscriptionError(f"{path} holds no audio; pass a recording of a sung voice")
    return samples.mean(axis=1), int(rate)


def track_f0(samples: npt.NDArray[np.float64], sample_rate: int) -> F0Track:
    """F0 and level per 5 ms frame (pass 1 and 2: unvoiced and quiet frames are NaN)."""
    import pyworld
    import soxr

    x = np.ascontiguousarray(soxr.resample(samples, sample_rate, ANALYSIS_RATE), np.float64)
    f0, times = pyworld.dio(
        x, ANALYSIS_RATE, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=FRAME_SECONDS * 1e3
    )
    f0 = pyworld.stonemask(x, f0, times, ANALYSIS_RATE)
    half = round(FRAME_SECONDS * ANALYSIS_RATE)
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    centres = np.round(times * ANALYSIS_RATE).astype(np.intp)
    lo, hi = np.clip(centres - half, 0, len(x)), np.clip(centres + half, 0, len(x))
    power = (energy[hi] - energy[lo]) / np.maximum(hi - lo, 1)
    level_db = 10.0 * np.log10(np.maximum(power, 1e-12))
    loud = float(np.percentile(level_db, 95))
    voiced = (f0 > 0) & (level_db > loud + VOICED_FLOOR_DB)
    midi = np.full(len(f0), np.nan)
    midi[voiced] = 69.0 + 12.0 * np.log2(f0[voiced] / 440.0)
    return F0Track(times, midi, level_db, _spectral_flux(x, len(times)))


def _spectral_flux(x: npt.NDArray[np.float64], frames: int) -> npt.NDArray[np.float64]:
    """Per frame, the summed rise of the log-magnitude spectrum in :data:`FLUX_BAND_HZ` since
    the frame before: a consonant turning into a vowel changes the spectrum's shape even where
    the level holds."""
    hop = round(FRAME_SECONDS * ANALYSIS_RATE)
    padded = np.pad(x, (FLUX_WINDOW // 2, FLUX_WINDOW))
    count = frames
    starts = np.arange(count) * hop
    window = np.hanning(FLUX_WINDOW)
    segments = padded[starts[:, None] + np.arange(FLUX_WINDOW)[None, :]] * window
    hz = np.fft.rfftfreq(FLUX_WINDOW, 1.0 / ANALYSIS_RATE)
    band = (hz >= FLUX_BAND_HZ[0]) & (hz < FLUX_BAND_HZ[1])
    magnitude = np.log1p(100.0 * np.abs(np.fft.rfft(segments, axis=1)[:, band]))
    rise = np.maximum(np.diff(magnitude, axis=0, prepend=magnitude[:1]), 0.0)
    return rise.sum(axis=1)


def _voiced_runs(track: F0Track) -> list[tuple[int, int]]:
    """(first, end) frame ranges of voicing. Short dropouts are bridged, and so are longer ones
    where the level stays at a sung vowel's: DIO loses the period for a few frames now and
    then in the middle of a loud vowel."""
    voiced = ~np.isnan(track.midi)
    edges = np.diff(np.concatenate(([0], voiced.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    bridge = round(MAX_VOICING_GAP_SECONDS / FRAME_SECONDS)
    loud_bridge = round(MAX_LOUD_GAP_SECONDS / FRAME_SECONDS)
    vowel_level = float(np.percentile(track.level_db, 95)) - VOWEL_LEVEL_DB
    runs: list[tuple[int, int]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        gap = start - runs[-1][1] if runs else None
        loud = gap is not None and bool(np.all(track.level_db[runs[-1][1] : start] > vowel_level))
        if gap is not None and (gap <= bridge or (gap <= loud_bridge and loud)):
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def _pitch_changes(midi: npt.NDArray[np.float64]) -> list[int]:
    """Frames (relative to ``midi``'s start) where a new pitch settles, by hysteresis."""
    hold = round(PITCH_CHANGE_HOLD_SECONDS / FRAME_SECONDS)
    changes: list[int] = []
    sung = midi[~np.isnan(midi)]
    if len(sung) == 0:
        return []
    held = float(np.median(sung[:hold]))
    away_since: int | None = None
    for frame, value in enumerate(midi.tolist()):
        if np.isnan(value):
            continue
        if abs(value - held) <= PITCH_CHANGE_SEMITONES:
            away_since = None
            continue
        if away_since is None:
            away_since = frame
        elif frame - away_since + 1 >= hold:
            changes.append(away_since)
            held = float(np.nanmedian(midi[away_since : frame + 1]))
            away_since = None
    return changes


def _level_dips(level_db: npt.NDArray[np.float64]) -> list[int]:
    """Onsets after level dips of :data:`ONSET_DIP_DB` below both neighbouring peaks: the
    frame where the level has come back to within :data:`ONSET_RISE_DB` of the next peak,
    which is where the next vowel opens (a voiced consonant holds the dip's floor)."""
    window = round(ONSET_DIP_WINDOW_SECONDS / FRAME_SECONDS)
    lookback = round(ONSET_DIP_LOOKBACK_SECONDS / FRAME_SECONDS)
    onsets: list[int] = []
    for frame in range(1, len(level_db) - window):
        here = level_db[frame]
        if here > level_db[frame - 1] or here > level_db[frame + 1]:
            continue
        before = level_db[max(0, frame - lookback) : frame].max()
        after_frames = level_db[frame + 1 : frame + window + 1]
        if min(before, after_frames.max()) - here < ONSET_DIP_DB:
            continue
        onset = frame + 1 + int(np.argmax(after_frames >= after_frames.max() - ONSET_RISE_DB))
        if not onsets or onset - onsets[-1] > window:
            onsets.append(onset)
    return onsets


def _vowel_onset(level_db: npt.NDArray[np.float64], first: int) -> int:
    """Where the vowel opens in a voiced stretch that starts at ``first``: the first frame
    within :data:`ONSET_RISE_DB` of the syllable's peak. Singers put a syllable's consonants
    ("m", "l", "s") before the beat and its vowel on it, so the vowel marks the note's start."""
    window = round(ONSET_DIP_WINDOW_SECONDS / FRAME_SECONDS)
    ahead = level_db[first : first + window]
    return first + int(np.argmax(ahead >= ahead.max() - ONSET_RISE_DB))


def _refined(flux: npt.NDArray[np.float64], onsets: list[int]) -> list[int]:
    """Each onset moved to the strongest spectral change within ONSET_REFINE_SECONDS."""
    reach = round(ONSET_REFINE_SECONDS / FRAME_SECONDS)
    return [
        onset + int(np.argmax(flux[onset : onset + reach])) for onset in onsets if onset < len(flux)
    ]


def segment_notes(track: F0Track) -> list[TranscribedNote]:
    """Notes from a voiced F0 track (passes 3 and 4)."""
    shortest = round(MIN_NOTE_SECONDS / FRAME_SECONDS)
    loudest = float(np.percentile(track.level_db, 99))
    notes: list[TranscribedNote] = []
    for voiced_first, end in _voiced_runs(track):
        first = _vowel_onset(track.level_db, voiced_first)
        midi = track.midi[first:end]
        cuts = {0, end - first}
        cuts.update(_pitch_changes(midi))
        cuts.update(_refined(track.flux[first:end], _level_dips(track.level_db[first:end])))
        bounds = sorted(cuts)
        for a, b in pairwise(bounds):
            frames = midi[a:b]
            sung = frames[~np.isnan(frames)]
            if b - a < shortest or len(sung) < shortest // 2:
                continue
            level = float(np.median(track.level_db[first + a : first + b]))
            # MIDI velocity from level: 40 dB of range below the loudest frames
            velocity = int(np.clip(127 + (level - loudest) * 127 / 40, 1, 127))
            notes.append(
                TranscribedNote(
                    start=float(track.times[first + a]),
                    end=float(track.times[first + b - 1] + FRAME_SECONDS),
                    pitch=round(float(np.median(sung))),
                    velocity=velocity,
                )
            )
    return _merge_repeats(_fold_octave_slips(notes))


def _fold_octave_slips(notes: list[TranscribedNote]) -> list[TranscribedNote]:
    """Move a stretch of one pitch an octave back when it leaps :data:`OCTAVE_SLIP_SEMITONES`
    or more away from the notes on both sides in the same direction: DIO sometimes locks on to
    the second harmonic (or half the period) for a whole vowel, and melodies do not leap an
    octave out and straight back. A stretch is the touching notes of one pitch (level dips
    may have cut a held vowel into several)."""
    stretches: list[list[int]] = []
    for index, note in enumerate(notes):
        last = notes[index - 1] if index else None
        joined = (
            last is not None
            and last.pitch == note.pitch
            and note.start - last.end < STRETCH_GAP_SECONDS
        )
        if joined:
            stretches[-1].append(index)
        else:
            stretches.append([index])
    folded = list(notes)
    for number, stretch in enumerate(stretches):
        pitch = notes[stretch[0]].pitch
        neighbours = [
            notes[other[0]].pitch
            for other in (
                stretches[number - 1] if number else None,
                stretches[number + 1] if number + 1 < len(stretches) else None,
            )
            if other is not None
        ]
        leaps = [pitch - neighbour for neighbour in neighbours]
        shift = 0
        if leaps and all(leap >= OCTAVE_SLIP_SEMITONES for leap in leaps):
            shift = -12
        elif leaps and all(leap <= -OCTAVE_SLIP_SEMITONES for leap in leaps):
            shift = 12
        for index in stretch:
            folded[index] = replace(notes[index], pitch=pitch + shift)
    return folded


def _merge_repeats(notes: list[TranscribedNote]) -> list[TranscribedNote]:
    """Join a short fragment to the note it touches when both round to one pitch: a pitch cut
    inside one held note (a scoop that came back) is not a new note."""
    merged: list[TranscribedNote] = []
    for note in notes:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.pitch == note.pitch
            and note.start - last.end < FRAME_SECONDS * 1.5
            and note.end - note.start < MIN_NOTE_SECONDS * 2
        ):
            merged[-1] = TranscribedNote(last.start, note.end, last.pitch, last.velocity)
            continue
        merged.append(note)
    return merged


def transcribe(samples: npt.NDArray[np.float64], sample_rate: int) -> list[TranscribedNote]:
    """The notes sung in a mono recording, in time order."""
    if len(samples) < sample_rate * 0.1:
        raise TranscriptionError("the recording is shorter than 0.1 s; pass a sung phrase")
    notes = segment_notes(track_f0(samples, sample_rate))
    return notes


def transcribe_file(path: Path) -> list[TranscribedNote]:
    samples, rate = read_recording(path)
    notes = transcribe(samples, rate)
    if not notes:
        raise TranscriptionError(
            f"found no sung notes in {path}; pass an isolated vocal (e.g. stems/vocals.wav)"
        )
    return notes


def write_notes_midi(notes: list[TranscribedNote], path: Path) -> Path:
    """A one-track MIDI file of ``notes`` in real time (:data:`MIDI_TEMPO_BPM`)."""
    seconds_per_tick = 60.0 / MIDI_TEMPO_BPM / MIDI_TICKS_PER_BEAT
    timed = []
    for note in notes:
        on = round(note.start / seconds_per_tick)
        off = max(round(note.end / seconds_per_tick), on + 1)
        timed.append((on, off, note.pitch, note.velocity))
    header = [
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(MIDI_TEMPO_BPM), time=0),
        mido.MetaMessage("track_name", name="transcribed vocal", time=0),
    ]
    return save_note_track(path, header, timed, MIDI_TICKS_PER_BEAT)
