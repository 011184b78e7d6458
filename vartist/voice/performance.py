"""Plans a sung performance: which spoken frame sounds at every 5 ms frame of the song.

For each sung syllable the onset consonants go just before its first note so the vowel lands
on the beat, the vowel is held through the note (and any melisma notes after it) drifting once
over its steadiest part, and the coda consonants close the syllable just before
the next onset. Rests before phrases get a soft breath. The plan is plain per-frame arrays,
which the singer turns into WORLD parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vartist.composer.score import Score, SyllableRef, VocalNote
from vartist.lyrics.types import Syllable
from vartist.voice.errors import UnsingableScoreError
from vartist.voice.phonetics import PhoneKind, is_diphthong, phone_kinds
from vartist.voice.spoken import FRAME_SECONDS, SpokenWord
from vartist.voice.styles import STYLES, SingingStyle, section_lift_db
from vartist.voice.types import SungPhoneme
from vartist.voice.visemes import visemes_of

WordKey = tuple[tuple[str, ...], ...]
"""A word by its syllables' phonemes: the same word sung twice is spoken and analysed once."""

# Consonant timing, in frames of FRAME_SECONDS.
ONSET_MAX_AFTER_REST = 30
"""Onset consonants sung into a rest keep up to 150 ms, their spoken length or less."""
ONSET_MAX_LEGATO = 24
"""Onsets squeezed between notes keep up to 120 ms: squeezed shorter, a cluster loses its
first consonants to the listener (train heard as pain, cross as pause)."""
ONSET_SHARE_OF_PREVIOUS = 0.4
"""An onset may take at most this share of the previous note: a singer cuts the held vowel
short to say the next word's consonants at their natural length."""
CODA_MAX = 24
CODA_SHARE = 0.3
# The share of the spoken vowel a held note drifts through, once, between attack and release.
MONOPHTHONG_DRIFT = (0.3, 0.7)
DIPHTHONG_DRIFT = (0.1, 0.45)
"""A singer holds the first part of a diphthong and glides to the second at the end."""
DRIFT_LEVEL_RANGE = (0.25, 4.0)
"""Bounds on the power gain that holds a drifting vowel's level (6 dB either way)."""
SILENT_ENERGY = 1e-12
"""Least envelope power a frame is taken to have, so a silent one never divides by zero."""
# Breaths in rests before phrases.
BREATH_MIN_REST = 80
BREATH_MAX = 70
BREATH_GAP = 10
BREATH_POWER = 10 ** (-28 / 10)
"""A breath sits about 28 dB under the sung vowel it precedes."""
CONSONANT_POWER = 10 ** (-4 / 10)
"""Singers carry the tone on vowels: coda consonants sit 4 dB under the spoken balance."""
ONSET_POWER = 1.0
"""Onset consonants keep their spoken balance with the vowel: they tell the listener which
word begins, and 4 dB lower they were heard as their neighbours (w as m, k as h)."""
GLOTTAL_GAP = 4
"""Frames (20 ms) of closure before a word that begins with its vowel, as a singer's glottal
onset: sung legato, the previous word's last sound ran into it and was heard as a new
consonant (it as did, I as my)."""
GLOTTAL_RAMP = 2
"""Frames either side of the closure over which the level dips and returns: a cut to silence
in one frame clicks."""
GLOTTAL_FLOOR = 10 ** (-30 / 10)
"""The closure's depth, 30 dB under the vowel: voicing never stops, so the pitch stays whole."""
WORD_GAP = 8
"""Frames (40 ms) of silence before a word that begins with a consonant, out of the previous
note's time: a singer articulates word boundaries. Run together, words blur into each other;
measured with Whisper, this gap alone raised Nova's lines understood from 44% to 61%."""
WORD_GAP_SHARE = 0.25
"""The gap takes at most this share of the note before it."""
SWELL_MIN_FRAMES = 50
"""Vowels held 250 ms or longer swell (the style says how much); shorter ones stay level."""
SWELL_RISE_SHARE = 0.7
"""A held vowel grows over this share of its length and holds its height to the end. It grows
from its spoken level, never from below it: a vowel that began quieter blurred its onset."""
LEVEL_EQUALISING = 0.3
"""How far (0 none, 1 fully) each vowel's level is pulled to the song's typical vowel level:
espeak-ng speaks unstressed syllables much quieter than a singer sings them."""


@dataclass
class SyllableGroup:
    """One sung syllable: its first note and the melisma notes that continue its vowel."""

    ref: SyllableRef
    syllable: Syllable
    notes: list[VocalNote] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0


