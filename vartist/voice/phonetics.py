"""What the singer needs to know about espeak-ng phoneme mnemonics.

Two jobs: classify a mnemonic by how it sounds (vowel, voiced or unvoiced consonant, pause),
which decides voicing and aperiodicity of the sung frames; and map the phoneme events espeak-ng
reports while speaking back onto the phonemes the lyrics asked for, since espeak-ng adds stress
marks, renames allophones ('t' → 't#'), inserts pauses and now and then an extra sound.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from vartist.lyrics.mnemonics import VOWEL_LETTERS, base_mnemonic, is_pause, is_vowel

_UNVOICED_LETTERS = frozenset("ptkfTsSxhCcX?")
_VOICED_OBSTRUENT_LETTERS = frozenset("bdgvDzZQG")
_UNVOICED_CLUSTERS = ("tS", "ts", "sx", "S;", "pf")
_VOICED_CLUSTERS = ("dZ", "dz")
_SONORANT_SPECIALS = ("t#", "v#", "r-", "l-", "n-", "m-")  # flaps, approximants, syllabics

LENGTH_MARK = ":"
"""A lone ':' token lengthens the phoneme before it (espeak-ng output for Swedish does this)."""


class PhoneKind(IntEnum):
    """How a phoneme is voiced; the values index the singer's aperiodicity table."""

    SILENCE = 0
    UNVOICED = 1
    VOICED_OBSTRUENT = 2
    SONORANT = 3
    VOWEL = 4
    BREATH = 5

    @property
    def voiced(self) -> bool:
        return self in (PhoneKind.VOICED_OBSTRUENT, PhoneKind.SONORANT, PhoneKind.VOWEL)


def phone_kind(mnemonic: str) -> PhoneKind:
    """Classify one mnemonic on its own; a lone length mark counts as silence here
    (:func:`phone_kinds` gives it the kind of the phoneme it lengthens)."""
    base = base_mnemonic(mnemonic)
    if is_pause(base) or base == LENGTH_MARK:
        return PhoneKind.SILENCE
    if base.startswith(_SONORANT_SPECIALS):
        return PhoneKind.SONORANT
    if base.startswith(_UNVOICED_CLUSTERS):
        return PhoneKind.UNVOICED
    if base.startswith(_VOICED_CLUSTERS):
        return PhoneKind.VOICED_OBSTRUENT
    if is_vowel(base):
        return PhoneKind.VOWEL
    first = base[0]
    if first in _UNVOICED_LETTERS:
        return PhoneKind.UNVOICED
    if first in _VOICED_OBSTRUENT_LETTERS:
        return PhoneKind.VOICED_OBSTRUENT
    # sonorants and anything unknown: sung voiced, which is the safe side for a melody
    return PhoneKind.SONORANT


def phone_kinds(mnemonics: Sequence[str]) -> tuple[PhoneKind, ...]:
    """Kinds of a phoneme sequence, with a lone length mark taking its predecessor's kind."""
    kinds: list[PhoneKind] = []
    for mnemonic in mnemonics:
        if base_mnemonic(mnemonic) == LENGTH_MARK and kinds:
            kinds.append(kinds[-1])
        else:
            kinds.append(phone_kind(mnemonic))
    return tuple(kinds)


def is_diphthong(mnemonic: str) -> bool:
    """True for gliding vowels ('aI', 'eI', 'oU', 'Wy'), whose first part a singer holds."""
    letters = [ch for ch in base_mnemonic(mnemonic) if ch.isalpha() or ch in VOWEL_LETTERS]
    vowels = [ch for ch in letters if ch in VOWEL_LETTERS]
    return len(vowels) >= 2 and letters[0] in VOWEL_LETTERS


def _core(mnemonic: str) -> str:
    """The letters that name the sound, without stress, length and allophone marks."""
    return "".join(ch for ch in base_mnemonic(mnemonic) if ch not in ":#;-")


def _similarity(expected: str, spoken: str) -> float:
    if base_mnemonic(expected) == base_mnemonic(spoken):
        return 3.0
    a, b = _core(expected), _core(spoken)
    if a and a == b:
        return 2.5
    if base_mnemonic(expected) == LENGTH_MARK:
        return 0.5  # espeak-ng speaks a length mark as a repeat of the previous phoneme
    if a and b and a[0] == b[0]:
        return 1.5
    if (phone_kind(expected) == PhoneKind.VOWEL) == (phone_kind(spoken) == PhoneKind.VOWEL):
        return 0.2
    return -1.0


