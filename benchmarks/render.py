"""Render one full song with the embedded engines and print where the time goes.

    .venv/bin/python benchmarks/render.py [--persona FILE] [--seed N] [--repeat N] [--set F=V ...]

By default Nova Lane sings at 84-86 bpm, which makes her builtin song about 3 minutes long.

Prints each stage's seconds and real-time factor (render seconds / song seconds), the whole
render's, and the process's peak resident memory. Targets on a 2-core CPU: a 3-minute song in
under 6 s (RTF ≤ 0.03) and peak RSS under 600 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vartist.runtime import Song

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_render(number: int, song: Song, total: float) -> None:
    """One render's table: seconds and real-time factor per stage, and in all."""
    length = song.duration
    print(f"\nrender {number}: {song.title!r}, {length:.1f} s of song, {song.score.tempo:.0f} bpm")
    print(f"{'stage':<10}{'seconds':>9}{'RTF':>9}")
    for timing in song.timings:
        print(f"{timing.stage:<10}{timing.seconds:>9.3f}{timing.seconds / length:>9.4f}")
    print(f"{'total':<10}{total:>9.3f}{total / length:>9.4f}")
    print(f"3-minute equivalent: {total * 180 / length:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persona", type=Path, default=ROOT / "examples/personas/nova.toml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="render again to see warm timings")
    parser.add_argument("--prompt", default="a rainy night in the city")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        help="persona override (default: style.tempo=[84,86], a 3-minute song)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline

    persona = load_persona(args.persona, args.overrides or ["style.tempo=[84,86]"])
    pipeline = Pipeline(persona)
    import_seconds = time.perf_counter() - started
    print(f"import + set-up: {import_seconds:.2f} s")

    for attempt in range(args.repeat):
        begun = time.perf_counter()
        song = pipeline.render(SongRequest(args.prompt, seed=args.seed + attempt))
        print_render(attempt + 1, song, time.perf_counter() - begun)
    print(f"\npeak RSS: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
