"""Tiny builders for hand-made lyrics and scores, so each stage can be tested on its own."""

from __future__ import annotations

from vartist.composer.score import Chord, Note, Part, Score, SectionSpan, SyllableRef, VocalNote
from vartist.lyrics.mnemonics import is_vowel
from vartist.lyrics.types import Line, Lyrics, Section, Syllable, Word
from vartist.pitch import Key


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
