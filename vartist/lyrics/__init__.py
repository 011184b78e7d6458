"""Lyrics: engines that write them, phonetics that make them singable."""
