"""Written words → singable syllables: phonemes (espeak-ng mnemonics), nucleus, stress, rhyme.

English words come from CMUdict (ARPABET mapped to espeak-ng's en-us mnemonics) and are
syllabified by vowel nuclei with onsets maximised over the onsets English allows. Every other
language, and English words CMUdict lacks, comes from espeak-ng itself: its mnemonics carry
the stress marks, and its IPA output for the same word tells which tokens are vowels.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from vartist.lyrics import espeak, hyphenation
from vartist.lyrics.cmu import arpabet
from vartist.lyrics.errors import LyricsError
from vartist.lyrics.mnemonics import base_mnemonic, is_vowel, split_stress
from vartist.lyrics.text import (
    HYPHEN,
    base_language,
    check_script,
    clean_line,
    split_words,
    word_set,
)
from vartist.lyrics.types import Line, Syllable, Word

# ARPABET → espeak-ng en-us mnemonics. Vowels whose quality depends on stress are handled in
# _english_mnemonic; every mnemonic here gives a phoneme event in espeak-ng's en-us voice.
_ARPABET_CONSONANTS = {
    "B": "b", "CH": "tS", "D": "d", "DH": "D", "F": "f", "G": "g", "HH": "h", "JH": "dZ",
    "K": "k", "L": "l", "M": "m", "N": "n", "NG": "N", "P": "p", "R": "r", "S": "s",
    "SH": "S", "T": "t", "TH": "T", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "Z",
}  # fmt: skip
_ARPABET_VOWELS = {
    "AA": "A:", "AE": "a", "AH": "V", "AO": "O:", "AW": "aU", "AY": "aI", "EH": "E",
    "ER": "3:", "EY": "eI", "IH": "I", "IY": "i:", "OW": "oU", "OY": "OI", "UH": "U",
    "UW": "u:",
}  # fmt: skip
# unstressed forms: the reduced vowel of "about", the r-coloured one of "letter"
_ARPABET_UNSTRESSED = {"AH": "@", "ER": "3"}
# the final vowel of "happy" is espeak-ng's short /i/, not the long one of "see"
_ARPABET_FINAL_UNSTRESSED = {"IY": "i"}

# A vowel and the r that closes its syllable, as espeak-ng's en-us says them: one r-coloured
# vowel ("here" is h i@3, not h i: r). Sung apart, the long i: was heard as "he" and the short
# r after it was lost (Whisper got "here" wrong in 10 of 10 sung lines, spoken in none).
_ARPABET_RHOTIC_VOWELS = {
    "IY": "i@3", "IH": "i@3", "EH": "e@", "AE": "e@", "EY": "e@", "AA": "A@", "AO": "O@",
    "OW": "o@", "UH": "U@", "UW": "U@",
}  # fmt: skip

# Onsets English allows, as ARPABET clusters; a cluster between two vowels gives its longest
# legal tail to the next syllable ("ex-tra", "sing-er").
_ENGLISH_ONSETS: frozenset[tuple[str, ...]] = frozenset(
    {(c,) for c in _ARPABET_CONSONANTS if c != "NG"}
    | {
        tuple(cluster.split())
        for cluster in (
            "P R", "P L", "B R", "B L", "T R", "D R", "K R", "K L", "G R", "G L", "F R", "F L",
            "TH R", "SH R", "S P", "S T", "S K", "S M", "S N", "S L", "S W", "S F", "T W",
            "D W", "K W", "G W", "TH W", "P Y", "B Y", "F Y", "V Y", "K Y", "M Y", "HH Y",
            "G Y", "S P R", "S P L", "S T R", "S K R", "S K W", "S K L", "S P Y", "S K Y",
        )
    }
)  # fmt: skip

# One-syllable function words carry no metrical stress (the composer may put them anywhere).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": word_set(
        """a an the of to in on at by for from with as than and or nor but so if that
        my your his her its our their me you him us them it i we he she they
        is am are was were be been can could will would shall should may might must do does
        did has have had i'm you're we're they're it's he's she's i'll you'll we'll i've
        you've we've i'd you'd this these those"""
    ),
    "nl": word_set(
        """de het een en of maar dat die dit van in op aan met voor naar uit bij om te tot
        ik je jij u hij zij ze we wij het mijn jouw je zijn haar ons me mij ben is was
        bent zijn heb hebt had kan kon wil wou zal zou als dan"""
    ),
    "sv": word_set(
        """en ett den det de och men att som i på av till för med om från vid
        jag du han hon vi ni dem mig dig sig oss er min din sin mitt ditt vårt
        är var har ska kan vill får"""
    ),
    "de": word_set(
        """der die das den dem des ein eine einen und oder aber dass in im an am auf mit
        von vom zu zum zur für aus bei nach ich du er sie es wir ihr mich dich mein dein
        bin bist ist sind war hat hab kann will"""
    ),
}

_IPA_VOWELS = frozenset("aeiouyæɑɒɐɔəɘɚɛɜɝɞɤɨɪɯɵøœɶʉʊʌʏᵻᵿɷä")
_SYLLABIC_MARKS = frozenset("\u0329\u030d")

# Sonority classes for splitting consonant clusters in languages without an onset table.
_LIQUIDS = word_set("l r R ɾ ɹ ʁ ʀ ɫ ʎ ɭ ɽ r` **")
_GLIDES = word_set("j w v# ʋ ɥ ɰ")
_SIBILANTS = word_set("s S z Z ʃ ɕ ʂ ʒ S; sx ɧ")
_STOPS = word_set("p b t d k g ɡ c ɟ q ?")


@dataclass(frozen=True)
class _RawSyllable:
    phonemes: tuple[str, ...]
    nucleus: int
    stress: int


def is_english(language: str) -> bool:
    return base_language(language) == "en"


# ----------------------------------------------------------------------------------------------
# English: CMUdict


def _english_mnemonic(phone: str, is_last: bool) -> str:
    base = phone.rstrip("012")
    if base in _ARPABET_CONSONANTS:
        return _ARPABET_CONSONANTS[base]
    stressed = phone[-1] in "12"
    if not stressed and is_last and base in _ARPABET_FINAL_UNSTRESSED:
        return _ARPABET_FINAL_UNSTRESSED[base]
    if not stressed and base in _ARPABET_UNSTRESSED:
        return _ARPABET_UNSTRESSED[base]
    return _ARPABET_VOWELS[base]


def _english_syllables(phones: Sequence[str]) -> list[_RawSyllable]:
    nuclei = [i for i, p in enumerate(phones) if p[-1].isdigit()]
    if not nuclei:
        return []
    boundaries = [0]
    for previous, following in itertools.pairwise(nuclei):
        cluster = tuple(phones[previous + 1 : following])
        onset_length = max(
            n
            for n in range(len(cluster) + 1)
            if n == 0 or cluster[len(cluster) - n :] in _ENGLISH_ONSETS
        )
        boundaries.append(following - onset_length)
    boundaries.append(len(phones))
    syllables = []
    for (start, end), nucleus in zip(itertools.pairwise(boundaries), nuclei, strict=True):
        mnemonics = [
            _english_mnemonic(phones[i], is_last=i == len(phones) - 1) for i in range(start, end)
        ]
        rhotic = _ARPABET_RHOTIC_VOWELS.get(phones[nucleus].rstrip("012"))
        if rhotic is not None and nucleus + 1 < end and phones[nucleus + 1] == "R":
            mnemonics[nucleus - start : nucleus - start + 2] = [rhotic]
        digit = int(phones[nucleus][-1])
        syllables.append(_RawSyllable(tuple(mnemonics), nucleus - start, digit))
    return syllables


# ----------------------------------------------------------------------------------------------
# Any language: espeak-ng


def _merge_modifiers(tokens: list[str]) -> list[str]:
    """Join espeak-ng's separate ";" (palatalised) to the consonant before it; drop switches."""
    merged: list[str] = []
    for token in tokens:
        if token.startswith("(") and token.endswith(")"):
            continue  # "(en)" … "(nl)": espeak-ng switched language for a borrowed word
        if token == ";":
            last = base_mnemonic(merged[-1]) if merged else ""
            if last and not is_vowel(last):
                merged[-1] += ";"
            continue
        merged.append(token)
    return merged


