"""The built-in band: ``drums``, ``bass``, ``piano``, ``pad`` and ``pluck``, all synthesised.

Each instrument renders one :class:`~vartist.composer.score.Part` to stereo audio as long as the
song. Pitched instruments render one tone per pitch and shape each note with an envelope (see
:mod:`vartist.studio.synth`); the drum kit renders each sound once and places hits, nudged in
time and level by the part's random stream so the groove breathes.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from scipy import signal

from vartist.audio import MASTER_RATE, Audio
from vartist.composer.score import Note, Part, Score
from vartist.pitch import midi_to_hz
from vartist.studio.drumkit import GM_KIT, KitPiece, render_piece
from vartist.studio.engine import Instrument, instruments
from vartist.studio.errors import InvalidPartError, UnknownDrumSoundError
from vartist.studio.synth import (
    FloatArray,
    PartialGroup,
    add_vinyl_texture,
    decaying_harmonic_tone,
    detuned_saw_stack,
    harmonic_table,
    lowpassed_saw_amplitudes,
    note_envelope,
    seconds_to_samples,
    soft_clip,
    table_indices,
    velocity_gain,
)


@dataclass(frozen=True)
class NoteEvent:
    """A note in samples: where it starts, how long the key is held, its pitch and level."""

    start: int
    hold: int
    pitch: int
    gain: float


def _check_note(part: Part, note: Note) -> None:
    where = f"part {part.name!r}, note at beat {note.start:g}"
    if not (note.start >= 0.0 and np.isfinite(note.start)):
        raise InvalidPartError(
            f"{where}: the start must be a finite number of beats from the song's start (>= 0)"
        )
    if not (note.duration > 0.0 and np.isfinite(note.duration)):
        raise InvalidPartError(
            f"{where}: duration {note.duration} must be a positive number of beats"
        )
    if not 0 <= note.pitch <= 127:
        raise InvalidPartError(f"{where}: pitch {note.pitch} is outside MIDI 0-127")
    if not 0 <= note.velocity <= 127:
        raise InvalidPartError(f"{where}: velocity {note.velocity} is outside MIDI 0-127")


def note_events(
    part: Part, seconds_per_beat: float, sample_rate: int, frames: int
) -> list[NoteEvent]:
    """The part's audible notes in samples; silent ones (velocity 0) and ones past the end drop."""
    events = []
    for note in part.notes:
        _check_note(part, note)
        start = seconds_to_samples(note.start * seconds_per_beat, sample_rate)
        if note.velocity == 0 or start >= frames:
            continue
        hold = max(1, seconds_to_samples(note.duration * seconds_per_beat, sample_rate))
        events.append(NoteEvent(start, hold, note.pitch, velocity_gain(note.velocity)))
    return events


class TonalInstrument(ABC):
    """A pitched instrument: one tone per pitch, shaped per note by an attack/release envelope.

    Subclasses set the envelope times and implement :meth:`tone`.
    """

    attack_seconds = 0.005
    release_seconds = 0.1
    decay_seconds = 0.0
    """Time constant of the fall from the attack peak towards ``sustain``; 0 holds the level."""
    sustain = 1.0
    level = 0.5
    """Peak level of one note at full velocity, before the tone's own shape."""
    stereo = False
    """Whether :meth:`tone` returns two channels. A mono instrument renders one channel and
    hands back a read-only stereo view of it, which halves its memory and the mix's work."""

    @abstractmethod
    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        """The unshaped sound of ``pitch``: mono ``(length,)`` or stereo ``(2, length)``."""

    def render(
        self,
        part: Part,
        seconds_per_beat: float,
        total_seconds: float,
        sample_rate: int,
        rng: np.random.Generator,
    ) -> Audio:
        frames = seconds_to_samples(total_seconds, sample_rate)
        out = np.zeros((2, frames) if self.stereo else (frames,), np.float32)
        events = note_events(part, seconds_per_beat, sample_rate, frames)
        release = seconds_to_samples(self.release_seconds, sample_rate)
        attack = seconds_to_samples(self.attack_seconds, sample_rate)
        decay = self.decay_seconds * sample_rate
        longest: dict[int, int] = {}
        for event in events:
            needed = min(event.hold + release, frames - event.start)
            longest[event.pitch] = max(longest.get(event.pitch, 0), needed)
        # sorted, so the random stream is drawn in the same order however the notes are listed
        tones = {p: self.tone(p, n, sample_rate, rng) for p, n in sorted(longest.items())}
        envelopes: dict[int, FloatArray] = {}
        for event in events:
            envelope = envelopes.get(event.hold)
            if envelope is None:
                envelope = note_envelope(event.hold, release, attack, decay, self.sustain)
                envelopes[event.hold] = envelope
            count = min(len(envelope), frames - event.start)
            shaped = envelope[:count] * np.float32(event.gain * self.level)
            out[..., event.start : event.start + count] += tones[event.pitch][..., :count] * shaped
        if self.stereo:
            return Audio(out, sample_rate)
        return Audio(np.broadcast_to(out, (2, frames)), sample_rate)


