"""The coqui singer, run the way a user runs it: `vartist sing` with a VITS checkpoint.

The model is built here, random-initialised and small (a few hundred thousand weights, about
1.5 MB), so nothing is downloaded. Untrained, it says noise-like speech, but the singer forces
its token durations and WORLD puts the score's melody on it: the sung pitch and the note
onsets are measured on the vocal stem with an F0 tracker, as for the builtin singer. The model
reads IPA, like Coqui's LJSpeech VITS, so the mnemonic → IPA route is the one exercised.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutagen.wave import WAVE

from tests.measure import cents, onset_errors_ms, track_pitch
from tests.runner import one_error_line, vartist
from vartist.composer.score import Score, VocalNote
from vartist.persona import Persona
from vartist.studio.files import read_wav
from vartist.voice import VoiceLicenceError, check_commercial_use

LYRICS = "I walk the street tonight\nthe lights are low and I am fine\n"
SEED = 7
COQUI = ("--set", "voice.engine=coqui")


def _build_tiny_vits(folder: Path) -> tuple[Path, Path]:
    """A random-initialised Coqui VITS: one layer per block, 32 channels; its checkpoint and
    config.json as Coqui's trainer writes them (weights under "model")."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs, VitsCharacters

    torch.manual_seed(0)
    args = VitsArgs(
        hidden_channels=32,
        hidden_channels_ffn_text_encoder=64,
        num_heads_text_encoder=2,
        num_layers_text_encoder=1,
        num_layers_flow=1,
        num_layers_posterior_encoder=1,
        resblock_type_decoder="2",
        upsample_rates_decoder=[8, 8, 4],  # their product is the hop length, 256
        upsample_initial_channel_decoder=32,
        upsample_kernel_sizes_decoder=[16, 16, 8],
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3]],
        use_sdp=False,
        init_discriminator=False,
    )
    symbols = VitsCharacters()
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        characters=symbols.characters,
        punctuations=symbols.punctuations,
        pad=symbols.pad,
        blank=symbols.blank,
        is_unique=False,
        is_sorted=True,
    )
    config = VitsConfig(model_args=args, use_phonemes=False, add_blank=True, characters=characters)
    model = Vits(config)
    # An untrained decoder hisses: most of its energy lies above 3 kHz, where a voice has
    # little, and the sung F0 would drown in it. A 7-tap average as its last filter gives the
    # untrained voice a voice-like fall towards the treble; the rest stays random.
    with torch.no_grad():
        post = model.waveform_decoder.conv_post.weight  # (1, channels, taps)
        signs = torch.tensor([(-1.0) ** c for c in range(post.shape[1])])
        post.copy_(signs[None, :, None].expand_as(post) / post.shape[2])
    checkpoint, config_path = folder / "model.pth", folder / "config.json"
    torch.save({"model": model.state_dict(), "step": 0}, checkpoint)
    # an IPA model, as the pretrained English VITS models are (its symbols hold the IPA)
    config.use_phonemes = True
    config.phoneme_language = "en-us"
    config.save_json(str(config_path))
    return checkpoint, config_path


@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build_tiny_vits(tmp_path_factory.mktemp("vits"))


