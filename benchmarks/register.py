"""How much of the words a listener loses to the register alone: espeak-ng's plain speech of
the intelligibility benchmark's lines, moved whole to a higher pitch, judged by Whisper.

    .venv/bin/python benchmarks/register.py [--seed N] [--pitches 120 220 330 440 550]

Each distinct English line of the benchmark's songs (their lyrics only: nothing is sung) is
spoken by espeak-ng on 120 Hz, as the judge's spoken baseline is, analysed by WORLD
(CheapTrick on the known F0) and resynthesised unchanged except for a constant F0. Timing,
consonants and formants stay espeak-ng's own, so the loss from one pitch to the next belongs to
the register: above ~300 Hz a voice's harmonics sample its formants too sparsely to show them
(a soprano's words are harder to follow than a baritone's for the same reason). The speaker is
espeak-ng's default, a man's vocal tract, at every pitch: a singer whose speaker suits the
register does better than these figures (Nova Lane, sung from the female variant ``f1`` around
440 Hz, passes more lines than this 440 Hz row); compare with ``benchmarks/intelligibility.py``.
About a minute per pitch on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyworld as pw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the judge lives in tests/, which is not an installed package
sys.path.insert(0, str(ROOT / "benchmarks"))

from intelligibility import cases  # noqa: E402

from tests.judge import (  # noqa: E402
    PASSING_LINE_WER,
    SPEAKING_F0,
    WordCounts,
    speak_plainly,
    transcribe,
    word_counts,
)
from vartist.voice.phonetics import PhoneKind  # noqa: E402
from vartist.voice.world_singer import aperiodicity_table  # noqa: E402

FRAME_PERIOD_MS = 5.0
DEFAULT_PITCHES = (120.0, 220.0, 330.0, 440.0, 550.0)
"""The spoken baseline's own pitch, then A3, E4, A4 and C#5: Kit Ember sings mostly around the
second, Nova Lane around the fourth."""


def benchmark_lines(seed: int) -> list[str]:
    """Every distinct line of the benchmark's songs for ``seed``, in order, lyrics only."""
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline
    from vartist.runtime.pipeline import SongPlan

    lines: dict[str, None] = {}
    for case in cases():
        persona = load_persona(ROOT / "examples/personas" / f"{case.persona}.toml")
        text = case.lyrics.read_text(encoding="utf-8") if case.lyrics else None
        # the stream's first event is the plan (lyrics and score); nothing is sung for it
        plan = next(Pipeline(persona).stream(SongRequest(case.prompt, seed=seed, lyrics_text=text)))
        assert isinstance(plan, SongPlan)
        for section in plan.lyrics.sections:
            for line in section.lines:
                lines.setdefault(line.text, None)
    return list(lines)


def repitched(
    speech: npt.NDArray[np.float64], rate: int, pitches: list[float]
) -> list[npt.NDArray[np.float64]]:
    """``speech`` (spoken on :data:`SPEAKING_F0`) resynthesised on each constant pitch."""
    f0, times = pw.dio(speech, rate, frame_period=FRAME_PERIOD_MS, f0_floor=70.0, f0_ceil=300.0)
    voiced = f0 > 0
    # espeak-ng spoke on one known pitch: analyse on it, not on the tracker's estimate
    envelope = pw.cheaptrick(speech, np.where(voiced, SPEAKING_F0, 0.0), times, rate)
    # the singer's own rule for a voiced frame, with no breath added
    fft_size = (envelope.shape[1] - 1) * 2
    periodic = aperiodicity_table(0.0, fft_size, rate)[PhoneKind.VOWEL]
    aperiodicity = np.where(voiced[:, None], periodic[None, :], 1.0)
    return [
        pw.synthesize(np.where(voiced, pitch, 0.0), envelope, aperiodicity, rate, FRAME_PERIOD_MS)
        for pitch in pitches
    ]


def summary(name: str, judged: list[WordCounts]) -> str:
    passing = sum(c.error_rate <= PASSING_LINE_WER for c in judged) / len(judged)
    words = sum(c.hits for c in judged) / max(sum(c.reference_words for c in judged), 1)
    return f"{name:<16}{passing:>16.0%}{words:>14.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pitches", type=float, nargs="+", default=list(DEFAULT_PITCHES))
    args = parser.parse_args()

    started = time.perf_counter()
    texts = benchmark_lines(args.seed)
    spoken: list[WordCounts] = []
    counts: dict[float, list[WordCounts]] = {pitch: [] for pitch in args.pitches}
    for text, (speech, rate) in zip(texts, speak_plainly(texts, "en"), strict=True):
        spoken.append(word_counts(text, transcribe(speech, rate)))
        for pitch, audio in zip(args.pitches, repitched(speech, rate, args.pitches), strict=True):
            counts[pitch].append(word_counts(text, transcribe(audio, rate)))
    print(f"{len(texts)} distinct lines (seed {args.seed}), espeak-ng's speech on one pitch")
    print(f"{'':>16}{'WER≤' + format(PASSING_LINE_WER, 'g') + ' lines':>16}{'words right':>14}")
    print(summary("as spoken", spoken))
    for pitch, judged in counts.items():
        print(summary(f"WORLD, {pitch:.0f} Hz", judged))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