@instruments.register("bass")
class Bass(TonalInstrument):
    """A warm electric-style bass: a round sustained core plus a growl that fades after the
    pluck, through gentle saturation."""

    attack_seconds = 0.004
    release_seconds = 0.06
    decay_seconds = 0.4
    sustain = 0.7
    level = 0.8

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        core = PartialGroup((1.0, 0.25, 0.06), 0.0)
        growl = PartialGroup((0.3, 0.2, 0.12, 0.08, 0.05, 0.03), 6.0, first=2)
        raw = decaying_harmonic_tone(midi_to_hz(pitch), (core, growl), length, sample_rate)
        drive = np.float32(1.3)
        return np.tanh(raw * drive) / np.tanh(drive)


class _ProgramVoiced(TonalInstrument):
    """An instrument whose part's General MIDI program may pick another voice for it."""

    registered_name = ""

    def render(
        self,
        part: Part,
        seconds_per_beat: float,
        total_seconds: float,
        sample_rate: int,
        rng: np.random.Generator,
    ) -> Audio:
        voice = voice_for(self.registered_name, part)
        if voice is not None and not isinstance(self, voice):
            return voice().render(part, seconds_per_beat, total_seconds, sample_rate, rng)
        return super().render(part, seconds_per_beat, total_seconds, sample_rate, rng)


@instruments.register("piano")
class Piano(_ProgramVoiced):
    """A soft electric-piano tone: strong fundamental, a bark of low partials at the strike and
    a faint tine shimmer; higher notes fade faster, as on the real thing."""

    registered_name = "piano"
    attack_seconds = 0.002
    release_seconds = 0.2
    level = 0.45

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        speed = 2.0 ** ((pitch - 60) / 24.0)
        groups = (
            PartialGroup((1.0,), 0.5 * speed),
            PartialGroup((0.42, 0.18), 1.6 * speed, first=2),
            PartialGroup((0.12, 0.08, 0.05, 0.035, 0.02), 5.0 * speed, first=4),
            PartialGroup((0.03, 0.025, 0.02, 0.015), 22.0, first=11),
        )
        return decaying_harmonic_tone(midi_to_hz(pitch), groups, length, sample_rate)


@instruments.register("pluck")
class Pluck(_ProgramVoiced):
    """A plucked string: the spectrum of a string picked near one end, upper partials dying
    first (what Karplus-Strong's averaging filter does, here as grouped decays)."""

    registered_name = "pluck"
    attack_seconds = 0.001
    release_seconds = 0.07
    level = 0.5
    pick_position = 0.22
    """Where along the string it is picked, as a fraction of its length; shapes the spectrum."""

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        speed = 2.0 ** ((pitch - 52) / 24.0)
        k = np.arange(1, 25)
        amps = np.abs(np.sin(np.pi * k * self.pick_position)) / k**1.1
        amps = amps / amps[0]
        bands = ((1, 1, 1.1), (2, 3, 2.4), (4, 8, 6.0), (9, 24, 15.0))
        groups = [
            PartialGroup(tuple(amps[first - 1 : last]), rate * speed, first=first)
            for first, last, rate in bands
        ]
        return decaying_harmonic_tone(midi_to_hz(pitch), groups, length, sample_rate)


