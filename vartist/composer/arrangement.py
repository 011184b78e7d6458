"""The band's parts: drums, bass, keys, pad and (for some styles) guitar, played from the
style's one-bar patterns over the chord track, section by section.

The drummer varies the style per song (:func:`plan_drums`): each song draws its own version
of the grooves, a variation bar that closes every four bars, a fill into choruses and a
turnaround figure at other section ends, so two songs of one style share the kit and the
feel but not the parts.

The form's touches are played too: a stripped final chorus drops the rhythm section and the
pad and plays the rest of the band at its sparsest, and an intro with the hook has a ``lead``
part (in the genre's keys or guitar timbre) play the chorus's first line."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vartist.composer.form import PlannedSection, hook_entry_beats, hook_phrase
from vartist.composer.melody import BEATS_PER_BAR, STEPS_PER_BEAT, swung_beat
from vartist.composer.score import Chord, Note, Part, VocalNote, chord_index_at
from vartist.composer.styles import DRUM_NOTES, DrumBar, Level, StyleModel
from vartist.composer.theory import CHORD_INTERVALS, chord_tones
from vartist.pitch import Key

PATTERN_STEPS = 16
STEP_BEATS = 1.0 / STEPS_PER_BEAT
DRUM_HIT_BEATS = 0.25
CRASH_BEATS = 2.0
STRUM_SPREAD_BEATS = 0.02
"""Delay between strings of a strum: about 10 ms at 120 bpm."""

_DRUM_VELOCITY = {"X": 118.0, "x": 100.0, "o": 58.0}
_PART_VELOCITY = {"bass": 96.0, "keys": 80.0, "pad": 64.0, "guitar": 84.0}
_INSTRUMENTS = {"drums": "drums", "bass": "bass", "keys": "piano", "pad": "pad", "guitar": "pluck"}
"""Part name → studio instrument name."""
_BASS_LOWEST = 35
"""Bass roots sit from B1 up to A#2."""
_GUITAR_LOWEST = 40
"""The low E string."""
_KEYS_WIDTH, _PAD_WIDTH = 14, 28
"""Semitones of the register a close keys voicing / a spread pad voicing moves in."""


# --- the form's touches -----------------------------------------------------------------------

STRIPPED_OUT = frozenset({"drums", "bass", "pad"})
"""Parts that sit out a stripped final chorus: the voice carries it over the keys (and the
guitar), a rhythm section that keeps playing would leave it a quieter full chorus."""
STRIPPED_LEVEL: Level = "light"
"""The patterns the rest of the band plays in a stripped chorus: the style's sparsest."""
STRIPPED_ENERGY = 0.75
"""Velocity scale of a stripped chorus against the chorus's own: played softly too."""
LEAD_PART = "lead"
"""The part that plays the hook line in an intro with the hook: its own stem and track."""
LEAD_SOURCE_BY_GENRE: dict[str, str] = {"rock": "guitar", "folk": "guitar"}
"""Whose timbre plays the hook: the genre's signature guitar (distorted for rock, acoustic
for folk), the keys (electric piano for lo-fi, supersaw for synth-pop, piano) elsewhere."""
LEAD_VELOCITY = 96.0
"""A melody over the band is played out, louder than the intro's soft chords."""
LEAD_LOWEST = 55
"""The hook is played up an octave until its lowest note is at least G3, so a low singer's
hook still sings over the intro's chords instead of under them."""


# --- drum grooves per song --------------------------------------------------------------------

VARIATION_EVERY_BARS = 4
"""The last bar of every four in a section plays the song's variation bar: drummers mark
the end of a four-bar phrase."""
EXTRA_KICK_STEPS = (6, 10, 14, 3, 11)
"""Where a song's groove may add a kick: the off-beat eighths first, then pushed sixteenths."""
GHOST_SNARE_STEPS = (7, 9, 15, 2)
"""Where a song's groove may add a ghost snare note."""
TURNAROUND_FIGURES = ("x.x.", "xxxx", "..xx", "x.xx", ".xxx")
"""Snare figures over the last beat of a section that hands on to anything but a chorus."""
FILL_FIGURES: tuple[dict[str, str], ...] = (
    {"snare": "....x...x.x.xxxx", "tom_low": "................"},
    {"snare": "....x...xx......", "tom_high": "..........xx....", "tom_low": "............xxxx"},
    {"snare": "....x.......x.x.", "tom_high": "........x.x.....", "tom_low": "............x.xx"},
)
"""Fills into a chorus a song may use instead of its style's own (kick and hats kept from it)."""


