"""vartist.composer: music theory, song form, harmony, a melody fitted to the lyric's
syllables, the band's arrangement, style models per genre, and exports (MIDI, LRC, MusicXML).

``compose(lyrics, persona, request, rng)`` writes the :class:`Score` every later stage reads.
"""

from vartist.composer.compose import Composer, choose_tempo, compose
from vartist.composer.errors import ComposerError, UnknownGenreError, UnsingableLyricsError
from vartist.composer.export import write_lrc, write_midi, write_musicxml
from vartist.composer.melody import PhraseRhythm, RhythmFeel, fit_melody_to_syllables
from vartist.composer.score import (
    Chord,
    Note,
    Part,
    Score,
    SectionSpan,
    SyllableRef,
    VocalNote,
)
from vartist.composer.styles import GENRES, STYLES, StyleModel, get_style

__all__ = [
    "GENRES",
    "STYLES",
    "Chord",
    "Composer",
    "ComposerError",
    "Note",
    "Part",
    "PhraseRhythm",
    "RhythmFeel",
    "Score",
    "SectionSpan",
    "StyleModel",
    "SyllableRef",
    "UnknownGenreError",
    "UnsingableLyricsError",
    "VocalNote",
    "choose_tempo",
    "compose",
    "fit_melody_to_syllables",
    "get_style",
    "write_lrc",
    "write_midi",
    "write_musicxml",
]
