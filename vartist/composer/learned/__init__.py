"""Styles learned from a corpus of MIDI/MusicXML songs, and how the composer writes in them.

``corpus`` reads the files, ``model`` counts and stores the style (and blends several),
``guidance`` turns a style into the composer's chord progressions and melody costs.
"""

from vartist.composer.learned.corpus import StyleCorpusError
from vartist.composer.learned.model import (
    StyleBlend,
    StyleFileError,
    UnknownStyleError,
    delete_style,
    learn_style,
    load_style,
    save_style,
    stored_styles,
)

__all__ = [
    "StyleBlend",
    "StyleCorpusError",
    "StyleFileError",
    "UnknownStyleError",
    "delete_style",
    "learn_style",
    "load_style",
    "save_style",
    "stored_styles",
]
