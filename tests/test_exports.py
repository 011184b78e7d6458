"""The composer's file exports, read back with independent readers: mido for MIDI, a regular
expression for LRC, music21 for MusicXML."""

from __future__ import annotations

import re
from pathlib import Path

import mido
import numpy as np
import pytest

from tests.builders import SILVER_SEA, ComposedScores, persona_for, stressed_section
from vartist.composer import Score, compose, write_lrc, write_midi, write_musicxml
from vartist.composer.export import MIDI_CHARSET, midi_key_signature
from vartist.lyrics.types import Line, Lyrics, Section, Syllable, Word
from vartist.pitch import Key
from vartist.request import SongRequest
from vartist.timeline import Timeline, TimelineEvent


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message | mido.MetaMessage]]:
    now, events = 0, []
    for message in track:
        now += message.time
        events.append((now, message))
    return events


@pytest.fixture(scope="module")
def score(composed: ComposedScores) -> Score:
    return composed("pop", 7)


@pytest.fixture(scope="module")
def midi(score: Score, tmp_path_factory: pytest.TempPathFactory) -> mido.MidiFile:
    path = write_midi(score, tmp_path_factory.mktemp("midi") / "song.mid")
    return mido.MidiFile(path, charset=MIDI_CHARSET)


def test_midi_has_a_conductor_a_track_per_part_and_vocals(
    score: Score, midi: mido.MidiFile
) -> None:
    assert midi.type == 1
    names = [track.name for track in midi.tracks]
    assert names == [score.title, *(p.name for p in score.parts), "vocals"]
    conductor = [m for m in midi.tracks[0] if m.is_meta]
    tempo = next(m for m in conductor if m.type == "set_tempo")
    assert mido.tempo2bpm(tempo.tempo) == pytest.approx(score.tempo, abs=1e-3)
    signature = next(m for m in conductor if m.type == "time_signature")
    assert (signature.numerator, signature.denominator) == (4, 4)
    assert next(m for m in conductor if m.type == "key_signature").key == midi_key_signature(
        score.key
    )
    markers = [(t, m.text) for t, m in _absolute(midi.tracks[0]) if m.type == "marker"]
    assert markers == [(round(s.start * midi.ticks_per_beat), s.label) for s in score.sections]


def test_midi_note_counts_channels_and_times_match_each_part(
    score: Score, midi: mido.MidiFile
) -> None:
    for part, track in zip(score.parts, midi.tracks[1:-1], strict=True):
        ons = [(t, m) for t, m in _absolute(track) if m.type == "note_on" and m.velocity > 0]
        assert len(ons) == len(part.notes)
        channels = {m.channel for _, m in ons}
        assert channels == ({9} if part.is_drums else channels - {9})
        assert len(channels) == 1
        starts = sorted(t for t, _ in ons)
        expected = sorted(round(n.start * midi.ticks_per_beat) for n in part.notes)
        assert starts == expected
    # the whole file lasts as long as the song
    assert midi.length == pytest.approx(score.duration_seconds, abs=0.05)


def test_vocals_carry_one_lyric_event_per_sung_syllable(score: Score, midi: mido.MidiFile) -> None:
    events = _absolute(midi.tracks[-1])
    lyrics = [(t, m.text) for t, m in events if m.type == "lyrics"]
    ons = [(t, m.note) for t, m in events if m.type == "note_on" and m.velocity > 0]
    syllables = sum(
        len(line.syllables) for section in SILVER_SEA.sections for line in section.lines
    )
    assert len(lyrics) == syllables
    assert len(ons) == len(score.vocal) > syllables  # melismas sound but get no new lyric
    assert [p for _, p in ons] == [n.pitch for n in score.vocal]
    sung_at = {t for t, _ in ons}
    assert all(t in sung_at for t, _ in lyrics)
    texts = [text for _, text in lyrics]
    first_beautiful = texts.index("beau-")
    assert texts[first_beautiful : first_beautiful + 3] == ["beau-", "ti-", "ful"]
    assert texts[:4] == ["I", "walk", "a-", "long"]


def test_midi_lyrics_survive_any_language(tmp_path: Path) -> None:
    words = [("gå", [("gå", 1)]), ("längs", [("längs", 1)]), ("havet", [("ha", 1), ("vet", 0)])]
    line = Line(
        "gå längs havet",
        tuple(
            Word(text, tuple(Syllable(piece, ("a",), 0, stress) for piece, stress in pieces))
            for text, pieces in words
        ),
    )
    lyrics = Lyrics("Sång", "sv", (Section("verse", (line,)),), "user")
    score = compose(lyrics, persona_for(), SongRequest("x"), np.random.default_rng(1))
    back = mido.MidiFile(write_midi(score, tmp_path / "sång.mid"), charset=MIDI_CHARSET)
    assert back.tracks[0].name == "Sång"
    assert [m.text for m in back.tracks[-1] if m.type == "lyrics"] == ["gå", "längs", "ha-", "vet"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("Eb major", "Eb"),
        ("F# major", "F#"),
        ("Bb minor", "Bbm"),
        ("G# minor", "G#m"),
        ("D minor", "Dm"),
    ],
)
def test_key_signatures_are_spelled_as_midi_expects(key: str, expected: str) -> None:
    assert midi_key_signature(Key.parse(key)) == expected
    mido.MetaMessage("key_signature", key=expected)  # raises if mido cannot encode it