def _ipa_is_vowel(token: str) -> bool:
    return any(
        c in _IPA_VOWELS or c in _SYLLABIC_MARKS for c in unicodedata.normalize("NFD", token)
    )


def _sonority(symbol: str) -> int:
    if symbol in _GLIDES:
        return 3
    if symbol in _LIQUIDS:
        return 2
    if symbol in _STOPS:
        return 0
    if symbol in _SIBILANTS:
        return -1  # s-clusters ("st", "sp") are onsets despite falling sonority
    return 1  # fricatives and nasals


def _generic_onset_length(cluster: Sequence[str]) -> int:
    """How many consonants of an intervocalic cluster start the next syllable."""
    if not cluster:
        return 0
    length = 1
    # grow the onset leftwards while sonority keeps falling towards the edge of the syllable
    while length < min(3, len(cluster)):
        inner = _sonority(cluster[len(cluster) - length])
        outer = _sonority(cluster[len(cluster) - length - 1])
        if outer >= inner:
            break
        length += 1
    return length


def _espeak_syllables(word: str, language: str) -> list[_RawSyllable]:
    mnemonic_words = espeak.text_to_phonemes(word, language)
    ipa_words = espeak.text_to_phonemes(word, language, ipa=True)
    mnemonics = _merge_modifiers([t for w in mnemonic_words for t in w])
    ipa = [t for t in _merge_modifiers([t for w in ipa_words for t in w]) if t != ";"]
    tokens: list[str] = []
    stresses: list[int] = []
    for token in mnemonics:
        bare, stress = split_stress(token)
        if bare:
            tokens.append(bare)
            stresses.append(stress)
    if not tokens:
        return []
    if len(ipa) == len(tokens):
        vowels = [_ipa_is_vowel(t) for t in ipa]
        classes = [split_stress(t)[0] for t in ipa]
    else:
        # IPA that does not align: the mnemonics say it, a syllabic consonant ('n-') included
        vowels = [is_vowel(t) or t.endswith("-") for t in tokens]
        classes = tokens
    nuclei = [i for i, v in enumerate(vowels) if v]
    if not nuclei:
        # a word with no vowel ("psst"): the most sonorous sound carries the note
        nuclei = [max(range(len(tokens)), key=lambda i: _sonority(classes[i]))]
    boundaries = [0]
    for previous, following in itertools.pairwise(nuclei):
        cluster = classes[previous + 1 : following]
        boundaries.append(following - _generic_onset_length(cluster))
    boundaries.append(len(tokens))
    return [
        _RawSyllable(tuple(tokens[start:end]), nucleus - start, max(stresses[start:end]))
        for (start, end), nucleus in zip(itertools.pairwise(boundaries), nuclei, strict=True)
    ]


