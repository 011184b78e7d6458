"""Scheduled releases on Discord: the bot posts what `vartist releases` made.

A release run encodes its song into ``DATA_DIR/releases/NAME/<time>/`` and leaves one
``releases`` row per ``discord:CHANNEL_ID`` channel with ``published_at`` empty. The bot looks
for such rows beside its own requests and posts each release once: the audio (the run's own
file when it fits the channel's upload limit, otherwise a fresh encode that fits), the cover,
the title and lyrics and the AI-generated note.

Exactly once, as for a fan's song: before posting, the bot searches the channel for a post of
this run (an earlier bot that died before recording it); the post carries a nonce derived from
the run with ``enforce_nonce``, so a retry within Discord's few minutes gets the first message
back; and the row is marked with a conditional update, so of two bots on one library only one
records it. The lyrics pass the same screen as a fan's song: a release with a word the artist
does not sing is withheld, never posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import discord

from vartist.errors import VartistError
from vartist.integrations.discord.delivery import (
    DEFAULT_ATTACHMENT_LIMIT,
    MESSAGE_LIMIT,
    prepare_song,
    song_lyrics,
    withheld_reason,
)
from vartist.persona import Persona
from vartist.runtime.library import Library
from vartist.runtime.library.library import PendingRelease
from vartist.runtime.publishing import PROVENANCE_NOTE
from vartist.runtime.releases import run_folder
from vartist.runtime.service import Service

log = logging.getLogger("vartist.discord.releases")

CHANNEL_PREFIX = "discord:"
"""Release channels the bot posts to: ``discord:CHANNEL_ID`` (other platforms are not its)."""
RELEASE_POLL_SECONDS = 5.0
"""How often the bot looks for releases to post: a release is made a few times a week, so a
few seconds late is nothing, and the library is not read twice a second for it."""
RELEASE_RETRY_SECONDS = 60.0
"""After a failed post (Discord down, the channel forbidden), wait this long before trying again."""
PENDING_LIMIT = 50
"""Release rows read per look, oldest run first."""
HISTORY_SCAN_LIMIT = 100
"""Messages after the run's scheduled time searched for an earlier post of it."""
NONCE_PREFIX = "vr"
NONCE_LENGTH = 25
"""Discord's limit on a nonce, in characters."""
RUN_FILES = ("song.opus", "song.mp3")
"""The run's encodings that Discord plays inline, best first (FLAC it only offers to download)."""
WITHHELD = "withheld"
UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class ReleasePost:
    """A release ready to post; ``scratch`` (when set) holds fresh files until :meth:`discard`."""

    title: str
    lyrics: str
    audio: Path
    cover: Path
    scratch: Path | None

    def discard(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def release_time(release: PendingRelease) -> datetime:
    return datetime.fromtimestamp(release.scheduled_for, timezone.utc)


def release_nonce(release: PendingRelease) -> str:
    """The same nonce for every attempt to post one run to one channel."""
    run = f"{release.name}\x00{release.scheduled_for:.0f}\x00{release.channel}"
    digest = hashlib.sha256(run.encode("utf-8")).hexdigest()
    return f"{NONCE_PREFIX}{digest}"[:NONCE_LENGTH]


def release_marker(release: PendingRelease) -> str:
    """The line that names the run in its post; a restarted bot finds the post by it."""
    when = release_time(release).strftime("%Y-%m-%d %H:%M UTC")
    shown = discord.utils.escape_markdown(release.name)
    return f"release {shown} of {when}"


def release_text(title: str, lyrics: str, marker: str) -> str:
    """The post: title, the AI-generated note with the run, and the lyrics cut to fit."""
    head = f"🎶 **{discord.utils.escape_markdown(title)}**\n-# {PROVENANCE_NOTE} · {marker}"
    body = lyrics.strip()
    room = MESSAGE_LIMIT - len(head) - len("\n```\n\n```")
    if len(body) > room:
        body = body[: room - 2].rstrip() + "\n…"
    return f"{head}\n```\n{body}\n```" if body else head


def prepare_release(
    library: Library, persona: Persona, release: PendingRelease, limit_bytes: int
) -> ReleasePost:
    """The run's own audio and cover when they are there and the audio fits ``limit_bytes``;
    otherwise the song encoded afresh to fit (and a cover drawn for it)."""
    song = library.song(release.song_id)
    title, lyrics = song_lyrics(library, song)
    folder = run_folder(library.data_dir, release.name, release_time(release))
    cover = folder / "cover.png"
    fitting = [
        folder / name
        for name in RUN_FILES
        if (folder / name).is_file() and (folder / name).stat().st_size <= limit_bytes
    ]
    if fitting and cover.is_file():
        return ReleasePost(title, lyrics, fitting[0], cover, None)
    prepared = prepare_song(library, song, persona, limit_bytes)
    kept_cover = cover if cover.is_file() else prepared.cover
    return ReleasePost(title, lyrics, prepared.audio, kept_cover, prepared.folder)


class ReleasePoster:
    """Posts a bot's pending releases; the bot calls :meth:`start_due` from its poll loop."""

    def __init__(
        self, client: discord.Client, service: Service, poll_seconds: float = RELEASE_POLL_SECONDS
    ) -> None:
        self.client = client
        self.service = service
        self.poll_seconds = poll_seconds
        self._next_look = 0.0
        self._posting: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retry_after: dict[int, float] = {}

    async def start_due(self) -> None:
        """Start posting every release due (in the background, one task per release); never
        raises, so the bot's own deliveries go on whatever happens here."""
        now = time.monotonic()
        if now < self._next_look:
            return
        self._next_look = now + self.poll_seconds
        try:
            pending = await asyncio.to_thread(
                self.service.library.releases_to_publish, CHANNEL_PREFIX, PENDING_LIMIT
            )
        except Exception:
            log.exception("reading the releases to post failed; retrying")
            return
        for release in pending:
            if release.id in self._posting or now < self._retry_after.get(release.id, 0.0):
                continue
            self._posting.add(release.id)
            task = asyncio.create_task(self._post(release), name=f"vartist-release-{release.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _post(self, release: PendingRelease) -> None:
        try:
            await self.post_once(release)
            self._retry_after.pop(release.id, None)
        except Exception:
            log.exception(
                "posting release %s to %s failed; retrying in %.0f s",
                release.name,
                release.channel,
                RELEASE_RETRY_SECONDS,
            )
            self._retry_after[release.id] = time.monotonic() + RELEASE_RETRY_SECONDS
        finally:
            self._posting.discard(release.id)

    async def post_once(self, release: PendingRelease) -> str:
        """Post one release unless it was posted before; returns what the library recorded."""
        library = self.service.library
        target = release.channel.removeprefix(CHANNEL_PREFIX)
        if not target.isdigit():
            log.warning("release %s names no Discord channel id: %r", release.name, target)
            return await self._record(release, UNDELIVERABLE)
        song = await asyncio.to_thread(library.song, release.song_id)
        title, lyrics = await asyncio.to_thread(song_lyrics, library, song)
        reason = withheld_reason(title, lyrics, self.service.persona)
        if reason is not None:
            log.warning("release %s is withheld from %s: %s", release.name, release.channel, reason)
            return await self._record(release, WITHHELD)
        channel = self.client.get_partial_messageable(int(target))
        earlier = await self._posted_before(channel, release)
        if earlier is not None:
            return await self._record(release, f"message:{earlier}")
        limit = self._size_limit(int(target))
        try:
            post = await asyncio.to_thread(
                prepare_release, library, self.service.persona, release, limit
            )
        except VartistError as exc:  # a song too long for the channel's upload limit, say
            log.warning("release %s cannot be posted to %s: %s", release.name, target, exc)
            return await self._record(release, UNDELIVERABLE)
        try:
            sent = await channel.send(
                content=release_text(post.title, post.lyrics, release_marker(release)),
                files=[
                    discord.File(post.audio, filename=post.audio.name),
                    discord.File(post.cover, filename="cover.png"),
                ],
                nonce=release_nonce(release),
            )
        finally:
            post.discard()
        return await self._record(release, f"message:{sent.id}")

    async def _record(self, release: PendingRelease, target: str) -> str:
        marked = await asyncio.to_thread(
            self.service.library.mark_release_published, release.id, target
        )
        if marked:
            log.info("release %s to %s: %s", release.name, release.channel, target)
        return target

    def _size_limit(self, channel_id: int) -> int:
        """The channel's upload limit: its server's (boosts raise it) when the bot knows the
        channel, else Discord's default."""
        guild = getattr(self.client.get_channel(channel_id), "guild", None)
        known = int(getattr(guild, "filesize_limit", 0) or 0)
        return max(known, DEFAULT_ATTACHMENT_LIMIT)

    async def _posted_before(
        self, channel: discord.PartialMessageable, release: PendingRelease
    ) -> int | None:
        """The bot's post of this run in the channel, made by an earlier run of the bot that
        stopped before recording it. Needs Read Message History; without it the nonce still
        guards for the few minutes Discord remembers one."""
        me = self.client.user.id if self.client.user is not None else None
        marker = release_marker(release)
        since = discord.Object(id=discord.utils.time_snowflake(release_time(release)))
        with contextlib.suppress(discord.NotFound, discord.Forbidden):
            async for message in channel.history(limit=HISTORY_SCAN_LIMIT, after=since):
                if message.author.id == me and message.attachments and marker in message.content:
                    return message.id
        return None
