"""Phoneme → viseme: the mouth shape an avatar shows while a phoneme sounds.

The 15 classes are the widely used lip-sync set (silence, bilabials, labiodentals, dentals,
alveolars, velars, postalveolars, sibilants, nasals/laterals, rhotics and five vowel shapes).
Classes are chosen by a phoneme's base letters, which espeak-ng shares across languages, with
small per-language tables where a letter means something else (Dutch 'w' is labiodental,
Swedish 'sx' is the sj-sound).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from vartist.lyrics.mnemonics import base_mnemonic, is_pause
from vartist.lyrics.text import base_language
from vartist.voice.errors import UnknownVisemeError
from vartist.voice.phonetics import LENGTH_MARK

VISEMES: tuple[str, ...] = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "ih",
    "oh",
    "ou",
)


# How far the jaw and lips open for each class, 0 closed to 1 wide open; an avatar drives its
# mouth-open parameter with this.
_MOUTH_OPEN: Mapping[str, float] = MappingProxyType(
    {
        "sil": 0.0,
        "PP": 0.0,
        "FF": 0.1,
        "TH": 0.2,
        "DD": 0.25,
        "kk": 0.3,
        "CH": 0.3,
        "SS": 0.15,
        "nn": 0.2,
        "RR": 0.35,
        "aa": 1.0,
        "E": 0.7,
        "ih": 0.5,
        "oh": 0.8,
        "ou": 0.45,
    }
)

# Multi-letter consonants first: they would otherwise be read by their first letter.
_CLUSTERS: tuple[tuple[str, str], ...] = (
    ("tS", "CH"),
    ("dZ", "CH"),
    ("ts", "SS"),
    ("dz", "SS"),
    ("sx", "CH"),
    ("S;", "CH"),
    ("pf", "FF"),
)

_BY_FIRST_LETTER: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys("pbm", "PP"),
        **dict.fromkeys("fv", "FF"),
        **dict.fromkeys("TD", "TH"),
        **dict.fromkeys("td", "DD"),
        **dict.fromkeys("kgxNGQqcXh", "kk"),
        **dict.fromkeys("SZC", "CH"),
        **dict.fromkeys("sz", "SS"),
        **dict.fromkeys("nlLJ", "nn"),
        **dict.fromkeys("rR", "RR"),
        "j": "ih",
        "w": "ou",
        "?": "sil",
        # vowels: open, mid-front, close-front, rounded-open, rounded-close
        **dict.fromkeys("aA&V", "aa"),
        **dict.fromkeys("eE@3", "E"),
        **dict.fromkeys("iI", "ih"),
        **dict.fromkeys("oO0829WY", "oh"),
        **dict.fromkeys("uUy}", "ou"),
    }
)

# Where a language's espeak-ng mnemonics look like another class: keyed by base language code.
_LANGUAGE_OVERRIDES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "nl": {"w": "FF", "v#": "FF", "G": "kk", "Q": "kk", "x": "kk"},
        "sv": {"R": "RR", "u-": "ou", "E-": "E"},
        "en": {"t#": "DD", "@L": "E", "n-": "nn"},
    }
)


def viseme_of(phoneme: str, language: str = "") -> str:
    """Viseme class of one espeak-ng mnemonic, like ``"'aI"`` → ``"aa"``.

    Pauses and unknown symbols are ``"sil"``; a lone length mark is ``"sil"`` too here, use
    :func:`visemes_of` for a sequence so it takes the shape of the phoneme it lengthens.
    """
    base = base_mnemonic(phoneme)
    if not base or is_pause(base) or base == LENGTH_MARK:
        return "sil"
    overrides = _LANGUAGE_OVERRIDES.get(base_language(language), {})
    for length in (3, 2, 1):
        if base[:length] in overrides:
            return overrides[base[:length]]
    for cluster, viseme in _CLUSTERS:
        if base.startswith(cluster):
            return viseme
    return _BY_FIRST_LETTER.get(base[0], "sil")


def visemes_of(phonemes: Sequence[str], language: str = "") -> tuple[str, ...]:
    """Visemes of a phoneme sequence; a lone length mark keeps the previous mouth shape."""
    result: list[str] = []
    for phoneme in phonemes:
        if base_mnemonic(phoneme) == LENGTH_MARK and result:
            result.append(result[-1])
        else:
            result.append(viseme_of(phoneme, language))
    return tuple(result)


def mouth_open(viseme: str) -> float:
    """How open the mouth is for a viseme class, 0 (closed) to 1 (wide open)."""
    try:
        return _MOUTH_OPEN[viseme]
    except KeyError:
        raise UnknownVisemeError(
            f"{viseme!r} is not a viseme class; use one of {', '.join(VISEMES)}"
        ) from None
