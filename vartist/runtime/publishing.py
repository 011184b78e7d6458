"""Release files of a finished song: OGG Opus, MP3 or FLAC with full tags, and cover art.

libsndfile (through soundfile) encodes all three formats, so no ffmpeg is needed; mutagen writes
the tags each format carries natively (Vorbis comments for Opus and FLAC, ID3v2.4 for MP3),
including the cover. Every file says what it is: the title, the artist (the persona), the lyrics,
an "AI-generated" provenance note, the seed, the engines that made it and the voice's licence, so
a file that travels alone still tells its listener how it was made.

Files are written beside their destination under a temporary name and renamed into place, so a
crash or a full disk never leaves a half-written release behind.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from vartist.errors import VartistError

PUBLISH_FORMATS = ("opus", "mp3", "flac")
SUFFIXES = {"opus": ".opus", "mp3": ".mp3", "flac": ".flac"}

OPUS_LADDER_KBPS = (192, 160, 128, 112, 96, 80, 64, 48, 40, 32, 24)
"""Opus bit rates tried from the top: 128 kb/s stereo is transparent for most listeners,
24 kb/s still carries a recognisable song."""
MP3_LADDER_KBPS = (320, 256, 224, 192, 160, 128, 112, 96, 80, 64, 56, 48, 40, 32)
"""The MPEG-1 Layer III constant bit rates (ISO 11172-3), highest first."""

# libsndfile maps its 0..1 compression level linearly onto a bit rate. Measured with libsndfile
# 1.2.2 on a stereo 48 kHz song: Opus gives 12 kb/s at level 1 and 512 kb/s at level 0; MP3 in
# constant mode picks the nearest standard rate to 320 kb/s at 0 down to 32 kb/s at 1.
_OPUS_KBPS_AT_LEVEL_0, _OPUS_KBPS_AT_LEVEL_1 = 512.0, 12.0
_MP3_KBPS_AT_LEVEL_0, _MP3_KBPS_AT_LEVEL_1 = 320.0, 32.0

SIZE_MARGIN = 0.96
"""A lossy encoder's real rate strays a few percent from its target (Ogg pages, bit
reservoir, padding): aim this far under a size limit so the first encode usually fits."""
TAG_ALLOWANCE_BYTES = 64 * 1024
"""Room kept in a size budget for the tags and the cover art."""
OPUS_SAMPLE_RATE = 48000
"""Opus codes at 48 kHz internally; libsndfile's Opus writer takes 8/12/16/24/48 kHz."""

PROVENANCE_NOTE = "AI-generated: written, composed, sung and mixed by vartist"


class PublishError(VartistError):
    """A release file cannot be made as asked."""


