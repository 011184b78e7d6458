"""What the bot posts for a finished song: the audio that fits, the cover, title and lyrics.

Everything here is synchronous file work (export, encode, draw) that the bot runs in a thread.
The generated title and lyrics pass the same screen as the fan's request before anything is
posted: a song whose words the artist would not sing is withheld, not shared.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vartist.lyrics.screening import banned_word_in, banned_words
from vartist.persona import Persona
from vartist.runtime.library import Library, SongInfo
from vartist.runtime.publishing import ReleaseTags, cover_art, encode_within

MESSAGE_LIMIT = 2000
"""Discord's limit on a message's content, in characters."""
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024
"""Discord's per-file upload limit for a server without boosts (and a bot's DMs)."""
COVER_SIZE = 512
NONCE_PREFIX = "vt"
"""A nonce is at most 25 characters: the prefix and the 16-digit request id fit."""


@dataclass(frozen=True)
class PreparedSong:
    """A finished song ready to post; ``folder`` holds its files until :meth:`discard`."""

    request_id: str
    song_id: str
    title: str
    lyrics: str
    audio: Path
    cover: Path
    folder: Path

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def withheld_reason(title: str, lyrics: str, persona: Persona) -> str | None:
    """Why a generated song must not reach a channel, or None when it may."""
    banned = banned_words(persona.lyrics.avoid, persona.language)
    text = f"{title}\n{lyrics}"
    # also split compounds ("dragon-like") that the word split keeps whole
    if any(banned_word_in(t, banned) is not None for t in (text, re.sub(r"[\W_]+", " ", text))):
        return "its words include one the artist does not sing"
    return None


def song_lyrics(library: Library, song: SongInfo) -> tuple[str, str]:
    """(title, lyrics) of a stored song, read from its ``song.json``."""
    document = json.loads(library.song_file(song.id, "song.json").read_text(encoding="utf-8"))
    return str(document.get("title") or song.title), str(document.get("lyrics") or "")


def prepare_song(
    library: Library, song: SongInfo, persona: Persona, limit_bytes: int
) -> PreparedSong:
    """Export the song, encode its master to fit ``limit_bytes`` and draw its cover."""
    folder = Path(tempfile.mkdtemp(prefix="vartist-discord-"))
    try:
        exported = library.export(song.id, folder / "song")
        tags = ReleaseTags.from_song_folder(exported)
        cover_png = cover_art(tags.title, persona.palette, size=COVER_SIZE)
        cover = folder / "cover.png"
        cover.write_bytes(cover_png)
        audio = encode_within(
            exported / "song.wav",
            folder,
            limit_bytes,
            tags,
            cover_png=cover_png,
            stem=_stem(tags.title),
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return PreparedSong(song.request_id, song.id, tags.title, tags.lyrics, audio, cover, folder)


def _stem(title: str) -> str:
    """A file name from the title that any client downloads safely."""
    kept = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return "-".join(part for part in kept.split("-") if part)[:60] or "song"


def result_text(title: str, lyrics: str, mention: str | None) -> str:
    """The message that carries the song: who it is for, the title, the lyrics (cut to fit)."""
    head = f"🎶 **{title}**" + (f" for {mention}" if mention else "")
    body = lyrics.strip()
    room = MESSAGE_LIMIT - len(head) - len("\n```\n\n```")
    if len(body) > room:
        body = body[: room - 2].rstrip() + "\n…"
    return f"{head}\n```\n{body}\n```" if body else head


def nonce_for(request_id: str) -> str:
    """The same nonce for every attempt to post one request's song: with ``enforce_nonce``
    Discord returns the first message instead of posting a second."""
    return f"{NONCE_PREFIX}{request_id}"[:25]
