"""vartist.runtime."""
