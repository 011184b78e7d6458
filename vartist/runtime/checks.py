"""Checks a persona beyond its schema: that its engines, genres and language exist here."""

from __future__ import annotations

from vartist.composer import GENRES, UnknownGenreError, get_style
from vartist.lyrics import espeak, lyric_engines, parse_lyrics
from vartist.lyrics.espeak import EspeakError
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.voice import singers
from vartist.voice.builtin import ENGINE_NAME as BUILTIN_SINGER


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
    if persona.voice.engine == BUILTIN_SINGER:
        espeak.check_variant(persona.voice.speaker)
    low, high = persona.voice.range
    return [
        f"{persona.name}: {persona.language}, {', '.join(persona.style.genres)}, "
        f"{persona.style.tempo[0]:g}-{persona.style.tempo[1]:g} bpm, range {low}-{high}",
        f"engines: lyrics={persona.lyrics.engine}, voice={persona.voice.engine}",
    ]


def check_request(request: SongRequest, persona: Persona) -> None:
    """Raise what the pipeline would raise about the request itself (its genre, its lyrics),
    without rendering: a command checks this before it reserves an output folder."""
    get_style(request.genre or persona.style.genres[0])
    if request.lyrics_text is not None:
        parse_lyrics(request.lyrics_text, persona.language)
