"""Render a 3-minute song with the neural engines on a CUDA GPU and print where the time goes.

    .venv/bin/python benchmarks/gpu.py [--lyrics-model ID] [--voice-model NAME_OR_PATH]
                                       [--voice-config FILE] [--seed N] [--repeat N]

The transformers lyric engine writes the lyrics with ``--lyrics-model`` (a hub id or a local
path) and the coqui singer sings them with ``--voice-model`` (a Coqui VITS model name or a
checkpoint, with ``--voice-config`` for a checkpoint). Models load once, before the first
render; a second render (``--repeat 2``) shows warm timings.

Prints each stage's seconds and real-time factor (render seconds / song seconds), the whole
render's, and the peak GPU memory. Target on a GPU: RTF ≤ 0.05. Exits with a message when CUDA
is not available: on a CPU, use benchmarks/render.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from render import print_render  # noqa: E402  (benchmarks/ is the script's own folder)

DEFAULT_LYRICS_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
DEFAULT_VOICE_MODEL = "tts_models/en/ljspeech/vits"
THREE_MINUTE_TEMPO = "style.tempo=[84,86]"
"""Nova Lane at 84-86 bpm sings a song of about 3 minutes."""


def _cuda_or_exit() -> None:
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/gpu.py needs the neural extra: pip install 'vartist[neural]'")
    if not torch.cuda.is_available():
        sys.exit(
            "CUDA is not available here: benchmarks/gpu.py measures the neural engines on a GPU; "
            "run benchmarks/render.py for the embedded engines on a CPU"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persona", type=Path, default=ROOT / "examples/personas/nova.toml")
    parser.add_argument("--lyrics-model", default=DEFAULT_LYRICS_MODEL)
    parser.add_argument("--voice-model", default=DEFAULT_VOICE_MODEL)
    parser.add_argument("--voice-config", default="", help="config.json of a voice checkpoint")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="render again to see warm timings")
    parser.add_argument("--prompt", default="a rainy night in the city")
    args = parser.parse_args()
    _cuda_or_exit()

    import torch

    from vartist.errors import VartistError
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline

    overrides = [
        THREE_MINUTE_TEMPO,
        "lyrics.engine=transformers",
        f"lyrics.model={args.lyrics_model}",
        "voice.engine=coqui",
        f"voice.model={args.voice_model}",
        f"voice.config={args.voice_config}",
        "voice.device=cuda",
    ]
    started = time.perf_counter()
    try:
        pipeline = Pipeline(load_persona(args.persona, overrides))
    except VartistError as exc:
        sys.exit(f"error: {exc}")
    print(f"load models: {time.perf_counter() - started:.2f} s on {torch.cuda.get_device_name()}")

    for attempt in range(args.repeat):
        torch.cuda.reset_peak_memory_stats()
        begun = time.perf_counter()
        song = pipeline.render(SongRequest(args.prompt, seed=args.seed + attempt))
        print_render(attempt + 1, song, time.perf_counter() - begun)
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
