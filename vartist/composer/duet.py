"""Call and response: answer a played phrase with a related phrase in its key and metre.

The answer is a transformation of the call, by rules a songwriter would use:

- its **rhythm** is the call's (the same onsets and durations), so the two phrases rhyme;
- its **contour** is the call's moved by a diatonic *sequence* (the same shape a step lower) or
  mirrored by a diatonic *inversion* about the call's first note (what rose now falls);
- its **cadence** closes on the tonic, approached from the scale step above or below, so the
  call's open end is answered by a closed one.

``auto`` picks the inversion for a call that ends higher than it started (a question rising
away from home comes back down) and the sequence otherwise.

The key comes from the call's duration-weighted pitch classes correlated with the
Krumhansl-Kessler key profiles (Krumhansl 1990) and the metre from a MIDI time signature, or
else from where the call's long notes fall (:func:`estimate_beats_per_bar`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import mido
import numpy as np

from vartist.composer.errors import ComposerError
from vartist.composer.export import midi_key_signature, save_note_track
from vartist.pitch import Key

AnswerKind = Literal["auto", "sequence", "inversion"]
ANSWER_KINDS: tuple[AnswerKind, ...] = ("auto", "sequence", "inversion")

MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
"""Krumhansl and Kessler's probe-tone ratings of each pitch class above the tonic."""
SEQUENCE_STEPS = -1
"""The sequence answers one scale step lower: the usual descending sequence of a reply."""
DOWNBEAT_MARGIN = 1.25
"""3/4 needs this much more note-length on its downbeats than 4/4 to be chosen."""
DEFAULT_TEMPO_BPM = 120.0
PHRASE_END_GAP_SECONDS = 0.25
"""Live: the call has ended when every key is up and nothing new came for this long. Shorter
gaps cut a phrase at a breath between its notes; a quarter second is a rest at 120 bpm."""
LIVE_POLL_SECONDS = 0.001
"""How often the live loop looks at its input and its schedule: the answer's lateness."""
TICKS_PER_BEAT = 480
ALSA_SEQUENCER = "/dev/snd/seq"
"""Linux MIDI ports (and virtual ones) live in the ALSA sequencer; without it none open."""


class DuetError(ComposerError):
    """The call cannot be answered (no notes, an unreadable file, a missing MIDI port)."""


@dataclass(frozen=True)
class PhraseNote:
    start: float
    """Beats from the start of the phrase."""
    duration: float
    pitch: int
    velocity: int = 90


@dataclass(frozen=True)
class Phrase:
    notes: tuple[PhraseNote, ...]
    tempo: float
    beats_per_bar: int

    @property
    def end(self) -> float:
        return max(n.start + n.duration for n in self.notes)


