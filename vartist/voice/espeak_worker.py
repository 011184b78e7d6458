"""Speaks a batch of words with espeak-ng in a fresh process, for the builtin singer.

espeak-ng keeps hidden state between utterances inside one process (a glottal-cycle counter
that modulates alternate cycles, a pitch-flutter index), so the same word spoken twice comes
out a little different depending on everything spoken before. A singer that must be a pure
function of its input therefore speaks each song's words here, in a new process whose state
starts from zero, with a constant F0 so the pitch is known exactly.

Run as a script with the standard library only (``python -I -S espeak_worker.py LIBRARY DATA``),
so it starts in milliseconds. Protocol: one JSON request on stdin::

    {"language": "sv", "words_per_minute": 200, "f0": 150, "words": ["s|'u:|l", ...]}

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
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES_INPUT = 0x100
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1


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


class _VoiceSelector(ctypes.Structure):
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


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def speak_batch(library: str, data: str, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    lib = ctypes.CDLL(library)
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS,
        0,
        data.encode(),
        _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT,
    )
    if rate <= 0:
        raise RuntimeError("espeak-ng failed to initialise; reinstall espeakng-loader")
    language = request["language"].encode()
    # voice names cover codes like 'en-us'; others ('en-gb') resolve only as a language
    selector = _VoiceSelector(languages=language)
    if (
        lib.espeak_SetVoiceByName(language) != 0
        and lib.espeak_SetVoiceByProperties(ctypes.byref(selector)) != 0
    ):
        raise RuntimeError(
            f"espeak-ng does not know the language {request['language']!r}; use a code such "
            "as 'en-us', 'nl', 'sv', 'de', 'es', 'fr' (`espeak-ng --voices` lists them)"
        )
    lib.espeak_SetParameter(_PARAM_RATE, int(request["words_per_minute"]), 0)
    # a constant F0 (not just a flat pitch range) also stops espeak-ng's pitch flutter
    lib.espeak_ng_SetConstF0(int(request["f0"]))
    lib.espeak_ng_SetRandSeed(ctypes.c_long(0))

    chunks: list[bytes] = []
    phonemes: list[list[Any]] = []

    def on_audio(wav: Any, count: int, events: Any) -> int:
        if count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_PHONEME:
                name = bytes(events[i].id).split(b"\0", 1)[0].decode("ascii", "replace")
                phonemes.append([name, events[i].sample])
            i += 1
        return 0

    callback = _Callback(on_audio)
    lib.espeak_SetSynthCallback(callback)
    words, pcm = [], []
    for mnemonics in request["words"]:
        chunks.clear()
        phonemes.clear()
        text = f"[[{mnemonics}]]".encode()
        lib.espeak_Synth(
            text, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES_INPUT, None, None
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
