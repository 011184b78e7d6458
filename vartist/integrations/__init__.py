"""vartist.integrations."""