@dataclass(frozen=True)
class ReleaseTags:
    """What every published file says about itself."""

    title: str
    artist: str
    lyrics: str = ""
    seed: int | None = None
    engines: Mapping[str, str] = field(default_factory=dict)
    voice_licence: str = ""
    provenance: str = PROVENANCE_NOTE

    @classmethod
    def from_song_folder(cls, folder: Path | str) -> ReleaseTags:
        """The tags of a song folder (or a library export): read from its ``song.json``."""
        path = Path(folder) / "song.json"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PublishError(
                f"{folder} holds no song.json; point at a folder written by `vartist sing`"
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PublishError(f"cannot read {path}: {exc}") from None
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ReleaseTags:
        """The tags of a song document (the contents of ``song.json``)."""
        provenance = document.get("provenance") or {}
        request = provenance.get("request") or {}
        persona = provenance.get("persona") or {}
        seed = request.get("seed")
        return cls(
            title=str(document.get("title") or "Untitled"),
            artist=str(document.get("artist") or persona.get("name") or "vartist"),
            lyrics=str(document.get("lyrics") or ""),
            seed=int(seed) if isinstance(seed, int) else None,
            engines={str(k): str(v) for k, v in (provenance.get("engines") or {}).items()},
            voice_licence=str((persona.get("voice") or {}).get("licence") or ""),
            provenance=f"{PROVENANCE_NOTE} ({provenance.get('generator', 'vartist')})",
        )

    def text_fields(self) -> dict[str, str]:
        """The tags as name → text, named as Vorbis comments name them."""
        fields = {
            "TITLE": self.title,
            "ARTIST": self.artist,
            "COMMENT": self.provenance,
            "PROVENANCE": self.provenance,
        }
        if self.lyrics:
            fields["LYRICS"] = self.lyrics
        if self.seed is not None:
            fields["VARTIST_SEED"] = str(self.seed)
        if self.engines:
            fields["VARTIST_ENGINES"] = ", ".join(
                f"{k}={v}" for k, v in sorted(self.engines.items())
            )
        if self.voice_licence:
            fields["VOICE_LICENCE"] = self.voice_licence
        return fields


def _compression_level(fmt: str, kbps: float) -> float:
    if fmt == "opus":
        top, bottom = _OPUS_KBPS_AT_LEVEL_0, _OPUS_KBPS_AT_LEVEL_1
    else:
        top, bottom = _MP3_KBPS_AT_LEVEL_0, _MP3_KBPS_AT_LEVEL_1
    # MP3's level 1.0 is refused by libsndfile 1.2.2; 0.99 already gives the lowest rate
    return float(np.clip((top - kbps) / (top - bottom), 0.0, 0.99))


def _read_master(wav: Path) -> tuple[np.ndarray, int]:
    try:
        audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    except (OSError, sf.LibsndfileError) as exc:
        raise PublishError(f"cannot read {wav}: {exc}") from None
    if audio.size == 0:
        raise PublishError(f"{wav} holds no audio")
    return audio, int(rate)


def _for_opus(audio: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
    if rate in (8000, 12000, 16000, 24000, 48000):
        return audio, rate
    import soxr

    return soxr.resample(audio, rate, OPUS_SAMPLE_RATE, quality="VHQ"), OPUS_SAMPLE_RATE


def _write_audio(
    audio: np.ndarray, rate: int, path: Path, fmt: str, bitrate_kbps: int | None
) -> None:
    if fmt == "flac":
        sf.write(str(path), audio, rate, format="FLAC", subtype="PCM_24")
        return
    if fmt == "opus":
        audio, rate = _for_opus(audio, rate)
        level = None if bitrate_kbps is None else _compression_level(fmt, bitrate_kbps)
        sf.write(str(path), audio, rate, format="OGG", subtype="OPUS", compression_level=level)
        return
    level = _compression_level(fmt, bitrate_kbps if bitrate_kbps is not None else 192)
    sf.write(
        str(path),
        audio,
        rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=level,
        bitrate_mode="CONSTANT",
    )


def _flac_picture(cover_png: bytes) -> Any:
    from mutagen.flac import Picture

    picture = Picture()
    picture.type = 3  # front cover (ID3v2 APIC picture types, shared by FLAC and Vorbis)
    picture.mime = "image/png"
    picture.desc = "cover"
    picture.data = cover_png
    return picture


def _tag_vorbis(path: Path, fmt: str, tags: ReleaseTags, cover_png: bytes | None) -> None:
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus

    audio: Any = OggOpus(str(path)) if fmt == "opus" else FLAC(str(path))
    if audio.tags is None:
        audio.add_tags()
    for name, value in tags.text_fields().items():
        audio[name] = value
    if cover_png is not None:
        picture = _flac_picture(cover_png)
        if fmt == "flac":
            audio.add_picture(picture)
        else:
            # Ogg streams carry the cover as a base64 FLAC picture block (Xiph's convention)
            audio["METADATA_BLOCK_PICTURE"] = base64.b64encode(picture.write()).decode("ascii")
    audio.save()


def _tag_mp3(path: Path, tags: ReleaseTags, cover_png: bytes | None) -> None:
    from mutagen.id3 import APIC, COMM, ID3, TIT2, TPE1, TXXX, USLT, ID3NoHeaderError

    try:
        id3 = ID3(str(path))
    except ID3NoHeaderError:
        id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.provenance))
    if tags.lyrics:
        id3.add(USLT(encoding=3, lang="eng", desc="", text=tags.lyrics))
    for name, value in tags.text_fields().items():
        if name not in ("TITLE", "ARTIST", "COMMENT", "LYRICS"):
            id3.add(TXXX(encoding=3, desc=name, text=value))
    if cover_png is not None:
        id3.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=cover_png))
    id3.save(str(path), v2_version=4)