def estimate_key(notes: Sequence[PhraseNote]) -> Key:
    """The key whose scale holds the most of the call (by duration); among keys that share a
    scale (C major and A minor), the one whose tonic the call starts or ends on, as phrases
    do; then the one whose Krumhansl-Kessler profile best fits the call's pitch classes."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    framing = {notes[0].pitch % 12, notes[-1].pitch % 12}
    ranked: list[tuple[float, bool, float, Key]] = []
    for tonic in range(12):
        for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            key = Key(tonic, "major" if mode == "major" else "minor")
            in_scale = float(sum(weights[pc] for pc in key.scale))
            rotated = np.roll(np.array(profile), tonic)
            fit = float(np.corrcoef(weights, rotated)[0, 1]) if weights.std() > 0 else 0.0
            ranked.append((round(in_scale, 6), tonic in framing, fit, key))
    return max(ranked, key=lambda r: (r[0], r[1], r[2]))[3]


def estimate_beats_per_bar(notes: Sequence[PhraseNote]) -> int:
    """3 or 4. A phrase fills whole bars, so a length that only one of them divides decides;
    otherwise the bar whose downbeats carry clearly more note-length (long notes fall on strong
    beats); 4 when in doubt, as most songs are in 4."""
    length = round(max(n.start + n.duration for n in notes))
    fits = [bar for bar in (3, 4) if length % bar == 0]
    if len(fits) == 1:
        return fits[0]

    def downbeat_weight(bar: int) -> float:
        return sum(n.duration for n in notes if abs(n.start / bar - round(n.start / bar)) < 0.05)

    return 3 if downbeat_weight(3) > downbeat_weight(4) * DOWNBEAT_MARGIN else 4


def read_phrase(path: Path) -> Phrase:
    """The melody of a MIDI file (the highest note where several start together)."""
    if not path.is_file():
        raise DuetError(f"cannot read {path}: no such file; pass a MIDI file of the call")
    try:
        midi = mido.MidiFile(path)
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise DuetError(f"cannot read {path} as MIDI ({exc}); pass a Standard MIDI File") from None
    tempo, meter = DEFAULT_TEMPO_BPM, 0
    held: dict[tuple[int, int], tuple[float, int]] = {}
    notes: list[PhraseNote] = []
    now = 0.0
    for message in mido.merge_tracks(midi.tracks):
        now += message.time / midi.ticks_per_beat
        if message.type == "set_tempo":
            tempo = mido.tempo2bpm(message.tempo)
        elif message.type == "time_signature":
            meter = message.numerator * 4 // message.denominator
        elif message.type == "note_on" and message.velocity > 0 and message.channel != 9:
            held[(message.channel, message.note)] = (now, message.velocity)
        elif message.type in ("note_on", "note_off") and (message.channel, message.note) in held:
            start, velocity = held.pop((message.channel, message.note))
            if now > start:
                notes.append(PhraseNote(start, now - start, message.note, velocity))
    return phrase_from_notes(notes, tempo, meter or None, path)


def phrase_from_notes(
    notes: Sequence[PhraseNote], tempo: float, beats_per_bar: int | None, source: object
) -> Phrase:
    """The call as a monophonic phrase starting at beat 0."""
    if not notes:
        raise DuetError(f"{source} holds no melodic notes; play or pass a phrase to answer")
    by_start: dict[float, PhraseNote] = {}
    for note in sorted(notes, key=lambda n: (n.start, n.pitch)):
        by_start[round(note.start, 3)] = note  # the highest of notes struck together
    melody = sorted(by_start.values(), key=lambda n: n.start)
    origin = melody[0].start
    melody = [replace(n, start=n.start - origin) for n in melody]
    meter = beats_per_bar or estimate_beats_per_bar(melody)
    return Phrase(tuple(melody), tempo, meter)


def _degree(pitch: int, key: Key) -> int:
    """The pitch as a count of scale steps from the tonic of octave -1 (chromatic notes
    fall to the scale step below)."""
    octave, pitch_class = divmod(pitch - key.tonic, 12)
    steps = [(p - key.tonic) % 12 for p in key.scale]
    below = max(i for i, s in enumerate(steps) if s <= pitch_class)
    return octave * 7 + below


def _pitch(degree: int, key: Key) -> int:
    octave, step = divmod(degree, 7)
    return key.tonic + octave * 12 + (key.scale[step] - key.tonic) % 12


def answer_phrase(call: Phrase, kind: AnswerKind = "auto") -> tuple[Phrase, Key, str]:
    """The answer to ``call``, the key it was heard in and the transformation used."""
    key = estimate_key(call.notes)
    degrees = [_degree(n.pitch, key) for n in call.notes]
    if kind == "auto":
        kind = "inversion" if call.notes[-1].pitch > call.notes[0].pitch else "sequence"
    if kind == "inversion":
        answer_degrees = [2 * degrees[0] - d for d in degrees]
    else:
        answer_degrees = [d + SEQUENCE_STEPS for d in degrees]
    answer_degrees = _cadence(answer_degrees)
    # keep the answer in the call's register: shift whole octaves towards the call's centre
    shift = round((np.mean(degrees) - np.mean(answer_degrees)) / 7) * 7
    pitches = [_pitch(d + shift, key) for d in answer_degrees]
    notes = tuple(
        replace(note, pitch=pitch) for note, pitch in zip(call.notes, pitches, strict=True)
    )
    return Phrase(notes, call.tempo, call.beats_per_bar), key, kind


def _cadence(degrees: list[int]) -> list[int]:
    """End on the tonic nearest the last note, stepping into it from the next-to-last."""
    nearest_tonic = round(degrees[-1] / 7) * 7
    closed = [*degrees[:-1], nearest_tonic]
    if len(closed) >= 2:
        approach = nearest_tonic + (1 if closed[-2] >= nearest_tonic else -1)
        closed[-2] = approach
    return closed


def write_phrase_midi(phrase: Phrase, key: Key, path: Path) -> Path:
    """The answer as a one-track MIDI file with its tempo, metre and key."""
    header = [
        mido.MetaMessage("track_name", name="duet answer", time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(phrase.tempo), time=0),
        mido.MetaMessage("time_signature", numerator=phrase.beats_per_bar, denominator=4, time=0),
        mido.MetaMessage("key_signature", key=midi_key_signature(key), time=0),
    ]
    notes = []
    for note in phrase.notes:
        on = round(note.start * TICKS_PER_BEAT)
        off = max(round((note.start + note.duration) * TICKS_PER_BEAT), on + 1)
        notes.append((on, off, note.pitch, note.velocity))
    return save_note_track(path, header, notes, TICKS_PER_BEAT)


def answer_file(call_path: Path, out_path: Path, kind: AnswerKind = "auto") -> tuple[Key, str]:
    call = read_phrase(call_path)
    answer, key, used = answer_phrase(call, kind)
    write_phrase_midi(answer, key, out_path)
    return key, used


@dataclass
class _Held:
    start: float
    velocity: int


class LiveDuet:
    """Listens to a MIDI input and answers each phrase on a MIDI output.

    A phrase ends when no key is held and nothing new arrived for ``gap_seconds``; the answer's
    first note is sent at that moment (within one poll, :data:`LIVE_POLL_SECONDS`) and the
    rest follow in the call's rhythm. Notes played during an answer start the next call.
    """

    def __init__(
        self,
        inport: Any,
        outport: Any,
        gap_seconds: float = PHRASE_END_GAP_SECONDS,
        kind: AnswerKind = "auto",
        clock: Callable[[], float] = time.monotonic,
        on_answer: Callable[[Key, str, int], None] | None = None,
    ) -> None:
        self._inport = inport
        self._outport = outport
        self._gap = gap_seconds
        self._kind: AnswerKind = kind
        self._clock = clock
        self._on_answer = on_answer
        self._held: dict[int, _Held] = {}
        self._played: list[tuple[float, float, int, int]] = []
        self._last_event = 0.0
        self._schedule: list[tuple[float, mido.Message]] = []

    def run(self, stop: threading.Event) -> None:
        """Answer phrases until ``stop`` is set; releases every sounding answer note."""
        try:
            while not stop.is_set():
                self.step()
                time.sleep(LIVE_POLL_SECONDS)
        finally:
            for _, message in self._schedule:
                if message.type == "note_off":
                    self._outport.send(message)
            self._schedule.clear()

    def step(self) -> None:
        """One look at the input, the phrase's end and the answer's schedule."""
        now = self._clock()
        for message in self._inport.iter_pending():
            self._take(message, now)
        if self._played and not self._held and now - self._last_event >= self._gap:
            self._answer(now)
        while self._schedule and self._schedule[0][0] <= now:
            self._outport.send(self._schedule.pop(0)[1])

    def _take(self, message: mido.Message, now: float) -> None:
        if message.type == "note_on" and message.velocity > 0:
            self._held[message.note] = _Held(now, message.velocity)
            self._last_event = now
        elif message.type in ("note_on", "note_off") and message.note in self._held:
            held = self._held.pop(message.note)
            self._played.append((held.start, now, message.note, held.velocity))
            self._last_event = now

    def _answer(self, now: float) -> None:
        seconds_per_beat = 60.0 / DEFAULT_TEMPO_BPM
        first = min(start for start, _, _, _ in self._played)
        notes = [
            PhraseNote((start - first) / seconds_per_beat, (end - start) / seconds_per_beat, p, v)
            for start, end, p, v in self._played
        ]
        self._played = []
        answer, key, used = answer_phrase(
            phrase_from_notes(notes, DEFAULT_TEMPO_BPM, None, "the MIDI input"), self._kind
        )
        for note in answer.notes:
            at = now + note.start * seconds_per_beat
            until = at + note.duration * seconds_per_beat
            self._schedule.append(
                (at, mido.Message("note_on", note=note.pitch, velocity=note.velocity))
            )
            self._schedule.append((until, mido.Message("note_off", note=note.pitch, velocity=0)))
        # note-offs first at equal times, so a repeated pitch is released before it sounds
        self._schedule.sort(key=lambda e: (e[0], e[1].type == "note_on"))
        if self._on_answer is not None:
            self._on_answer(key, used, len(answer.notes))


def open_ports(midi_in: str, midi_out: str | None) -> tuple[Any, Any]:
    """mido ports by name (python-rtmidi); ``midi_out`` None opens a virtual output port."""
    if sys.platform.startswith("linux") and not Path(ALSA_SEQUENCER).exists():
        # rtmidi would print ALSA's own complaint on stderr before failing
        raise DuetError(
            f"cannot open MIDI input {midi_in!r}: this machine has no ALSA sequencer "
            f"({ALSA_SEQUENCER}); load the snd-seq kernel module or run where MIDI devices are"
        )
    try:
        import rtmidi  # noqa: F401  - mido's default backend
    except ImportError as exc:
        # a missing wheel, or a wheel whose ALSA library (libasound2) is not installed
        raise DuetError(
            f"the live duet needs python-rtmidi ({exc}): pip install 'vartist[stage]', and on "
            "Linux the ALSA library (apt-get install libasound2)"
        ) from None
    try:
        inport = mido.open_input(midi_in)
    except Exception as exc:  # rtmidi raises its own error types for a missing port
        raise DuetError(_port_problem("input", midi_in, exc)) from None
    try:
        outport = (
            mido.open_output("vartist duet", virtual=True)
            if midi_out is None
            else mido.open_output(midi_out)
        )
    except Exception as exc:
        inport.close()
        raise DuetError(_port_problem("output", midi_out or "vartist duet", exc)) from None
    return inport, outport


def _port_problem(direction: str, name: str, exc: Exception) -> str:
    return (
        f"cannot open MIDI {direction} {name!r} ({' '.join(str(exc).split())}); "
        "list the ports with `python -c 'import mido; print(mido.get_input_names())'`"
    )
