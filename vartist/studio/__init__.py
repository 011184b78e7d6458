"""vartist.studio."""
