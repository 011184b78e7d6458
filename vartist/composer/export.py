"""Files other tools read: a Standard MIDI File of the whole score, an LRC of the lyrics'
timing; the MusicXML lead sheet is :mod:`vartist.composer.notation`'s, re-exported here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import mido

from vartist.composer.notation import write_musicxml as write_musicxml
from vartist.composer.score import Score, VocalNote
from vartist.pitch import Key
from vartist.timeline import Timeline

TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9
"""MIDI channel 10, counted from zero as mido does."""
VOCAL_CHANNEL = 0
VOCAL_PROGRAM = 53
"""General MIDI 'Voice Oohs' (0-based), so a plain MIDI player hums the melody."""
MIDI_CHARSET = "utf-8"
"""Lyrics and markers are written as UTF-8 so any language survives; read with the same."""


def midi_key_signature(key: Key) -> str:
    """The key as a MIDI key-signature name mido accepts: ``'Eb'``, ``'F#m'``."""
    return key.spell(key.tonic) + ("m" if key.mode == "minor" else "")


def _ticks(beats: float) -> int:
    return round(beats * TICKS_PER_BEAT)


def _track(
    name: str, events: list[tuple[int, int, mido.Message | mido.MetaMessage]]
) -> mido.MidiTrack:
    """A track from (absolute tick, order, message); at equal ticks note-offs come first so a
    repeated pitch is released before it sounds again."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _note_events(
    start: float, duration: float, pitch: int, velocity: int, channel: int
) -> list[tuple[int, int, mido.Message | mido.MetaMessage]]:
    on, off = _ticks(start), max(_ticks(start + duration), _ticks(start) + 1)
    return [
        (on, 2, mido.Message("note_on", note=pitch, velocity=velocity, channel=channel)),
        (off, 0, mido.Message("note_off", note=pitch, velocity=0, channel=channel)),
    ]


def sung_text(score: Score, note: VocalNote) -> str:
    """The lyric a note carries: its syllable, with a hyphen when the word goes on
    ("beau-", "ti-", "ful")."""
    ref = note.syllable
    word = score.lyrics.sections[ref.section].lines[ref.line].words[ref.word]
    text = word.syllables[ref.syllable].text
    return text + "-" if ref.syllable < len(word.syllables) - 1 else text


def _channels(score: Score) -> dict[str, int]:
    free = [c for c in range(16) if c not in (VOCAL_CHANNEL, DRUM_CHANNEL)]
    channels = {}
    for part in score.parts:
        channels[part.name] = DRUM_CHANNEL if part.is_drums else free.pop(0) if free else 15
    return channels


def save_note_track(
    path: str | Path,
    header: list[mido.MetaMessage],
    notes: Iterable[tuple[int, int, int, int]],
    ticks_per_beat: int = TICKS_PER_BEAT,
) -> Path:
    """A type-0 MIDI file: ``header`` at tick 0, then ``notes`` as (on tick, off tick, pitch,
    velocity). At one tick a note-off sorts before a note-on, so a repeated pitch re-strikes."""
    events: list[tuple[int, int, mido.Message]] = []
    for on, off, pitch, velocity in notes:
        events.append((on, 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((off, 0, mido.Message("note_off", note=pitch, velocity=0)))
    track = mido.MidiTrack(header)
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    midi.save(path)
    return Path(path)


def write_midi(score: Score, path: str | Path) -> Path:
    """A type-1 Standard MIDI File: a conductor track (tempo, 4/4, key, a marker per
    section), one track per part named after it (drums on channel 10), and ``vocals`` with
    the melody and a ``lyrics`` event per sung syllable."""
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT, charset=MIDI_CHARSET)

    conductor: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(score.tempo))),
        (0, 0, mido.MetaMessage("time_signature", numerator=score.beats_per_bar, denominator=4)),
        (0, 0, mido.MetaMessage("key_signature", key=midi_key_signature(score.key))),
    ]
    conductor += [
        (_ticks(s.start), 1, mido.MetaMessage("marker", text=s.label)) for s in score.sections
    ]
    midi.tracks.append(_track(score.title or "vartist", conductor))

    channels = _channels(score)
    for part in score.parts:
        channel = channels[part.name]
        events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
        if not part.is_drums:
            events.append(
                (0, 0, mido.Message("program_change", program=part.midi_program, channel=channel))
            )
        for note in part.notes:
            events += _note_events(note.start, note.duration, note.pitch, note.velocity, channel)
        midi.tracks.append(_track(part.name, events))

    vocal: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.Message("program_change", program=VOCAL_PROGRAM, channel=VOCAL_CHANNEL))
    ]
    for sung in score.vocal:
        if not sung.melisma:
            lyric = mido.MetaMessage("lyrics", text=sung_text(score, sung))
            vocal.append((_ticks(sung.start), 1, lyric))
        vocal += _note_events(sung.start, sung.duration, sung.pitch, 100, VOCAL_CHANNEL)
    midi.tracks.append(_track("vocals", vocal))

    path = Path(path)
    midi.save(path)
    return path


def _lrc_time(seconds: float) -> str:
    centiseconds = max(0, round(seconds * 100))
    minutes, rest = divmod(centiseconds, 6000)
    return f"{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_lrc(timeline: Timeline, path: str | Path, title: str, artist: str) -> Path:
    """A standard LRC file: ``[ti:]``, ``[ar:]``, ``[length:]`` and one ``[mm:ss.xx]`` line
    per lyric-line event of the timeline, in time order."""
    end = max((e.end for e in timeline.events), default=0.0)
    length_seconds = round(end)
    lines = [
        f"[ti:{_one_line(title)}]",
        f"[ar:{_one_line(artist)}]",
        f"[length:{length_seconds // 60:02d}:{length_seconds % 60:02d}]",
        "[re:vartist]",
    ]
    for event in sorted(timeline.of("line"), key=lambda e: e.start):
        lines.append(f"[{_lrc_time(event.start)}]{_one_line(event.text)}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
