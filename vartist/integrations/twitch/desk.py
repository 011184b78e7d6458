"""The song-request desk of a stream's chat: `!sing` and `!skip`, whatever carries the chat.

A chat message becomes a request in the runtime service's one queue, in the live lane the stage
plays from; the chatter is told where it stands and, later, when it starts on stage. Each
chatter has a rate limit and a cooldown, so one flooding chatter cannot crowd out the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from vartist.errors import VartistError
from vartist.integrations.twitch.stage_panel import StagePanel, StagePanelError
from vartist.runtime.library import NewRequest
from vartist.runtime.service import Service

log = logging.getLogger("vartist.twitch")

STAGE_POLL_SECONDS = 1.0
"""How often the desk asks the stage what it plays: a song is announced within this time of
its start, and the panel's state is cheap to read."""
MAX_PROMPT_CHARS = 300
"""Twitch chat messages hold 500 characters; a prompt beyond this is not a song idea."""

REMEMBERED_MESSAGES = 10_000
"""Chat message ids kept to recognise a redelivery; Twitch redelivers within seconds, and this
many messages span minutes even in a busy chat."""

Reply = Callable[[str, str | None], Awaitable[None]]
"""Sends a chat message, optionally as a reply to the message with the given id."""


@dataclass(frozen=True)
class ChatLine:
    """One chat message, as the desk needs it from any chat platform."""

    message_id: str
    user_id: str
    user_name: str
    text: str
    moderator: bool


@dataclass
class _Chatter:
    accepted: deque[float] = field(default_factory=deque)
    last_request: float | None = None
    warned_until: float = 0.0


class ChatLimits:
    """Per-chatter limits: ``per_window`` requests in any ``window_s`` seconds, and
    ``cooldown_s`` seconds between two requests."""

    def __init__(
        self,
        per_window: int,
        window_s: float,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._chatters: dict[str, _Chatter] = {}

    def take(self, user_id: str) -> float:
        """Count a request by ``user_id`` and return 0, or return the seconds they must still
        wait (and count nothing)."""
        now = self.clock()
        chatter = self._chatters.setdefault(user_id, _Chatter())
        while chatter.accepted and chatter.accepted[0] <= now - self.window_s:
            chatter.accepted.popleft()
        waits = [0.0]
        if chatter.last_request is not None:
            waits.append(chatter.last_request + self.cooldown_s - now)
        if len(chatter.accepted) >= self.per_window:
            waits.append(chatter.accepted[0] + self.window_s - now)
        wait = max(waits)
        if wait > 0:
            return wait
        chatter.accepted.append(now)
        chatter.last_request = now
        return 0.0

    def should_warn(self, user_id: str, wait: float) -> bool:
        """Whether to tell a limited chatter to wait: once until the wait is over, so a flood
        of requests gets one answer, not one per message."""
        now = self.clock()
        chatter = self._chatters.setdefault(user_id, _Chatter())
        if now < chatter.warned_until:
            return False
        chatter.warned_until = now + wait
        return True


@dataclass(frozen=True)
class _Waiting:
    user_name: str
    message_id: str
    """The `!sing` message, which the "on stage" answer replies to."""


class SongDesk:
    """Turns `!sing PROMPT` into live requests and `!skip` from a moderator into the stage's
    skip, and announces each requested song when the stage starts it."""

    def __init__(
        self, service: Service, limits: ChatLimits, stage: StagePanel, reply: Reply
    ) -> None:
        self.service = service
        self.limits = limits
        self.stage = stage
        self.reply = reply
        self.waiting: dict[str, _Waiting] = {}
        """Requests from this chat not yet seen on stage, by request id."""
        self._seen: dict[str, None] = {}
        """Ids of the latest chat messages handled, oldest first."""
        self._stage_unreachable_logged = False

    async def handle(self, line: ChatLine) -> None:
        # EventSub delivers at least once: a repeat must not count against the chatter's limit
        # nor be answered twice (the library would also give the same request back)
        if line.message_id in self._seen:
            return
        self._seen[line.message_id] = None
        if len(self._seen) > REMEMBERED_MESSAGES:
            del self._seen[next(iter(self._seen))]
        command, _, argument = line.text.strip().partition(" ")
        command = command.lower()
        if command == "!sing":
            await self._sing(line, argument.strip())
        elif command == "!skip":
            await self._skip(line)

    async def _sing(self, line: ChatLine, prompt: str) -> None:
        if not prompt:
            await self.reply(
                f"@{line.user_name} ask like this: !sing a song about the sea", line.message_id
            )
            return
        if len(prompt) > MAX_PROMPT_CHARS:
            await self.reply(
                f"@{line.user_name} that is too long for a song idea; keep it under "
                f"{MAX_PROMPT_CHARS} characters",
                line.message_id,
            )
            return
        wait = self.limits.take(line.user_id)
        if wait > 0:
            if self.limits.should_warn(line.user_id, wait):
                await self.reply(
                    f"@{line.user_name} one song at a time: ask again in {wait:.0f} s",
                    line.message_id,
                )
            return
        new = NewRequest(
            prompt=prompt,
            requester=f"twitch:{line.user_id}",
            idempotency_key=line.message_id,
            priority="live",
        )
        try:
            status, created = await asyncio.to_thread(self.service.submit, new)
        except VartistError as exc:
            await self.reply(f"@{line.user_name} {exc}", line.message_id)
            return
        if not created:
            return  # the same chat message delivered twice: it was answered the first time
        self.waiting[status.id] = _Waiting(line.user_name, line.message_id)
        ahead = status.position or 0
        where = "next up" if ahead == 0 else f"{ahead} ahead of it"
        await self.reply(f"@{line.user_name} your song is in the queue: {where}", line.message_id)

    async def _skip(self, line: ChatLine) -> None:
        if not line.moderator:
            await self.reply(f"@{line.user_name} only moderators can skip", line.message_id)
            return
        try:
            skipped = await self.stage.skip()
        except StagePanelError as exc:
            await self.reply(f"@{line.user_name} cannot skip: {exc}", line.message_id)
            return
        title = skipped.title if skipped is not None else None
        await self.reply(
            f"skipped {title!r}" if title else "nothing is playing to skip", line.message_id
        )

    async def announce_started(self) -> None:
        """Tell the chatter whose song the stage plays now that it started (once)."""
        try:
            playing = await self.stage.now_playing()
        except StagePanelError as exc:
            if not self._stage_unreachable_logged:
                log.warning("cannot read what the stage plays: %s", exc)
                self._stage_unreachable_logged = True
            return
        self._stage_unreachable_logged = False
        if playing is None or playing.request_id not in self.waiting:
            return
        asked = self.waiting.pop(playing.request_id)
        await self.reply(
            f"@{asked.user_name} your song {playing.title!r} is on stage now", asked.message_id
        )

    async def follow_stage(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.announce_started()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), STAGE_POLL_SECONDS)
