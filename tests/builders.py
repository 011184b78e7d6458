"""Tiny builders for hand-made lyrics and scores, so each stage can be tested on its own."""

from __future__ import annotations

import numpy as np

from vartist.composer import compose
from vartist.composer.score import Chord, Note, Part, Score, SectionSpan, SyllableRef, VocalNote
from vartist.lyrics.mnemonics import is_vowel
from vartist.lyrics.types import Line, Lyrics, Section, SectionKind, Syllable, Word
from vartist.persona import Persona
from vartist.persona.schema import Style, VoiceConfig
from vartist.pitch import Key
from vartist.request import SongRequest


def syllable(text: str, phonemes: str, stress: int = 1) -> Syllable:
    """``syllable("la", "l a:")``: phonemes are espeak-ng mnemonics separated by spaces."""
    tokens = tuple(phonemes.split())
    nucleus = next(i for i, p in enumerate(tokens) if is_vowel(p))
    return Syllable(text=text, phonemes=tokens, nucleus=nucleus, stress=stress)


def one_line_lyrics(syllables: list[Syllable], language: str = "en-us") -> Lyrics:
    """Each syllable becomes a one-syllable word of a single verse line."""
    words = tuple(Word(s.text, (s,)) for s in syllables)
    line = Line(" ".join(s.text for s in syllables), words, "A")
    return Lyrics("test", language, (Section("verse", (line,)),), "test")


def melody_score(
    lyrics: Lyrics,
    pitches: list[int],
    beats_per_note: float = 1.0,
    tempo: float = 100.0,
    parts: tuple[Part, ...] = (),
    lead_in_beats: float = 4.0,
) -> Score:
    """A score singing each syllable of the first line on the next pitch, one after another."""
    line = lyrics.sections[0].lines[0]
    refs = [
        SyllableRef(0, 0, w, s)
        for w, word in enumerate(line.words)
        for s in range(len(word.syllables))
    ]
    if len(refs) != len(pitches):
        raise ValueError(f"{len(refs)} syllables but {len(pitches)} pitches")
    notes = tuple(
        VocalNote(lead_in_beats + i * beats_per_note, beats_per_note, pitch, ref)
        for i, (pitch, ref) in enumerate(zip(pitches, refs, strict=True))
    )
    total = lead_in_beats + len(notes) * beats_per_note + 4.0
    return verse_score(lyrics, notes, total, tempo, parts)


def verse_score(
    lyrics: Lyrics,
    notes: tuple[VocalNote, ...],
    total_beats: float,
    tempo: float = 100.0,
    parts: tuple[Part, ...] = (),
) -> Score:
    """A C-major score of one verse over one C chord, ``total_beats`` long, singing ``notes``."""
    pitches = [n.pitch for n in notes]
    return Score(
        title="test",
        genre="pop",
        tempo=tempo,
        beats_per_bar=4,
        key=Key(0, "major"),
        sections=(SectionSpan("verse", 0.0, total_beats, 0, "verse 1"),),
        chords=(Chord(0.0, total_beats, 0, "maj", "C"),),
        vocal=notes,
        parts=parts,
        lyrics=lyrics,
        vocal_range=(min(pitches), max(pitches)),
    )


def sustained_part(name: str, instrument: str, pitches: list[int], beats: float = 4.0) -> Part:
    """A part that plays each pitch for ``beats`` beats, one after another."""
    notes = tuple(Note(i * beats, beats, p, 100) for i, p in enumerate(pitches))
    return Part(name=name, instrument=instrument, notes=notes)


# --- a hand-made song with realistic English stress patterns, for the composer and its exports