def _encode_audio(
    audio: np.ndarray,
    rate: int,
    out: Path,
    fmt: str,
    tags: ReleaseTags,
    bitrate_kbps: int | None,
    cover_png: bytes | None,
) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{out.name}.", suffix=".partial", dir=str(out.parent)
    )
    os.close(handle)
    partial = Path(temporary)
    try:
        _write_audio(audio, rate, partial, fmt, bitrate_kbps)
        if fmt == "mp3":
            _tag_mp3(partial, tags, cover_png)
        else:
            _tag_vorbis(partial, fmt, tags, cover_png)
        os.replace(partial, out)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        partial.unlink(missing_ok=True)
        raise PublishError(f"cannot write {out}: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out


def _check_format(fmt: str) -> None:
    if fmt not in PUBLISH_FORMATS:
        raise PublishError(f"unknown format {fmt!r}; choose one of {', '.join(PUBLISH_FORMATS)}")


def encode(
    wav: Path | str,
    out: Path | str,
    fmt: str,
    tags: ReleaseTags,
    *,
    bitrate_kbps: int | None = None,
    cover_png: bytes | None = None,
) -> Path:
    """Encode the master ``wav`` as ``fmt`` ("opus", "mp3" or "flac") at ``out``, tagged.

    ``bitrate_kbps`` sets a lossy format's rate (Opus: libopus's default, about 120 kb/s
    stereo, when omitted; MP3: 192 kb/s); FLAC is lossless 24-bit and ignores it.
    """
    _check_format(fmt)
    audio, rate = _read_master(Path(wav))
    return _encode_audio(audio, rate, Path(out), fmt, tags, bitrate_kbps, cover_png)


def encode_within(
    wav: Path | str,
    out_dir: Path | str,
    limit_bytes: int,
    tags: ReleaseTags,
    *,
    formats: Sequence[str] = ("opus", "mp3"),
    cover_png: bytes | None = None,
    stem: str = "song",
) -> Path:
    """The best-sounding file of the first format in ``formats`` that fits in ``limit_bytes``.

    The bit rate is chosen from the song's length so that one encode usually fits; a file that
    still comes out too large is made again one step lower. Raises :class:`PublishError` when
    not even the lowest rate of any format fits (a very long song under a tiny limit).
    """
    for fmt in formats:
        _check_format(fmt)
    if limit_bytes <= TAG_ALLOWANCE_BYTES:
        raise PublishError(f"a size limit of {limit_bytes} bytes leaves no room for audio")
    audio, rate = _read_master(Path(wav))
    seconds = audio.shape[0] / rate
    budget_bits = (limit_bytes - TAG_ALLOWANCE_BYTES - len(cover_png or b"")) * 8 * SIZE_MARGIN
    out_dir = Path(out_dir)
    for fmt in formats:
        if fmt == "flac":
            candidate = _encode_audio(
                audio, rate, out_dir / f"{stem}.flac", fmt, tags, None, cover_png
            )
            if candidate.stat().st_size <= limit_bytes:
                return candidate
            candidate.unlink()
            continue
        ladder = OPUS_LADDER_KBPS if fmt == "opus" else MP3_LADDER_KBPS
        fitting = [kbps for kbps in ladder if kbps * 1000 * seconds <= budget_bits]
        for kbps in fitting:
            candidate = _encode_audio(
                audio, rate, out_dir / f"{stem}{SUFFIXES[fmt]}", fmt, tags, kbps, cover_png
            )
            if candidate.stat().st_size <= limit_bytes:
                return candidate
            candidate.unlink()
    raise PublishError(
        f"a {seconds:.0f} s song does not fit in {limit_bytes / 2**20:.1f} MiB as "
        f"{' or '.join(formats)}, even at the lowest bit rate"
    )


# --- cover art ---------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) != 6:
        raise PublishError(f"{colour!r} is not a colour; write it as '#rrggbb'")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise PublishError(f"{colour!r} is not a colour; write it as '#rrggbb'") from None


def _luminance(rgb: tuple[int, int, int]) -> float:
    return colorsys.rgb_to_hls(*(c / 255 for c in rgb))[1]


def _wrap(title: str, font: Any, draw: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in title.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def cover_art(title: str, palette: Sequence[str], *, size: int = 512) -> bytes:
    """A square PNG cover: a gradient and circles in the persona's colours, set by the title.

    The same title and palette always give the same picture (the shapes are seeded by a hash of
    the title, not by the process), so a re-post or a re-release shows the same cover.
    """
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    if len(palette) < 2:
        raise PublishError("cover art needs at least two palette colours")
    colours = [_rgb(c) for c in palette]
    darkest = min(colours, key=_luminance)
    brightest = max(colours, key=_luminance)
    seed = int.from_bytes(hashlib.sha256(title.encode("utf-8")).digest()[:8], "big")
    rng = np.random.default_rng(seed)

    # a vertical gradient from the darkest colour into a second palette colour
    second = colours[int(rng.integers(len(colours)))]
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    gradient = (1 - t) * np.array(darkest, np.float32) + t * np.array(second, np.float32) * 0.6
    canvas = np.broadcast_to(gradient, (size, size, 3)).astype(np.uint8)
    image = Image.fromarray(canvas, "RGB")

    shapes = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _ in range(int(rng.integers(4, 9))):
        colour = colours[int(rng.integers(len(colours)))]
        radius = float(rng.uniform(0.08, 0.35)) * size
        x, y = rng.uniform(0, size, 2)
        alpha = int(rng.integers(90, 200))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, alpha))
    shapes = shapes.filter(ImageFilter.GaussianBlur(size / 64))
    image = Image.alpha_composite(image.convert("RGBA"), shapes)

    text = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, size // 11))
    margin = size // 12
    lines = _wrap(title, font, text, size - 2 * margin)[:4]
    line_height = int(size // 11 * 1.25)
    y = size - margin - line_height * len(lines)
    text_colour = brightest if _luminance(brightest) > 0.6 else (255, 255, 255)
    for line in lines:
        text.text((margin + 2, y + 2), line, font=font, fill=(0, 0, 0, 160))
        text.text((margin, y), line, font=font, fill=(*text_colour, 255))
        y += line_height

    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


DEFAULT_PALETTE = ("#1b1b3a", "#693668", "#a74482", "#f84aa7", "#ff3562")


def publish_song_folder(
    folder: Path | str,
    out_dir: Path | str,
    fmt: str = "opus",
    *,
    bitrate_kbps: int | None = None,
    max_bytes: int | None = None,
) -> list[Path]:
    """Release a song folder: ``song.<ext>`` tagged with its cover, and ``cover.png``.

    The cover's colours are the persona's palette as the song recorded it. Files already in
    ``out_dir`` under those names are never overwritten: that is an error, before any work.
    """
    _check_format(fmt)
    folder, out_dir = Path(folder), Path(out_dir)
    tags = ReleaseTags.from_song_folder(folder)
    wav = folder / "song.wav"
    if not wav.is_file():
        raise PublishError(
            f"{folder} holds no song.wav; point at a folder written by `vartist sing`"
        )
    targets = [out_dir / f"song{SUFFIXES[fmt]}", out_dir / "cover.png"]
    for target in targets:
        if target.exists():
            raise PublishError(f"{target} already exists; choose another --out or remove it")
    document = json.loads((folder / "song.json").read_text(encoding="utf-8"))
    persona = (document.get("provenance") or {}).get("persona") or {}
    palette = persona.get("palette") or DEFAULT_PALETTE
    cover = cover_art(tags.title, palette)
    if max_bytes is not None:
        audio = encode_within(wav, out_dir, max_bytes, tags, formats=(fmt,), cover_png=cover)
    else:
        audio = encode(wav, targets[0], fmt, tags, bitrate_kbps=bitrate_kbps, cover_png=cover)
    targets[1].write_bytes(cover)
    return [audio, targets[1]]