def _put(steps: str, step: int, token: str) -> str:
    return steps[:step] + token + steps[step + 1 :]


def _vary_groove(bar: DrumBar, swung: bool, rng: np.random.Generator) -> dict[str, str]:
    """One song's version of a style's groove: a kick moved or added, a ghost snare, an open
    hat at the end of the bar, each drawn, so two songs of a style rarely share a groove."""
    varied = dict(bar)
    kick = varied.get("kick", "." * PATTERN_STEPS)
    # swung styles swing eighths only: their added hits stay on the eighth grid
    candidates = [s for s in EXTRA_KICK_STEPS if kick[s] == "." and not (swung and s % 2)]
    draws = rng.random(4)
    if candidates and draws[0] < 0.75:
        kick = _put(kick, candidates[int(draws[1] * len(candidates))], "x")
    later_kicks = [s for s, t in enumerate(kick) if t != "." and s > 0]
    if len(later_kicks) >= 2 and draws[2] < 0.35:
        kick = _put(kick, later_kicks[int(draws[3] * len(later_kicks))], ".")
    varied["kick"] = kick
    if "snare" in varied and rng.random() < 0.6:
        snare = varied["snare"]
        free = [s for s in GHOST_SNARE_STEPS if snare[s] == "." and not (swung and s % 2)]
        if free:
            varied["snare"] = _put(snare, free[int(rng.integers(len(free)))], "o")
    if "hat" in varied and rng.random() < 0.4 and "open_hat" not in varied:
        hat = varied["hat"]
        if hat[14] != ".":
            varied["hat"] = _put(hat, 14, ".")
            varied["open_hat"] = _put("." * PATTERN_STEPS, 14, "x")
    return varied


def _variation_bar(groove: DrumBar, swung: bool, rng: np.random.Generator) -> dict[str, str]:
    """The groove with one more kick late in the bar and a crash-free accent: the fourth bar."""
    varied = dict(groove)
    kick = varied.get("kick", "." * PATTERN_STEPS)
    late = [s for s in (14, 12, 10) if kick[s] == "."]
    if late:
        varied["kick"] = _put(kick, late[int(rng.integers(len(late)))], "x")
    snare = varied.get("snare", "." * PATTERN_STEPS)
    if snare[15 if not swung else 14] == ".":
        varied["snare"] = _put(snare, 15 if not swung else 14, "o")
    return varied


def _turnaround(groove: DrumBar, figure: str) -> dict[str, str]:
    """The groove whose last beat is a short snare figure: a section's end."""
    tail = PATTERN_STEPS - len(figure)
    bar = {voice: steps[:tail] + "." * len(figure) for voice, steps in groove.items()}
    bar["snare"] = bar.get("snare", "." * PATTERN_STEPS)[:tail] + figure
    return bar


@dataclass(frozen=True)
class DrumPlan:
    """What the drummer plays in one song: grooves per level, a variation bar per level, the
    fill into a chorus and the turnaround figure at other section ends."""

    grooves: dict[Level, dict[str, str]]
    variations: dict[Level, dict[str, str]]
    fill: dict[str, str]
    turnaround: str


def plan_drums(style: StyleModel, rng: np.random.Generator) -> DrumPlan:
    swung = style.swing > 0
    grooves = {level: _vary_groove(bar, swung, rng) for level, bar in style.drums.items()}
    variations = {level: _variation_bar(bar, swung, rng) for level, bar in grooves.items()}
    choice = int(rng.integers(len(FILL_FIGURES) + 1))
    fill = dict(style.fill)
    if choice < len(FILL_FIGURES):
        kept = {v: steps for v, steps in style.fill.items() if v in ("kick", "hat")}
        fill = {**kept, **FILL_FIGURES[choice]}
    turnaround = TURNAROUND_FIGURES[int(rng.integers(len(TURNAROUND_FIGURES)))]
    return DrumPlan(grooves, variations, fill, turnaround)


@dataclass(frozen=True)
class PatternNote:
    step: int
    length: int
    """In sixteenth steps, counting the held ``-`` steps."""
    token: str


