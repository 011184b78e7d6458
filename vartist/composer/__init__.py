"""vartist.composer."""