@pytest.fixture(scope="module")
def sung(tiny_vits: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The same song sung twice by `vartist sing` with the coqui singer, in two processes."""
    checkpoint, config = tiny_vits
    work = tmp_path_factory.mktemp("sing")
    (work / "lyrics.txt").write_text(LYRICS, encoding="utf-8")
    outs = []
    for name in ("first", "again"):
        result = vartist(
            "sing",
            "a night walk",
            "--lyrics",
            "lyrics.txt",
            "--set",
            "voice.engine=coqui",
            "--set",
            f"voice.model={checkpoint}",
            "--set",
            f"voice.config={config}",
            "--set",
            "voice.licence=CC-BY-NC-4.0",
            "--seed",
            str(SEED),
            "--out",
            name,
            "--stems",
            cwd=work,
            # one torch thread: the tests run two at a time on two cores, and torch's own
            # pool would starve the stage tests' 60 Hz loop next door
            env={"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        )
        assert result.returncode == 0, result.stderr
        outs.append(work / name)
    return outs


def _document(out: Path) -> dict[str, Any]:
    return json.loads((out / "song.json").read_text(encoding="utf-8"))


def _score(out: Path) -> Score:
    return Score.from_dict(_document(out)["score"])


def _seconds(score: Score, note: VocalNote) -> tuple[float, float]:
    return score.seconds(note.start), score.seconds(note.end)


@pytest.mark.slow
def test_sung_pitch_follows_the_score(sung: list[Path]) -> None:
    score = _score(sung[0])
    track = track_pitch(read_wav(sung[0] / "stems/vocals.wav"))
    errors, sung_frames = [], 0
    for note in score.vocal:
        start, end = _seconds(score, note)
        frames = track.frames_between(start + 0.06, end - 0.03)
        voiced = frames[track.f0[frames] > 0]
        sung_frames += len(track.frames_between(start, end))
        errors.append(np.abs(cents(track.f0[voiced], note.pitch)))
    all_errors = np.concatenate(errors)
    assert len(score.vocal) >= 10
    assert len(all_errors) > 0.6 * sung_frames, "too few voiced frames inside the notes"
    assert np.median(all_errors) < 30.0


@pytest.mark.slow
def test_note_onsets_land_within_40_ms(sung: list[Path]) -> None:
    """Where a note follows a rest or leaps, its vowel arrives within 40 ms of the score."""
    track = track_pitch(read_wav(sung[0] / "stems/vocals.wav"))
    deltas_ms = onset_errors_ms(_score(sung[0]), track)
    assert len(deltas_ms) >= 4
    assert np.mean(deltas_ms <= 40.0) >= 0.9, f"onset errors ms: {np.round(deltas_ms)}"


@pytest.mark.slow
def test_the_timeline_holds_each_sung_phoneme_inside_the_song(sung: list[Path]) -> None:
    document = _document(sung[0])
    phonemes = [e for e in document["timeline"] if e["kind"] == "phoneme"]
    score = _score(sung[0])
    sung_phonemes = sum(
        len(score.syllable(n.syllable).phonemes) for n in score.vocal if not n.melisma
    )
    assert len(phonemes) == sung_phonemes
    starts = [e["start"] for e in phonemes]
    assert starts == sorted(starts)
    assert all(0.0 <= e["start"] < e["end"] <= document["duration_seconds"] for e in phonemes)
    assert document["provenance"]["engines"]["voice"] == "coqui"


@pytest.mark.slow
def test_the_voice_licence_is_in_song_json_and_the_wav_tags(sung: list[Path]) -> None:
    voice = _document(sung[0])["provenance"]["persona"]["voice"]
    assert voice["licence"] == "CC-BY-NC-4.0"
    tags = WAVE(sung[0] / "song.wav").tags
    assert tags is not None
    assert tags.getall("TXXX:voice licence")[0].text == ["CC-BY-NC-4.0"]


@pytest.mark.slow
def test_same_seed_sings_the_same_song_bit_for_bit(sung: list[Path]) -> None:
    first, again = sung
    assert (first / "song.wav").read_bytes() == (again / "song.wav").read_bytes()


def test_a_missing_checkpoint_is_one_error_line(tmp_path: Path) -> None:
    result = vartist(
        "sing",
        "rain",
        "--set",
        "voice.engine=coqui",
        "--set",
        f"voice.model={tmp_path / 'absent.pth'}",
        "--out",
        "out",
        cwd=tmp_path,
    )
    line = one_error_line(result)
    assert "absent.pth" in line and "checkpoint" in line
    assert not (tmp_path / "out" / "song.wav").exists()


def test_a_missing_config_is_named_with_the_field_to_set(tmp_path: Path) -> None:
    (tmp_path / "model.pth").write_bytes(b"")
    result = vartist(
        "sing",
        "rain",
        "--set",
        "voice.engine=coqui",
        "--set",
        "voice.model=model.pth",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert "voice.config" in one_error_line(result)


def test_without_the_neural_extra_the_error_says_what_to_install(tmp_path: Path) -> None:
    # torch made unimportable in the child, as on an install without vartist[neural]
    (tmp_path / "model.pth").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")
    script = (
        "import sys\n"
        "class NoNeuralExtra:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'TTS'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoNeuralExtra())\n"
        "from vartist.cli import main\n"
        "main()\n"
    )

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "sing",
            "rain",
            *COQUI,
            "--set",
            "voice.model=model.pth",
            "--out",
            "out",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "vartist[neural]" in one_error_line(result)


@pytest.mark.slow
def test_an_offline_model_name_that_is_not_downloaded_is_one_error_line(tmp_path: Path) -> None:
    result = vartist(
        "sing",
        "rain",
        "--set",
        "voice.engine=coqui",
        "--set",
        "voice.model=tts_models/en/ljspeech/vits",
        "--out",
        "out",
        cwd=tmp_path,
        env={"HF_HUB_OFFLINE": "1", "TTS_HOME": str(tmp_path / "models")},
    )
    line = one_error_line(result)
    assert "HF_HUB_OFFLINE" in line and "tts_models/en/ljspeech/vits" in line


@pytest.mark.slow
def test_an_xtts_config_is_refused_because_it_has_no_durations(
    tiny_vits: tuple[Path, Path], tmp_path: Path
) -> None:
    checkpoint, config = tiny_vits
    xtts = json.loads(config.read_text(encoding="utf-8"))
    xtts["model"] = "xtts"
    (tmp_path / "config.json").write_text(json.dumps(xtts), encoding="utf-8")
    result = vartist(
        "sing",
        "rain",
        "--set",
        "voice.engine=coqui",
        "--set",
        f"voice.model={checkpoint}",
        "--set",
        f"voice.config={tmp_path / 'config.json'}",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert "VITS" in one_error_line(result)


def _persona(**voice: str) -> Persona:
    return Persona.model_validate({"name": "Test", "voice": voice})


def test_the_licence_guard_refuses_commercial_use_of_a_non_commercial_voice() -> None:
    with pytest.raises(VoiceLicenceError, match="does not allow commercial use"):
        check_commercial_use(
            _persona(engine="coqui", model="m.pth", licence="CC-BY-NC-4.0", consent="signed")
        )
    with pytest.raises(VoiceLicenceError, match="does not allow commercial use"):
        check_commercial_use(_persona(engine="coqui", licence="CPML", consent="signed"))


def test_the_licence_guard_needs_a_licence_and_the_voice_owners_consent() -> None:
    with pytest.raises(VoiceLicenceError, match=r"voice\.licence is empty"):
        check_commercial_use(_persona(engine="coqui", model="m.pth", consent="signed"))
    with pytest.raises(VoiceLicenceError, match=r"voice\.consent is empty"):
        check_commercial_use(_persona(engine="coqui", model="m.pth", licence="CC-BY-4.0"))
    check_commercial_use(
        _persona(engine="coqui", licence="CC-BY-4.0", consent="Jane Doe, signed 2025-03-01")
    )
    # the builtin voice is made by rules from no one's recordings
    check_commercial_use(_persona())
