"""vartist.voice."""