@lru_cache(maxsize=256)
def parse_pattern(text: str) -> tuple[PatternNote, ...]:
    """``"R---5---"``-style 16-step strings → notes (see :mod:`vartist.composer.styles`)."""
    if len(text) != PATTERN_STEPS:
        raise ValueError(f"pattern {text!r} has {len(text)} steps; write exactly {PATTERN_STEPS}")
    notes = []
    for step, token in enumerate(text):
        if token in ".-":
            continue
        length = 1
        while step + length < PATTERN_STEPS and text[step + length] == "-":
            length += 1
        notes.append(PatternNote(step, length, token))
    return tuple(notes)


def _candidate_voicings(
    tones: tuple[int, ...], low: int, high: int, spread: bool
) -> list[tuple[int, ...]]:
    """Every placement of a chord inside [low, high]: close inversions, or (spread) the root
    at the bottom, then the fifth and seventh, then the third an octave up."""
    voicings = []
    if spread:
        root = tones[0]
        above = [(t - root) % 12 for t in tones[1:]]
        # root, fifth (and seventh), third an octave up: at most 16 semitones wide
        shape = [0, above[1], above[0] + 12, *above[2:]]
        for base in range(low, high + 1):
            if base % 12 == root and base + max(shape) <= high:
                voicings.append(tuple(sorted(base + s for s in shape)))
        return voicings
    for inversion in range(len(tones)):
        order = tones[inversion:] + tones[:inversion]
        for base in range(low, high + 1):
            if base % 12 != order[0]:
                continue
            pitches = [base]
            for pc in order[1:]:
                pitches.append(pitches[-1] + ((pc - pitches[-1]) % 12 or 12))
            if pitches[-1] <= high:
                voicings.append(tuple(pitches))
    return voicings


def _movement(previous: tuple[int, ...], voicing: tuple[int, ...]) -> float:
    if len(previous) == len(voicing):
        return float(sum(abs(a - b) for a, b in zip(previous, voicing, strict=True)))
    return float(sum(min(abs(p - q) for q in previous) for p in voicing))


def voice_lead(
    chords: Sequence[Chord], low: int, high: int, spread: bool = False
) -> list[tuple[int, ...]]:
    """A voicing per chord inside [low, high], each moving as little as it can from the last."""
    centre = (low + high) / 2
    voicings: list[tuple[int, ...]] = []
    previous: tuple[int, ...] | None = None
    for chord in chords:
        candidates = _candidate_voicings(chord_tones(chord), low, high, spread)
        if not candidates:  # a register too narrow for the chord: stack it from `low`
            candidates = _candidate_voicings(chord_tones(chord), low, low + 40, spread)

        def cost(voicing: tuple[int, ...], previous: tuple[int, ...] | None = previous) -> float:
            drift = abs(sum(voicing) / len(voicing) - centre)
            return (_movement(previous, voicing) if previous else 0.0) + 0.3 * drift

        previous = min(candidates, key=cost)
        voicings.append(previous)
    return voicings


def register_avoiding_vocal(
    vocal: Sequence[VocalNote],
    width: int,
    preferred_centre: float,
    lowest: int,
    highest: int,
    overlap_weight: float = 3.0,
) -> tuple[int, int]:
    """The ``width``-semitone register inside [lowest, highest] that shares the fewest sung
    beats with the melody, traded against distance from the instrument's home register."""
    pitches = np.array([n.pitch for n in vocal], dtype=float)
    weights = np.array([n.duration for n in vocal], dtype=float)
    total = max(float(weights.sum()), 1e-9)
    best: tuple[float, int] | None = None
    for low in range(lowest, highest - width + 1):
        inside = (pitches >= low) & (pitches <= low + width)
        overlap = float(weights[inside].sum()) / total
        cost = overlap_weight * overlap + abs(low + width / 2 - preferred_centre) / 12
        if best is None or cost < best[0]:
            best = (cost, low)
    low = best[1] if best else lowest
    return low, low + width


@dataclass
class _RawNotes:
    """Notes of one part before velocities are humanised."""

    starts: list[float]
    durations: list[float]
    pitches: list[int]
    velocities: list[float]

    @classmethod
    def empty(cls) -> _RawNotes:
        return cls([], [], [], [])

    def add(self, start: float, duration: float, pitch: int, velocity: float) -> None:
        self.starts.append(start)
        self.durations.append(duration)
        self.pitches.append(pitch)
        self.velocities.append(velocity)


