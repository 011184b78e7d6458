"""Release files: decoded back and measured, their tags read back by mutagen, covers by Pillow."""

from __future__ import annotations

import io
import json
from pathlib import Path

import mutagen
import numpy as np
import pyloudnorm
import pytest
import soundfile
from PIL import Image

from tests.runner import vartist
from vartist.runtime.publishing import (
    PUBLISH_FORMATS,
    SUFFIXES,
    PublishError,
    ReleaseTags,
    cover_art,
    encode,
    encode_within,
)

RATE = 48_000
PALETTE = ("#101020", "#2f6690", "#3a7ca5", "#d9dcd6", "#f4a259")
NOVA = Path(__file__).parent.parent / "examples" / "personas" / "nova.toml"


def _programme(seconds: float, lufs: float = -14.0) -> np.ndarray:
    """A stereo stand-in for a master: a chord with a beat and some noise, at ``lufs``."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(3)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    beat = (np.sin(2 * np.pi * 2.0 * t) > 0.9) * rng.normal(0, 1, t.size)
    mono = chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t)) + 0.5 * beat
    audio = np.stack([mono, np.roll(mono, 240)], axis=1)
    meter = pyloudnorm.Meter(RATE)
    gain = 10 ** ((lufs - meter.integrated_loudness(audio)) / 20)
    return (audio * gain).astype(np.float32)


@pytest.fixture(scope="module")
def song_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("song")
    soundfile.write(folder / "song.wav", _programme(40.0), RATE, subtype="PCM_24")
    document = {
        "title": "Paper Boats at Dawn",
        "artist": "Nova Lane",
        "lyrics": "[chorus]\nPaper boats at dawn\nRiding on the river",
        "provenance": {
            "generator": "vartist 0.1.0",
            "request": {"seed": 5},
            "engines": {"voice": "builtin", "lyrics": "builtin"},
            "persona": {"name": "Nova Lane", "voice": {"licence": "CC-BY-4.0"}},
        },
    }
    (folder / "song.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


def _loudness(path: Path) -> tuple[float, float]:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return audio.shape[0] / rate, pyloudnorm.Meter(rate).integrated_loudness(audio)


@pytest.mark.parametrize("fmt", PUBLISH_FORMATS)
def test_each_format_decodes_to_the_master_length_and_loudness(
    fmt: str, song_folder: Path, tmp_path: Path
) -> None:
    tags = ReleaseTags.from_song_folder(song_folder)
    out = encode(song_folder / "song.wav", tmp_path / f"release{SUFFIXES[fmt]}", fmt, tags)
    seconds, lufs = _loudness(out)
    # lossy codecs add a priming delay and pad the last frame: a few tens of milliseconds
    assert seconds == pytest.approx(40.0, abs=0.1)
    assert lufs == pytest.approx(-14.0, abs=0.5)
    assert [p.name for p in tmp_path.iterdir()] == [out.name], "a temporary file was left behind"


@pytest.mark.parametrize("fmt", PUBLISH_FORMATS)
def test_tags_and_cover_read_back_from_every_format(
    fmt: str, song_folder: Path, tmp_path: Path
) -> None:
    tags = ReleaseTags.from_song_folder(song_folder)
    cover = cover_art(tags.title, PALETTE, size=256)
    out = encode(
        song_folder / "song.wav", tmp_path / f"r{SUFFIXES[fmt]}", fmt, tags, cover_png=cover
    )
    file = mutagen.File(str(out))
    assert file is not None and file.tags is not None
    if fmt == "mp3":
        texts = {key: str(frame) for key, frame in file.tags.items()}
        assert texts["TIT2"] == "Paper Boats at Dawn" and texts["TPE1"] == "Nova Lane"
        assert "Paper boats at dawn" in texts["USLT::eng"]
        assert "AI-generated" in texts["COMM::eng"]
        assert texts["TXXX:VARTIST_SEED"] == "5" and texts["TXXX:VOICE_LICENCE"] == "CC-BY-4.0"
        picture = file.tags["APIC:cover"].data
    else:
        assert file["title"] == ["Paper Boats at Dawn"] and file["artist"] == ["Nova Lane"]
        assert "Riding on the river" in file["lyrics"][0]
        assert "AI-generated" in file["comment"][0]
        assert file["vartist_seed"] == ["5"] and file["voice_licence"] == ["CC-BY-4.0"]
        assert "voice=builtin" in file["vartist_engines"][0]
        if fmt == "flac":
            picture = file.pictures[0].data
        else:
            import base64

            from mutagen.flac import Picture

            picture = Picture(base64.b64decode(file["metadata_block_picture"][0])).data
    assert picture == cover


def test_the_fitted_file_is_under_the_limit_and_as_good_as_the_limit_allows(
    song_folder: Path, tmp_path: Path
) -> None:
    tags = ReleaseTags.from_song_folder(song_folder)
    wav = song_folder / "song.wav"
    roomy = encode_within(wav, tmp_path / "roomy", 10 * 2**20, tags)
    tight = encode_within(wav, tmp_path / "tight", 300_000, tags, formats=("mp3",))
    assert roomy.suffix == ".opus" and tight.suffix == ".mp3"
    assert tight.stat().st_size <= 300_000
    # 300 kB over 40 s leaves under 60 kb/s: the encoder had to step well below the roomy rate
    roomy_kbps = roomy.stat().st_size * 8 / 40 / 1000
    tight_kbps = tight.stat().st_size * 8 / 40 / 1000
    assert roomy_kbps > 150 and 30 < tight_kbps < 60
    assert _loudness(tight)[1] == pytest.approx(-14.0, abs=1.0)


def test_a_limit_nothing_fits_in_is_refused_and_leaves_no_file(
    song_folder: Path, tmp_path: Path
) -> None:
    tags = ReleaseTags.from_song_folder(song_folder)
    with pytest.raises(PublishError, match="does not fit"):
        encode_within(song_folder / "song.wav", tmp_path / "out", 120_000, tags)
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_cover_art_is_a_square_png_in_the_palette_and_the_same_for_the_same_title() -> None:
    first = cover_art("Neon Rain", PALETTE, size=320)
    assert first == cover_art("Neon Rain", PALETTE, size=320)
    assert first != cover_art("Late Trains", PALETTE, size=320)
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.size == (320, 320)
    pixels = np.asarray(image.convert("RGB"), dtype=float).reshape(-1, 3)
    palette = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in PALETTE], float)
    nearest = np.min(np.linalg.norm(pixels[:, None, :] - palette[None], axis=2), axis=1)
    # the picture is made of the palette's colours (blended), not of arbitrary ones
    assert np.median(nearest) < 60


def test_bad_inputs_get_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"holds no song\.json"):
        ReleaseTags.from_song_folder(tmp_path)
    with pytest.raises(PublishError, match="unknown format 'wma'"):
        encode(tmp_path / "x.wav", tmp_path / "x.wma", "wma", ReleaseTags("t", "a"))
    with pytest.raises(PublishError, match="cannot read"):
        encode(tmp_path / "missing.wav", tmp_path / "x.opus", "opus", ReleaseTags("t", "a"))
    with pytest.raises(PublishError, match="not a colour"):
        cover_art("t", ["#123456", "teal"])


@pytest.mark.slow
def test_publish_command_releases_a_sung_song(tmp_path: Path) -> None:
    sung = vartist(
        "sing", "a paper boat on a river", "--persona", str(NOVA), "--seed", "5",
        "--out", "song", cwd=tmp_path,
    )  # fmt: skip
    assert sung.returncode == 0, sung.stderr
    released = vartist(
        "publish", "song", "--format", "mp3", "--max-size", "2", "--out", "release", cwd=tmp_path
    )
    assert released.returncode == 0, released.stderr
    files = sorted(p.name for p in (tmp_path / "release").iterdir())
    assert files == ["cover.png", "song.mp3"]
    release = tmp_path / "release" / "song.mp3"
    assert release.stat().st_size <= 2 * 2**20
    seconds, lufs = _loudness(release)
    reference_seconds, reference_lufs = _loudness(tmp_path / "song" / "song.wav")
    assert seconds == pytest.approx(reference_seconds, abs=0.1)
    assert lufs == pytest.approx(reference_lufs, abs=1.0)
    tags = mutagen.File(str(release)).tags
    assert str(tags["TPE1"]) == "Nova Lane" and str(tags["TXXX:VARTIST_SEED"]) == "5"

    missing = vartist("publish", "nowhere", "--out", "release2", cwd=tmp_path)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "song.json" in missing.stderr and not (tmp_path / "release2").exists()
