"""Named errors of the voice stage; each message says what is wrong and how to fix it."""

from vartist.errors import VartistError


class VoiceError(VartistError):
    """A singer cannot sing what it was given."""


class UnsingableScoreError(VoiceError):
    """The score's vocal line cannot be sung as written (a note without a syllable, …)."""


class UnknownVisemeError(VoiceError):
    """A viseme name that is not one of the known classes."""


class VoiceModelError(VoiceError):
    """A neural singer's model cannot be found, loaded or used as the persona asks."""


class NeuralExtraMissingError(VoiceError):
    """A neural singer needs the ``vartist[neural]`` extra, which is not installed."""


class VoiceLicenceError(VoiceError):
    """The voice's licence or its owner's consent does not allow what was asked."""
