"""What a VITS model is told to say: a word's phonemes as the model's tokens, each timed.

vartist's lyrics carry espeak-ng mnemonics ('h', '@', 'l', 'oU'); Coqui's VITS models read
either IPA (models trained on espeak-ng phonemes, like the LJSpeech VITS) or letters. The
mnemonics are turned into the model's tokens here, without Coqui's phonemizer (which needs an
espeak-ng program on the PATH): the IPA of a mnemonic comes from espeak-ng itself, which
writes the same word in mnemonics and in IPA token for token; a mnemonic that the word's own
espeak-ng output does not hold is read letter by letter (:data:`MNEMONIC_LETTER_IPA`).

Every token gets a duration in the model's decoder frames, so each phoneme's start and end in
the audio is known exactly: the singer forces them instead of asking the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vartist.lyrics import espeak
from vartist.lyrics.espeak import EspeakError
from vartist.lyrics.mnemonics import base_mnemonic
from vartist.voice.phonetics import PhoneKind, phone_kinds
from vartist.voice.spoken import WordToSpeak

SPOKEN_SECONDS: Mapping[PhoneKind, float] = {
    PhoneKind.SILENCE: 0.05,
    PhoneKind.UNVOICED: 0.085,
    PhoneKind.VOICED_OBSTRUENT: 0.07,
    PhoneKind.SONORANT: 0.07,
    PhoneKind.BREATH: 0.05,
}
"""How long the model says each kind of consonant: about a clearly spoken consonant. The
performance plan squeezes consonants to fit between notes anyway."""
VOWEL_SECONDS = (0.15, 1.2)
"""A vowel is said as long as its longest sung note in the song, within these bounds: long
enough for a steady part to loop over, short enough to keep inference cheap."""
BLANK_WEIGHT, TOKEN_WEIGHT = 1, 3
"""How a phoneme's frames are shared between each of its tokens and the blank token a model
trained with ``add_blank`` expects before it."""

MNEMONIC_LETTER_IPA: Mapping[str, str] = {
    "@": "ə",
    "3": "ɜ",
    "A": "ɑ",
    "E": "ɛ",
    "I": "ɪ",
    "O": "ɔ",
    "U": "ʊ",
    "V": "ʌ",
    "Y": "ø",
    "W": "œ",
    "0": "ɒ",
    "2": "ø",
    "9": "œ",
    "8": "ɵ",
    "&": "æ",
    "T": "θ",
    "D": "ð",
    "S": "ʃ",
    "Z": "ʒ",
    "N": "ŋ",
    "C": "ç",
    "Q": "ɢ",
    "G": "ɣ",
    "R": "ʁ",
    "?": "ʔ",
    ":": "ː",
}
"""espeak-ng's ASCII mnemonic letters and the IPA they stand for (the Kirshenbaum-like letters
of espeak-ng's phoneme tables); a letter not listed is the same in IPA ('p', 'a', 'n').
Allophone marks ('#', ';', '-') and digits that only number variants are dropped."""
_DROPPED_MARKS = frozenset("#;-1456")


@dataclass(frozen=True)
class TokenVocabulary:
    """The symbols a VITS model reads and how its tokenizer frames them."""

    ids: Mapping[str, int]
    """Each symbol's id."""
    blank_id: int | None
    """The blank interspersed between tokens, for models trained with ``add_blank``."""
    bos_id: int | None
    eos_id: int | None
    reads_phonemes: bool
    """True for IPA models, False for models that read letters."""


@dataclass(frozen=True)
class TimedTokens:
    """A word as token ids with a duration each, and where its phonemes lie in frames."""

    ids: tuple[int, ...]
    frames: tuple[int, ...]
    """Decoder frames each token lasts."""
    phoneme_frames: tuple[tuple[int, int], ...]
    """[start, end) decoder frame of each phoneme of the word."""


def _letters_as_ipa(mnemonic: str) -> str:
    base = base_mnemonic(mnemonic)
    return "".join(MNEMONIC_LETTER_IPA.get(ch, ch) for ch in base if ch not in _DROPPED_MARKS)


