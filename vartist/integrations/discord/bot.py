"""The bot itself: slash commands in, progress edits and finished songs out.

Every request goes through the runtime's :class:`~vartist.runtime.service.Service` (screening,
the library, the render queue); the bot keeps no queue and no songs of its own. What it must
remember across a restart, where to answer, is stored with the request in the library
(``reply_to``: channel, fan and progress-message ids, never the interaction token).

Delivery is exactly once. While the interaction token is alive the song replaces the progress
message (an edit: repeating it changes nothing). Without a live token (it expired after 15
minutes, or the bot restarted) the bot first looks at the progress message, which already
holds the song when an earlier run posted it and died before recording that, and otherwise
posts a channel message whose ``nonce`` is derived from the request with ``enforce_nonce``, so
a retry after a crash gets Discord's first message back instead of a second one. Only then is
the delivery recorded in the library.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import app_commands

from vartist.errors import VartistError
from vartist.integrations.discord.delivery import (
    DEFAULT_ATTACHMENT_LIMIT,
    PreparedSong,
    nonce_for,
    prepare_song,
    result_text,
    song_lyrics,
    withheld_reason,
)
from vartist.integrations.discord.endpoints import Endpoints, use_gateway
from vartist.integrations.discord.limits import RequestLimiter
from vartist.integrations.discord.progress import (
    FIRST_RENDER_GUESS_SECONDS,
    clock_text,
    progress_text,
)
from vartist.integrations.discord.release_posts import ReleasePoster
from vartist.lyrics.screening import banned_word_in, banned_words
from vartist.persona import Persona
from vartist.runtime.library import OPEN_STATES, NewRequest, NotFoundError, RequestStatus
from vartist.runtime.service import Service

log = logging.getLogger("vartist.discord")

CHANNEL = "discord"
"""The channel name deliveries are recorded under in the library."""
REQUESTER_PREFIX = "discord:"
POLL_SECONDS = 0.5
"""How often the bot reads its requests' progress from the library: a cheap read, and often
enough to catch a stage of a fast render; edits go out only when the stage changes."""
INTERACTION_TOKEN_SECONDS = 15 * 60
TOKEN_SAFETY_SECONDS = 60
"""Stop using a token a minute before Discord's 15 minutes: an upload can take that long."""
EXPIRED_TOKEN_CODES = (50027, 10015)
"""Discord's "Invalid Webhook Token" and "Unknown Webhook": the interaction is over."""
MAX_LYRICS_FILE_BYTES = 64 * 1024
REFUSED_WORD = (
    "{artist} does not sing about that (a word on the artist's avoid list or the blocklist); "
    "ask for another song"
)
DELIVERY_RETRY_SECONDS = 30.0
"""After a failed delivery, wait this long before the next try (no hammering a broken channel)."""
HISTORY_SCAN_LIMIT = 100
"""Messages after a progress message searched for an earlier post of its song."""
TRACKED_LIMIT = 500
"""Requests read per poll, oldest first; newer ones are followed once older ones finish."""
TYPICAL_RENDER_WEIGHT = 0.3
"""Weight of the newest render in the running average the ETA uses."""


@dataclass
class LiveInteraction:
    """An interaction whose token the bot still holds (this run only; tokens are secrets)."""

    interaction: discord.Interaction[Any]
    expires_at: float

    def alive(self) -> bool:
        return time.monotonic() < self.expires_at


@dataclass
class Tracked:
    """What the bot last showed for a request."""

    reply_to: dict[str, Any]
    prompt: str
    shown: str = ""


@dataclass
class PendingApproval:
    request: NewRequest
    prompt: str
    interaction: discord.Interaction[Any]


