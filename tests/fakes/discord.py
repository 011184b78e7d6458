"""A fake Discord on loopback: the REST API and the gateway websocket that discord.py speaks.

It implements the parts of Discord's documented protocol the bot uses, faithfully enough that
the real discord.py client connects, identifies, resumes and answers interactions:

- REST under ``/api/v10``: ``GET /gateway/bot``, ``GET /users/@me``, command sync, interaction
  callbacks (with ``with_response``), the original-response webhook (GET/PATCH, JSON or
  multipart with files), channel messages (POST with ``nonce`` + ``enforce_nonce``, GET, PATCH)
  and attachment downloads;
- the gateway: HELLO, IDENTIFY → READY, heartbeats → ACK, RESUME → replay + RESUMED, dispatch
  with increasing sequence numbers, zlib-stream compression when the client asks for it.

Tests drive it from their own thread: send an interaction, inject a 429 or a 5xx, expire the
interaction tokens, hold a request so the bot can be killed mid-call, drop the gateway.
Everything it received is recorded for the tests to measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import json
import re
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 2000
"""Short, so a test sees a few heartbeats; real Discord uses about 41 s."""
APPLICATION_ID = "900000000000000001"
BOT_USER_ID = APPLICATION_ID
GUILD_ID = "900000000000000002"
CHANNEL_ID = "900000000000000003"
NONCE_WINDOW_SECONDS = 300.0
"""Discord de-duplicates an enforced nonce from the same author for "the past few minutes"."""
INVALID_WEBHOOK_TOKEN = 50027
"""Discord's JSON error code for an expired or unknown interaction token."""


@dataclass
class Call:
    """One REST request the fake received."""

    method: str
    path: str
    at: float
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200


@dataclass
class Fault:
    """An injected answer for the next request(s) matching ``method`` and ``pattern``."""

    method: str
    pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class Session:
    id: str
    sequence: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    """Every dispatch sent in this session, for RESUME's replay."""
    socket: web.WebSocketResponse | None = None
    compressor: Any = None


