"""Learned styles, song analysis and melody morphs, measured on corpora the tests write.

Two small corpora with a clear character each, written as real MIDI files in several keys:

* ``dorian``: minor tunes that lean on the Dorian major sixth over a i–IV vamp, in a
  tresillo rhythm cell (dotted quarter, dotted quarter, quarter);
* ``pentatonic``: minor-pentatonic tunes over i–VII–VI–VII in running eighths and a half note.

Songs composed in a style are measured from their Score (pitch classes above the tonic, note
lengths, onsets), never from the model's internals.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path

import mido
import numpy as np
import pytest

from tests.builders import persona_for
from tests.runner import ROOT, vartist
from vartist.cli import main
from vartist.composer import Score, compose, write_midi
from vartist.composer.analysis import (
    analyse_song_folder,
    measure_score,
    pitch_class_distance,
    rhythm_distance,
)
from vartist.composer.learned import StyleBlend, UnknownStyleError
from vartist.composer.theory import chord_tones
from vartist.lyrics import BuiltinLyricWriter
from vartist.persona import Persona
from vartist.request import SongRequest

TICKS = 480
DORIAN_TONICS = (62, 64, 67, 69, 60, 65)
"""D, E, G, A, C, F: the corpus is spread over keys so only a key-invariant model learns it."""
PENTATONIC_TONICS = (57, 59, 62, 64, 60, 55)
DORIAN_CELL = (1.5, 1.5, 1.0)
PENTATONIC_CELL = (0.5, 0.5, 0.5, 0.5, 2.0)
DORIAN_DEGREES = {"i": (0, 3, 7, 3, 7, 2), "IV": (9, 5, 0, 9, 9, 2)}
"""Melody pitch classes above the tonic drawn over each chord: the major sixth (9) is the
Dorian colour."""
PENTATONIC_DEGREES = (0, 3, 5, 7, 10)
CHORD_TRIADS = {"i": (0, 3, 7), "IV": (5, 9, 12), "VII": (10, 14, 17), "VI": (8, 12, 15)}


def _note_track(
    name: str, notes: list[tuple[float, float, int]], channel: int, program: int = 0
) -> mido.MidiTrack:
    events: list[tuple[int, int, mido.Message]] = []
    for start, duration, pitch in notes:
        on, off = round(start * TICKS), round((start + duration) * TICKS)
        events.append((on, 1, mido.Message("note_on", note=pitch, velocity=90, channel=channel)))
        events.append((off, 0, mido.Message("note_off", note=pitch, velocity=0, channel=channel)))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    if channel != 9:
        track.append(mido.Message("program_change", program=program, channel=channel, time=0))
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def write_song(
    path: Path,
    melody: list[tuple[float, float, int]],
    chords: list[tuple[float, float, int]],
    drums: bool = True,
) -> Path:
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100))])
    midi.tracks.append(conductor)
    if drums:
        beats = max(s + d for s, d, _ in melody)
        kit = [(b * 1.0, 0.25, 36 if b % 2 == 0 else 38) for b in range(int(beats))]
        midi.tracks.append(_note_track("drums", kit, 9))
    midi.tracks.append(_note_track("piano", chords, 1))
    midi.tracks.append(_note_track("lead", melody, 0, 73))
    midi.save(path)
    return path


def _song(
    tonic: int,
    progression: tuple[str, ...],
    cell: tuple[float, ...],
    degrees_for: Mapping[str, tuple[int, ...]],
    rng: np.random.Generator,
    bars: int = 8,
) -> tuple[list[tuple[float, float, int]], list[tuple[float, float, int]]]:
    melody: list[tuple[float, float, int]] = []
    chords: list[tuple[float, float, int]] = []
    for bar in range(bars):
        chord = progression[bar % len(progression)]
        chords += [(bar * 4.0, 4.0, tonic - 12 + t) for t in CHORD_TRIADS[chord]]
        beat = bar * 4.0
        for index, length in enumerate(cell):
            degree = int(rng.choice(degrees_for[chord]))
            if index == 0 and chord == "i":
                degree = 0  # bars on the tonic chord start on the tonic: the key is clear
            melody.append((beat, length, tonic + degree))
            beat += length
    melody[-1] = (melody[-1][0], melody[-1][1], tonic)
    return melody, chords


def write_dorian_corpus(folder: Path, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number, tonic in enumerate(DORIAN_TONICS):
        melody, chords = _song(tonic, ("i", "IV"), DORIAN_CELL, DORIAN_DEGREES, rng)
        write_song(folder / f"dorian_{number}.mid", melody, chords)
    return folder


def write_pentatonic_corpus(folder: Path, seed: int = 5) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    degrees = {chord: PENTATONIC_DEGREES for chord in CHORD_TRIADS}
    for number, tonic in enumerate(PENTATONIC_TONICS):
        melody, chords = _song(tonic, ("i", "VII", "VI", "VII"), PENTATONIC_CELL, degrees, rng)
        write_song(folder / f"penta_{number}.mid", melody, chords)
    return folder


@pytest.fixture
def style_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "vartist" / "styles"


SEEDS = (1, 2, 3)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``vartist ARGS`` in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


@pytest.fixture
def learned(style_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Both corpora learned through the CLI into a private XDG_DATA_HOME."""
    for name, writer in (("dorian", write_dorian_corpus), ("pentatonic", write_pentatonic_corpus)):
        folder = writer(tmp_path / "corpora" / name)
        code, out, err = run_cli(capsys, "style", "learn", str(folder), "--name", name)
        assert code == 0, err
        assert f"learned {name!r} from 6 files" in out
    return style_home