# ----------------------------------------------------------------------------------------------
# Written pieces of a word ("beau", "ti", "ful")


def _is_vowel_letter(char: str) -> bool:
    base = unicodedata.normalize("NFD", char.lower())[:1]
    return base in "aeiouyæøœåаеёиоуыэюяіїєαεηιουω"


def _vowel_groups(piece: str) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    for i, char in enumerate(piece):
        if _is_vowel_letter(char):
            if groups and groups[-1][1] == i:
                groups[-1] = (groups[-1][0], i + 1)
            else:
                groups.append((i, i + 1))
    return groups


def _split_piece(piece: str) -> tuple[str, str] | None:
    """Split one written piece in two where a second syllable most plausibly starts."""
    groups = _vowel_groups(piece)
    if len(groups) >= 2:
        first_end, second_start = groups[0][1], groups[1][0]
        consonants = second_start - first_end
        # one consonant starts the next syllable; of more, the first closes this one
        cut = (
            second_start - 1
            if consonants == 1
            else first_end + consonants // 2
            if consonants
            else first_end
        )
        return piece[:cut], piece[cut:]
    if len(groups) == 1 and groups[0][1] - groups[0][0] >= 2:
        cut = groups[0][0] + 1  # "hour" → "ho", "ur": two vowels sung as two syllables
        return piece[:cut], piece[cut:]
    if len(piece) >= 2:
        return piece[: len(piece) // 2], piece[len(piece) // 2 :]
    return None


def written_pieces(word: str, count: int, language: str) -> tuple[str, ...]:
    """Split ``word`` into ``count`` written pieces that join back into it."""
    if count <= 1:
        return (word,)
    hyphenator = hyphenation.hyphenator(language)
    pieces = hyphenator.pieces(word) if hyphenator else [word]
    while len(pieces) > count:
        # merge a piece with no vowel letter first, else the shortest neighbouring pair
        def merge_cost(i: int) -> tuple[int, int]:
            has_vowels = bool(_vowel_groups(pieces[i])) and bool(_vowel_groups(pieces[i + 1]))
            return (int(has_vowels), len(pieces[i]) + len(pieces[i + 1]))

        i = min(range(len(pieces) - 1), key=merge_cost)
        pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
    while len(pieces) < count:
        order = sorted(
            range(len(pieces)), key=lambda i: (-len(_vowel_groups(pieces[i])), -len(pieces[i]))
        )
        for i in order:
            split = _split_piece(pieces[i])
            if split:
                pieces[i : i + 1] = list(split)
                break
        else:
            pieces.extend([""] * (count - len(pieces)))  # "42" sung as "for-ty-two"
    return tuple(pieces)


# ----------------------------------------------------------------------------------------------
# Public API


def _raw_syllables(word: str, language: str) -> list[_RawSyllable]:
    lowered = word.lower()
    if is_english(language) and not any(c.isdigit() for c in word):
        phones = arpabet(lowered) or arpabet(lowered.strip("'"))
        if phones:
            raw = _english_syllables(phones)
            if raw:
                return raw
    return _espeak_syllables(lowered, language)


@lru_cache(maxsize=32768)
def syllabify(word: str, language: str) -> Word:
    """One written word as a :class:`Word` of syllables (an empty one if nothing is spoken)."""
    parts = [p for p in word.split(HYPHEN) if p]
    syllables: list[Syllable] = []
    function_words = FUNCTION_WORDS.get(base_language(language), frozenset())
    for index, part in enumerate(parts):
        raw = _raw_syllables(part, language)
        if not raw:
            continue
        pieces = list(written_pieces(part, len(raw), language))
        if index < len(parts) - 1:
            pieces[-1] += HYPHEN
        is_function_word = len(parts) == 1 and len(raw) == 1 and part.lower() in function_words
        for piece, syllable in zip(pieces, raw, strict=True):
            stress = 0 if is_function_word else syllable.stress
            syllables.append(Syllable(piece, syllable.phonemes, syllable.nucleus, stress))
    if syllables and len(parts) > 1 and "".join(s.text for s in syllables) != word:
        # a hyphen at an odd place ("a--b"); keep the written form exact
        syllables[-1] = Syllable(
            word[len("".join(s.text for s in syllables[:-1])) :],
            syllables[-1].phonemes,
            syllables[-1].nucleus,
            syllables[-1].stress,
        )
    return Word(word, tuple(syllables))


def words_of(text: str, language: str, line_number: int | None = None) -> tuple[Word, ...]:
    """The sung words of a line of text, each checked for its script and syllabified.

    Raises :class:`LyricsError` when a word is in a script the language is not written in,
    or when espeak-ng does not know the language.
    """
    words = []
    for written in split_words(text):
        check_script(written, language, line_number)
        try:
            word = syllabify(written, language)
        except espeak.EspeakError as error:
            raise LyricsError(str(error)) from None
        if word.syllables:
            words.append(word)
    return tuple(words)


def count_syllables(text: str, language: str) -> int:
    """How many syllables a line of text sings."""
    return sum(len(w.syllables) for w in words_of(text, language))


def make_line(text: str, language: str, rhyme: str = "", line_number: int | None = None) -> Line:
    """A :class:`Line` from written text: symbols dropped, words syllabified."""
    return Line(clean_line(text), words_of(text, language, line_number), rhyme)


# English spellings of the same sound that CMUdict and espeak-ng write differently
_ENGLISH_RHYME_EQUIVALENTS = {
    "t#": ("t",), "0": ("A:",), "@2": ("@",), "I2": ("I",), "a#": ("@",), "@L": ("@", "l"),
}  # fmt: skip


def rhyme_key(word: Word | str, language: str = "en-us") -> tuple[str, ...]:
    """Phonemes from the last stressed nucleus (else the last nucleus) to the end of the word.

    ``word`` may be a :class:`Word` or written text; of text, the last word counts.
    """
    if isinstance(word, str):
        words = words_of(word, language)
        if not words:
            return ()
        word = words[-1]
    syllables = word.syllables
    if not syllables:
        return ()
    stressed = [i for i, s in enumerate(syllables) if s.stress > 0]
    start = stressed[-1] if stressed else len(syllables) - 1
    key = list(syllables[start].phonemes[syllables[start].nucleus :])
    for syllable in syllables[start + 1 :]:
        key.extend(syllable.phonemes)
    if is_english(language):
        key = [q for p in key for q in _ENGLISH_RHYME_EQUIVALENTS.get(p, (p,))]
    return tuple(key)


def rhymes(a: Word | str, b: Word | str, language: str = "en-us") -> bool:
    """Whether two words rhyme: the same sounds from their last stressed vowel on.

    A word rhymes with itself; callers that want two different words check that first.
    """
    key_a = rhyme_key(a, language)
    return bool(key_a) and key_a == rhyme_key(b, language)


def rhyme_letters(lines: Iterable[Line], language: str) -> tuple[str, ...]:
    """A rhyme letter per line: lines whose last words share a rhyme key share a letter."""
    letters: dict[tuple[str, ...], str] = {}
    result = []
    for line in lines:
        key = rhyme_key(line.words[-1], language) if line.words else ()
        if not key:
            result.append("")
            continue
        if key not in letters:
            letters[key] = _letter(len(letters))
        result.append(letters[key])
    return tuple(result)


def _letter(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (
        letters[index]
        if index < len(letters)
        else f"{letters[index // 26 - 1]}{letters[index % 26]}"
    )