# word → its syllables with stress (1 primary, 2 secondary, 0 none; function words 0)
VOCABULARY: dict[str, list[tuple[str, int]]] = {
    "i": [("I", 0)],
    "a": [("a", 0)],
    "the": [("the", 0)],
    "and": [("and", 0)],
    "so": [("so", 0)],
    "me": [("me", 0)],
    "my": [("my", 0)],
    "is": [("is", 0)],
    "on": [("on", 0)],
    "are": [("are", 0)],
    "we": [("we", 0)],
    "in": [("in", 0)],
    "you": [("you", 0)],
    "to": [("to", 0)],
    "us": [("us", 0)],
    "if": [("if", 0)],
    "from": [("from", 0)],
    "will": [("will", 0)],
    "our": [("our", 0)],
    "oh": [("oh", 1)],
    "walk": [("walk", 1)],
    "sea": [("sea", 1)],
    "light": [("light", 1)],
    "face": [("face", 1)],
    "word": [("word", 1)],
    "said": [("said", 1)],
    "road": [("road", 1)],
    "leads": [("leads", 1)],
    "home": [("home", 1)],
    "hold": [("hold", 1)],
    "close": [("close", 1)],
    "stars": [("stars", 1)],
    "bright": [("bright", 1)],
    "dark": [("dark", 1)],
    "gold": [("gold", 1)],
    "sleeps": [("sleeps", 1)],
    "rain": [("rain", 1)],
    "way": [("way", 1)],
    "run": [("run", 1)],
    "sky": [("sky", 1)],
    "wall": [("wall", 1)],
    "takes": [("takes", 1)],
    "far": [("far", 1)],
    "here": [("here", 1)],
    "find": [("find", 1)],
    "stop": [("stop", 1)],
    "go": [("go", 1)],
    "along": [("a", 0), ("long", 1)],
    "silver": [("sil", 1), ("ver", 0)],
    "morning": [("morn", 1), ("ing", 0)],
    "remember": [("re", 0), ("mem", 1), ("ber", 0)],
    "every": [("ev", 1), ("ery", 0)],
    "again": [("a", 0), ("gain", 1)],
    "tonight": [("to", 0), ("night", 1)],
    "burning": [("burn", 1), ("ing", 0)],
    "electric": [("e", 0), ("lec", 1), ("tric", 0)],
    "beautiful": [("beau", 1), ("ti", 0), ("ful", 0)],
    "forever": [("for", 0), ("ev", 1), ("er", 0)],
    "everything": [("ev", 1), ("ery", 0), ("thing", 2)],
    "city": [("cit", 1), ("y", 0)],
    "beneath": [("be", 0), ("neath", 1)],
    "understand": [("un", 2), ("der", 0), ("stand", 1)],
    "window": [("win", 1), ("dow", 0)],
    "open": [("o", 1), ("pen", 0)],
    "shadows": [("shad", 1), ("ows", 0)],
    "dancing": [("danc", 1), ("ing", 0)],
    "river": [("riv", 1), ("er", 0)],
    "away": [("a", 0), ("way", 1)],
}


def stressed_line(text: str) -> Line:
    """A line of :data:`VOCABULARY` words, each syllable a consonant and "a" (the composer
    reads only the stress)."""
    words = []
    for written in text.split():
        syllables = tuple(
            Syllable(piece, (piece[0].lower(), "a"), 1, stress)
            for piece, stress in VOCABULARY[written.lower()]
        )
        words.append(Word(written, syllables))
    return Line(text, tuple(words))


def stressed_section(kind: SectionKind, *lines: str) -> Section:
    return Section(kind, tuple(stressed_line(t) for t in lines))


VERSE_1 = stressed_section(
    "verse",
    "I walk along the silver sea",
    "the morning light is on my face",
    "remember every word you said",
    "and every road leads home again",
)
VERSE_2 = stressed_section(
    "verse",
    "the city sleeps beneath the rain",
    "I understand the way you run",
    "a window open to the sky",
    "and shadows dancing on the wall",
)
PRE_CHORUS = stressed_section(
    "pre-chorus", "so hold me close tonight", "the stars are burning bright"
)
CHORUS = stressed_section(
    "chorus",
    "we are electric in the dark",
    "a beautiful forever",
    "we are electric in the dark",
    "and everything is burning gold",
)
BRIDGE = stressed_section(
    "bridge",
    "oh oh oh",
    "if the river takes us far away from here tonight",
    "we will find our way",
)
SILVER_SEA = Lyrics(
    "Silver Sea",
    "en-us",
    (VERSE_1, PRE_CHORUS, CHORUS, VERSE_2, PRE_CHORUS, CHORUS, BRIDGE, CHORUS),
    "test",
)

VOICES = {"tenor": ("A3", "E5"), "baritone": ("G2", "D4"), "octave": ("C4", "C5")}


def persona_for(
    genre: str = "pop",
    voice: str = "tenor",
    tempo: tuple[float, float] = (60.0, 150.0),
    keys: tuple[str, ...] = ("C major", "A minor", "Eb major", "F# minor", "Bb minor"),
) -> Persona:
    return Persona(
        name="Test Singer",
        style=Style(genres=[genre], tempo=tempo, keys=list(keys)),
        voice=VoiceConfig(range=VOICES[voice]),
    )


class ComposedScores:
    """:data:`SILVER_SEA` composed for a genre, seed and voice, each once (the ``composed``
    fixture holds one for the whole session)."""

    def __init__(self) -> None:
        self._scores: dict[tuple[str, int, str], Score] = {}

    def __call__(self, genre: str, seed: int, voice: str = "tenor") -> Score:
        key = (genre, seed, voice)
        if key not in self._scores:
            self._scores[key] = compose(
                SILVER_SEA,
                persona_for(genre, voice),
                SongRequest("harbour lights", seed=seed),
                np.random.default_rng(seed),
            )
        return self._scores[key]