@dataclass(frozen=True)
class WordBank:
    """Every spoken word's envelope stacked into one array, for one gather per frame."""

    envelope: npt.NDArray[np.float64]
    offsets: Mapping[WordKey, int]
    words: Mapping[WordKey, SpokenWord]

    @classmethod
    def stack(cls, words: Mapping[WordKey, SpokenWord]) -> WordBank:
        offsets: dict[WordKey, int] = {}
        row = 0
        for key, word in words.items():
            offsets[key] = row
            row += word.envelope.shape[0]
        envelopes = [w.envelope for w in words.values()]
        stacked = np.concatenate(envelopes) if envelopes else np.zeros((1, 1))
        return cls(stacked, offsets, dict(words))


@dataclass
class PerformancePlan:
    """Per-frame instructions for the vocoder, plus the phonemes' sung times."""

    row: npt.NDArray[np.int64]
    """Bank row that sounds at each frame."""
    next_row: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    """Blend towards ``next_row``: a held vowel drifts between frames, not just across them."""
    gain: npt.NDArray[np.float64]
    """Power gain on the envelope."""
    kind: npt.NDArray[np.int8]
    """:class:`PhoneKind` of each frame; SILENCE where nothing sounds."""
    swell: npt.NDArray[np.float64]
    """How far each frame is into a held vowel's swell, 0 to 1: the singer brightens with it."""
    phonemes: list[SungPhoneme]

    @classmethod
    def silent(cls, frame_count: int) -> PerformancePlan:
        return cls(
            row=np.zeros(frame_count, np.int64),
            next_row=np.zeros(frame_count, np.int64),
            weight=np.zeros(frame_count),
            gain=np.zeros(frame_count),
            kind=np.zeros(frame_count, np.int8),
            swell=np.zeros(frame_count),
            phonemes=[],
        )


def word_key(score: Score, ref: SyllableRef) -> WordKey:
    line = score.lyrics.sections[ref.section].lines[ref.line]
    return tuple(s.phonemes for s in line.words[ref.word].syllables)


def syllable_groups(score: Score) -> list[SyllableGroup]:
    """The vocal line as sung syllables, in time order, with melisma notes folded in."""
    groups: list[SyllableGroup] = []
    for note in sorted(score.vocal, key=lambda n: n.start):
        if note.duration <= 0:
            raise UnsingableScoreError(
                f"the vocal note at beat {note.start:g} has duration {note.duration:g}; "
                "every note needs a positive length"
            )
        try:
            syllable = score.syllable(note.syllable)
        except IndexError:
            raise UnsingableScoreError(
                f"the vocal note at beat {note.start:g} points at syllable {note.syllable}, "
                "which the score's lyrics do not have; the composer must bind notes to "
                "existing syllables"
            ) from None
        if not syllable.phonemes or not 0 <= syllable.nucleus < len(syllable.phonemes):
            raise UnsingableScoreError(
                f"syllable {syllable.text!r} has phonemes {syllable.phonemes} and nucleus "
                f"{syllable.nucleus}; give it phonemes and the index of its vowel"
            )
        if note.melisma and groups and groups[-1].ref == note.syllable:
            groups[-1].notes.append(note)
            groups[-1].end = score.seconds(note.end)
            continue
        groups.append(
            SyllableGroup(
                ref=note.syllable,
                syllable=syllable,
                notes=[note],
                start=score.seconds(note.start),
                end=score.seconds(note.end),
            )
        )
    return groups


def _linear_positions(source_start: int, source_end: int, frames: int) -> npt.NDArray[np.float64]:
    """Source positions that play [source_start, source_end) over ``frames`` frames."""
    span = max(source_end - source_start, 1)
    positions = source_start + (np.arange(frames) + 0.5) * span / max(frames, 1) - 0.5
    return np.clip(positions, source_start, source_start + span - 1)


