"""A small ctypes binding to espeak-ng, shipped by the ``espeakng-loader`` wheel.

Two things are used: text → phoneme mnemonics (for lyrics in any language espeak-ng knows)
and phoneme mnemonics → speech with the time each phoneme starts (for the embedded singer).
espeak-ng keeps global state, so every call holds one lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from vartist.errors import MissingDependencyError, VartistError

# Values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES_INPUT = 0x100  # lets [[...]] in the text carry phoneme mnemonics
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_PHONEME_SEPARATOR = "_"
_IPA_OUTPUT = 0x02

# Language tags people write that espeak-ng files under another voice name ("en" is British).
_VOICE_ALIASES = {"en-gb": "en", "en-uk": "en"}

# Tokens in espeak-ng's phoneme output that are pauses or boundaries, not sounds.
_PAUSE_TOKENS = {"", "!", "|", "||", "_", "_:", "_!", "_|", "_^_"}


class EspeakError(VartistError):
    """espeak-ng cannot do what was asked (unknown language, no library)."""


class _Event(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    )


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


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
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self._lib.espeak_TextToPhonemes.argtypes = (
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        )
        self._lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            espeakng_loader.get_data_path().encode(),
            _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT,
        )
        if rate <= 0:
            raise EspeakError("espeak-ng failed to initialise; reinstall espeakng-loader")
        self.sample_rate = rate
        self.lock = threading.Lock()
        self._voice = ""
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._phonemes: list[tuple[str, int]] = []
        # keep a reference: ctypes frees callbacks that Python no longer holds
        self._callback = _SynthCallback(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = bytes(event.id).split(b"\0", 1)[0].decode("ascii", "replace")
                self._phonemes.append((name, event.sample))
            i += 1
        return 0

    def set_voice(self, language: str) -> None:
        if language == self._voice:
            return
        voice_name = _VOICE_ALIASES.get(language.lower(), language)
        if self._lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
            raise EspeakError(
                f"espeak-ng does not know the language {language!r}; use a code such as "
                "'en-us', 'en-gb', 'nl', 'sv', 'de', 'es', 'fr', 'ja' (`espeak-ng --voices` lists them)"
            )
        self._voice = language

    def text_to_phonemes(self, text: str, language: str, ipa: bool) -> str:
        self.set_voice(language)
        mode = (ord(_PHONEME_SEPARATOR) << 8) | (_IPA_OUTPUT if ipa else 0)
        buffer = ctypes.c_char_p(text.encode("utf-8"))
        clauses = []
        while buffer.value:
            result = self._lib.espeak_TextToPhonemes(ctypes.byref(buffer), _CHARS_UTF8, mode)
            if result:
                clauses.append(result.decode("utf-8", "replace"))
        return " ".join(clauses)

    def synthesize(self, text: str, language: str, words_per_minute: int, pitch: int) -> Speech:
        self.set_voice(language)
        self._lib.espeak_SetParameter(_PARAM_RATE, words_per_minute, 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        # a flat pitch range gives monotone speech, so the singer knows its F0 without tracking it
        self._lib.espeak_SetParameter(_PARAM_RANGE, 0, 0)
        self._chunks, self._phonemes = [], []
        data = text.encode("utf-8")
        self._lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES_INPUT, None, None
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
