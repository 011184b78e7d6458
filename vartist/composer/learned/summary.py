"""A learned style in words, for `vartist style show`."""

from __future__ import annotations

from vartist.composer.learned.model import DURATION_CLASSES, StyleBlend, load_style

_DEGREE_NAMES = ("1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7")
"""Pitch classes above the tonic as scale degrees, flats for the lowered ones."""
TOP = 5
"""Entries shown per table."""


def describe_style(name: str) -> list[str]:
    model = load_style(name)
    blend = StyleBlend((model,), (1.0,))
    mode = blend.main_mode
    files = model["files"]
    degrees = blend.degree_probs(mode)
    lengths = blend.duration_probs()
    chords = model["chords"][mode].get("", {})
    total = sum(chords.values()) or 1
    starts = model["chords"][mode]
    pairs = sorted(
        (
            (context, symbol, count)
            for context, row in starts.items()
            if context and " " not in context and context != "^"
            for symbol, count in row.items()
        ),
        key=lambda item: -item[2],
    )
    return [
        f"style: {model['name']}",
        f"files: {len(files)} ({', '.join(f['name'] + ' in ' + f['key'] for f in files[:TOP])}"
        + (", …)" if len(files) > TOP else ")"),
        f"mode: {mode} ({model['modes'][mode]} melody notes)",
        "degrees: "
        + " ".join(f"{_DEGREE_NAMES[d]}:{degrees[d]:.0%}" for d in degrees.argsort()[::-1][:TOP]),
        "note lengths (beats): "
        + " ".join(
            f"{DURATION_CLASSES[i]:g}:{lengths[i]:.0%}" for i in lengths.argsort()[::-1][:TOP]
        ),
        "chords: "
        + " ".join(
            f"{s}:{c / total:.0%}" for s, c in sorted(chords.items(), key=lambda i: -i[1])[:TOP]
        ),
        "chord moves: " + " ".join(f"{a}→{b}:{c}" for a, b, c in pairs[:TOP]),
    ]
