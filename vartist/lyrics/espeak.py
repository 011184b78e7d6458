"""espeak-ng, shipped by the ``espeakng-loader`` wheel: text to phonemes, phonemes to speech.

Text → phoneme mnemonics (for lyrics in any language espeak-ng knows) runs in this process
through ctypes. Speech runs in a fresh process (:mod:`vartist.lyrics.espeak_native` says why),
the same way for the singer and for the checks. The C interface is spelt out once, in
``espeak_native``; espeak-ng keeps global C state, so this process holds one instance and every
call into it holds one lock.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vartist.errors import MissingDependencyError, VartistError
from vartist.lyrics import espeak_native as native
from vartist.lyrics.mnemonics import is_pause

_PHONEME_SEPARATOR = "_"
_IPA_OUTPUT = 0x02  # espeak_TextToPhonemes phonememode bit: IPA instead of mnemonics
DEFAULT_WORDS_PER_MINUTE = 175
"""espeak-ng's own default speaking rate."""
_SPEAKER = Path(native.__file__)
_SPEAKER_TIMEOUT_SECONDS = 120.0


class EspeakError(VartistError):
    """espeak-ng cannot do what was asked (unknown language, no library, no helper process)."""


@dataclass(frozen=True)
class Speech:
    """One phoneme string spoken by espeak-ng."""

    samples: npt.NDArray[np.float64]
    """Mono speech in [-1, 1]."""
    sample_rate: int
    phoneme_starts: tuple[tuple[str, int], ...]
    """(mnemonic, first sample) for each phoneme espeak-ng spoke, pauses included."""


def _library_paths() -> tuple[str, str]:
    """espeak-ng's shared library and its data folder."""
    try:
        import espeakng_loader
    except ImportError:
        raise MissingDependencyError(
            "phonetics and the embedded singer", "pip install espeakng-loader"
        ) from None
    return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())


def voice_variants() -> list[str]:
    """The voice variants espeak-ng ships (``f1`` to ``f5`` female, ``m1`` to ``m7`` male,
    ``klatt``, ...): the names a builtin singer's ``voice.speaker`` may take."""
    _, data = _library_paths()
    folder = Path(data) / "voices" / "!v"
    return sorted(entry.name for entry in folder.iterdir() if entry.is_file())


def check_variant(variant: str) -> None:
    """Raise :class:`EspeakError` unless ``variant`` is empty or a variant espeak-ng ships."""
    if variant and variant not in voice_variants():
        raise EspeakError("voice.speaker: " + native.UNKNOWN_VARIANT.format(variant=variant))


class _Espeak:
    """espeak-ng loaded into this process, for text to phonemes."""

    def __init__(self) -> None:
        try:
            self._lib, _ = native.initialise(*_library_paths())
        except (OSError, RuntimeError) as exc:
            raise EspeakError(
                f"espeak-ng failed to load ({exc}); reinstall espeakng-loader"
            ) from None
        self._voice = ""

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


_lock = threading.Lock()
_instance: _Espeak | None = None


@contextmanager
def _engine() -> Iterator[_Espeak]:
    """The process's one espeak-ng, created on first use and held exclusively while in use:
    its C state is global, so two instances (or two threads) would share it."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = _Espeak()
        yield _instance


def split_phonemes(word_output: str) -> list[str]:
    """Split one word of espeak-ng's separated output into phoneme tokens, pauses dropped."""
    return [tok for tok in word_output.split(_PHONEME_SEPARATOR) if not is_pause(tok)]


def text_to_phonemes(text: str, language: str, ipa: bool = False) -> list[list[str]]:
    """Phoneme tokens per spoken word: mnemonics (stress marks ' and , kept) or IPA."""
    with _engine() as engine:
        output = engine.text_to_phonemes(text, language, ipa)
    words = [split_phonemes(w) for w in output.split()]
    return [w for w in words if w]


def has_language(language: str) -> bool:
    with _engine() as engine:
        try:
            engine.set_voice(language)
        except EspeakError:
            return False
    return True


def speak_in_fresh_process(
    words: Sequence[str],
    language: str,
    f0: float,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    variant: str = "",
) -> list[Speech]:
    """Speak phoneme strings (mnemonics, words separated by spaces) on a constant F0 in a new
    espeak-ng process: one :class:`Speech` per string, in the order given. ``variant`` names
    one of espeak-ng's voice variants (``f1``: a female speaker); empty, the language's own.

    What a string sounds like depends only on the strings before it in ``words``, never on
    anything spoken earlier in this process.
    """
    if not sys.executable:
        raise EspeakError(
            "espeak-ng speaks in a helper Python process, but this interpreter does not know "
            "its own executable (sys.executable is empty); run vartist from a regular Python "
            "installation"
        )
    library, data = _library_paths()
    request = {
        "language": language,
        "variant": variant,
        "words_per_minute": words_per_minute,
        "f0": round(f0),
        "words": list(words),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(_SPEAKER), library, data],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=_SPEAKER_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise EspeakError(
            f"could not run espeak-ng in a helper process ({error}); "
            "check that Python can start subprocesses here"
        ) from None
    if done.returncode == 2:
        raise EspeakError(done.stderr.decode("utf-8", "replace").strip())
    header_line, _, pcm = done.stdout.partition(b"\n")
    if done.returncode != 0 or not header_line:
        detail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise EspeakError(
            f"espeak-ng's helper process failed (exit status {done.returncode}): {detail}; "
            "reinstall espeakng-loader if this persists"
        )
    header = json.loads(header_line)
    rate = int(header["sample_rate"])
    audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0
    spoken = []
    offset = 0
    for word in header["words"]:
        count = int(word["samples"])
        starts = tuple((str(name), int(sample)) for name, sample in word["phonemes"])
        spoken.append(Speech(audio[offset : offset + count], rate, starts))
        offset += count
    return spoken
