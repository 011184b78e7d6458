"""The ``vartist`` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import numpy as np
import pyloudnorm
import pytest
import soundfile

from tests.runner import NOVA, ROOT, vartist

PAPER_BOAT = ("sing", "a paper boat on a river", "--persona", str(NOVA), "--seed", "5")
"""One request sung twice: by the module's fixture and by the same-seed test."""


@pytest.fixture(scope="module")
def sung(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sing")
    result = vartist(*PAPER_BOAT, "--out", "song", "--stems", cwd=work)
    assert result.returncode == 0, result.stderr
    return work / "song"


@pytest.mark.slow
def test_sing_writes_master_midi_lrc_json_and_stems(sung: Path) -> None:
    audio, rate = soundfile.read(sung / "song.wav", dtype="float32", always_2d=True)
    assert rate == 48_000 and audio.shape[1] == 2
    assert soundfile.info(str(sung / "song.wav")).subtype == "PCM_24"
    assert np.sqrt(np.mean(audio**2)) > 0.05, "the master is (nearly) silent"

    midi = mido.MidiFile(str(sung / "song.mid"))
    tracks = {t.name: t for t in midi.tracks}
    assert {"vocals", "drums", "bass"} <= set(tracks)
    lyric_events = [m for m in tracks["vocals"] if m.type == "lyrics"]
    vocal_notes = [m for m in tracks["vocals"] if m.type == "note_on" and m.velocity > 0]
    assert len(lyric_events) >= 0.8 * len(vocal_notes) > 50

    lrc_lines = [
        line
        for line in (sung / "song.lrc").read_text(encoding="utf-8").splitlines()
        if line[1:2].isdigit()
    ]
    stamps = [int(line[1:3]) * 60 + float(line[4:9]) for line in lrc_lines]
    assert len(stamps) >= 10 and stamps == sorted(stamps)

    document = json.loads((sung / "song.json").read_text(encoding="utf-8"))
    provenance = document["provenance"]
    assert provenance["ai_generated"] is True and provenance["label"] == "AI-generated"
    assert provenance["request"]["seed"] == 5
    assert provenance["persona"]["name"] == "Nova Lane"
    assert "numpy" in provenance["packages"] and "vartist" in provenance["packages"]
    kinds = {event["kind"] for event in document["timeline"]}
    assert {"section", "line", "word", "syllable", "phoneme", "beat"} <= kinds
    assert document["score"]["vocal"]

    stems = {p.stem for p in (sung / "stems").glob("*.wav")}
    assert "vocals" in stems and len(stems) >= 4
    vocals, _ = soundfile.read(sung / "stems/vocals.wav", dtype="float32", always_2d=True)
    assert vocals.shape[0] == audio.shape[0]


@pytest.mark.slow
def test_sing_twice_with_one_seed_gives_identical_audio(sung: Path, tmp_path: Path) -> None:
    result = vartist(*PAPER_BOAT, "--out", "again", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "again/song.wav").read_bytes() == (sung / "song.wav").read_bytes()


def _persona_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "persona.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


BAD_INPUTS = {
    "malformed toml": (["--persona", "{persona}"], 'name = "x\n[style\n', "not valid TOML"),
    "unknown field": (
        ["--persona", "{persona}"],
        'name = "x"\ncolour = "red"\n',
        "unknown field 'colour'",
    ),
    "tempo zero": (["--set", "style.tempo=[0, 0]"], None, "style.tempo"),
    "inverted range": (["--set", 'voice.range=["E5","A3"]'], None, "inverted"),
    "unknown genre": (["--genre", "polka-trance"], None, "polka-trance"),
    "unknown language": (["--set", "language=xx-nowhere"], None, "xx-nowhere"),
    "missing lyrics file": (["--lyrics", "absent.txt"], None, "absent.txt"),
}


FAST_BAD_INPUTS = {"malformed toml", "unknown field", "missing lyrics file"}


@pytest.mark.parametrize(
    "case",
    [
        case if case in FAST_BAD_INPUTS else pytest.param(case, marks=pytest.mark.slow)
        for case in sorted(BAD_INPUTS)
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(case: str, tmp_path: Path) -> None:
    extra, persona_text, expected = BAD_INPUTS[case]
    if persona_text is not None:
        persona = _persona_file(tmp_path, persona_text)
        extra = [a.replace("{persona}", persona) for a in extra]
    result = vartist(
        "sing", "a song about rain", "--seed", "1", "--out", "out", *extra, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(
    ("prompt", "expected"), [("", "empty"), ("   ", "empty"), ("la " * 3400, "characters")]
)
def test_empty_or_huge_prompt_is_refused(prompt: str, expected: str, tmp_path: Path) -> None:
    result = vartist("sing", prompt, "--out", "out", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_own_lyrics_with_emoji_and_unknown_words_are_sung(tmp_path: Path) -> None:
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text(
        "[verse]\nthe zorblat moon is glowing 🌙 bright\nwe flibber on the quiet sea\n"
        "[chorus]\nhold on 🎵 hold on to me\nhold on until the night is free\n",
        encoding="utf-8",
    )
    result = vartist(
        "sing", "moon", "--lyrics", str(lyrics), "--seed", "2", "--out", "out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out/song.json").read_text(encoding="utf-8"))
    words = {e["text"].lower() for e in document["timeline"] if e["kind"] == "word"}
    assert {"zorblat", "flibber", "moon"} <= words
    assert not any("🌙" in w or "🎵" in w for w in words)


def test_lyrics_in_a_script_the_language_does_not_use_are_refused(tmp_path: Path) -> None:
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("[verse]\nこんにちは世界\n", encoding="utf-8")
    result = vartist("sing", "hello", "--lyrics", str(lyrics), "--out", "out", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "language" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_song_goes_beside_other_files_and_leaves_them_alone(tmp_path: Path) -> None:
    precious = tmp_path / "out" / "thesis.txt"
    precious.parent.mkdir()
    precious.write_text("do not lose me", encoding="utf-8")
    result = vartist("sing", "rain", "--seed", "1", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert precious.read_text(encoding="utf-8") == "do not lose me"
    assert (tmp_path / "out/song.wav").is_file()


@pytest.mark.slow
def test_persona_check_accepts_every_example(tmp_path: Path) -> None:
    for path in sorted((ROOT / "examples/personas").glob("*.toml")):
        result = vartist("persona", "check", str(path), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "ok" in result.stdout


def test_persona_check_names_the_bad_field(tmp_path: Path) -> None:
    bad = _persona_file(tmp_path, 'name = "x"\n[voice]\nrange = ["C5", "C4"]\n')
    result = vartist("persona", "check", bad, cwd=tmp_path)
    assert (
        result.returncode == 2
        and "voice.range" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_persona_check_rejects_a_speaker_espeak_ng_lacks(tmp_path: Path) -> None:
    bad = _persona_file(tmp_path, 'name = "x"\n[voice]\nspeaker = "castrato"\n')
    result = vartist("persona", "check", bad, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "voice.speaker" in result.stderr and "'castrato'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_an_unreachable_loudness_target_is_a_warning_in_the_output_and_song_json(
    tmp_path: Path,
) -> None:
    lyrics = tmp_path / "short.txt"
    lyrics.write_text("[verse]\nthe rain is on the window\n", encoding="utf-8")
    result = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", "1", "--out", "loud",
        "--set", "mix.loudness_lufs=-6", "--set", "mix.true_peak_dbtp=-0.1", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "-6.0 LUFS" in warnings[0]
    document = json.loads((tmp_path / "loud/song.json").read_text(encoding="utf-8"))
    assert document["warnings"] and "out of reach" in document["warnings"][0]
    reached = document["provenance"]["master"]["loudness_lufs"]
    assert reached < -6.1
    audio, rate = soundfile.read(tmp_path / "loud/song.wav", dtype="float64", always_2d=True)
    measured = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert abs(measured - reached) < 0.1
