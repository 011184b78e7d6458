"""Lyrics: engines that write them, phonetics that make them singable.

Importing this package registers the ``builtin`` lyric engine and the ``transformers`` one
(which imports torch only when it loads a model).
"""

from vartist.lyrics.builtin import BuiltinLyricWriter
from vartist.lyrics.engine import LyricWriter, LyricWriterFactory, lyric_engines
from vartist.lyrics.errors import LyricsError
from vartist.lyrics.lm_writer import TransformersLyricWriter
from vartist.lyrics.parse import parse_lyrics
from vartist.lyrics.phonetics import (
    count_syllables,
    is_english,
    make_line,
    rhyme_key,
    rhyme_letters,
    rhymes,
    syllabify,
    words_of,
)
from vartist.lyrics.text import check_script, clean_line, split_words
from vartist.lyrics.types import Line, Lyrics, Section, SectionKind, Syllable, Word

__all__ = [
    "BuiltinLyricWriter",
    "Line",
    "LyricWriter",
    "LyricWriterFactory",
    "Lyrics",
    "LyricsError",
    "Section",
    "SectionKind",
    "Syllable",
    "TransformersLyricWriter",
    "Word",
    "check_script",
    "clean_line",
    "count_syllables",
    "is_english",
    "lyric_engines",
    "make_line",
    "parse_lyrics",
    "rhyme_key",
    "rhyme_letters",
    "rhymes",
    "split_words",
    "syllabify",
    "words_of",
]