@instruments.register("pad")
class Pad(TonalInstrument):
    """Detuned, low-passed sawtooths that swell in slowly; each side of the stereo field gets
    its own detuned pair around a shared centre voice, which makes the pad wide."""

    attack_seconds = 0.45
    release_seconds = 0.7
    level = 0.22
    stereo = True
    cutoff_hz = 1600.0
    detune_cents = ((-9.0, 6.0), (-5.0, 11.0))
    """(left pair, right pair) of voice detunings around the centre voice."""

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        frequency = midi_to_hz(pitch)
        table = harmonic_table(lowpassed_saw_amplitudes(frequency, self.cutoff_hz, sample_rate))
        phases = rng.random(5)
        centre = table[table_indices(frequency, length, sample_rate, float(phases[0]))]
        out = np.empty((2, length), np.float32)
        for side, pair in enumerate(self.detune_cents):
            out[side] = centre
            for voice, cents in enumerate(pair):
                detuned = frequency * 2.0 ** (cents / 1200.0)
                phase = float(phases[1 + 2 * side + voice])
                out[side] += table[table_indices(detuned, length, sample_rate, phase)] * np.float32(
                    0.7
                )
        return out


@instruments.register("distorted_guitar")
class DistortedGuitar(TonalInstrument):
    """A rock guitar through an overdriven amp: a bright, slowly fading string tone pushed
    into ``tanh`` clipping (which adds odd harmonics and sustain), then a speaker cabinet's
    low-pass that takes the fizz off the top."""

    attack_seconds = 0.003
    release_seconds = 0.08
    level = 0.42
    drive = 7.0
    """How hard the amp is pushed; about 7 is a crunchy rhythm tone, not a fuzz."""
    cabinet_hz = 4200.0
    """A 4x12 cabinet rolls off above about 4-5 kHz."""

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        k = np.arange(1, 16)
        body = PartialGroup(tuple(1.0 / k**0.9), 0.9)
        raw = decaying_harmonic_tone(midi_to_hz(pitch), (body,), length, sample_rate)
        clipped = soft_clip(raw / np.float32(max(1e-6, float(np.max(np.abs(raw))))), self.drive)
        sos = signal.butter(2, self.cabinet_hz, fs=sample_rate, output="sos")
        return signal.sosfilt(sos, clipped).astype(np.float32)


