"""A small ctypes binding to espeak-ng, shipped by the ``espeakng-loader`` wheel.

In-process: text → phoneme mnemonics (for lyrics in any language espeak-ng knows) and
phoneme mnemonics → speech with the time each phoneme starts (for checks). The singer speaks
in a fresh process instead (:mod:`vartist.lyrics.espeak_native` says why). The C interface is
spelt out once, in ``espeak_native``; espeak-ng keeps global state, so every call here holds
one lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from vartist.errors import MissingDependencyError, VartistError
from vartist.lyrics import espeak_native as native

_PHONEME_SEPARATOR = "_"
_IPA_OUTPUT = 0x02  # espeak_TextToPhonemes phonememode bit: IPA instead of mnemonics

# Tokens in espeak-ng's phoneme output that are pauses or boundaries, not sounds.
_PAUSE_TOKENS = {"", "!", "|", "||", "_", "_:", "_!", "_|", "_^_"}


class EspeakError(VartistError):
    """espeak-ng cannot do what was asked (unknown language, no library)."""


@dataclass(frozen=True)
class Speech:
    samples: npt.NDArray[np.float32]
    """Mono speech in [-1, 1]."""
    sample_rate: int
    phoneme_starts: tuple[tuple[str, int], ...]
    """(mnemonic, first sample) for each phoneme espeak-ng spoke, pauses included."""


class _Espeak:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise MissingDependencyError(
                "phonetics and the embedded singer", "pip install espeakng-loader"
            ) from None
        try:
            self._lib, rate = native.initialise(
                str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())
            )
        except (OSError, RuntimeError) as exc:
            raise EspeakError(
                f"espeak-ng failed to load ({exc}); reinstall espeakng-loader"
            ) from None
        self.sample_rate = rate
        self.lock = threading.Lock()
        self._voice = ""
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._phonemes: list[tuple[str, int]] = []
        # keep a reference: ctypes frees callbacks that Python no longer holds
        self._callback = native.SynthCallback(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, events: Any) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        self._phonemes.extend(native.phoneme_events(events))
        return 0

    def set_voice(self, language: str) -> None:
        if language == self._voice:
            return
        if not native.select_voice(self._lib, language):
            raise EspeakError(native.UNKNOWN_LANGUAGE.format(language=language))
        self._voice = language

    def text_to_phonemes(self, text: str, language: str, ipa: bool) -> str:
        self.set_voice(language)
        mode = (ord(_PHONEME_SEPARATOR) << 8) | (_IPA_OUTPUT if ipa else 0)
        buffer = ctypes.c_char_p(text.encode("utf-8"))
        clauses = []
        while buffer.value:
            result = self._lib.espeak_TextToPhonemes(ctypes.byref(buffer), native.CHARS_UTF8, mode)
            if result:
                clauses.append(result.decode("utf-8", "replace"))
        return " ".join(clauses)

    def synthesize(self, text: str, language: str, words_per_minute: int, pitch: int) -> Speech:
        self.set_voice(language)
        self._lib.espeak_SetParameter(native.PARAM_RATE, words_per_minute, 0)
        self._lib.espeak_SetParameter(native.PARAM_PITCH, pitch, 0)
        # a flat pitch range gives monotone speech, so the singer knows its F0 without tracking it
        self._lib.espeak_SetParameter(native.PARAM_RANGE, 0, 0)
        self._chunks, self._phonemes = [], []
        data = text.encode("utf-8")
        self._lib.espeak_Synth(
            data,
            len(data) + 1,
            0,
            native.POS_CHARACTER,
            0,
            native.CHARS_UTF8 | native.PHONEMES_INPUT,
            None,
            None,
        )
        self._lib.espeak_Synchronize()
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return Speech((pcm.astype(np.float32) / 32768.0), self.sample_rate, tuple(self._phonemes))


@lru_cache(maxsize=1)
def _engine() -> _Espeak:
    return _Espeak()


def split_phonemes(word_output: str) -> list[str]:
    """Split one word of espeak-ng's separated output into phoneme tokens, pauses dropped."""
    return [tok for tok in word_output.split(_PHONEME_SEPARATOR) if tok not in _PAUSE_TOKENS]


def text_to_phonemes(text: str, language: str, ipa: bool = False) -> list[list[str]]:
    """Phoneme tokens per spoken word: mnemonics (stress marks ' and , kept) or IPA."""
    engine = _engine()
    with engine.lock:
        output = engine.text_to_phonemes(text, language, ipa)
    words = [split_phonemes(w) for w in output.split()]
    return [w for w in words if w]


def has_language(language: str) -> bool:
    engine = _engine()
    with engine.lock:
        try:
            engine.set_voice(language)
        except EspeakError:
            return False
    return True


def speak_phonemes(
    mnemonics: str, language: str, words_per_minute: int = 160, pitch: int = 50
) -> Speech:
    """Speak a string of phoneme mnemonics (words separated by spaces) on a monotone."""
    engine = _engine()
    with engine.lock:
        return engine.synthesize(f"[[{mnemonics}]]", language, words_per_minute, pitch)