class FakeDiscord:
    """Start with :meth:`start` (a thread with its own event loop); stop with :meth:`stop`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        """interaction token → {"id", "message_id", "deferred_at", "sent_at"}."""
        self.files: dict[str, bytes] = {}
        self.edits: dict[str, list[dict[str, Any]]] = {}
        """message id → each edit: when, the content after it, the files it uploaded."""
        self.synced_commands: dict[str, list[dict[str, Any]]] = {}
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.tokens_expired = False
        self.nonce_window = NONCE_WINDOW_SECONDS
        """Tests shorten it to stand for a bot that comes back after Discord forgot a nonce."""
        self._faults: list[Fault] = []
        self._holds: list[tuple[str, str, bool]] = []
        self.held = threading.Event()
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}
        self._sessions: dict[str, Session] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start_site())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_site())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-discord", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _start_site(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()

    async def _stop_site(self) -> None:
        for session in self._sessions.values():
            if session.socket is not None:
                with contextlib.suppress(Exception):
                    await session.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _run(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- what tests do ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        pattern: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose path matches ``pattern`` with ``status``."""
        with self._lock:
            self._faults.append(Fault(method, pattern, status, body or {}, headers or {}, times))

    def rate_limit_next(self, method: str, pattern: str, retry_after: float) -> None:
        """A 429 as Discord sends it: JSON with ``retry_after`` and Cloudflare's ``Via``."""
        self.fail_next(
            method,
            pattern,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            {"Via": "1.1 google", "X-RateLimit-Scope": "user"},
        )

    def hold_next(self, method: str, pattern: str, with_files: bool = False) -> None:
        """Apply the next matching request (one that uploads files, with ``with_files``) but
        never answer it: the peer acted, the bot never hears so (a bot killed mid-call)."""
        with self._lock:
            self._holds.append((method, pattern, with_files))

    def expire_tokens(self) -> None:
        """Interaction tokens live 15 minutes; after that Discord answers 401/50027."""
        self.tokens_expired = True

    def drop_gateway(self) -> None:
        """Close every gateway socket abruptly (code 4000, which a client should RESUME)."""

        async def drop() -> None:
            for session in self._sessions.values():
                if session.socket is not None and not session.socket.closed:
                    await session.socket.close(code=4000, message=b"unknown error")

        self._run(drop())

    def connected(self) -> bool:
        return any(s.socket is not None and not s.socket.closed for s in self._sessions.values())

    def slash_command(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        user_id: str = "700000000000000001",
        attachments: dict[str, dict[str, Any]] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
        roles: list[str] | None = None,
        permissions: str = "0",
    ) -> str:
        """Dispatch INTERACTION_CREATE for a slash command; returns the interaction token."""
        interaction_id = self.snowflake()
        token = "itok-" + secrets.token_hex(12)
        data: dict[str, Any] = {
            "id": self.command_id(name),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        if attachments:
            data["resolved"] = {"attachments": attachments}
        payload = {
            "id": interaction_id,
            "application_id": APPLICATION_ID,
            "type": 2,
            "token": token,
            "version": 1,
            "guild_id": GUILD_ID,
            "channel_id": CHANNEL_ID,
            "channel": _channel(),
            "member": {
                "user": _user(user_id, f"fan{user_id[-4:]}"),
                "roles": roles or [],
                "permissions": permissions,
                "joined_at": _now_iso(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            },
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
            "attachment_size_limit": attachment_size_limit,
            "data": data,
        }
        with self._lock:
            self.interactions[token] = {
                "id": interaction_id,
                "message_id": None,
                "sent_at": time.monotonic(),
                "user_id": user_id,
            }
        self.dispatch("INTERACTION_CREATE", payload)
        return token

    def button_press(
        self,
        custom_id: str,
        message_id: str,
        user_id: str,
        roles: list[str] | None = None,
        permissions: str = "0",
    ) -> str:
        """Dispatch INTERACTION_CREATE for a press of a message component button."""
        token = "itok-" + secrets.token_hex(12)
        message = self.messages[message_id]
        payload = {
            "id": self.snowflake(),
            "application_id": APPLICATION_ID,
            "type": 3,
            "token": token,
            "version": 1,
            "guild_id": GUILD_ID,
            "channel_id": CHANNEL_ID,
            "channel": _channel(),
            "member": {
                "user": _user(user_id, f"mod{user_id[-4:]}"),
                "roles": roles or [],
                "permissions": permissions,
                "joined_at": _now_iso(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            },
            "message": message,
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": {"custom_id": custom_id, "component_type": 2},
        }
        with self._lock:
            self.interactions[token] = {
                "id": payload["id"],
                "message_id": None,
                "sent_at": time.monotonic(),
                "user_id": user_id,
            }
        self.dispatch("INTERACTION_CREATE", payload)
        return token

    def command_id(self, name: str) -> str:
        for commands in self.synced_commands.values():
            for command in commands:
                if command["name"] == name:
                    return str(command["id"])
        return "0"

    def upload_attachment(self, filename: str, content: bytes) -> dict[str, Any]:
        """Store a fan's attachment on the fake CDN; returns its resolved-attachment object."""
        attachment_id = self.snowflake()
        self.files[attachment_id] = content
        url = f"http://127.0.0.1:{self.port}/cdn/{attachment_id}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": "text/plain; charset=utf-8",
        }

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch to the session; a disconnected session gets it on RESUME."""

        async def send() -> None:
            for session in self._sessions.values():
                session.sequence += 1
                frame = {"op": 0, "t": event, "s": session.sequence, "d": data}
                session.events.append(frame)
                if session.socket is not None and not session.socket.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await self._send(session, frame)

        self._run(send())

    def snowflake(self) -> str:
        # Discord's layout: milliseconds since 2015 in the top bits, so ids sort by time
        millis = int(time.time() * 1000) - 1420070400000
        return str((millis << 22) | next(self._ids))

    def channel_messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages.values() if m.get("channel_id") == CHANNEL_ID]

    def original(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            message_id = self.interactions.get(token, {}).get("message_id")
            return self.messages.get(message_id) if message_id else None

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    # --- gateway ----------------------------------------------------------------------------

    async def _send(self, session: Session, frame: dict[str, Any]) -> None:
        assert session.socket is not None
        text = json.dumps(frame)
        if session.compressor is None:
            await session.socket.send_str(text)
        else:
            # zlib-stream: one shared deflate context per connection, each message ending in a
            # Z_SYNC_FLUSH marker, which is how the client knows a message is complete
            data = session.compressor.compress(text.encode()) + session.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await session.socket.send_bytes(data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        compressor = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        pending = Session(id="", socket=socket, compressor=compressor)
        await self._send(pending, {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        session: Session | None = None
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            op = frame.get("op")
            if op == 1:
                self.heartbeats += 1
                await self._send(pending, {"op": 11})
            elif op == 2:
                if frame["d"].get("token") != self.token:
                    await socket.close(code=4004, message=b"Authentication failed.")
                    break
                self.identifies += 1
                session = Session(id=secrets.token_hex(8), socket=socket, compressor=compressor)
                for old in self._sessions.values():
                    old.socket = None
                self._sessions = {session.id: session}
                pending = session
                session.sequence += 1
                ready = {
                    "op": 0,
                    "t": "READY",
                    "s": session.sequence,
                    "d": {
                        "v": 10,
                        "user": _user(BOT_USER_ID, "vartist", bot=True),
                        "guilds": [],
                        "session_id": session.id,
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": APPLICATION_ID, "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                        "presences": [],
                        "shard": [0, 1],
                    },
                }
                session.events.append(ready)
                await self._send(session, ready)
            elif op == 6:
                data = frame["d"]
                found = self._sessions.get(data.get("session_id", ""))
                if found is None or data.get("token") != self.token:
                    await self._send(pending, {"op": 9, "d": False})
                    continue
                self.resumes += 1
                found.socket, found.compressor = socket, compressor
                session = pending = found
                for event in found.events:
                    if event["s"] > (data.get("seq") or 0):
                        await self._send(found, event)
                found.sequence += 1
                resumed = {"op": 0, "t": "RESUMED", "s": found.sequence, "d": {}}
                found.events.append(resumed)
                await self._send(found, resumed)
        if session is not None and session.socket is socket:
            session.socket = None
        return socket

    # --- REST -------------------------------------------------------------------------------

    async def _cdn(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        call = Call(request.method, path, time.monotonic(), body, files)
        with self._lock:
            self.calls.append(call)
            fault = next(
                (
                    f
                    for f in self._faults
                    if f.method == request.method and re.search(f.pattern, path)
                ),
                None,
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            hold = next(
                (
                    h
                    for h in self._holds
                    if h[0] == request.method and re.search(h[1], path) and (files or not h[2])
                ),
                None,
            )
            if hold is not None:
                self._holds.remove(hold)
        if fault is not None:
            call.status = fault.status
            return _json(fault.body, fault.status, fault.headers)
        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        is_webhook = path.startswith(("/webhooks/", "/interactions/"))
        if not is_webhook and not authorised:
            call.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        status, answer = self._route(request.method, path, body, files, dict(request.query))
        call.status = status
        if hold is not None:
            self.held.set()
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)
        if answer is None:
            return web.Response(status=status)
        return _json(answer, status)

    def _route(
        self,
        method: str,
        path: str,
        body: Any,
        files: dict[str, bytes],
        query: dict[str, str],
    ) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("GET", r"^/gateway/bot$", self._gateway_bot),
            ("GET", r"^/users/@me$", self._me),
            ("GET", r"^/oauth2/applications/@me$", self._application),
            ("PUT", r"^/applications/\d+/guilds/(\d+)/commands$", self._sync),
            ("PUT", r"^/applications/\d+/commands$", self._sync),
            ("POST", r"^/interactions/(\d+)/([^/]+)/callback$", self._callback),
            ("GET", r"^/webhooks/\d+/([^/]+)/messages/@original$", self._get_original),
            ("PATCH", r"^/webhooks/\d+/([^/]+)/messages/@original$", self._edit_original),
            ("POST", r"^/webhooks/\d+/([^/]+)$", self._followup),
            ("POST", r"^/channels/(\d+)/messages$", self._create_message),
            ("GET", r"^/channels/(\d+)/messages$", self._history),
            ("GET", r"^/channels/(\d+)/messages/(\d+)$", self._get_message),
            ("PATCH", r"^/channels/(\d+)/messages/(\d+)$", self._edit_message),
        ]
        for route_method, pattern, handler in routes:
            match = re.match(pattern, path)
            if route_method != method or match is None:
                continue
            return handler(body, files, query, *match.groups())
        return 404, {"message": "404: Not Found", "code": 0}

    def _me(self, body: Any, files: dict[str, bytes], query: dict[str, str]) -> tuple[int, Any]:
        return 200, _user(BOT_USER_ID, "vartist", bot=True)

    def _application(
        self, body: Any, files: dict[str, bytes], query: dict[str, str]
    ) -> tuple[int, Any]:
        return 200, {
            "id": APPLICATION_ID,
            "name": "vartist",
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": _user("700000000000000099", "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
        }

    def _gateway_bot(
        self, body: Any, files: dict[str, bytes], query: dict[str, str]
    ) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _sync(
        self,
        body: list[dict[str, Any]],
        files: dict[str, bytes],
        query: dict[str, str],
        scope: str = "global",
    ) -> tuple[int, Any]:
        synced = []
        for command in body:
            synced.append(
                {
                    **command,
                    "id": self.snowflake(),
                    "application_id": APPLICATION_ID,
                    "version": self.snowflake(),
                    "default_member_permissions": None,
                    "type": command.get("type", 1),
                    "nsfw": False,
                }
            )
        with self._lock:
            self.synced_commands[scope] = synced
        return 200, synced

    def _expired(self, token: str) -> tuple[int, Any] | None:
        if self.tokens_expired or token not in self.interactions:
            return 401, {"message": "Invalid Webhook Token", "code": INVALID_WEBHOOK_TOKEN}
        return None

    def _callback(
        self,
        body: dict[str, Any],
        files: dict[str, bytes],
        query: dict[str, str],
        interaction_id: str,
        token: str,
    ) -> tuple[int, Any]:
        refused = self._expired(token)
        if refused is not None:
            return refused
        with self._lock:
            record = self.interactions[token]
            if record.get("responded"):
                return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            record["responded"] = True
            record["deferred_at"] = time.monotonic()
            record["callback_type"] = body["type"]
        data = body.get("data") or {}
        message = self._new_message(data, files, author_is_app=True)
        with self._lock:
            record["message_id"] = message["id"]
        if query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        return 200, {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": message["id"],
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            },
            "resource": {"type": body["type"], "message": message},
        }

    def _get_original(
        self, body: Any, files: dict[str, bytes], query: dict[str, str], token: str
    ) -> tuple[int, Any]:
        refused = self._expired(token)
        if refused is not None:
            return refused
        message = self.original(token)
        return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})

    def _edit_original(
        self, body: dict[str, Any], files: dict[str, bytes], query: dict[str, str], token: str
    ) -> tuple[int, Any]:
        refused = self._expired(token)
        if refused is not None:
            return refused
        message = self.original(token)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self._apply_edit(message, body, files)

    def _followup(
        self, body: dict[str, Any], files: dict[str, bytes], query: dict[str, str], token: str
    ) -> tuple[int, Any]:
        refused = self._expired(token)
        if refused is not None:
            return refused
        return 200, self._new_message(body, files, author_is_app=True)

    def _create_message(
        self, body: dict[str, Any], files: dict[str, bytes], query: dict[str, str], channel_id: str
    ) -> tuple[int, Any]:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: with enforce_nonce, a nonce used by the same author in the past few
            # minutes returns the message created then instead of creating another
            with self._lock:
                seen = self._nonces.get((BOT_USER_ID, str(nonce)))
                if seen is not None and time.monotonic() - seen[1] < self.nonce_window:
                    return 200, self.messages[seen[0]]
        message = self._new_message(body, files, author_is_app=False)
        if nonce is not None:
            message["nonce"] = nonce
            with self._lock:
                self._nonces[(BOT_USER_ID, str(nonce))] = (message["id"], time.monotonic())
        return 200, message

    def _history(
        self, body: Any, files: dict[str, bytes], query: dict[str, str], channel_id: str
    ) -> tuple[int, Any]:
        """``GET /channels/{id}/messages?after=ID&limit=N``: the N messages right after ID,
        newest first, as Discord orders them."""
        after = int(query.get("after", "0"))
        limit = min(100, int(query.get("limit", "50")))
        with self._lock:
            later = sorted(
                (m for m in self.messages.values() if m["channel_id"] == channel_id),
                key=lambda m: int(m["id"]),
            )
            picked = [m for m in later if int(m["id"]) > after][:limit]
        return 200, list(reversed(picked))

    def _get_message(
        self,
        body: Any,
        files: dict[str, bytes],
        query: dict[str, str],
        channel_id: str,
        message_id: str,
    ) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, message

    def _edit_message(
        self,
        body: dict[str, Any],
        files: dict[str, bytes],
        query: dict[str, str],
        channel_id: str,
        message_id: str,
    ) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self._apply_edit(message, body, files)

    def _new_message(
        self, body: dict[str, Any], files: dict[str, bytes], author_is_app: bool
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": CHANNEL_ID,
            "guild_id": GUILD_ID,
            "author": _user(BOT_USER_ID, "vartist", bot=True),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
        }
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        if author_is_app:
            message["application_id"] = APPLICATION_ID
            message["webhook_id"] = APPLICATION_ID
        message["attachments"] = self._attachments(body, files)
        with self._lock:
            self.messages[message["id"]] = message
        return message

    def _apply_edit(
        self, message: dict[str, Any], body: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        with self._lock:
            if "content" in body:
                message["content"] = body["content"] or ""
            if "embeds" in body:
                message["embeds"] = body["embeds"] or []
            if "components" in body:
                message["components"] = body["components"] or []
            if "attachments" in body or files:
                message["attachments"] = self._attachments(body, files, message["attachments"])
            message["edited_timestamp"] = _now_iso()
            self.edits.setdefault(message["id"], []).append(
                {"at": time.monotonic(), "content": message["content"], "files": sorted(files)}
            )
        return message

    def _attachments(
        self,
        body: dict[str, Any],
        files: dict[str, bytes],
        kept: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Discord's multipart: ``files[n]`` parts, described by ``attachments`` entries whose
        ``id`` is n; an entry with the id of an existing attachment keeps it."""
        existing = {a["id"]: a for a in kept or []}
        result = []
        for entry in body.get("attachments") or []:
            key = f"files[{entry['id']}]"
            if key in files:
                attachment_id = self.snowflake()
                self.files[attachment_id] = files[key]
                url = f"http://127.0.0.1:{self.port}/cdn/{attachment_id}"
                result.append(
                    {
                        "id": attachment_id,
                        "filename": entry.get("filename", "file"),
                        "size": len(files[key]),
                        "url": url,
                        "proxy_url": url,
                    }
                )
            elif str(entry["id"]) in existing:
                result.append(existing[str(entry["id"])])
        return result


async def _read_body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    if request.method in ("GET", "DELETE"):
        return None, {}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("multipart/"):
        body: Any = {}
        files: dict[str, bytes] = {}
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            name = part.name or ""  # type: ignore[union-attr]
            content = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                body = json.loads(content)
            else:
                files[name] = bytes(content)
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), {}


def _json(data: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    # exactly "application/json", as Discord sends it: discord.py compares the header whole
    # and would take anything else (such as aiohttp's "; charset=utf-8") for plain text
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _channel() -> dict[str, Any]:
    return {
        "id": CHANNEL_ID,
        "type": 0,
        "guild_id": GUILD_ID,
        "name": "songs",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
        "permissions": "2251799813685247",
    }


def _user(user_id: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()
