"""espeak-ng's C interface, in the standard library only, and a fresh-process speaker.

This module is the one place that spells out espeak-ng's ABI (constants, the event struct,
voice selection). :mod:`vartist.lyrics.espeak` imports it for in-process use (text to
phonemes) and runs it as a script for speech, ``python -I -S espeak_native.py LIBRARY DATA``,
which starts in milliseconds because it needs nothing outside the standard library.

Why a fresh process: espeak-ng keeps hidden state between utterances inside one process (a
glottal-cycle counter that modulates alternate cycles, a pitch-flutter index), so the same word
spoken twice comes out a little different depending on everything spoken before. A singer that
must be a pure function of its input therefore speaks each song's words in a new process whose
state starts from zero, with a constant F0 so the pitch is known exactly.

Script protocol: one JSON request on stdin::

    {"language": "sv", "variant": "f1", "words_per_minute": 200, "f0": 150,
     "words": ["s|'u:|l", ...]}

(``variant`` is optional: one of espeak-ng's voice variants, in its ``voices/!v`` folder.)

and on stdout one JSON line ``{"sample_rate": ..., "words": [{"samples": n, "phonemes":
[[mnemonic, first sample], ...]}, ...]}`` followed by every word's 16-bit little-endian PCM,
one after another. Errors go to stderr with exit status 2.
"""

from __future__ import annotations

import ctypes
import json
import sys
from typing import Any

# Values from espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
PHONEMES_INPUT = 0x100  # lets [[...]] in the text carry phoneme mnemonics
POS_CHARACTER = 1
EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7
PARAM_RATE = 1


class Event(ctypes.Structure):
    """espeak_EVENT from speak_lib.h."""

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


class VoiceSelector(ctypes.Structure):
    """espeak_VOICE from speak_lib.h, used to select a voice by language code."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event)
)

UNKNOWN_VARIANT = (
    "espeak-ng has no voice variant {variant!r}; use a name from its voices/!v folder, such "
    "as 'f1' to 'f5' (female) or 'm1' to 'm7' (male), or leave it empty for the language's "
    "own speaker"
)
UNKNOWN_LANGUAGE = (
    "espeak-ng does not know the language {language!r}; use a code such as 'en-us', "
    "'en-gb', 'nl', 'sv', 'de', 'es', 'fr', 'ja' (`espeak-ng --voices` lists them)"
)


def initialise(library: str, data: str) -> tuple[ctypes.CDLL, int]:
    """Load and initialise espeak-ng for synchronous synthesis with phoneme events: (library,
    sample rate)."""
    lib = ctypes.CDLL(library)
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    lib.espeak_GetCurrentVoice.restype = ctypes.POINTER(VoiceSelector)
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = (
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int,
        ctypes.c_int,
    )
    rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS,
        0,
        data.encode(),
        INITIALIZE_PHONEME_EVENTS | INITIALIZE_DONT_EXIT,
    )
    if rate <= 0:
        raise RuntimeError("espeak-ng failed to initialise; reinstall espeakng-loader")
    return lib, rate


def select_voice(lib: ctypes.CDLL, language: str) -> bool:
    """Select the voice for a language code; False when espeak-ng has none."""
    code = language.encode()
    # voice names cover codes like 'en-us'; others ('en-gb') resolve only as a language
    selector = VoiceSelector(languages=code)
    return (
        lib.espeak_SetVoiceByName(code) == 0
        or lib.espeak_SetVoiceByProperties(ctypes.byref(selector)) == 0
    )


def select_variant(lib: ctypes.CDLL, variant: str) -> bool:
    """Put a voice variant (``f1``, ``m3``, ...) on the selected voice; False when espeak-ng
    has none of that name. The variant goes by the voice's identifier ('gmw/en+f1'): a
    language code with a variant ('en-gb+f1') silently falls back to the plain voice."""
    suffix = b"+" + variant.encode()
    identifier = lib.espeak_GetCurrentVoice().contents.identifier
    if lib.espeak_SetVoiceByName(identifier + suffix) != 0:
        return False
    return bool(lib.espeak_GetCurrentVoice().contents.identifier.endswith(suffix))


def phoneme_events(events: Any) -> list[tuple[str, int]]:
    """(mnemonic, first sample) of each phoneme event in an event list from the callback."""
    found = []
    i = 0
    while events[i].type != EVENT_LIST_TERMINATED:
        if events[i].type == EVENT_PHONEME:
            name = bytes(events[i].id).split(b"\0", 1)[0].decode("ascii", "replace")
            found.append((name, events[i].sample))
        i += 1
    return found


def speak_batch(library: str, data: str, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    lib, rate = initialise(library, data)
    if not select_voice(lib, request["language"]):
        raise RuntimeError(UNKNOWN_LANGUAGE.format(language=request["language"]))
    variant = request.get("variant", "")
    if variant and not select_variant(lib, variant):
        raise RuntimeError(UNKNOWN_VARIANT.format(variant=variant))
    lib.espeak_SetParameter(PARAM_RATE, int(request["words_per_minute"]), 0)
    # a constant F0 (not just a flat pitch range) also stops espeak-ng's pitch flutter
    lib.espeak_ng_SetConstF0(int(request["f0"]))
    lib.espeak_ng_SetRandSeed(ctypes.c_long(0))

    chunks: list[bytes] = []
    phonemes: list[list[Any]] = []

    def on_audio(wav: Any, count: int, events: Any) -> int:
        if count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        phonemes.extend([name, sample] for name, sample in phoneme_events(events))
        return 0

    callback = SynthCallback(on_audio)
    lib.espeak_SetSynthCallback(callback)
    words, pcm = [], []
    for mnemonics in request["words"]:
        chunks.clear()
        phonemes.clear()
        text = f"[[{mnemonics}]]".encode()
        lib.espeak_Synth(
            text, len(text) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8 | PHONEMES_INPUT, None, None
        )
        lib.espeak_Synchronize()
        audio = b"".join(chunks)
        words.append({"samples": len(audio) // 2, "phonemes": list(phonemes)})
        pcm.append(audio)
    return {"sample_rate": rate, "words": words}, b"".join(pcm)


def main() -> int:
    library, data = sys.argv[1], sys.argv[2]
    try:
        header, pcm = speak_batch(library, data, json.loads(sys.stdin.read()))
    except (RuntimeError, OSError, KeyError, ValueError) as error:
        sys.stderr.write(str(error))
        return 2
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + pcm)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