class _Band:
    """Plays one song: holds the chord track, voicings and registers the patterns need."""

    def __init__(
        self,
        sections: Sequence[PlannedSection],
        chords: Sequence[Chord],
        key: Key,
        style: StyleModel,
        vocal: Sequence[VocalNote],
        drum_plan: DrumPlan,
    ) -> None:
        self.drum_plan = drum_plan
        self.sections = sections
        self.chords = chords
        self.chord_starts = [c.start for c in chords]
        self.key = key
        self.style = style
        self.total_beats = sections[-1].span.end
        keys_low, keys_high = register_avoiding_vocal(vocal, _KEYS_WIDTH, 60.0, 45, 84)
        pad_low, pad_high = register_avoiding_vocal(vocal, _PAD_WIDTH, 58.0, 38, 82, 1.5)
        self.keys_voicings = voice_lead(chords, keys_low, keys_high)
        self.pad_voicings = voice_lead(chords, pad_low, pad_high, spread=True)
        self.vocal = vocal
        self.parts = {name: _RawNotes.empty() for name in (*_INSTRUMENTS, LEAD_PART)}

    # --- time and harmony helpers ---

    def _swung(self, beat: float) -> float:
        return swung_beat(beat, self.style.swing)

    def _chord_index(self, beat: float) -> int:
        return chord_index_at(self.chord_starts, beat)

    def _chord_segments(self, start: float, end: float) -> list[tuple[int, float, float]]:
        """(chord index, start, end) pieces of [start, end) split at chord changes, so a held
        note re-sounds on the new chord instead of clashing with it."""
        segments = []
        index = self._chord_index(start)
        while start < end - 1e-9:
            chord_end = self.chords[index].end if index < len(self.chords) else end
            piece_end = min(end, chord_end)
            if piece_end <= start:  # past the last chord: nothing left to play
                break
            segments.append((index, start, piece_end))
            start = piece_end
            index = min(index + 1, len(self.chords) - 1)
        return segments

    def _next_root(self, index: int) -> int:
        return self.chords[min(index + 1, len(self.chords) - 1)].root

    # --- pitches for pattern tokens ---

    def _bass_pitches(self, index: int, token: str) -> list[int]:
        chord = self.chords[index]
        root = _BASS_LOWEST + (chord.root - _BASS_LOWEST) % 12
        intervals = CHORD_INTERVALS[chord.quality]
        if token == "5":
            return [root + intervals[2]]
        if token == "8":
            return [root + 12]
        if token == "3":
            return [root + intervals[1]]
        if token == "A":
            target = _BASS_LOWEST + (self._next_root(index) - _BASS_LOWEST) % 12
            for offset in (-1, -2, 1, 2):  # a half or whole step into the next root
                if (target + offset) % 12 in self.key.scale:
                    return [target + offset]
            return [target]
        return [root]

    def _keys_pitches(self, index: int, token: str) -> list[int]:
        voicing = self.keys_voicings[index]
        if token == "L":
            return [voicing[0]]
        if token == "H":
            return [voicing[-1]]
        if token.isdigit():
            return [voicing[(int(token) - 1) % len(voicing)]]
        return list(voicing)

    def _guitar_voicing(self, index: int) -> list[int]:
        chord = self.chords[index]
        root = _GUITAR_LOWEST + (chord.root - _GUITAR_LOWEST) % 12
        intervals = CHORD_INTERVALS[chord.quality]
        if self.style.guitar_voicing == "power":
            return [root, root + intervals[2], root + 12]
        upper = root + (intervals[3] if len(intervals) == 4 else 12)
        return [
            root,
            root + intervals[2],
            upper,
            root + 12 + intervals[1],
            root + 12 + intervals[2],
        ]

    # --- playing ---

    def _play_pitched(
        self,
        part: str,
        pattern: str,
        bar_start: float,
        velocity: float,
        pitches_for: Callable[[int, str], list[int]],
    ) -> None:
        notes = self.parts[part]
        for note in parse_pattern(pattern):
            start = bar_start + note.step * STEP_BEATS
            end = start + note.length * STEP_BEATS
            for index, piece_start, piece_end in self._chord_segments(start, end):
                onset, release = self._swung(piece_start), self._swung(piece_end)
                accent = 1.06 if note.step == 0 else 1.0
                for pitch in pitches_for(index, note.token):
                    notes.add(onset, release - onset, pitch, velocity * accent)

    def _play_guitar(self, pattern: str, bar_start: float, velocity: float) -> None:
        notes = self.parts["guitar"]
        for note in parse_pattern(pattern):
            start = bar_start + note.step * STEP_BEATS
            end = start + note.length * STEP_BEATS
            for index, piece_start, piece_end in self._chord_segments(start, end):
                onset, release = self._swung(piece_start), self._swung(piece_end)
                voicing = self._guitar_voicing(index)
                if note.token.isdigit():
                    strings = [voicing[(int(note.token) - 1) % len(voicing)]]
                    scale = 0.9
                elif note.token == "U":
                    strings = voicing[::-1][:3]
                    scale = 0.78
                else:
                    strings = voicing
                    scale = 1.0
                for i, pitch in enumerate(strings):
                    delay = i * STRUM_SPREAD_BEATS
                    notes.add(onset + delay, release - onset - delay, pitch, velocity * scale)

    def _play_drums(self, bar: DrumBar, bar_start: float, energy: float, crash: bool) -> None:
        notes = self.parts["drums"]
        for voice, steps in bar.items():
            pitch = DRUM_NOTES[voice]
            for note in parse_pattern(steps):
                if crash and note.step == 0 and voice in ("hat", "ride"):
                    continue  # the crash takes the hat's place on the downbeat
                onset = self._swung(bar_start + note.step * STEP_BEATS)
                notes.add(onset, DRUM_HIT_BEATS, pitch, _DRUM_VELOCITY[note.token] * energy)
        if crash:
            notes.add(bar_start, CRASH_BEATS, DRUM_NOTES["crash"], 108.0 * energy)

    def _play_ending(self, parts: frozenset[str], bar_start: float, energy: float) -> None:
        """The last bar: everyone plays one final chord on the downbeat and lets it ring."""
        ring = float(BEATS_PER_BAR)
        index = self._chord_index(bar_start)
        if "drums" in parts:
            self.parts["drums"].add(bar_start, DRUM_HIT_BEATS, DRUM_NOTES["kick"], 110 * energy)
            self.parts["drums"].add(bar_start, CRASH_BEATS, DRUM_NOTES["crash"], 112 * energy)
        chords_for = {
            "bass": self._bass_pitches(index, "R"),
            "keys": self._keys_pitches(index, "C"),
            "pad": list(self.pad_voicings[index]),
            "guitar": self._guitar_voicing(index),
        }
        for part, pitches in chords_for.items():
            if part in parts and (part != "guitar" or self.style.guitar):
                for pitch in pitches:
                    self.parts[part].add(bar_start, ring, pitch, _PART_VELOCITY[part] * energy)

    def play(self) -> None:
        style = self.style
        for number, planned in enumerate(self.sections):
            arrangement = style.sections[planned.role]
            parts, level, energy = arrangement.parts, arrangement.level, arrangement.energy
            if planned.stripped:
                parts, level = parts - STRIPPED_OUT, STRIPPED_LEVEL
                energy *= STRIPPED_ENERGY
            following = self.sections[number + 1] if number + 1 < len(self.sections) else None
            for bar in range(planned.bars):
                bar_start = planned.span.start + bar * BEATS_PER_BAR
                is_last_bar = bar == planned.bars - 1
                if is_last_bar and following is None:
                    self._play_ending(parts, bar_start, energy)
                    continue
                # a fill leads into every chorus that has drums, even out of a drumless
                # section, where it works as the build-up
                fill = (
                    is_last_bar
                    and following is not None
                    and following.role == "chorus"
                    and not following.stripped
                    and "drums" in style.sections["chorus"].parts
                )
                if "drums" in parts or fill:
                    crash = bar == 0 and bar_start > 0 and "drums" in parts
                    pattern = self._drum_bar(level, bar, planned.bars, fill, following)
                    self._play_drums(pattern, bar_start, energy, crash)
                if "bass" in parts:
                    velocity = _PART_VELOCITY["bass"] * energy
                    self._play_pitched(
                        "bass", style.bass[level], bar_start, velocity, self._bass_pitches
                    )
                if "keys" in parts:
                    velocity = _PART_VELOCITY["keys"] * energy
                    self._play_pitched(
                        "keys", style.keys[level], bar_start, velocity, self._keys_pitches
                    )
                if "guitar" in parts and style.guitar:
                    self._play_guitar(
                        style.guitar[level], bar_start, _PART_VELOCITY["guitar"] * energy
                    )
            if "pad" in parts:
                self._play_pad(planned, energy)
            if planned.hook_section is not None:
                self._play_hook(planned, planned.hook_section)

    def _play_hook(self, intro: PlannedSection, lyric_section: int) -> None:
        """The hook line, as the voice sings it in the chorus, played by the lead in the
        intro (over the chorus's chords, which the composer put there)."""
        found = hook_phrase(self.sections, lyric_section)
        if found is None:
            return
        chorus, phrase = found
        line_start = chorus.span.start + phrase.start
        line = [
            note
            for note in self.vocal
            if line_start <= note.start < line_start + phrase.rhythm.beats
            and note.syllable.section == lyric_section
            and note.syllable.line == phrase.line
        ]
        if not line:
            return
        shift = intro.span.start + hook_entry_beats(intro, phrase.rhythm.beats) - line_start
        octaves = math.ceil(max(0, LEAD_LOWEST - min(n.pitch for n in line)) / 12)
        for note in line:
            start, end = note.start + shift, min(note.end + shift, intro.span.end)
            if end - start > 1e-9:
                self.parts[LEAD_PART].add(
                    start, end - start, note.pitch + 12 * octaves, LEAD_VELOCITY
                )

    def _drum_bar(
        self,
        level: Level,
        bar: int,
        bars: int,
        fill: bool,
        following: PlannedSection | None,
    ) -> DrumBar:
        """The bar's drum pattern: the fill into a chorus, a turnaround at other section
        ends, the variation bar closing each four bars, the song's groove otherwise."""
        plan = self.drum_plan
        if fill:
            return plan.fill
        groove = plan.grooves[level]
        if bar == bars - 1 and following is not None and bars >= 2:
            return _turnaround(groove, plan.turnaround)
        if bar % VARIATION_EVERY_BARS == VARIATION_EVERY_BARS - 1:
            return plan.variations[level]
        return groove

    def _play_pad(self, planned: PlannedSection, energy: float) -> None:
        end = planned.span.end - (BEATS_PER_BAR if planned is self.sections[-1] else 0.0)
        for index, start, stop in self._chord_segments(planned.span.start, end):
            for pitch in self.pad_voicings[index]:
                self.parts["pad"].add(start, stop - start, pitch, _PART_VELOCITY["pad"] * energy)

    def finish(self, rng: np.random.Generator) -> tuple[Part, ...]:
        parts = []
        for name, raw in self.parts.items():
            if not raw.starts:
                continue
            # a player is never exactly even: small velocity differences keep the part alive
            velocities = np.asarray(raw.velocities) + rng.normal(0.0, 3.0, len(raw.velocities))
            velocities = np.clip(np.round(velocities), 1, 127).astype(int)
            notes = _without_same_pitch_overlaps(
                [
                    Note(round(s, 6), round(d, 6), p, int(v))
                    for s, d, p, v in zip(
                        raw.starts, raw.durations, raw.pitches, velocities, strict=True
                    )
                ],
                self.total_beats,
            )
            # the lead borrows its timbre from the part that plays the hook in this genre
            timbre = (
                LEAD_SOURCE_BY_GENRE.get(self.style.name, "keys") if name == LEAD_PART else name
            )
            parts.append(
                Part(
                    name=name,
                    instrument=_INSTRUMENTS[timbre],
                    notes=notes,
                    is_drums=name == "drums",
                    midi_program=self.style.programs.get(timbre, 0),
                )
            )
        return tuple(parts)


def _without_same_pitch_overlaps(notes: list[Note], total_beats: float) -> tuple[Note, ...]:
    """Cut each note where the next note of the same pitch starts (a MIDI note-off would cut
    the later one otherwise) and at the end of the song."""
    notes.sort(key=lambda n: (n.pitch, n.start))
    kept: list[Note] = []
    for i, note in enumerate(notes):
        end = min(note.end, total_beats)
        following = notes[i + 1] if i + 1 < len(notes) else None
        if following is not None and following.pitch == note.pitch:
            end = min(end, following.start)
        if end - note.start >= 1e-3:
            kept.append(Note(note.start, round(end - note.start, 6), note.pitch, note.velocity))
    kept.sort(key=lambda n: (n.start, n.pitch))
    return tuple(kept)


def arrange(
    sections: Sequence[PlannedSection],
    chords: Sequence[Chord],
    key: Key,
    style: StyleModel,
    vocal: Sequence[VocalNote],
    rng: np.random.Generator,
) -> tuple[Part, ...]:
    """The accompaniment parts for a song whose form, chords and melody are written."""
    band = _Band(sections, chords, key, style, vocal, plan_drums(style, rng))
    band.play()
    return band.finish(rng)
