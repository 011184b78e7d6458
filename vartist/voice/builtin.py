"""The embedded singer: espeak-ng speech reshaped into singing with the WORLD vocoder.

No model weights. Each distinct word of a song is spoken once on a constant F0, by the
espeak-ng voice variant the persona names as ``voice.speaker`` (``f1``: a woman's vocal tract,
which a female singer's vowels need; warping a man's formants up did not carry them), in one fresh
espeak-ng process so earlier songs cannot colour it (:class:`vartist.voice.spoken.EspeakVoice`);
the WORLD singer (:mod:`vartist.voice.world_singer`) turns those words into the sung line.
"""

from __future__ import annotations

from vartist.lyrics.espeak import check_variant
from vartist.persona import Persona
from vartist.voice.engine import singers
from vartist.voice.spoken import EspeakVoice, SpeakingVoice, source_f0_for
from vartist.voice.world_singer import WorldSinger

ENGINE_NAME = "builtin"


@singers.register(ENGINE_NAME)
class BuiltinSinger(WorldSinger):
    """Sings a score's vocal line with espeak-ng and WORLD; no model weights needed."""

    engine_name = ENGINE_NAME

    def __init__(self, persona: Persona) -> None:
        super().__init__(persona)
        self.source_f0 = source_f0_for(persona.voice.midi_range[0])
        check_variant(persona.voice.speaker)

    def speaking_voice(self, language: str) -> SpeakingVoice:
        return EspeakVoice(
            language,
            self.source_f0,
            self.voice_config.formant_shift,
            variant=self.voice_config.speaker,
        )