def line_timeline(score: Score) -> Timeline:
    """Line events from the score, as the runtime derives them (one per sung line)."""
    lines: dict[tuple[int, int], list[float]] = {}
    for note in score.vocal:
        span = lines.setdefault((note.syllable.section, note.syllable.line), [note.start, note.end])
        span[1] = note.end
    events = [
        TimelineEvent(
            "line", score.seconds(a), score.seconds(b), score.lyrics.sections[s].lines[li].text
        )
        for (s, li), (a, b) in lines.items()
    ]
    beats = [
        TimelineEvent("beat", score.seconds(b), score.seconds(b + 1), f"{b}") for b in range(8)
    ]
    return Timeline(tuple(beats + events[::-1]))


_LRC_LINE = re.compile(r"^\[(\d{2}):(\d{2})\.(\d{2})\](.*)$")


def test_lrc_has_the_tags_and_one_timed_line_per_lyric_line(score: Score, tmp_path: Path) -> None:
    timeline = line_timeline(score)
    path = write_lrc(timeline, tmp_path / "song.lrc", "Silver Sea", "Test Singer")
    text = path.read_text(encoding="utf-8").splitlines()
    assert "[ti:Silver Sea]" in text and "[ar:Test Singer]" in text
    length = next(line for line in text if line.startswith("[length:"))
    minutes, seconds = map(int, re.findall(r"\d+", length))
    last_end = max(e.end for e in timeline.events)
    assert abs(minutes * 60 + seconds - last_end) <= 1
    timed = [m for line in text if (m := _LRC_LINE.match(line))]
    starts = [int(m[1]) * 60 + int(m[2]) + int(m[3]) / 100 for m in timed]
    expected = sorted(e.start for e in timeline.of("line"))
    assert len(timed) == len(expected) == sum(len(s.lines) for s in SILVER_SEA.sections)
    assert starts == sorted(starts)
    assert np.max(np.abs(np.array(starts) - np.array(expected))) <= 0.005 + 1e-9
    assert timed[0][4] == "I walk along the silver sea"


def test_lrc_timestamps_round_across_minutes(tmp_path: Path) -> None:
    events = (
        TimelineEvent("line", 59.996, 61.0, "first"),
        TimelineEvent("line", 600.5, 602.0, "ten minutes in"),
    )
    path = write_lrc(Timeline(events), tmp_path / "edge.lrc", "t", "a")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "[01:00.00]first" in lines
    assert "[10:00.50]ten minutes in" in lines
    assert "[length:10:02]" in lines


def test_musicxml_lead_sheet_reads_back_with_its_notes_lyrics_and_chords(tmp_path: Path) -> None:
    from music21 import converter, harmony, note

    lyrics = Lyrics(
        "Short",
        "en-us",
        (stressed_section("chorus", "we are electric in the dark", "a beautiful forever"),),
        "test",
    )
    persona = persona_for("pop", keys=("Eb major",))
    score = compose(lyrics, persona, SongRequest("x"), np.random.default_rng(4))
    path = write_musicxml(score, tmp_path / "song.musicxml")
    again = write_musicxml(score, tmp_path / "again.musicxml")
    assert path.read_bytes() == again.read_bytes()

    parsed = converter.parse(str(path))
    # tied halves across a bar line are one sung note
    notes = [
        n
        for n in parsed.recurse().getElementsByClass(note.Note)
        if n.tie is None or n.tie.type == "start"
    ]
    assert [n.pitch.midi for n in notes] == [n.pitch for n in score.vocal]
    # spelled in the key: E-flat major writes flats, never sharps
    assert not any("#" in n.pitch.name for n in notes)
    sung = [(lyric.text, lyric.syllabic) for n in notes for lyric in n.lyrics]
    assert len(sung) == sum(len(line.syllables) for line in lyrics.sections[0].lines)
    assert sung[2:5] == [("e", "begin"), ("lec", "middle"), ("tric", "end")]
    roots = [c.root().pitchClass for c in parsed.recurse().getElementsByClass(harmony.ChordSymbol)]
    assert roots == [c.root for c in score.chords]