def vowel_positions(
    source_start: int, source_end: int, frames: int, diphthong: bool
) -> tuple[npt.NDArray[np.float64], slice]:
    """Source positions that hold a vowel for ``frames`` frames, and which of those frames
    drift (an empty slice when the note is too short to hold).

    The attack (the consonant-to-vowel transition) and the release play at spoken speed; in
    between the position drifts once over the steady part with a raised cosine, so the vowel
    never freezes and arrives exactly where the release begins. It used to sway back and
    forth every 0.3 s, and Whisper heard each sweep as a syllable ("ago" held for two seconds
    as "go, go, go"); drifting once, the intelligibility benchmark's sung lines passing over
    nine seeds went from 84.2% to 86.0%.
    """
    length = source_end - source_start
    span = DIPHTHONG_DRIFT if diphthong else MONOPHTHONG_DRIFT
    drift_start = source_start + round(span[0] * length)
    drift_end = max(drift_start, source_start + round(span[1] * length) - 1)
    attack = drift_start - source_start
    release = source_end - drift_end
    hold = frames - attack - release
    if hold <= 0 or length < 2:
        return _linear_positions(source_start, source_end, frames), slice(0, 0)
    phase = np.pi * np.arange(hold) / hold
    drift = drift_start + (drift_end - drift_start) * (1.0 - np.cos(phase)) / 2.0
    positions = np.concatenate(
        [
            np.arange(source_start, drift_start, dtype=np.float64),
            drift,
            np.arange(drift_end, source_end, dtype=np.float64),
        ]
    )
    return positions, slice(attack, attack + hold)


def level_while_drifting(
    row_energy: npt.NDArray[np.float64], positions: npt.NDArray[np.float64], drifting: slice
) -> npt.NDArray[np.float64]:
    """Power gain per vowel frame that keeps a drifting vowel at the level it reached when the
    drift began: a spoken vowel fades towards its end, and drifting through it, a held note
    faded instead of swelling. The drift changes the vowel's colour, not its loudness."""
    level = np.ones(positions.size)
    rows = np.floor(positions[drifting]).astype(np.int64)
    if rows.size:
        energy = np.maximum(row_energy[rows], SILENT_ENERGY)
        level[drifting] = np.clip(energy[0] / energy, *DRIFT_LEVEL_RANGE)
    return level


