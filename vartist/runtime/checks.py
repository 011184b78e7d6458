"""Checks a persona beyond its schema: that its engines, genres and language exist here."""

from __future__ import annotations

from vartist.composer import GENRES, UnknownGenreError
from vartist.lyrics import espeak, lyric_engines
from vartist.lyrics.espeak import EspeakError
from vartist.persona import Persona
from vartist.voice import singers


def check_persona(persona: Persona) -> list[str]:
    """Raise the first problem as a VartistError; return notes on what was checked."""
    lyric_engines.get(persona.lyrics.engine)
    singers.get(persona.voice.engine)
    for genre in persona.style.genres:
        if genre not in GENRES:
            raise UnknownGenreError(
                f"style.genres: {genre!r} is not a genre the composer knows; "
                f"choose from {', '.join(GENRES)}"
            )
    if not espeak.has_language(persona.language):
        raise EspeakError(
            f"language = {persona.language!r} is not a language espeak-ng knows; "
            "use a code such as 'en-us', 'nl' or 'sv'"
        )
    low, high = persona.voice.range
    return [
        f"{persona.name}: {persona.language}, {', '.join(persona.style.genres)}, "
        f"{persona.style.tempo[0]:g}-{persona.style.tempo[1]:g} bpm, range {low}-{high}",
        f"engines: lyrics={persona.lyrics.engine}, voice={persona.voice.engine}",
    ]
