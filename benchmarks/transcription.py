"""Transcribe the embedded singer's own vocal stem and score it against what was sung, with
vartist's transcriber and with Spotify's basic-pitch on the same stem.

    .venv/bin/python benchmarks/transcription.py [--seed N] [--lyrics FILE] [--no-basic-pitch]

A score note counts as recovered when a transcribed note starts within 50 ms of it with a
pitch within a semitone (the tests' measure). basic-pitch is not a vartist dependency: it
runs here through its bundled ONNX model with onnxruntime, never tensorflow. Install it with
`pip install --no-deps basic-pitch pretty_midi mir_eval resampy` (its other needs, librosa
and onnxruntime, are installed already).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ONSET_TOLERANCE_SECONDS = 0.05
PITCH_TOLERANCE_SEMITONES = 1


def recovered_share(expected: list[tuple[float, int]], found: list[tuple[float, int]]) -> float:
    onsets = np.array([t for t, _ in found])
    pitches = np.array([p for _, p in found])
    hits = 0
    for onset, pitch in expected:
        near = np.abs(onsets - onset) <= ONSET_TOLERANCE_SECONDS
        hits += bool(np.any(near & (np.abs(pitches - pitch) <= PITCH_TOLERANCE_SEMITONES)))
    return hits / len(expected)


def basic_pitch_notes(stem: Path) -> list[tuple[float, int]] | str:
    """basic-pitch's notes, or why it cannot run here."""
    logging.disable(logging.WARNING)  # it warns about every backend it does not find
    try:
        from basic_pitch import ICASSP_2022_MODEL_PATH
        from basic_pitch.inference import Model, predict
    except ImportError as exc:
        return f"basic-pitch cannot run here ({exc}); see this script's docstring"
    onnx = Path(ICASSP_2022_MODEL_PATH).parent / "nmp.onnx"
    with contextlib.redirect_stdout(io.StringIO()):
        _, _, events = predict(stem, Model(onnx))
    # it finds a melody's notes in any order; one (onset, pitch) per note
    return sorted((float(start), int(pitch)) for start, _, pitch, *_ in events)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--lyrics", type=Path, default=ROOT / "examples/lyrics-own.txt")
    parser.add_argument("--no-basic-pitch", action="store_true")
    args = parser.parse_args()

    from vartist.composer.transcription import transcribe_file
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline
    from vartist.studio.files import write_wav

    persona = load_persona(ROOT / "examples/personas/nova.toml")
    lyrics = args.lyrics.read_text(encoding="utf-8")
    request = SongRequest("harbour", seed=args.seed, lyrics_text=lyrics)
    song = Pipeline(persona, keep_stems=True).render(request)
    score = song.score
    expected = [(score.seconds(n.start), n.pitch) for n in score.vocal]
    print(f"{song.duration:.0f} s song, {len(expected)} sung notes (seed {args.seed})")

    with tempfile.TemporaryDirectory() as folder:
        stem = Path(folder) / "vocals.wav"
        write_wav(song.stems["vocals"], stem)

        started = time.perf_counter()
        ours = [(n.start, n.pitch) for n in transcribe_file(stem)]
        seconds = time.perf_counter() - started
        share = recovered_share(expected, ours)
        print(f"vartist:     {share:6.1%} recovered, {len(ours)} notes, {seconds:.1f} s")

        if not args.no_basic_pitch:
            started = time.perf_counter()
            theirs = basic_pitch_notes(stem)
            seconds = time.perf_counter() - started
            if isinstance(theirs, str):
                print(theirs)
            else:
                share = recovered_share(expected, theirs)
                print(f"basic-pitch: {share:6.1%} recovered, {len(theirs)} notes, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