def _split_frames(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` frames among phonemes in proportion to their spoken lengths."""
    if not weights:
        return []
    shares = np.maximum(np.asarray(weights, dtype=np.float64), 1.0)
    edges = np.round(np.cumsum(shares) / shares.sum() * total).astype(int)
    return np.diff(np.concatenate([[0], edges])).tolist()


class _PlanWriter:
    """Writes placed source frames into a plan, clipping at the song's edges."""

    def __init__(self, frame_count: int) -> None:
        self.frame_count = frame_count
        self.plan = PerformancePlan.silent(frame_count)

    def place(
        self,
        first_frame: int,
        positions: npt.NDArray[np.float64],
        source_end: int,
        kind: PhoneKind,
        gain: float | npt.NDArray[np.float64],
    ) -> None:
        """Write frames from ``first_frame`` that play bank rows at ``positions``."""
        last_frame = min(first_frame + positions.size, self.frame_count)
        skip = max(0, -first_frame)
        if last_frame <= first_frame + skip:
            return
        used = slice(skip, last_frame - first_frame)
        target = slice(first_frame + skip, last_frame)
        rows = np.floor(positions[used]).astype(np.int64)
        plan = self.plan
        plan.row[target] = rows
        plan.next_row[target] = np.minimum(rows + 1, source_end - 1)
        plan.weight[target] = positions[used] - rows
        plan.gain[target] = gain if np.isscalar(gain) else np.asarray(gain)[used]
        plan.kind[target] = kind


def _vowel_energy(word: SpokenWord, phoneme: int) -> float:
    start, end = word.phoneme_frames[phoneme]
    frames = word.envelope[start : max(end, start + 1)]
    return float(np.mean(frames.sum(axis=1))) if frames.size else 0.0


def plan_performance(
    score: Score,
    groups: Sequence[SyllableGroup],
    bank: WordBank,
    frame_count: int,
    rng: np.random.Generator,
    style: SingingStyle = STYLES["clean"],
) -> PerformancePlan:
    """Place every sung syllable's phonemes on the song's frame grid; ``style`` sets how held
    vowels swell and how much the chorus is lifted."""
    language = score.lyrics.language
    writer = _PlanWriter(frame_count)
    if not groups:
        return writer.plan

    def to_frame(seconds: float) -> int:
        return round(seconds / FRAME_SECONDS)

    words = [bank.words[word_key(score, g.ref)] for g in groups]
    phoneme_ranges = [
        w.syllable_phonemes(g.ref.syllable) for w, g in zip(words, groups, strict=True)
    ]
    starts = [to_frame(g.start) for g in groups]
    # a syllable's last frame ends by its note's end, never half a frame after it
    ends = [
        max(int(np.floor(g.end / FRAME_SECONDS + 1e-6)), s + 1)
        for g, s in zip(groups, starts, strict=True)
    ]
    last_note_frames = [max(1, to_frame(score.seconds(g.notes[-1].duration))) for g in groups]

    def spoken_length(word: SpokenWord, phoneme: int) -> int:
        start, end = word.phoneme_frames[phoneme]
        return end - start

    # Pass 1: how long each onset is and where it begins.
    onset_lengths: list[int] = []
    for i, group in enumerate(groups):
        onset = phoneme_ranges[i][: group.syllable.nucleus]
        spoken = sum(spoken_length(words[i], p) for p in onset)
        if i == 0:
            rest, room = starts[0], starts[0]
        else:
            rest = max(0, starts[i] - ends[i - 1])
            room = rest + int(ONSET_SHARE_OF_PREVIOUS * last_note_frames[i - 1])
        cap = ONSET_MAX_AFTER_REST if rest >= spoken else ONSET_MAX_LEGATO
        onset_lengths.append(max(0, min(spoken, cap, room)))
    # a vowel-initial word gets a short closure before it, out of the previous note's time
    glottal_gaps = [
        GLOTTAL_GAP if i > 0 and g.syllable.nucleus == 0 and g.ref.syllable == 0 else 0
        for i, g in enumerate(groups)
    ]
    word_gaps = [
        _word_gap(g, last_note_frames[i - 1]) if i > 0 else 0 for i, g in enumerate(groups)
    ]

    vowel_energies = [
        _vowel_energy(w, r[g.syllable.nucleus])
        for w, r, g in zip(words, phoneme_ranges, groups, strict=True)
    ]
    typical_energy = float(np.median([e for e in vowel_energies if e > 0] or [1.0]))
    row_energy = bank.envelope.sum(axis=1)

    previous_end = 0
    for i, group in enumerate(groups):
        word, phonemes, syllable = words[i], phoneme_ranges[i], group.syllable
        offset = bank.offsets[word_key(score, group.ref)]
        kinds = list(phone_kinds(syllable.phonemes))
        kinds[syllable.nucleus] = PhoneKind.VOWEL  # the held sound is always voiced
        visemes = visemes_of(syllable.phonemes, language)
        energy = vowel_energies[i]
        gain = (typical_energy / energy) ** LEVEL_EQUALISING if energy > 0 else 1.0
        gain = float(np.clip(gain, 0.25, 4.0))
        section_kind = score.lyrics.sections[group.ref.section].kind
        gain *= 10 ** (section_lift_db(style, section_kind) / 10)

        onset_begin = starts[i] - onset_lengths[i]
        next_onset = (
            starts[i + 1] - onset_lengths[i + 1] - glottal_gaps[i + 1] - word_gaps[i + 1]
            if i + 1 < len(groups)
            else ends[i]
        )
        sung_end = max(starts[i] + 1, min(ends[i], next_onset))
        coda = phonemes[syllable.nucleus + 1 :]
        coda_spoken = sum(spoken_length(word, p) for p in coda)
        coda_length = min(coda_spoken, CODA_MAX, int(CODA_SHARE * (sung_end - starts[i])))
        vowel_end = sung_end - coda_length

        if onset_begin - previous_end >= BREATH_MIN_REST:
            _breathe(
                writer, previous_end, onset_begin, word, phonemes[syllable.nucleus], offset, rng
            )

        # onset consonants, compressed to their share of the time before the beat
        spans = _place_consonants(
            writer,
            onset_begin,
            onset_lengths[i],
            word,
            offset,
            phonemes[: syllable.nucleus],
            kinds[: syllable.nucleus],
            gain * ONSET_POWER,
        )
        # the vowel, held through the note and its melisma continuation
        vowel = phonemes[syllable.nucleus]
        source_start, source_end = (offset + f for f in word.phoneme_frames[vowel])
        source_end = max(source_end, source_start + 1)
        positions, drifting = vowel_positions(
            source_start, source_end, vowel_end - starts[i], is_diphthong(syllable.vowel)
        )
        swell = held_vowel_swell(vowel_end - starts[i])
        writer.place(
            starts[i],
            positions,
            source_end,
            PhoneKind.VOWEL,
            gain
            * 10 ** (style.swell_db * swell / 10)
            * level_while_drifting(row_energy, positions, drifting),
        )
        first, last = max(0, starts[i]), min(vowel_end, frame_count)
        if last > first:
            writer.plan.swell[first:last] = swell[first - starts[i] : last - starts[i]]
        if glottal_gaps[i]:
            _glottal_onset(writer, starts[i], glottal_gaps[i], source_start, source_end, gain)
        spans.append((starts[i], vowel_end))
        # coda consonants close the syllable before the next onset
        spans += _place_consonants(
            writer,
            vowel_end,
            coda_length,
            word,
            offset,
            phonemes[syllable.nucleus + 1 :],
            kinds[syllable.nucleus + 1 :],
            gain * CONSONANT_POWER,
        )
        previous_end = max(sung_end, spans[-1][1])

        for k, (first, last) in enumerate(spans):
            writer.plan.phonemes.append(
                SungPhoneme(
                    start=max(0, first) * FRAME_SECONDS,
                    end=max(0, last) * FRAME_SECONDS,
                    phoneme=syllable.phonemes[k],
                    viseme=visemes[k],
                    syllable=group.ref,
                )
            )
    return writer.plan


def held_vowel_swell(frames: int) -> npt.NDArray[np.float64]:
    """0..1 over a vowel of ``frames`` frames: a smooth rise over :data:`SWELL_RISE_SHARE` of a
    long vowel, then held; a short vowel stays at its spoken level."""
    if frames < SWELL_MIN_FRAMES:
        return np.zeros(max(frames, 0))
    progress = np.clip((np.arange(frames) + 0.5) / (SWELL_RISE_SHARE * frames), 0.0, 1.0)
    return progress * progress * (3.0 - 2.0 * progress)


def _word_gap(group: SyllableGroup, previous_note_frames: int) -> int:
    """Silence before this syllable when it begins a word with a consonant (see WORD_GAP);
    a word that begins with its vowel gets a glottal onset instead."""
    if group.ref.syllable != 0 or group.syllable.nucleus == 0:
        return 0
    return min(WORD_GAP, int(WORD_GAP_SHARE * previous_note_frames))


def _place_consonants(
    writer: _PlanWriter,
    first_frame: int,
    total_frames: int,
    word: SpokenWord,
    offset: int,
    phonemes: range,
    kinds: Sequence[PhoneKind],
    gain: float,
) -> list[tuple[int, int]]:
    """Play consonants at power ``gain`` one after another from ``first_frame``, squeezed into
    ``total_frames`` in proportion to their spoken lengths; returns each one's [start, end)
    frames."""
    lengths = [end - start for start, end in (word.phoneme_frames[p] for p in phonemes)]
    spans = []
    cursor = first_frame
    for phoneme, kind, frames in zip(
        phonemes, kinds, _split_frames(total_frames, lengths), strict=True
    ):
        source_start, source_end = (offset + f for f in word.phoneme_frames[phoneme])
        source_end = max(source_end, source_start + 1)
        positions = _linear_positions(source_start, source_end, frames)
        writer.place(cursor, positions, source_end, kind, gain)
        spans.append((cursor, cursor + frames))
        cursor += frames
    return spans


def _glottal_onset(
    writer: _PlanWriter, vowel_start: int, gap: int, source_start: int, source_end: int, gain: float
) -> None:
    """A brief closure before a word-initial vowel: the vowel's first frame fills the gap and
    the level dips through it with a raised cosine from the previous sound into the vowel."""
    writer.place(
        vowel_start - gap, np.full(gap, float(source_start)), source_end, PhoneKind.VOWEL, gain
    )
    first = max(0, vowel_start - gap - GLOTTAL_RAMP)
    last = min(writer.frame_count, vowel_start + GLOTTAL_RAMP)
    length = gap + 2 * GLOTTAL_RAMP
    dip = 0.5 + 0.5 * np.cos(2 * np.pi * (np.arange(length) + 0.5) / length)
    dip = GLOTTAL_FLOOR + (1.0 - GLOTTAL_FLOOR) * dip
    skip = first - (vowel_start - gap - GLOTTAL_RAMP)
    writer.plan.gain[first:last] *= dip[skip : skip + last - first]


def _breathe(
    writer: _PlanWriter,
    rest_start: int,
    onset_begin: int,
    word: SpokenWord,
    vowel: int,
    offset: int,
    rng: np.random.Generator,
) -> None:
    """A soft in-breath shaped like the coming vowel, ending just before the phrase."""
    rest = onset_begin - rest_start
    length = min(BREATH_MAX, rest // 2)
    first = onset_begin - BREATH_GAP - length
    source_start, source_end = word.phoneme_frames[vowel]
    row = offset + (source_start + source_end) // 2
    level = BREATH_POWER * 10 ** (rng.normal(0.0, 2.0) / 10)
    swell = np.sin(np.pi * (np.arange(length) + 0.5) / length) ** 2
    writer.place(first, np.full(length, float(row)), row + 1, PhoneKind.BREATH, level * swell)
