"""The voice licence guard: may a song sung with this persona's voice be sold?

A neural voice is learnt from recordings of a person. Publishing songs in that voice
commercially needs two things the persona records (``voice.licence`` and ``voice.consent``):
a model licence that allows commercial use, and the consent of the person whose voice it is.
A publish step calls :func:`check_commercial_use` before it releases a song for money.
"""

from __future__ import annotations

import re

from vartist.persona import Persona
from vartist.voice.errors import VoiceLicenceError

VOICES_OF_NO_ONE = frozenset({"builtin"})
"""Singers whose voice is made by rules, not learnt from a person: nothing to licence."""

NON_COMMERCIAL_MARKERS = (
    re.compile(r"(?<![A-Za-z])NC(?![A-Za-z])"),  # Creative Commons' NonCommercial element
    re.compile(r"non[- ]?commercial", re.IGNORECASE),
    re.compile(r"\bCPML\b", re.IGNORECASE),  # the Coqui Public Model License (XTTS and others)
    re.compile(r"research[- ]only", re.IGNORECASE),
)
"""Ways licences say "not for commercial use": CC-BY-NC-4.0, CC BY-NC-SA, "non-commercial",
Coqui's CPML, "research only"."""


def is_non_commercial(licence: str) -> bool:
    """True when the licence text forbids commercial use, as far as its name says."""
    return any(marker.search(licence) for marker in NON_COMMERCIAL_MARKERS)


def check_commercial_use(persona: Persona) -> None:
    """Raise :class:`VoiceLicenceError` unless the persona's voice may be published
    commercially: a learnt voice needs a recorded licence that allows it and the recorded
    consent of the person whose voice it is."""
    voice = persona.voice
    if voice.engine in VOICES_OF_NO_ONE:
        return
    licence, consent = voice.licence.strip(), voice.consent.strip()
    if not licence:
        raise VoiceLicenceError(
            f"voice.licence is empty for the {voice.engine!r} voice {voice.model!r}; write the "
            "model's licence into the persona (like voice.licence = 'CC-BY-4.0') before "
            "publishing commercially"
        )
    if is_non_commercial(licence):
        raise VoiceLicenceError(
            f"voice.licence = {licence!r} does not allow commercial use; publish the song "
            "non-commercially, or sing it with a voice model whose licence allows selling"
        )
    if not consent:
        raise VoiceLicenceError(
            f"voice.consent is empty for the {voice.engine!r} voice {voice.model!r}; record "
            "the consent of the person whose voice it is (who agreed, to what, where it is "
            "kept) before publishing commercially"
        )
