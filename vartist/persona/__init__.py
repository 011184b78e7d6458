"""The persona: one TOML file that drives the whole artist."""

from vartist.persona.loading import (
    PersonaError,
    apply_overrides,
    default_persona,
    load_persona,
    persona_from_dict,
)
from vartist.persona.schema import (
    AvatarConfig,
    LyricsConfig,
    MixConfig,
    Persona,
    Style,
    Vibrato,
    VoiceConfig,
)

__all__ = [
    "AvatarConfig",
    "LyricsConfig",
    "MixConfig",
    "Persona",
    "PersonaError",
    "Style",
    "Vibrato",
    "VoiceConfig",
    "apply_overrides",
    "default_persona",
    "load_persona",
    "persona_from_dict",
]