def styled_persona(model: str) -> Persona:
    persona = persona_for("pop")
    return persona.model_copy(update={"style": persona.style.model_copy(update={"model": model})})


def compose_with(model: str, seed: int) -> Score:
    persona = styled_persona(model)
    request = SongRequest("harbour lights", seed=seed)
    lyrics = BuiltinLyricWriter(persona).write(request, persona, np.random.default_rng(seed))
    return compose(lyrics, persona, request, np.random.default_rng(seed))


# --- learning --------------------------------------------------------------------------------


def test_a_corpus_in_many_keys_learns_one_key_invariant_style(
    learned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = json.loads((learned / "dorian.json").read_text(encoding="utf-8"))
    assert stored["format"] == "vartist-style" and stored["version"] == 1
    # every file's key was found from its notes, whatever key it was written in
    names = ("D", "E", "G", "A", "C", "F")
    assert [f["key"] for f in stored["files"]] == [f"{n} minor" for n in names]
    # the drums (channel 10) and the piano's chords are not the melody: 8 bars of 3 notes
    assert [f["melody_notes"] for f in stored["files"]] == [24] * 6
    blend = StyleBlend.load("dorian")
    degrees = blend.degree_probs("minor")
    assert degrees[9] > 0.15 and degrees[8] < 0.01  # the Dorian major sixth, never the minor
    lengths = blend.duration_probs()
    assert lengths[4] > 0.6  # dotted quarters (1.5 beats) dominate the tresillo cell
    chords = blend.next_chord_probs("minor", ["^", "i"])
    assert max(chords, key=lambda s: chords[s]) == "IV"
    code, out, _ = run_cli(capsys, "style", "show", "dorian")
    assert code == 0
    assert "mode: minor" in out and "i→IV" in out and "1.5:" in out


def test_musicxml_files_teach_the_same_melody_as_midi(style_home: Path, tmp_path: Path) -> None:
    import music21

    rng = np.random.default_rng(11)
    melody, chords = _song(62, ("i", "IV"), DORIAN_CELL, DORIAN_DEGREES, rng)
    midi_dir, xml_dir = tmp_path / "midi", tmp_path / "xml"
    midi_dir.mkdir()
    xml_dir.mkdir()
    write_song(midi_dir / "tune.mid", melody, chords, drums=False)
    score = music21.stream.Score()
    for name, notes in (("lead", melody), ("piano", chords)):
        part = music21.stream.Part()
        part.partName = name
        for start, length, pitch in notes:
            part.insert(start, music21.note.Note(pitch, quarterLength=length))
        score.insert(0, part)
    score.write("musicxml", fp=str(xml_dir / "tune.musicxml"))

    from vartist.composer.learned import learn_style

    from_midi, from_xml = learn_style(midi_dir, "a"), learn_style(xml_dir, "b")
    assert from_xml["files"][0]["key"] == "D minor"
    for table in ("degrees", "intervals", "durations", "onsets", "chords"):
        assert from_xml[table] == from_midi[table], table


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_bad_corpora_get_one_line_naming_the_file(
    style_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    notes_only = tmp_path / "notes"
    _write(notes_only / "readme.txt", b"no music here")
    corrupt = tmp_path / "corrupt"
    write_dorian_corpus(corrupt)
    _write(corrupt / "broken.mid", b"MThd\x00\x00\x00\x06\x00\x01garbage")
    bad_xml = tmp_path / "bad_xml"
    write_dorian_corpus(bad_xml)
    _write(bad_xml / "sheet.musicxml", b"<score-partwise><part id='P1'><measure>")
    drums = tmp_path / "drums"
    write_dorian_corpus(drums)
    kit = [(b * 0.5, 0.25, 42) for b in range(32)]
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    midi.tracks.append(_note_track("kit", kit, 9))
    midi.save(drums / "beat.mid")
    cases = [
        (empty, ["empty", "holds no MIDI"]),
        (notes_only, ["notes", "holds no MIDI"]),
        (corrupt, ["broken.mid", "not a readable MIDI file"]),
        (bad_xml, ["sheet.musicxml", "not readable MusicXML"]),
        (drums, ["beat.mid", "has no melody", "drum-only"]),
        (tmp_path / "missing", ["missing", "is not a folder"]),
    ]
    for folder, words in cases:
        code, _, err = run_cli(capsys, "style", "learn", str(folder), "--name", "bad")
        assert code == 2, (folder, err)
        assert err.count("\n") == 1 and err.startswith("error: "), err
        for word in words:
            assert word in err, (word, err)
    assert not (style_home / "bad.json").exists()


def test_the_installed_command_refuses_a_corrupt_file_without_a_traceback(
    tmp_path: Path,
) -> None:
    corpus = write_dorian_corpus(tmp_path / "corpus")
    _write(corpus / "zz_cut.mid", (corpus / "dorian_0.mid").read_bytes()[:60])
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    result = vartist("style", "learn", str(corpus), "--name", "d", cwd=ROOT, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "zz_cut.mid" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_show_delete_and_unknown_names(
    learned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "style", "list")
    assert code == 0 and out.split() == ["dorian", "pentatonic"]
    code, out, _ = run_cli(capsys, "style", "delete", "pentatonic")
    assert code == 0 and not (learned / "pentatonic.json").exists()
    code, out, _ = run_cli(capsys, "style", "list")
    assert out.split() == ["dorian"]
    code, _, err = run_cli(capsys, "style", "show", "pentatonic")
    assert code == 2 and "no learned style 'pentatonic' (stored: dorian)" in err
    code, _, err = run_cli(capsys, "style", "delete", "../etc")
    assert code == 2 and "not a style name" in err
    (learned / "broken.json").write_text("{not json", encoding="utf-8")
    code, _, err = run_cli(capsys, "style", "show", "broken")
    assert code == 2 and "broken.json is not valid JSON" in err and "learn the style again" in err
    with pytest.raises(UnknownStyleError, match="weight 'lots' of 'dorian'"):
        StyleBlend.load("dorian:lots")


# --- composing in a style --------------------------------------------------------------------


def test_styled_songs_are_closer_to_their_corpus_and_a_blend_sits_between(
    learned: Path,
) -> None:
    dorian, pentatonic = StyleBlend.load("dorian"), StyleBlend.load("pentatonic")
    blend_name = "dorian:0.5,pentatonic:0.5"
    measured: dict[str, list[tuple[float, float, float, float]]] = {}
    for model in ("", "dorian", "pentatonic", blend_name):
        rows = []
        for seed in SEEDS:
            score = compose_with(model, seed)
            _assert_quality_bars(score, styled_persona(model))
            m = measure_score(score)
            rows.append(
                (
                    pitch_class_distance(m, dorian),
                    pitch_class_distance(m, pentatonic),
                    rhythm_distance(m, dorian),
                    rhythm_distance(m, pentatonic),
                )
            )
        measured[model] = rows
    mean = {model: np.mean(rows, axis=0) for model, rows in measured.items()}
    plain, a, b = mean[""], mean["dorian"], mean["pentatonic"]
    # each style brings songs closer to its own corpus, in pitch and in rhythm
    assert a[0] < plain[0] - 0.03 and a[2] < plain[2] - 0.03, (a, plain)
    assert b[1] < plain[1] - 0.03 and b[3] < plain[3] - 0.03, (b, plain)
    # and nearer their own corpus than the other style's songs are
    assert a[0] < b[0] and b[1] < a[1] and a[2] < b[2] and b[3] < a[3]
    # the blend's songs lie between on the axis from one corpus to the other: how much nearer
    # the dorian corpus than the pentatonic one they are, in rhythm and in pitch and rhythm
    rhythm_lean = {k: v[2] - v[3] for k, v in mean.items()}
    assert rhythm_lean["dorian"] < rhythm_lean[blend_name] < rhythm_lean["pentatonic"]
    lean = {k: v[0] - v[1] + v[2] - v[3] for k, v in mean.items()}
    assert lean["dorian"] < lean[blend_name] < lean["pentatonic"], lean


def _assert_quality_bars(score: Score, persona: Persona) -> None:
    low, high = persona.voice.midi_range
    scale = set(score.key.scale)
    for note in score.vocal:
        chord = score.chord_at(note.start)
        assert chord is not None
        assert note.pitch % 12 in scale | set(chord_tones(chord)), f"{note} against {chord}"
        assert low <= note.pitch <= high
    stressed = [n for n in score.vocal if not n.melisma and score.syllable(n.syllable).stress > 0]
    on_beat = [n for n in stressed if n.start == round(n.start)]
    assert len(on_beat) / len(stressed) >= 0.85


def test_a_styled_song_uses_the_learned_chords_and_is_reproducible(learned: Path) -> None:
    first, again = compose_with("dorian", 4), compose_with("dorian", 4)
    assert first == again
    assert first.key.mode == "minor"  # the persona's keys in the style's mode
    symbols = {c.symbol for c in first.chords}
    tonic = first.key.spell(first.key.tonic)
    fourth = first.key.spell((first.key.tonic + 5) % 12)
    assert {tonic + "m", fourth} <= symbols  # the Dorian i-IV vamp, IV major in a minor key
    unstyled = compose_with("", 4)
    assert unstyled != first


def test_an_unknown_style_in_the_persona_is_named(learned: Path) -> None:
    with pytest.raises(UnknownStyleError, match="no learned style 'jazz'"):
        compose_with("jazz", 1)


# --- analysis --------------------------------------------------------------------------------


def _song_folder(score: Score, folder: Path, with_json: bool = True) -> Path:
    folder.mkdir(parents=True)
    write_midi(score, folder / "song.mid")
    if with_json:
        document = {"title": score.title, "score": score.to_dict()}
        (folder / "song.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_analyze_prints_the_measures_of_a_song_folder(
    learned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = compose_with("dorian", 2)
    folder = _song_folder(score, tmp_path / "song")
    code, out, err = run_cli(capsys, "analyze", str(folder), "--style", "dorian")
    assert code == 0, err
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    pitches = [n.pitch for n in score.vocal]
    assert lines["key"] == score.key.name
    assert lines["range"].startswith(f"MIDI {min(pitches)}-{max(pitches)}")
    assert lines["in key or chord tone"] == "100.0%"
    stressed = [n for n in score.vocal if not n.melisma and score.syllable(n.syllable).stress > 0]
    share = sum(n.start == round(n.start) for n in stressed) / len(stressed)
    assert lines["stressed syllables on beats"] == f"{share:.1%}"
    # choruses sing the same melody: the analysis finds which sections repeat which
    labels = [s.label for s in score.sections if s.kind == "chorus" and s.lyric_section is not None]
    assert len(labels) >= 2
    assert f"{labels[1]} = {labels[0]}" in lines["repeats"]
    # the distance is the total variation between the song's own degree shares and the style's
    degrees = np.bincount([(p - score.key.tonic) % 12 for p in pitches], minlength=12)
    expected = 0.5 * np.abs(
        degrees / degrees.sum() - StyleBlend.load("dorian").degree_probs("minor")
    )
    assert float(lines["pitch-class distance to dorian:1"]) == pytest.approx(
        expected.sum(), abs=1e-3
    )
    assert 0.0 <= float(lines["rhythm distance to dorian:1"]) <= 1.0


def test_analyze_reads_song_mid_alone_and_refuses_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = compose_with("", 3)
    folder = _song_folder(score, tmp_path / "midi_only", with_json=False)
    measures = analyse_song_folder(folder)
    pitches = [n.pitch for n in score.vocal]
    assert measures.key == score.key
    assert measures.range == (min(pitches), max(pitches))
    assert measures.notes == len(score.vocal)
    assert measures.stress_alignment is None
    chorus = [s.label for s in score.sections if s.kind == "chorus" and s.lyric_section is not None]
    assert (chorus[1], chorus[0]) in measures.repeats
    (tmp_path / "nothing").mkdir()
    code, _, err = run_cli(capsys, "analyze", str(tmp_path / "nothing"))
    assert code == 2 and "has neither song.json nor song.mid" in err


# --- morphs ----------------------------------------------------------------------------------


def _grid(path: Path, steps: int, track: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """A loop's ``track`` (the last: the lead of a corpus song, the only one of a morph)
    read back with mido: (pitch held at each sixteenth, note starts), rests holding the
    pitch before them."""
    midi = mido.MidiFile(path)
    now, started = 0, []
    for message in midi.tracks[track]:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            started.append((round(now * 4 / midi.ticks_per_beat), message.note))
    pitches = np.zeros(steps)
    onsets = np.zeros(steps, dtype=bool)
    for (step, pitch), following in zip(started, [*started[1:], (steps, 0)], strict=True):
        onsets[step] = True
        pitches[step : following[0]] = pitch
    pitches[: started[0][0]] = started[-1][1]
    return pitches, onsets


def _distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """The distance the morph module states: mean semitone gap + 4 × share of onset changes."""
    return float(np.mean(np.abs(a[0] - b[0])) + 4.0 * np.mean(a[1] != b[1]))


def test_morph_writes_loops_that_move_step_by_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dorian = write_dorian_corpus(tmp_path / "a") / "dorian_3.mid"
    pentatonic = write_pentatonic_corpus(tmp_path / "b") / "penta_0.mid"
    out_dir = tmp_path / "loops"
    code, _, err = run_cli(
        capsys, "morph", str(dorian), str(pentatonic), "--steps", "6", "-o", str(out_dir)
    )
    assert code == 0, err
    files = sorted(out_dir.glob("*.mid"))
    assert [f.name for f in files] == [f"morph_{i:02d}.mid" for i in range(1, 7)]
    steps = 8 * 16
    loops = [_grid(f, steps) for f in files]
    ends = _distance(loops[0], loops[-1])
    assert ends > 5.0
    # the ends are the inputs themselves
    assert _distance(loops[0], _grid(dorian, steps)) == 0.0
    assert _distance(loops[-1], _grid(pentatonic, steps)) == 0.0
    neighbours = [_distance(x, y) for x, y in itertools.pairwise(loops)]
    assert max(neighbours) < ends / 2, (neighbours, ends)
    from_start = [_distance(loops[0], loop) for loop in loops]
    assert all(x < y for x, y in itertools.pairwise(from_start)), from_start


def test_morph_refuses_bad_step_counts_and_drum_loops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tune = write_dorian_corpus(tmp_path / "a") / "dorian_0.mid"
    code, _, err = run_cli(capsys, "morph", str(tune), str(tune), "--steps", "1", "-o", "x")
    assert code == 2 and "--steps 1 is out of range" in err
    kit = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    kit.tracks.append(_note_track("kit", [(b * 0.5, 0.25, 42) for b in range(16)], 9))
    kit.save(tmp_path / "kit.mid")
    code, _, err = run_cli(capsys, "morph", str(tune), str(tmp_path / "kit.mid"), "-o", "x")
    assert code == 2 and "kit.mid has no melody" in err
