"""vartist: an open runtime for virtual singers.

One persona file drives the artist: lyrics → composer → voice → studio → a finished song.
"""

__version__ = "0.1.0"
