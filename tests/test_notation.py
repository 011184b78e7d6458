"""The lead sheet (``song.musicxml``): parsed back with music21 and compared with the Score.

music21 reads the file as any notation program would; nothing is read back through our writer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import ComposedScores
from tests.runner import NOVA, ROOT, vartist
from vartist.composer.notation import write_musicxml
from vartist.composer.score import Score


def sung_notes(parsed: Any) -> list[Any]:
    """The notes as sung: a note tied over a bar line is one note, at its first half."""
    from music21 import note

    return [
        n
        for n in parsed.recurse().getElementsByClass(note.Note)
        if n.tie is None or n.tie.type == "start"
    ]


def check_lead_sheet(path: Path, score: Score) -> None:
    from music21 import converter, harmony, key, meter, tempo

    parsed = converter.parse(str(path))
    assert parsed.metadata.bestTitle == score.title

    notes = sung_notes(parsed)
    assert [n.pitch.midi for n in notes] == [v.pitch for v in score.vocal]
    # offsets in quarter notes from the start, against the Score's beats
    assert [float(n.getOffsetInHierarchy(parsed)) for n in notes] == pytest.approx(
        [v.start for v in score.vocal], abs=1e-6
    )
    lyrics = [n.lyric for n in notes]
    expected = [None if v.melisma else score.syllable(v.syllable).text for v in score.vocal]
    assert lyrics == expected

    symbols = list(parsed.recurse().getElementsByClass(harmony.ChordSymbol))
    assert [s.root().pitchClass for s in symbols] == [c.root for c in score.chords]
    assert [float(s.getOffsetInHierarchy(parsed)) for s in symbols] == pytest.approx(
        [c.start for c in score.chords]
    )

    (marks,) = [list(parsed.recurse().getElementsByClass(tempo.MetronomeMark))]
    assert marks[0].number == pytest.approx(score.tempo)
    signature = next(iter(parsed.recurse().getElementsByClass(meter.TimeSignature)))
    assert signature.ratioString == f"{score.beats_per_bar}/4"
    written_key = next(iter(parsed.recurse().getElementsByClass(key.Key)))
    assert (written_key.tonic.pitchClass, written_key.mode) == (score.key.tonic, score.key.mode)


@pytest.mark.parametrize("genre", ["pop", "ballad"])
def test_the_lead_sheet_carries_notes_lyrics_chords_tempo_key_and_metre(
    composed: ComposedScores, genre: str, tmp_path: Path
) -> None:
    score = composed(genre, 2)
    path = write_musicxml(score, tmp_path / "song.musicxml")
    check_lead_sheet(path, score)


def test_a_swung_song_is_written_straight_under_a_swing_marking(
    composed: ComposedScores, tmp_path: Path
) -> None:
    from music21 import converter, expressions, tempo

    score = composed("lofi", 2)
    off_grid = [v for v in score.vocal if (v.start * 8) % 1 > 1e-9]
    assert off_grid, "the lo-fi vocal is not swung, so this test checks nothing"
    parsed = converter.parse(str(write_musicxml(score, tmp_path / "song.musicxml")))
    notes = sung_notes(parsed)
    assert [n.pitch.midi for n in notes] == [v.pitch for v in score.vocal]
    offsets = [float(n.getOffsetInHierarchy(parsed)) for n in notes]
    lengths = [float(n.duration.quarterLength) for n in notes]
    # straight eighths and their subdivisions: no tuplet anywhere, each note near its sung time
    assert all((x * 8) % 1 < 1e-9 for x in offsets + lengths)
    assert all(abs(x - v.start) < 0.2 for x, v in zip(offsets, score.vocal, strict=True))
    assert offsets == sorted(offsets)
    marks = list(parsed.recurse().getElementsByClass(tempo.MetronomeMark))
    assert marks[0].number == pytest.approx(score.tempo)
    words = [t.content for t in parsed.recurse().getElementsByClass(expressions.TextExpression)]
    assert words[:1] == ["Swing"]


@pytest.mark.slow
def test_a_three_minute_song_reads_back_whole(tmp_path: Path) -> None:
    """The benchmark's song: many bars, ties across bar lines, every chord of the form
    (benchmarks/notation.py times the same writer)."""
    import numpy as np

    from vartist.composer import compose
    from vartist.persona import load_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline

    # the benchmark's song: Nova at 84-86 bpm sings about three minutes
    persona = load_persona(NOVA, ["style.tempo=[84,86]"])
    request = SongRequest("a rainy night in the city", seed=1)
    lyrics = Pipeline(persona).write_lyrics(request, np.random.default_rng(0))
    score = compose(lyrics, persona, request, np.random.default_rng(1))
    assert score.duration_seconds > 170
    check_lead_sheet(write_musicxml(score, tmp_path / "song.musicxml"), score)


@pytest.mark.slow
def test_every_song_folder_has_its_lead_sheet(tmp_path: Path) -> None:
    lyrics = ROOT / "examples/lyrics-own.txt"
    result = vartist(
        "sing", "harbour", "--persona", str(NOVA), "--lyrics", str(lyrics), "--seed", "2",
        "--out", "song", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "song"
    manifest = json.loads((folder / ".vartist-manifest.json").read_text(encoding="utf-8"))
    assert "song.musicxml" in manifest["files"]
    document = json.loads((folder / "song.json").read_text(encoding="utf-8"))
    check_lead_sheet(folder / "song.musicxml", Score.from_dict(document["score"]))
