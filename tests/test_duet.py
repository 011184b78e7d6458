"""`vartist duet`: answers stay in the call's key and metre and echo its rhythm or contour.

Calls are written here with mido in keys chosen by the test; answers are read back with mido
and measured against those keys (a scale table of this file), not against the key the duet
estimated. The live duet runs against mido's loopback ports (this machine has no ALSA
sequencer, /dev/snd/seq, so no virtual port can be opened) with the player in another thread
on the real clock, and its latency is measured from the player's side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest

from tests.runner import one_error_line, vartist
from vartist.composer.duet import LiveDuet, PhraseNote, answer_phrase, phrase_from_notes

MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)


def scale_of(tonic: int, mode: str) -> set[int]:
    return {(tonic + s) % 12 for s in (MAJOR if mode == "major" else NATURAL_MINOR)}


def write_call(
    path: Path, pitches: list[int], beats: Sequence[float], meter: int | None, tempo: float = 100.0
) -> None:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo)))
    if meter is not None:
        track.append(mido.MetaMessage("time_signature", numerator=meter, denominator=4))
    for pitch, length in zip(pitches, beats, strict=True):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=round(length * 480)))
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(path)


def read_answer(path: Path) -> tuple[list[tuple[float, float, int]], dict[str, Any]]:
    """(start beat, length in beats, pitch) of each note, and the meta messages by type."""
    midi = mido.MidiFile(path)
    notes, meta, now, held = [], {}, 0.0, {}
    for message in midi.tracks[0]:
        now += message.time / midi.ticks_per_beat
        if message.is_meta:
            meta[message.type] = message
        elif message.type == "note_on" and message.velocity > 0:
            held[message.note] = now
        elif message.type in ("note_on", "note_off"):
            start = held.pop(message.note)
            notes.append((start, now - start, message.note))
    return sorted(notes), meta


def signs(pitches: list[int]) -> list[int]:
    return [int(np.sign(b - a)) for a, b in pairwise(pitches)]


D_MAJOR_CALL = ([62, 64, 66, 69, 67, 66, 64, 69], [1, 0.5, 0.5, 1, 1, 0.5, 0.5, 3])
E_MINOR_WALTZ = ([64, 67, 71, 72, 71, 67, 66, 64, 66, 67, 71, 69], [2, 1] * 3 + [1, 1, 1] * 2)


@pytest.mark.parametrize("answer", ["sequence", "inversion"])
def test_a_file_answer_keeps_the_key_and_metre_and_echoes_rhythm_and_contour(
    tmp_path: Path, answer: str
) -> None:
    pitches, beats = D_MAJOR_CALL
    write_call(tmp_path / "call.mid", pitches, beats, meter=4)
    result = vartist("duet", "call.mid", "-o", "answer.mid", "--answer", answer, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    notes, meta = read_answer(tmp_path / "answer.mid")
    sung = [p for _, _, p in notes]

    assert {p % 12 for p in sung} <= scale_of(2, "major")
    assert sung[-1] % 12 == 2, "the answer cadences on the tonic"
    assert [length for _, length, _ in notes] == beats, "the answer keeps the call's rhythm"
    expected = signs(pitches) if answer == "sequence" else [-s for s in signs(pitches)]
    # the last two notes are the cadence; the shape before them is the call's
    shape = signs(sung)[:-2]
    agreement = np.mean([a == b for a, b in zip(shape, expected, strict=False)])
    assert agreement == 1.0, (shape, expected)
    assert meta["time_signature"].numerator == 4
    assert meta["key_signature"].key == "D"
    assert abs(mido.tempo2bpm(meta["set_tempo"].tempo) - 100.0) < 0.01


def test_a_waltz_without_a_time_signature_is_answered_in_three(tmp_path: Path) -> None:
    pitches, beats = E_MINOR_WALTZ
    write_call(tmp_path / "waltz.mid", pitches, beats, meter=None)
    result = vartist("duet", "waltz.mid", "-o", "answer.mid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    notes, meta = read_answer(tmp_path / "answer.mid")
    assert meta["time_signature"].numerator == 3
    assert {p % 12 for _, _, p in notes} <= scale_of(4, "minor")
    assert notes[-1][2] % 12 == 4


def test_random_calls_are_answered_in_key_on_the_tonic_with_the_calls_shape() -> None:
    rng = np.random.default_rng(11)
    contour_agreements = []
    for _ in range(40):
        tonic, mode = int(rng.integers(12)), str(rng.choice(["major", "minor"]))
        steps = MAJOR if mode == "major" else NATURAL_MINOR
        degrees = np.cumsum(rng.choice([-2, -1, 1, 2, 3], size=int(rng.integers(6, 12))))
        pitches = [60 + tonic + 12 * (d // 7) + steps[d % 7] for d in degrees.tolist()]
        lengths = rng.choice([0.5, 1.0, 1.5, 2.0], size=len(pitches)).tolist()
        # tonic and dominant stressed, so the call states its key as a melody would
        lengths[0] = lengths[-1] = 2.0
        pitches[0] = pitches[-1] = 60 + tonic
        starts = np.concatenate(([0.0], np.cumsum(lengths)[:-1])).tolist()
        call = phrase_from_notes(
            [PhraseNote(s, d, p) for s, d, p in zip(starts, lengths, pitches, strict=True)],
            120.0,
            4,
            "test",
        )
        answer, _, used = answer_phrase(call)
        sung = [n.pitch for n in answer.notes]
        scale = scale_of(tonic, mode)
        assert {p % 12 for p in sung} <= scale, (tonic, mode, pitches, sung)
        assert sung[-1] % 12 == tonic
        assert [n.start for n in answer.notes] == starts
        expected = signs(pitches) if used == "sequence" else [-s for s in signs(pitches)]
        shape = signs(sung)[:-2]
        contour_agreements.append(np.mean([a == b for a, b in zip(shape, expected, strict=False)]))
    print(f"contour agreement: mean {np.mean(contour_agreements):.2f}")
    assert np.mean(contour_agreements) >= 0.95


class Player:
    """Plays a call into the duet's input on the real clock and times the answer."""

    def __init__(self, into: mido.ports.BaseOutput, answers: mido.ports.BaseInput) -> None:
        self.into = into
        self.answers = answers

    def play(self, pitches: list[int], note_seconds: float) -> float:
        """Plays legato notes; returns when the last key went up (time.monotonic)."""
        for pitch in pitches:
            self.into.send(mido.Message("note_on", note=pitch, velocity=90))
            time.sleep(note_seconds)
            self.into.send(mido.Message("note_off", note=pitch, velocity=0))
        return time.monotonic()

    def first_answer(self, timeout: float = 2.0) -> tuple[float, list[mido.Message]]:
        """When the answer's first note-on arrived, and every message of the answer."""
        deadline = time.monotonic() + timeout
        received: list[mido.Message] = []
        first = None
        while time.monotonic() < deadline:
            for message in self.answers.iter_pending():
                if first is None and message.type == "note_on":
                    first = time.monotonic()
                received.append(message)
            if first is not None and len([m for m in received if m.type == "note_off"]) >= 6:
                break
            time.sleep(0.0005)
        assert first is not None, "no answer came"
        return first, received