class SongBot(discord.Client):
    """A discord.py client bound to a :class:`Service`; start it with :meth:`start`."""

    def __init__(
        self, service: Service, endpoints: Endpoints, poll_seconds: float = POLL_SECONDS
    ) -> None:
        # interactions arrive whatever the bot subscribes to; the guilds intent only keeps
        # discord.py's guild state (roles for the moderator check) in order
        # and no message of the bot pings anyone unless it says so: a fan's prompt of
        # "@everyone" is shown, never obeyed
        super().__init__(
            intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none()
        )
        self.service = service
        self.endpoints = endpoints
        self.poll_seconds = poll_seconds
        config = service.persona.discord
        self.limiter = RequestLimiter(
            config.requests_per_window, config.window_seconds, config.cooldown_seconds
        )
        self.banned = banned_words(service.persona.lyrics.avoid, service.persona.language)
        self._live: dict[str, LiveInteraction] = {}
        self._tracked: dict[str, Tracked] = {}
        self._pending: dict[str, PendingApproval] = {}
        self._delivering: set[str] = set()
        self._deliveries: set[asyncio.Task[None]] = set()
        self._retry_after: dict[str, float] = {}
        self._typical_render = FIRST_RENDER_GUESS_SECONDS
        self._follower: asyncio.Task[None] | None = None
        self.release_posts = ReleasePoster(self, service)
        self.tree: app_commands.CommandTree[SongBot] = app_commands.CommandTree(self)
        self._add_commands()

    @property
    def persona(self) -> Persona:
        return self.service.persona

    def blocked(self, text: str) -> bool:
        """Whether ``text`` asks for a word the artist does not sing, also inside compounds
        and spellings like "dragon-like" or "dragon_song" that a word split keeps whole."""
        apart = re.sub(r"[\W_]+", " ", text)
        return any(banned_word_in(t, self.banned) is not None for t in (text, apart))

    # --- start-up ---------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        if self.endpoints.gateway is None and self.endpoints.custom_api:
            # a Discord-compatible server names its gateway, as Discord does for bots
            _, url, _ = await self.http.get_bot_gateway()
            use_gateway(url)
        if self.endpoints.guild_id is not None:
            guild = discord.Object(id=self.endpoints.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self._follower = asyncio.create_task(self._follow_forever(), name="vartist-follow")

    async def close(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        self.release_posts.cancel()
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._follower
        await super().close()

    # --- commands ---------------------------------------------------------------------------

    def _add_commands(self) -> None:
        @self.tree.command(name="sing", description="Ask the artist for a new song.")
        @app_commands.describe(
            prompt="What the song is about",
            genre="A genre the artist sings (optional)",
            mood="The feeling of the song (optional)",
            lyrics="Your own lyrics as a text file (optional)",
        )
        async def sing(
            interaction: discord.Interaction[Any],
            prompt: app_commands.Range[str, 1, 300],
            genre: app_commands.Range[str, 1, 40] | None = None,
            mood: app_commands.Range[str, 1, 60] | None = None,
            lyrics: discord.Attachment | None = None,
        ) -> None:
            await self.handle_sing(interaction, prompt, genre, mood, lyrics)

        @self.tree.command(name="queue", description="Songs on the way and your place in line.")
        async def queue(interaction: discord.Interaction[Any]) -> None:
            await self.handle_queue(interaction)

        @self.tree.command(name="song", description="How a requested song is doing.")
        @app_commands.describe(id="The request id the bot gave you")
        async def song(interaction: discord.Interaction[Any], id: str) -> None:
            await self.handle_song(interaction, id)

        @self.tree.command(name="lyrics", description="The lyrics of a finished song.")
        @app_commands.describe(id="The request id the bot gave you")
        async def lyrics_command(interaction: discord.Interaction[Any], id: str) -> None:
            await self.handle_lyrics(interaction, id)

        @self.tree.command(name="cancel", description="Cancel a song you asked for.")
        @app_commands.describe(id="The request id the bot gave you")
        async def cancel(interaction: discord.Interaction[Any], id: str) -> None:
            await self.handle_cancel(interaction, id)

    async def handle_sing(
        self,
        interaction: discord.Interaction[Any],
        prompt: str,
        genre: str | None,
        mood: str | None,
        lyrics_file: discord.Attachment | None,
    ) -> None:
        # acknowledge first: Discord drops an interaction not answered within 3 seconds
        await interaction.response.defer(thinking=True)
        expires = time.monotonic() + INTERACTION_TOKEN_SECONDS - TOKEN_SAFETY_SECONDS
        live = LiveInteraction(interaction, expires)
        requester = f"{REQUESTER_PREFIX}{interaction.user.id}"
        try:
            lyrics = await _read_lyrics(lyrics_file) if lyrics_file is not None else None
        except VartistError as exc:
            await self._answer(live, str(exc))
            return
        full_prompt = f"{prompt} ({mood})" if mood else prompt
        screened = " ".join(part for part in (full_prompt, genre or "", lyrics or "") if part)
        if self.blocked(screened):
            # the refusal never repeats the word: it must not reach the channel either
            await self._answer(live, REFUSED_WORD.format(artist=self.persona.name))
            return
        wait = self.limiter.try_accept(requester)
        if wait is not None:
            await self._answer(
                live, f"you have asked for a lot of songs; ask again in {clock_text(wait)}"
            )
            return
        new = NewRequest(
            full_prompt,
            requester=requester,
            lyrics=lyrics,
            genre=genre,
            idempotency_key=f"interaction:{interaction.id}",
        )
        shown = discord.utils.escape_mentions(discord.utils.escape_markdown(full_prompt))
        if self.persona.discord.approval:
            await self._ask_approval(live, new, shown)
            return
        await self._submit(live, new, shown)

    async def _submit(self, live: LiveInteraction, new: NewRequest, prompt: str) -> None:
        interaction = live.interaction
        # the reply target goes in with the request: a bot stopped a moment after taking it
        # leaves a request that the next bot still delivers, never one nobody answers
        message = await interaction.original_response()
        reply_to = {
            "channel_id": str(interaction.channel_id),
            "user_id": str(interaction.user.id),
            "message_id": str(message.id),
            "size_limit": int(interaction.filesize_limit or DEFAULT_ATTACHMENT_LIMIT),
            "prompt": prompt,
        }
        try:
            status, _ = await asyncio.to_thread(
                self.service.submit, replace(new, reply_to=reply_to)
            )
        except VartistError as exc:
            await self._answer(live, str(exc))
            return
        self._live[status.id] = live
        self._tracked[status.id] = Tracked(reply_to, prompt)
        await self._show_progress(status)

    async def _answer(self, live: LiveInteraction, text: str) -> None:
        with contextlib.suppress(discord.HTTPException):
            await live.interaction.edit_original_response(content=text[:2000])

    async def handle_queue(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        mine = f"{REQUESTER_PREFIX}{interaction.user.id}"
        statuses = await asyncio.to_thread(self._queue_view, mine)
        waiting = sum(1 for s in statuses if s.state == "queued")
        rendering = sum(1 for s in statuses if s.state == "rendering")
        lines = [f"{rendering} song(s) being made, {waiting} waiting."]
        for status in statuses:
            if status.requester == mine:
                lines.append(progress_text(self._prompt_of(status), status, self._typical_render))
        await interaction.edit_original_response(content="\n".join(lines)[:2000])

    def _queue_view(self, mine: str) -> list[RequestStatus]:
        library = self.service.library
        statuses = library.requests(states=OPEN_STATES, limit=TRACKED_LIMIT, oldest_first=True)
        return [library.status(s.id) if s.requester == mine else s for s in statuses]

    async def handle_song(self, interaction: discord.Interaction[Any], request_id: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            status = await asyncio.to_thread(self.service.library.status, request_id.strip())
        except NotFoundError:
            await interaction.edit_original_response(content=_unknown(request_id))
            return
        text = progress_text(self._prompt_of(status), status, self._typical_render)
        if status.song_id is not None:
            info = await asyncio.to_thread(self.service.library.song, status.song_id)
            title, lyrics = await asyncio.to_thread(song_lyrics, self.service.library, info)
            if withheld_reason(title, lyrics, self.persona) is None:
                text += (
                    f"\n**{title}** · {clock_text(info.duration)} · {info.genre} · "
                    f"{info.key} · {info.tempo:.0f} BPM"
                )
        await interaction.edit_original_response(content=text[:2000])

    async def handle_lyrics(self, interaction: discord.Interaction[Any], request_id: str) -> None:
        await interaction.response.defer(thinking=True)
        library = self.service.library
        try:
            status = await asyncio.to_thread(library.status, request_id.strip())
        except NotFoundError:
            await interaction.edit_original_response(content=_unknown(request_id))
            return
        if status.song_id is None:
            await interaction.edit_original_response(
                content=f"request `{status.id}` has no song yet ({status.state})"
            )
            return
        info = await asyncio.to_thread(library.song, status.song_id)
        title, lyrics = await asyncio.to_thread(song_lyrics, library, info)
        reason = withheld_reason(title, lyrics, self.persona)
        if reason is not None:
            await interaction.edit_original_response(content=f"this song is withheld: {reason}")
            return
        await interaction.edit_original_response(content=result_text(title, lyrics, None))

    async def handle_cancel(self, interaction: discord.Interaction[Any], request_id: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        library = self.service.library
        try:
            status = await asyncio.to_thread(library.status, request_id.strip())
        except NotFoundError:
            await interaction.edit_original_response(content=_unknown(request_id))
            return
        own = status.requester == f"{REQUESTER_PREFIX}{interaction.user.id}"
        if not own and not self._is_moderator(interaction):
            await interaction.edit_original_response(
                content="only the fan who asked for a song (or a moderator) can cancel it"
            )
            return
        status = await asyncio.to_thread(self.service.cancel, status.id)
        answer = {
            "cancelled": f"request `{status.id}` is cancelled",
            "rendering": f"request `{status.id}` stops at its next stage",
        }.get(status.state, f"request `{status.id}` is already {status.state}")
        await interaction.edit_original_response(content=answer)

    # --- approval mode ----------------------------------------------------------------------

    def _is_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.permissions.manage_guild:
            return True
        wanted = self.persona.discord.moderator_role.strip()
        if not wanted:
            return False
        roles = getattr(interaction.user, "roles", [])
        return any(str(role.id) == wanted or role.name == wanted for role in roles)

    async def _ask_approval(self, live: LiveInteraction, new: NewRequest, prompt: str) -> None:
        key = str(live.interaction.id)
        self._pending[key] = PendingApproval(new, prompt, live.interaction)
        view = ApprovalButtons(self, key)
        await live.interaction.edit_original_response(
            content=f"🎤 **{prompt}** · waiting for a moderator to approve", view=view
        )

    async def decide(self, press: discord.Interaction[Any], key: str, approved: bool) -> None:
        if not self._is_moderator(press):
            await press.response.send_message(
                "only a moderator can approve or reject requests", ephemeral=True
            )
            return
        pending = self._pending.pop(key, None)
        if pending is None:
            await press.response.send_message("this request was already decided", ephemeral=True)
            return
        await press.response.defer()
        expires = time.monotonic() + INTERACTION_TOKEN_SECONDS - TOKEN_SAFETY_SECONDS
        live = LiveInteraction(pending.interaction, expires)
        if not approved:
            with contextlib.suppress(discord.HTTPException):
                await pending.interaction.edit_original_response(
                    content=f"🎤 **{pending.prompt}** · a moderator declined this request",
                    view=None,
                )
            return
        with contextlib.suppress(discord.HTTPException):
            await pending.interaction.edit_original_response(view=None)
        await self._submit(live, pending.request, pending.prompt)

    # --- following requests -----------------------------------------------------------------

    async def _follow_forever(self) -> None:
        await self.wait_until_ready()
        while not self.is_closed():
            try:
                await self.follow_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # a database hiccup or a Discord outage: the next round tries again
                log.exception("following requests failed; retrying")
            await self.release_posts.start_due()  # the persona's scheduled releases
            await asyncio.sleep(self.poll_seconds)

    async def follow_once(self) -> None:
        """Update every progress message that changed and deliver every finished song."""
        followed = set(self._tracked) - self._delivering
        following, ended = await asyncio.to_thread(self._requests_to_follow, followed)
        for status, reply_to in following:
            tracked = self._tracked.get(status.id)
            if tracked is None:
                prompt = str(reply_to.get("prompt") or status.prompt)
                tracked = self._tracked[status.id] = Tracked(reply_to, prompt)
            if status.state == "done":
                self._start_delivery(status, tracked)
            else:
                await self._show_progress(status)
        for status in ended:
            if status.state != "delivered":  # delivered: another bot of this library did it
                await self._show_progress(status)
            self._forget(status.id)

    def _requests_to_follow(
        self, followed: set[str]
    ) -> tuple[list[tuple[RequestStatus, dict[str, Any]]], list[RequestStatus]]:
        """The bot's open and finished-but-undelivered requests (queued ones with their place
        in the queue), and those it followed that ended meanwhile: failed, cancelled, or
        delivered by another bot on this library. Reads only: the caller updates the state."""
        library = self.service.library
        following = []
        for status, reply_to in library.awaiting_reply(
            REQUESTER_PREFIX, (*OPEN_STATES, "done"), TRACKED_LIMIT
        ):
            if status.state == "queued":
                status = library.status(status.id)
            following.append((status, reply_to))
        seen = {status.id for status, _ in following}
        ended = []
        for request_id in followed - seen:
            status = library.status(request_id)
            if status.state in ("failed", "cancelled", "delivered"):
                ended.append(status)
        return following, ended

    def _forget(self, request_id: str) -> None:
        self._tracked.pop(request_id, None)
        self._live.pop(request_id, None)

    def _prompt_of(self, status: RequestStatus) -> str:
        tracked = self._tracked.get(status.id)
        if tracked is not None:
            return tracked.prompt
        return discord.utils.escape_mentions(discord.utils.escape_markdown(status.prompt))

    async def _show_progress(self, status: RequestStatus) -> None:
        tracked = self._tracked.get(status.id)
        if tracked is None:
            return
        text = progress_text(tracked.prompt, status, self._typical_render)
        # one edit per stage: the bar within a stage moves with it, the ETA alone does not
        key = f"{status.state}|{status.stage}|{status.position}"
        if key == tracked.shown:
            return
        tracked.shown = key
        await self._edit_progress(status.id, tracked, text)

    async def _edit_progress(self, request_id: str, tracked: Tracked, text: str) -> None:
        live = self._live.get(request_id)
        if live is not None and live.alive():
            try:
                await live.interaction.edit_original_response(content=text)
                return
            except discord.HTTPException as exc:
                if not _token_over(exc):
                    raise
                self._live.pop(request_id, None)
        message = self._progress_message(tracked.reply_to)
        with contextlib.suppress(discord.NotFound, discord.Forbidden):
            await message.edit(content=text)

    def _progress_message(self, reply_to: dict[str, Any]) -> discord.PartialMessage:
        channel = self.get_partial_messageable(int(reply_to["channel_id"]))
        return channel.get_partial_message(int(reply_to["message_id"]))

    # --- delivery ---------------------------------------------------------------------------

    def _start_delivery(self, status: RequestStatus, tracked: Tracked) -> None:
        """Deliver in the background (an upload can take a while; other fans' progress keeps
        moving), one delivery per request at a time, and after a failure not again at once."""
        if status.id in self._delivering or status.song_id is None:
            return
        if time.monotonic() < self._retry_after.get(status.id, 0.0):
            return
        self._delivering.add(status.id)
        task = asyncio.create_task(self._deliver(status, status.song_id, tracked))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, status: RequestStatus, song_id: str, tracked: Tracked) -> None:
        try:
            await self._deliver_once(status, song_id, tracked)
            self._retry_after.pop(status.id, None)
        except Exception:
            # Discord down, the channel gone or forbidden: the library still says "done",
            # so a later round (or a restarted bot) tries again
            log.exception(
                "delivering %s failed; retrying in %.0f s", status.id, DELIVERY_RETRY_SECONDS
            )
            self._retry_after[status.id] = time.monotonic() + DELIVERY_RETRY_SECONDS
        finally:
            self._delivering.discard(status.id)

    async def _deliver_once(self, status: RequestStatus, song_id: str, tracked: Tracked) -> None:
        library = self.service.library
        reply_to = tracked.reply_to
        info = await asyncio.to_thread(library.song, song_id)
        title, lyrics = await asyncio.to_thread(song_lyrics, library, info)
        reason = withheld_reason(title, lyrics, self.persona)
        if reason is not None:
            await self._edit_progress(
                status.id, tracked, f"🎤 **{tracked.prompt}**\nthis song is withheld: {reason}"
            )
            await asyncio.to_thread(library.mark_delivered, status.id, CHANNEL, "withheld")
            self._forget(status.id)
            return
        if status.started_at is not None:
            took = max(1.0, status.updated_at - status.started_at)
            self._typical_render += TYPICAL_RENDER_WEIGHT * (took - self._typical_render)
        limit = int(reply_to.get("size_limit") or DEFAULT_ATTACHMENT_LIMIT)
        try:
            prepared = await asyncio.to_thread(prepare_song, library, info, self.persona, limit)
        except VartistError as exc:  # a song too long for the upload limit, say
            await self._edit_progress(
                status.id, tracked, f"🎤 **{tracked.prompt}**\nthe song cannot be posted: {exc}"
            )
            await asyncio.to_thread(library.mark_delivered, status.id, CHANNEL, "undeliverable")
            self._forget(status.id)
            return
        try:
            target = await self._post(status.id, reply_to, prepared)
        finally:
            prepared.discard()
        await asyncio.to_thread(library.mark_delivered, status.id, CHANNEL, target)
        self._forget(status.id)

    async def _posted_before(self, progress: discord.PartialMessage) -> int | None:
        """The message that already carries this request's song, posted by an earlier run of
        the bot that stopped before recording the delivery: the progress message itself, or
        the bot's reply to it further down the channel. Reading the channel needs the Read
        Message History permission; without it the post's nonce still guards, for the few
        minutes Discord remembers one."""
        with contextlib.suppress(discord.NotFound, discord.Forbidden):
            if (await progress.fetch()).attachments:
                return progress.id
        me = self.user.id if self.user is not None else None
        with contextlib.suppress(discord.NotFound, discord.Forbidden):
            later = progress.channel.history(limit=HISTORY_SCAN_LIMIT, after=progress)
            async for message in later:
                reference = message.reference
                if (
                    message.author.id == me
                    and message.attachments
                    and reference is not None
                    and reference.message_id == progress.id
                ):
                    return message.id
        return None

    async def _post(self, request_id: str, reply_to: dict[str, Any], song: PreparedSong) -> str:
        """Post the song where the fan asked; returns the delivery target for the library."""
        live = self._live.get(request_id)
        if live is not None and live.alive():
            try:
                await live.interaction.edit_original_response(
                    content=result_text(song.title, song.lyrics, None),
                    attachments=_files(song),
                    view=None,
                )
                return f"message:{reply_to['message_id']}"
            except discord.HTTPException as exc:
                if not _token_over(exc):
                    raise
        progress = self._progress_message(reply_to)
        earlier = await self._posted_before(progress)
        if earlier is not None:
            return f"message:{earlier}"
        channel = self.get_partial_messageable(int(reply_to["channel_id"]))
        mention = f"<@{reply_to['user_id']}>"
        sent = await channel.send(
            content=result_text(song.title, song.lyrics, mention),
            files=_files(song),
            nonce=nonce_for(request_id),
            reference=progress.to_reference(fail_if_not_exists=False),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(int(reply_to["user_id"]))]
            ),
        )
        with contextlib.suppress(discord.HTTPException):
            await progress.edit(content=f"🎤 **{reply_to.get('prompt', '')}**\nfinished: see below")
        return f"message:{sent.id}"


class ApprovalButtons(discord.ui.View):
    """Approve and Reject under a request that waits for a moderator (approval mode)."""

    def __init__(self, bot: SongBot, key: str) -> None:
        super().__init__(timeout=None)
        self.bot = bot
        self.key = key
        self.approve.custom_id = f"vartist:approve:{key}"
        self.reject.custom_id = f"vartist:reject:{key}"

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success)
    async def approve(
        self, press: discord.Interaction[Any], button: discord.ui.Button[ApprovalButtons]
    ) -> None:
        await self.bot.decide(press, self.key, approved=True)

    @discord.ui.button(label="Reject", style=discord.ButtonStyle.danger)
    async def reject(
        self, press: discord.Interaction[Any], button: discord.ui.Button[ApprovalButtons]
    ) -> None:
        await self.bot.decide(press, self.key, approved=False)


def _files(song: PreparedSong) -> list[discord.File]:
    return [
        discord.File(song.audio, filename=song.audio.name),
        discord.File(song.cover, filename="cover.png"),
    ]


def _token_over(exc: discord.HTTPException) -> bool:
    """Whether Discord refused an interaction token because the interaction is over."""
    return exc.code in EXPIRED_TOKEN_CODES or exc.status == 401


def _unknown(request_id: str) -> str:
    shown = "".join(c for c in request_id if c.isalnum())[:32]
    return f"no request `{shown}`; /sing answers with the id of each request"


async def _read_lyrics(attachment: discord.Attachment) -> str:
    from vartist.request import RequestError

    if attachment.size > MAX_LYRICS_FILE_BYTES:
        raise RequestError(
            f"the lyrics file is {attachment.size // 1024} KiB; attach plain text under "
            f"{MAX_LYRICS_FILE_BYTES // 1024} KiB"
        )
    content = await attachment.read()
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("the lyrics file is not UTF-8 text; save it as plain text") from None
