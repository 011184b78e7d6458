"""Time the lead-sheet writer (``song.musicxml``) on the render benchmark's 3-minute song.

    .venv/bin/python benchmarks/notation.py [--repeat N]

Composes Nova Lane's song at 84-86 bpm (as benchmarks/render.py renders it) without singing
it, then writes its MusicXML lead sheet: the first write includes music21's imports, the
others are warm. Every song folder gets one, so this time adds to every `vartist sing`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from vartist.composer import compose
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline

    persona = load_persona(ROOT / "examples/personas/nova.toml", ["style.tempo=[84,86]"])
    request = SongRequest("a rainy night in the city", seed=1)
    lyrics = Pipeline(persona).write_lyrics(request, np.random.default_rng(0))
    score = compose(lyrics, persona, request, np.random.default_rng(1))
    print(
        f"{score.duration_seconds:.0f} s song, {len(score.vocal)} notes, {len(score.chords)} chords"
    )

    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(args.repeat + 1):
            started = time.perf_counter()
            from vartist.composer.notation import write_musicxml

            write_musicxml(score, Path(folder) / "song.musicxml")
            label = "cold (with imports)" if attempt == 0 else "warm"
            print(f"write {attempt}: {time.perf_counter() - started:.3f} s {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
