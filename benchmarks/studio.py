"""Time the studio (band, mix, master) on a 3-minute arrangement.

    .venv/bin/python benchmarks/studio.py [--repeat N]

Builds a 64-bar, five-part arrangement (drums, bass, keys, pad, guitar) at 90 bpm and a
sung-like vocal line at 22.05 kHz, then renders the band, mixes and masters it a few times.
Prints wall-clock and CPU seconds per stage, scaled to exactly 3 minutes of song; the minimum
over the repeats is the figure to compare with the budget (band < 1.0 s, mix + master
< 1.5 s on two cores).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vartist.audio import Audio
from vartist.composer.score import Chord, Note, Part, Score, SectionSpan
from vartist.lyrics.types import Lyrics
from vartist.persona.schema import MixConfig
from vartist.pitch import Key
from vartist.studio.instruments import render_band
from vartist.studio.master import master
from vartist.studio.mix import mix_song

_PROGRESSION = ((57, "min"), (53, "maj"), (48, "maj"), (55, "maj"))  # Am F C G


def arrangement(bars: int = 64, tempo: float = 90.0) -> Score:
    """A busy pop arrangement: eighth-note hats and bass, quarter-note keys, whole-bar pad
    chords, an eighth-note guitar arpeggio and a crash every eight bars."""
    rng = np.random.default_rng(5)
    drums, bass, keys, pad, guitar = [], [], [], [], []
    for bar in range(bars):
        start = 4.0 * bar
        root, quality = _PROGRESSION[bar % len(_PROGRESSION)]
        chord = (root, root + (3 if quality == "min" else 4), root + 7)
        for step in range(16):
            beat = start + step / 4
            if step in (0, 6, 8, 10):
                drums.append(Note(beat, 0.25, 36, 110))
            if step in (4, 12):
                drums += [Note(beat, 0.25, 38, 105), Note(beat, 0.25, 39, 80)]
            if step % 2 == 0:
                drums.append(Note(beat, 0.25, 42, int(rng.integers(70, 100))))
            if step == 14:
                drums.append(Note(beat, 0.25, 46, 80))
        if bar % 8 == 0:
            drums.append(Note(start, 1.0, 49, 100))
        for eighth in range(8):
            beat = start + eighth / 2
            bass.append(
                Note(beat, 0.5, root - 24 + (7 if eighth == 6 else 0), 100 - 15 * (eighth % 2))
            )
            guitar.append(Note(beat, 0.5, chord[eighth % 3] + 12, 85))
        keys += [Note(start + q, 1.0, p, 90 if q == 0 else 80) for q in range(4) for p in chord]
        pad += [Note(start, 4.0, p - 12, 90) for p in chord]
    beats = 4.0 * bars
    return Score(
        title="timing",
        genre="pop",
        tempo=tempo,
        beats_per_bar=4,
        key=Key(9, "minor"),
        sections=(SectionSpan("verse", 0.0, beats, None, "verse"),),
        chords=(Chord(0.0, beats, 9, "min", "Am"),),
        vocal=(),
        parts=(
            Part("drums", "drums", tuple(drums), is_drums=True),
            Part("bass", "bass", tuple(bass)),
            Part("keys", "piano", tuple(keys)),
            Part("pad", "pad", tuple(pad)),
            Part("guitar", "pluck", tuple(guitar)),
        ),
        lyrics=Lyrics("timing", "en-us", (), "test"),
        vocal_range=(57, 72),
    )


def sung_line(seconds: float, sample_rate: int = 22_050) -> Audio:
    """A voice-like line: stepping pitches with vibrato, six-second phrases, two-second rests."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    pitch = 60.0 + 5.0 * np.floor(2.0 * np.sin(0.9 * t))
    f0 = 440.0 * 2.0 ** ((pitch - 69.0) / 12.0) * (1.0 + 0.01 * np.sin(2.0 * np.pi * 5.5 * t))
    phase = 2.0 * np.pi * np.cumsum(f0) / sample_rate
    voice = np.sum([np.sin(k * phase) / k**1.3 for k in range(1, 12)], axis=0)
    phrases = ((t % 8.0) < 6.0) & (t > 10.0) & (t < seconds - 8.0)
    smooth = np.convolve(phrases.astype(np.float64), np.ones(441) / 441, "same")
    return Audio.mono(0.2 * voice * smooth, sample_rate)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    score = arrangement()
    vocal = sung_line(score.duration_seconds)
    config = MixConfig()
    to_three_minutes = 180.0 / score.duration_seconds
    wall: dict[str, list[float]] = {"band": [], "mix": [], "master": []}
    cpu: dict[str, list[float]] = {"band": [], "mix": [], "master": []}
    for _ in range(args.repeat):
        marks = [(time.perf_counter(), time.process_time())]
        band = render_band(score, np.random.default_rng(1))
        marks.append((time.perf_counter(), time.process_time()))
        mixed = mix_song(vocal, band, config, score.genre)
        marks.append((time.perf_counter(), time.process_time()))
        master(mixed.mixdown, config)
        marks.append((time.perf_counter(), time.process_time()))
        for stage, before, after in zip(wall, marks, marks[1:], strict=False):
            wall[stage].append((after[0] - before[0]) * to_three_minutes)
            cpu[stage].append((after[1] - before[1]) * to_three_minutes)
        del band, mixed
    print(f"{score.duration_seconds:.0f} s arrangement, figures scaled to 3 minutes")
    print(f"{'stage':<8}{'wall min':>10}{'wall median':>13}{'cpu min':>10}")
    for stage in wall:
        print(
            f"{stage:<8}{min(wall[stage]):>10.3f}{float(np.median(wall[stage])):>13.3f}"
            f"{min(cpu[stage]):>10.3f}"
        )


if __name__ == "__main__":
    main()