@instruments.register("acoustic_guitar")
class AcousticGuitar(Pluck):
    """A steel-string acoustic: picked close to the bridge (bright), its top partials dying
    fast, with the wooden body's low thump under the attack."""

    registered_name = "acoustic_guitar"
    pick_position = 0.13
    level = 0.5
    body_hz = 110.0
    """The body's main air resonance (about A2 on a dreadnought)."""
    body_decay_per_second = 30.0

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        string = super().tone(pitch, length, sample_rate, rng)
        t = np.arange(min(length, sample_rate // 4), dtype=np.float32) / np.float32(sample_rate)
        thump = np.sin(np.float32(2 * np.pi * self.body_hz) * t) * np.exp(
            -t * np.float32(self.body_decay_per_second)
        )
        string[: len(t)] += np.float32(0.35) * thump
        return string


@instruments.register("electric_piano")
class ElectricPiano(TonalInstrument):
    """A tine electric piano with stereo tremolo, on an old record: the lo-fi keys. The
    record's surface noise plays wherever the part plays, so the genre's texture needs no
    part of its own."""

    attack_seconds = 0.002
    release_seconds = 0.25
    level = 0.45
    stereo = True
    tremolo_hz = 4.5
    tremolo_depth = 0.35
    """Amplitude swing of the auto-pan, 0-1: each side dips as the other rises."""

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        speed = 2.0 ** ((pitch - 60) / 24.0)
        groups = (
            PartialGroup((1.0, 0.08), 0.7 * speed),
            PartialGroup((0.25,), 3.0 * speed, first=3),
            # the tine's bell: a bright partial that rings briefly after the hammer
            PartialGroup((0.18, 0.0, 0.1), 9.0 * speed, first=6),
        )
        mono = decaying_harmonic_tone(midi_to_hz(pitch), groups, length, sample_rate)
        phase = float(rng.random()) * 2.0 * np.pi
        t = np.arange(length, dtype=np.float32) / np.float32(sample_rate)
        sway = np.sin(np.float32(2.0 * np.pi * self.tremolo_hz) * t + np.float32(phase))
        depth = np.float32(self.tremolo_depth)
        return np.stack([mono * (1.0 - depth * sway), mono * (1.0 + depth * sway)])

    def render(
        self,
        part: Part,
        seconds_per_beat: float,
        total_seconds: float,
        sample_rate: int,
        rng: np.random.Generator,
    ) -> Audio:
        played = super().render(part, seconds_per_beat, total_seconds, sample_rate, rng)
        events = note_events(part, seconds_per_beat, sample_rate, played.samples.shape[1])
        if not events:
            return played
        first = min(e.start for e in events)
        last = min(played.samples.shape[1], max(e.start + e.hold for e in events))
        samples = played.samples
        if not samples.flags.writeable:
            samples = samples.copy()
        add_vinyl_texture(samples[:, first:last], sample_rate, rng)
        return Audio(samples, sample_rate)


@instruments.register("supersaw")
class Supersaw(TonalInstrument):
    """Seven detuned sawtooths per side, low-passed: the wide synth-pop lead that plays the
    style's stabs and arpeggios."""

    attack_seconds = 0.006
    release_seconds = 0.18
    decay_seconds = 0.35
    sustain = 0.6
    level = 0.3
    stereo = True
    cutoff_hz = 5000.0
    detune_cents = (
        (-24.0, -13.0, -5.0, 0.0, 6.0, 14.0, 22.0),
        (-21.0, -15.0, -6.0, 0.0, 4.0, 12.0, 25.0),
    )
    """Per side: the voices' detunings. Different sets left and right make the stereo width."""

    def tone(
        self, pitch: int, length: int, sample_rate: int, rng: np.random.Generator
    ) -> FloatArray:
        frequency = midi_to_hz(pitch)
        sides = [
            detuned_saw_stack(
                frequency,
                length,
                sample_rate,
                cents,
                rng.random(len(cents)).tolist(),
                self.cutoff_hz,
            )
            for cents in self.detune_cents
        ]
        return np.stack(sides)


_VOICES_BY_PROGRAM: dict[str, dict[int, type[TonalInstrument]]] = {
    # General MIDI programs (0-based) a part names for its timbre; the style picks them
    "pluck": {24: AcousticGuitar, 25: AcousticGuitar, 29: DistortedGuitar, 30: DistortedGuitar},
    "piano": {4: ElectricPiano, 5: ElectricPiano, 81: Supersaw},
}
"""Which voice of the built-in ``pluck`` and ``piano`` plays a part's General MIDI program:
a rock guitar (overdriven, 29) sounds distorted, a folk one (steel-string, 25) acoustic,
lo-fi keys (electric piano, 4) a tine piano on vinyl, synth-pop keys (saw lead, 81) a
supersaw. Other programs keep the instrument's own voice."""


def voice_for(instrument: str, part: Part) -> type[TonalInstrument] | None:
    """The voice that plays ``part``'s program on ``instrument``, or None for its own."""
    return _VOICES_BY_PROGRAM.get(instrument, {}).get(part.midi_program)


@instruments.register("drums")
class Drums:
    """Plays a drum part on :data:`~vartist.studio.drumkit.GM_KIT`, with a drummer's small
    timing and level variations drawn from the part's random stream."""

    timing_spread_seconds = 0.0025
    timing_limit_seconds = 0.007
    level_spread = 0.08
    """Standard deviation of the per-hit level, in nepers (about 0.7 dB)."""
    choke_fade_seconds = 0.004

    def render(
        self,
        part: Part,
        seconds_per_beat: float,
        total_seconds: float,
        sample_rate: int,
        rng: np.random.Generator,
    ) -> Audio:
        frames = seconds_to_samples(total_seconds, sample_rate)
        out = np.zeros((2, frames), np.float32)
        events = note_events(part, seconds_per_beat, sample_rate, frames)
        pieces = {p: self._piece(part, p) for p in sorted({e.pitch for e in events})}
        sounds: dict[str, list[FloatArray]] = {}
        for pitch in sorted(pieces):
            piece = pieces[pitch]
            if piece.name not in sounds:
                sounds[piece.name] = render_piece(piece, sample_rate, rng)
        count = len(events)
        limit = self.timing_limit_seconds
        nudges = np.clip(rng.normal(0.0, self.timing_spread_seconds, count), -limit, limit)
        levels = np.exp(rng.normal(0.0, self.level_spread, count))
        choices = rng.integers(0, 1 << 30, count)
        choke_ends = self._choke_ends(events, pieces, frames)
        fade = max(1, seconds_to_samples(self.choke_fade_seconds, sample_rate))
        for i, event in enumerate(events):
            piece = pieces[event.pitch]
            variants = sounds[piece.name]
            hit = variants[int(choices[i]) % len(variants)]
            start = max(0, event.start + round(float(nudges[i]) * sample_rate))
            length = min(hit.shape[1], frames - start, choke_ends[i] - start)
            if length <= 0:
                continue
            segment = hit[:, :length] * np.float32(event.gain * levels[i])
            if length < hit.shape[1]:
                tail = min(fade, length)
                segment[:, length - tail :] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)
            out[:, start : start + length] += segment
        return Audio(out, sample_rate)

    @staticmethod
    def _piece(part: Part, pitch: int) -> KitPiece:
        try:
            return GM_KIT[pitch]
        except KeyError:
            known = ", ".join(f"{n} {GM_KIT[n].name}" for n in sorted(GM_KIT))
            raise UnknownDrumSoundError(
                f"drum part {part.name!r} plays General MIDI percussion note {pitch}, which the "
                f"built-in kit lacks; use one of: {known}"
            ) from None

    @staticmethod
    def _choke_ends(events: list[NoteEvent], pieces: dict[int, KitPiece], frames: int) -> list[int]:
        """For each hit, the sample where the next hit of its choke group cuts it off."""
        ends = [frames] * len(events)
        last_in_group: dict[str, int] = {}
        order = sorted(range(len(events)), key=lambda i: (events[i].start, i))
        for i in order:
            group = pieces[events[i].pitch].choke_group
            if group is None:
                continue
            previous = last_in_group.get(group)
            if previous is not None and events[previous].start < events[i].start:
                ends[previous] = events[i].start
            last_in_group[group] = i
        return ends


def _as_band_audio(audio: Audio, part: Part, sample_rate: int) -> Audio:
    audio.require_rate(sample_rate, f"instrument {part.instrument!r} playing part {part.name!r}")
    return audio.to_stereo()


def render_band(
    score: Score, rng: np.random.Generator, sample_rate: int = MASTER_RATE
) -> dict[str, Audio]:
    """Every part of the score played by its instrument: part name → stereo audio of the
    song's length.

    One number is drawn from ``rng``; each part's random stream is seeded by that number and
    the part's name, so adding, removing or reordering parts never changes how another one
    sounds, and equal seeds give identical bands.
    """
    names = [part.name for part in score.parts]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidPartError(
            f"the score has several parts named {duplicates}; part names name the stems and "
            "must be unique"
        )
    band: dict[str, Audio] = {}
    # not rng.spawn(): its children depend on a spawn count kept outside the generator's state
    # and are handed out by position; a draw from the stream plus the part's name depends on
    # the generator's state and the part alone
    base = int(rng.integers(2**63))
    for part in score.parts:
        stream = np.random.default_rng([base, zlib.crc32(part.name.encode())])
        # a blend ('piano:0.3,pad:0.7') is built from its name; imported here, as it builds on
        # the instruments of this module
        from vartist.studio.timbre_morph import instrument_named

        instrument: Instrument = instrument_named(part.instrument)
        audio = instrument.render(
            part, score.seconds_per_beat, score.duration_seconds, sample_rate, stream
        )
        band[part.name] = _as_band_audio(audio, part, sample_rate)
    return band
