"""HTTP: the request API (and, later, the lyrics overlay and the stage panel)."""