_GAP = -1.0


def align_phoneme_events(
    expected: Sequence[str], events: Sequence[tuple[str, int]], total_samples: int
) -> list[tuple[int, int]]:
    """Start and end sample of each expected phoneme in speech that espeak-ng reported as
    ``events`` (mnemonic, first sample), pauses included.

    The spoken sounds are aligned to the expected phonemes in order (Needleman-Wunsch with a
    similarity that forgives stress marks and allophone suffixes). A sound espeak-ng added
    belongs to the expected phoneme before it; an expected phoneme espeak-ng skipped gets an
    even share of its neighbours' time.
    """
    # Each sound lasts until the next event, pause or not; then the pauses are dropped.
    sounds: list[tuple[str, int, int]] = []
    for i, (name, start) in enumerate(events):
        end = events[i + 1][1] if i + 1 < len(events) else total_samples
        if not is_pause(name):
            sounds.append((name, start, max(start, end)))
    n, m = len(expected), len(sounds)
    if n == 0:
        return []
    if m == 0:
        # nothing reported: spread the phonemes evenly over the audio
        edges = np.linspace(0, total_samples, n + 1).round().astype(int)
        return [(int(edges[i]), int(edges[i + 1])) for i in range(n)]

    score = np.zeros((n + 1, m + 1))
    score[:, 0] = _GAP * np.arange(n + 1)
    score[0, :] = _GAP * np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            score[i, j] = max(
                score[i - 1, j - 1] + _similarity(expected[i - 1], sounds[j - 1][0]),
                score[i - 1, j] + _GAP,
                score[i, j - 1] + _GAP,
            )
    matched: dict[int, int] = {}
    i, j = n, m
    while i > 0 and j > 0:
        if score[i, j] == score[i - 1, j - 1] + _similarity(expected[i - 1], sounds[j - 1][0]):
            matched[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif score[i, j] == score[i - 1, j] + _GAP:
            i -= 1
        else:
            j -= 1

    first_sound, last_sound_end = sounds[0][1], sounds[-1][2]
    starts = np.full(n, np.nan)
    for e, s in matched.items():
        starts[e] = sounds[s][1]
    if np.isnan(starts[0]):
        starts[0] = first_sound
    known = np.flatnonzero(~np.isnan(starts))
    missing = np.flatnonzero(np.isnan(starts))
    if missing.size:
        # a skipped phoneme takes a share of the time between its matched neighbours
        anchor_index = np.append(known, n)
        anchor_start = np.append(starts[known], last_sound_end)
        starts[missing] = np.interp(missing, anchor_index, anchor_start)
    starts = np.maximum.accumulate(starts)
    ends = np.append(starts[1:], max(last_sound_end, starts[-1]))
    _share_folded_sounds(starts, ends)
    return [(round(s), round(e)) for s, e in zip(starts, ends, strict=True)]


FOLDED_SHARE = 0.4
"""The share of a sound's time given to the phonemes espeak-ng folded into its end."""


def _share_folded_sounds(starts: npt.NDArray[np.float64], ends: npt.NDArray[np.float64]) -> None:
    """Give phonemes that espeak-ng spoke inside their predecessor a share of its time.

    espeak-ng says a word-final liquid as the colouring of the vowel before it: the 'l' of
    "will" and the 'r' of "where" are reported at the sample where the word ends, with no time
    of their own. Left at zero length they were never sung ("heal" heard as "heal you"); the
    last part of the vowel is where they sound, so they take it."""
    i = 1
    while i < len(starts):
        if ends[i] > starts[i] or ends[i - 1] <= starts[i - 1]:
            i += 1
            continue
        last = i
        while last + 1 < len(starts) and ends[last + 1] <= starts[last + 1]:
            last += 1
        host_start, host_end = starts[i - 1], ends[i - 1]
        edges = np.linspace(
            host_start + (1.0 - FOLDED_SHARE) * (host_end - host_start), host_end, last - i + 2
        )
        ends[i - 1] = edges[0]
        starts[i : last + 1] = edges[:-1]
        ends[i : last + 1] = edges[1:]
        i = last + 1
