"""Timbre morphing: a blend of two built-in instruments moves smoothly from one to the other.

Each note is rendered through the band (``render_band``) and measured on its audio: the
spectral centroid and the harmonic envelope (the level of each of the first partials) of the
held part of the note, from numpy's FFT.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from tests.builders import one_line_lyrics, sustained_part, syllable
from tests.runner import ROOT, vartist
from vartist.audio import MASTER_RATE
from vartist.composer.score import Chord, Score, SectionSpan
from vartist.persona import default_persona
from vartist.persona.loading import PersonaError
from vartist.pitch import Key, midi_to_hz
from vartist.studio import render_band
from vartist.studio.timbre_morph import TimbreError, apply_timbres

PITCH = 57
"""A3: low enough for a dozen partials under the pad's low-pass."""
WEIGHTS = np.round(np.linspace(0.0, 1.0, 11), 2)
HELD = (0.6, 1.4)
"""Seconds of the note measured: after the pad's slow swell, before the key lifts at 2 s."""


def one_note_score(instrument: str) -> Score:
    part = sustained_part("keys", instrument, [PITCH], beats=4.0)
    return Score(
        title="t",
        genre="pop",
        tempo=120.0,
        beats_per_bar=4,
        key=Key(9, "minor"),
        sections=(SectionSpan("verse", 0.0, 6.0, 0, "verse 1"),),
        chords=(Chord(0.0, 6.0, 9, "min", "Am"),),
        vocal=(),
        parts=(part,),
        lyrics=one_line_lyrics([syllable("la", "l a:")]),
        vocal_range=(57, 69),
    )


@functools.cache
def held_spectrum(instrument: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    audio = render_band(one_note_score(instrument), np.random.default_rng(3))["keys"]
    held = audio.samples[:, int(HELD[0] * MASTER_RATE) : int(HELD[1] * MASTER_RATE)]
    # both channels' power: the pad's sides carry different detuned voices, which a mono
    # fold-down would partly cancel
    power = np.sum(np.abs(np.fft.rfft(held * np.hanning(held.shape[1]), axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(held.shape[1], 1 / MASTER_RATE).astype(np.float64)
    return freqs, np.sqrt(power).astype(np.float64)


def centroid(instrument: str) -> float:
    freqs, spectrum = held_spectrum(instrument)
    power = spectrum**2
    return float(np.sum(freqs * power) / np.sum(power))


def harmonic_envelope(instrument: str, count: int = 12) -> npt.NDArray[np.float64]:
    """The power share of partials 1..count (each the peak within ±3 % of its frequency)."""
    freqs, spectrum = held_spectrum(instrument)
    f0 = midi_to_hz(PITCH)
    powers = []
    for k in range(1, count + 1):
        near = (freqs > k * f0 * 0.97) & (freqs < k * f0 * 1.03)
        powers.append(spectrum[near].max() ** 2)
    return np.array(powers) / np.sum(powers)


def blend(weight: float) -> str:
    return f"piano:{1 - weight:g},pad:{weight:g}"


def test_the_centroid_moves_monotonically_and_without_jumps_from_piano_to_pad() -> None:
    centroids = np.array([centroid(blend(w)) for w in WEIGHTS])
    steps = np.diff(centroids)
    print(
        "centroid (Hz) by pad weight:",
        dict(zip(WEIGHTS.tolist(), centroids.round(0).tolist(), strict=True)),
    )
    assert np.all(np.sign(steps) == np.sign(centroids[-1] - centroids[0])), "not monotonic"
    span = abs(centroids[-1] - centroids[0])
    assert span > 100.0, "piano and pad should differ in brightness"
    # smooth: no tenth of the control moves the centroid by more than a third of the way
    assert np.max(np.abs(steps)) < span / 3
    # the ends are the instruments themselves
    assert centroids[0] == pytest.approx(centroid("piano"), rel=0.02)
    assert centroids[-1] == pytest.approx(centroid("pad"), rel=0.02)


def test_the_harmonic_envelope_walks_from_one_instrument_to_the_other() -> None:
    piano, pad = harmonic_envelope("piano"), harmonic_envelope("pad")
    to_piano = [np.abs(harmonic_envelope(blend(w)) - piano).sum() for w in WEIGHTS]
    to_pad = [np.abs(harmonic_envelope(blend(w)) - pad).sum() for w in WEIGHTS]
    print("envelope distance to piano:", np.round(to_piano, 3).tolist())
    assert np.all(np.diff(to_piano) > 0)
    assert np.all(np.diff(to_pad) < 0)


def test_a_persona_blend_names_the_parts_instrument_in_the_score() -> None:
    persona = default_persona(["arrangement.keys.timbre=piano:0.3,pad:0.7"])
    score = one_note_score("piano")
    with_bass = replace(score, parts=(*score.parts, sustained_part("bass", "bass", [45])))
    blended = apply_timbres(with_bass, persona.arrangement)
    assert [p.instrument for p in blended.parts] == ["piano:0.3,pad:0.7", "bass"]
    played = render_band(blended, np.random.default_rng(1))["keys"]
    assert np.sqrt(np.mean(played.samples**2)) > 0.01


def test_blends_that_cannot_be_played_are_refused_with_what_to_write() -> None:
    with pytest.raises(PersonaError, match="adding up to 1"):
        default_persona(["arrangement.keys.timbre=piano:0.5,pad:0.7"])
    with pytest.raises(PersonaError, match=r"like 'piano:0\.3,pad:0\.7'"):
        default_persona(["arrangement.keys.timbre=piano"])
    drums = default_persona(["arrangement.keys.timbre=piano:0.5,drums:0.5"])
    with pytest.raises(TimbreError, match="'drums' is not a pitched"):
        apply_timbres(one_note_score("piano"), drums.arrangement)
    unknown = default_persona(["arrangement.keys.timbre=piano:0.5,theremin:0.5"])
    with pytest.raises(Exception, match="unknown instrument 'theremin'"):
        apply_timbres(one_note_score("piano"), unknown.arrangement)


@pytest.mark.slow
def test_a_sung_song_plays_its_keys_with_the_personas_blend(tmp_path: Path) -> None:
    lyrics = ROOT / "examples/lyrics-own.txt"
    result = vartist(
        "sing", "harbour", "--lyrics", str(lyrics), "--seed", "4", "--out", "song",
        "--set", "arrangement.keys.timbre=piano:0.4,pad:0.6", "--stems", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "song/song.json").read_text(encoding="utf-8"))
    instruments = {p["name"]: p["instrument"] for p in document["score"]["parts"]}
    assert instruments["keys"] == "piano:0.4,pad:0.6"
    keys, _ = soundfile.read(tmp_path / "song/stems/keys.wav", always_2d=True)
    assert np.sqrt(np.mean(keys**2)) > 0.005