@pytest.mark.slow  # plays three phrases in real time
def test_the_live_duet_answers_within_100_ms_of_the_phrase_end() -> None:
    calls, answers = mido.ports.EchoPort(), mido.ports.EchoPort()
    gap = 0.25
    duet = LiveDuet(calls, answers, gap_seconds=gap)
    stop = threading.Event()
    thread = threading.Thread(target=duet.run, args=(stop,), daemon=True)
    thread.start()
    player = Player(calls, answers)
    latencies = []
    try:
        for transpose in (0, 2, 5):
            call = [p + transpose for p in (60, 62, 64, 65, 67, 64)]
            released = player.play(call, 0.12)
            first, received = player.first_answer()
            latencies.append(first - released - gap)
            sung = [m.note for m in received if m.type == "note_on"]
            assert len(sung) == len(call)
            assert {p % 12 for p in sung} <= scale_of(transpose, "major")
            time.sleep(1.0)  # let the answer finish before the next call
            list(answers.iter_pending())
    finally:
        stop.set()
        thread.join(timeout=2)
    print(
        f"live answer after the {gap * 1000:.0f} ms gap: {[round(x * 1000) for x in latencies]} ms"
    )
    assert max(latencies) < 0.1
    assert min(latencies) >= 0.0, "the answer never starts before the phrase has ended"


def test_duet_usage_mistakes_get_one_line(tmp_path: Path) -> None:
    assert "--out" in one_error_line(vartist("duet", "call.mid", cwd=tmp_path))
    line = one_error_line(vartist("duet", "missing.mid", "-o", "a.mid", cwd=tmp_path))
    assert "missing.mid" in line
    (tmp_path / "drums.mid").write_bytes(b"MThd not really")
    assert "MIDI" in one_error_line(vartist("duet", "drums.mid", "-o", "a.mid", cwd=tmp_path))
    line = one_error_line(vartist("duet", "--midi-in", "No Such Keyboard", cwd=tmp_path))
    assert "MIDI input" in line
    line = one_error_line(vartist("duet", "x.mid", "-o", "a.mid", "--answer", "odd", cwd=tmp_path))
    assert "--answer" in line
