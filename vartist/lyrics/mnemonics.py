"""What espeak-ng's phoneme mnemonics say: stress marks, vowels and pauses.

The one definition the lyrics (syllable nuclei), the singer (voicing, alignment) and the tests
share. The symbols come from espeak-ng's phoneme tables (``phsource/phonemes`` and the
``phsource/ph_*`` language tables) and its phoneme-input syntax (``docs/dictionary.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

STRESS_LEVELS: Mapping[str, int] = MappingProxyType({"'": 1, ",": 2, "%": 0, "=": 0})
"""Each stress mark and the :attr:`Syllable.stress` it gives its syllable: primary, secondary,
unstressed, and '=' (which stresses the syllable before, so none here). Doubled marks ('', ,,,
%%) are espeak-ng's stronger and weaker variants of the same levels."""
STRESS_MARKS = frozenset(STRESS_LEVELS)

VOWEL_LETTERS = frozenset("aeiouyAEIOUVWY@&02389")
"""First characters of vowel mnemonics across espeak-ng's languages. Besides the plain vowel
letters: V ʌ, W œ (also the start of Dutch 'Wy' œy), Y ø, @ ə, & æ, 0 ɒ, 2 ø, 3 ɜ, 8 ɵ, 9 œ.
Case matters: 'v' and 'w' are consonants. No other digit starts a vowel: tone languages write
tones as digits after the vowel ('a:2'), and Faroese '4' and '5' are stops its table declares
as vowels only to lengthen them."""

GLOTTAL_STOP = "?"
"""The glottal stop; espeak-ng also spells vowels with a glottal onset as '?' plus the vowel
(Danish stød: '?W', '?V'), and those are vowels."""

PAUSES = frozenset({"", "_", "_:", "_::", "_!", "_|", "_;_", "_^_", "_X1", "||", "|", "!", "-"})
"""Tokens that are pauses or boundaries, not sounds: the pause phonemes of espeak-ng's base
table ('_X1' a language's own action, '_^_' a language switch), Dutch '!' (a pause for an
assimilated final stop), the phoneme-input separators '|' and '||', and a bare '-', which
only marks the phoneme before it as syllabic. An empty token is what a doubled separator
leaves."""


def base_mnemonic(mnemonic: str) -> str:
    """The mnemonic without stress marks: ``"'u:"`` → ``"u:"``."""
    return "".join(ch for ch in mnemonic if ch not in STRESS_MARKS)


def split_stress(token: str) -> tuple[str, int]:
    """A token's leading stress marks taken off: ``"'a:"`` → ``("a:", 1)``. A lone mark stays."""
    stress = 0
    while len(token) > 1 and token[0] in STRESS_MARKS:
        stress = max(stress, STRESS_LEVELS[token[0]])
        token = token[1:]
    return token, stress


def is_pause(mnemonic: str) -> bool:
    """True for a pause or boundary token, stress marks or not."""
    return base_mnemonic(mnemonic) in PAUSES


def is_vowel(mnemonic: str) -> bool:
    """True for a vowel mnemonic (stress marks allowed): ``"'aI"``, ``"W"``, ``"?V"``."""
    base = base_mnemonic(mnemonic)
    if len(base) > 1 and base[0] == GLOTTAL_STOP:
        base = base[1:]
    return bool(base) and base[0] in VOWEL_LETTERS
