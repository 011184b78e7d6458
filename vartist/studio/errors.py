"""The studio's named exceptions."""

from __future__ import annotations

from vartist.errors import VartistError


class StudioError(VartistError):
    """The studio cannot play, mix, master or write this song."""


class InvalidPartError(StudioError):
    """A score part holds a note an instrument cannot play (bad time, pitch or velocity)."""


class UnknownDrumSoundError(InvalidPartError):
    """A drum part plays a General MIDI percussion number the built-in kit does not have."""


class StemMismatchError(StudioError):
    """The stems handed to the mix cannot be summed (names clash, or channel counts differ)."""


class SilentMixError(StudioError):
    """The master was asked to reach a loudness target from silence."""


class AudioFileError(StudioError):
    """A WAV file cannot be read or written."""