@lru_cache(maxsize=4096)
def _espeak_ipa_of_word(text: str, language: str) -> tuple[tuple[str, str], ...]:
    """(mnemonic, IPA) pairs espeak-ng gives for a written word, stress marks off the
    mnemonics; empty when its two outputs do not pair up token for token."""
    if not text.strip():
        return ()
    try:
        mnemonics = [p for word in espeak.text_to_phonemes(text, language) for p in word]
        ipa = [p for word in espeak.text_to_phonemes(text, language, ipa=True) for p in word]
    except EspeakError:
        return ()
    if len(mnemonics) != len(ipa):
        return ()
    return tuple((base_mnemonic(m), i) for m, i in zip(mnemonics, ipa, strict=True))


def phoneme_ipa(word: WordToSpeak, language: str) -> list[str]:
    """The IPA of each phoneme of the word, in order."""
    known = dict(_espeak_ipa_of_word(word.text, language))
    return [
        known.get(base_mnemonic(p), _letters_as_ipa(p))
        for syllable in word.syllables
        for p in syllable
    ]


def phoneme_letters(word: WordToSpeak) -> list[str]:
    """The word's letters shared out over its phonemes in order, for models that read
    spelling: spelling does not map to sounds one to one, so each phoneme gets the letters at
    the same relative place in the word (at least one)."""
    phonemes = [p for syllable in word.syllables for p in syllable]
    letters = [ch for ch in word.text.lower() if ch.isalpha()] or [
        ch for p in phonemes for ch in _letters_as_ipa(p)
    ]
    count, total = len(phonemes), len(letters)
    shares = []
    for i in range(count):
        first, last = i * total // count, (i + 1) * total // count
        shares.append("".join(letters[first:last]) or letters[min(first, total - 1)])
    return shares


def phoneme_seconds(word: WordToSpeak) -> list[float]:
    """How long the model says each phoneme: consonants by kind, vowels by their notes."""
    seconds = []
    for syllable, nucleus, held in zip(word.syllables, word.nuclei, word.held_seconds, strict=True):
        for index, kind in enumerate(phone_kinds(syllable)):
            if index == nucleus:
                seconds.append(float(np.clip(held, *VOWEL_SECONDS)))
            else:
                seconds.append(SPOKEN_SECONDS.get(kind, VOWEL_SECONDS[0]))
    return seconds


def _split(total: int, weights: Sequence[int]) -> list[int]:
    edges = np.round(np.cumsum(weights) / sum(weights) * total).astype(int)
    return np.diff(np.concatenate([[0], edges])).tolist()


def timed_tokens(
    symbols: Sequence[str],
    seconds: Sequence[float],
    vocabulary: TokenVocabulary,
    frames_per_second: float,
) -> TimedTokens:
    """Token ids and durations that say each phoneme's ``symbols`` for its ``seconds``.

    A symbol the model does not know is dropped, as Coqui's tokenizer does; a phoneme left
    with no symbol is held on the blank (or the first known symbol) so its time still passes.
    """
    ids: list[int] = []
    frames: list[int] = []
    spans: list[tuple[int, int]] = []
    fallback = (
        vocabulary.blank_id if vocabulary.blank_id is not None else min(vocabulary.ids.values())
    )
    cursor = 0

    def add(token: int, length: int) -> None:
        nonlocal cursor
        ids.append(token)
        frames.append(length)
        cursor += length

    if vocabulary.bos_id is not None:
        add(vocabulary.bos_id, 0)
    for text, duration in zip(symbols, seconds, strict=True):
        length = max(1, round(duration * frames_per_second))
        tokens = [vocabulary.ids[ch] for ch in text if ch in vocabulary.ids] or [fallback]
        start = cursor
        if vocabulary.blank_id is None:
            for token, share in zip(
                tokens, _split(length, [TOKEN_WEIGHT] * len(tokens)), strict=True
            ):
                add(token, share)
        else:
            weights = [BLANK_WEIGHT, TOKEN_WEIGHT] * len(tokens)
            shares = _split(length, weights)
            for k, token in enumerate(tokens):
                add(vocabulary.blank_id, shares[2 * k])
                add(token, shares[2 * k + 1])
        spans.append((start, cursor))
    if vocabulary.blank_id is not None:
        add(vocabulary.blank_id, 0)
    if vocabulary.eos_id is not None:
        add(vocabulary.eos_id, 0)
    return TimedTokens(tuple(ids), tuple(frames), tuple(spans))
