"""A fake Twitch on loopback: the OAuth validation endpoint, Helix's EventSub subscriptions
and chat messages, and the EventSub websocket, speaking Twitch's documented protocol.

The websocket greets each connection with ``session_welcome``, sends ``session_keepalive``
every few seconds and delivers ``channel.chat.message`` notifications to the sessions that
subscribed through Helix. Every Helix call is checked for the client id and a bearer token
Twitch would accept, and recorded, so tests count what the bot really sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import WSMsgType, web

KEEPALIVE_SECONDS = 10
"""The least keepalive timeout Twitch allows; the fake sends one well inside it."""
KEEPALIVE_INTERVAL_SECONDS = 2.0


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class SentChat:
    broadcaster_id: str
    sender_id: str
    message: str
    reply_parent_message_id: str | None


@dataclass
class FakeTwitch:
    client_id: str
    user_token: str
    bot_id: str = "900001"
    bot_login: str = "vartistbot"
    broadcaster_id: str = "500001"
    broadcaster_login: str = "novalane"
    port: int = 0
    sent: list[SentChat] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    helix_calls: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every Helix call."""
    validations: int = 0
    keepalives_sent: int = 0
    _sockets: dict[str, web.WebSocketResponse] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- addresses -------------------------------------------------------------------------

    @property
    def helix(self) -> str:
        return f"http://127.0.0.1:{self.port}/helix/"

    @property
    def oauth(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def eventsub(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/oauth2/validate", self._validate)
        app.router.add_post("/helix/eventsub/subscriptions", self._subscribe)
        app.router.add_post("/helix/chat/messages", self._chat_message)
        app.router.add_get("/ws", self._websocket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for socket in list(self._sockets.values()):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- OAuth -----------------------------------------------------------------------------

    async def _validate(self, request: web.Request) -> web.Response:
        self.validations += 1
        if request.headers.get("Authorization") != f"OAuth {self.user_token}":
            return web.json_response({"status": 401, "message": "invalid access token"}, status=401)
        return web.json_response(
            {
                "client_id": self.client_id,
                "login": self.bot_login,
                "scopes": ["user:read:chat", "user:write:chat"],
                "user_id": self.bot_id,
                "expires_in": 14_000,
            }
        )

    # --- Helix -----------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> web.Response | None:
        self.helix_calls.append((request.method, request.path))
        if request.headers.get("Client-ID") != self.client_id:
            return web.json_response(
                {
                    "error": "Unauthorized",
                    "status": 401,
                    "message": "Client ID and OAuth token do not match",
                },
                status=401,
            )
        if request.headers.get("Authorization") != f"Bearer {self.user_token}":
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"},
                status=401,
            )
        return None

    async def _subscribe(self, request: web.Request) -> web.Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        body = await request.json()
        session_id = body["transport"]["session_id"]
        if body["type"] != "channel.chat.message" or session_id not in self._sockets:
            return web.json_response(
                {"error": "Bad Request", "status": 400, "message": "unknown type or session"},
                status=400,
            )
        subscription = {
            "id": secrets.token_hex(8),
            "status": "enabled",
            "type": body["type"],
            "version": body["version"],
            "condition": body["condition"],
            "created_at": _now(),
            "transport": {"method": "websocket", "session_id": session_id, "connected_at": _now()},
            "cost": 0,
        }
        self.subscriptions.append(subscription)
        return web.json_response(
            {"data": [subscription], "total": 1, "total_cost": 0, "max_total_cost": 10},
            status=202,
        )

    async def _chat_message(self, request: web.Request) -> web.Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        body = await request.json()
        self.sent.append(
            SentChat(
                broadcaster_id=body["broadcaster_id"],
                sender_id=body["sender_id"],
                message=body["message"],
                reply_parent_message_id=body.get("reply_parent_message_id"),
            )
        )
        sent_id = secrets.token_hex(8)
        return web.json_response(
            {"data": [{"message_id": sent_id, "is_sent": True, "drop_reason": None}]}
        )

    # --- EventSub websocket ------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        session_id = secrets.token_hex(10)
        self._sockets[session_id] = socket
        await socket.send_str(
            json.dumps(
                {
                    "metadata": self._metadata("session_welcome"),
                    "payload": {
                        "session": {
                            "id": session_id,
                            "status": "connected",
                            "connected_at": _now(),
                            "keepalive_timeout_seconds": KEEPALIVE_SECONDS,
                            "reconnect_url": None,
                            "recovery_url": None,
                        }
                    },
                }
            )
        )
        keepalive = asyncio.create_task(self._keepalive(socket))
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    # Twitch closes a session whose client sends anything (close code 4001)
                    await socket.close(code=4001, message=b"client sent inbound traffic")
        finally:
            keepalive.cancel()
            self._sockets.pop(session_id, None)
        return socket

    async def _keepalive(self, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            await asyncio.sleep(KEEPALIVE_INTERVAL_SECONDS)
            await socket.send_str(
                json.dumps({"metadata": self._metadata("session_keepalive"), "payload": {}})
            )
            self.keepalives_sent += 1

    def _metadata(self, message_type: str, **extra: str) -> dict[str, str]:
        return {
            "message_id": secrets.token_hex(8),
            "message_type": message_type,
            "message_timestamp": _now(),
            **extra,
        }

    async def chat(
        self,
        user_id: str,
        user_name: str,
        text: str,
        moderator: bool = False,
        message_id: str | None = None,
    ) -> str:
        """A chatter writes ``text`` in the broadcaster's chat; returns the message id. The id
        of an earlier message delivers it again, as EventSub may (at least once)."""
        message_id = message_id or f"msg-{next(self._ids)}-{secrets.token_hex(4)}"
        badges = [{"set_id": "moderator", "id": "1", "info": ""}] if moderator else []
        event = {
            "broadcaster_user_id": self.broadcaster_id,
            "broadcaster_user_login": self.broadcaster_login,
            "broadcaster_user_name": self.broadcaster_login,
            "source_broadcaster_user_id": None,
            "source_broadcaster_user_login": None,
            "source_broadcaster_user_name": None,
            "chatter_user_id": user_id,
            "chatter_user_login": user_name.lower(),
            "chatter_user_name": user_name,
            "message_id": message_id,
            "source_message_id": None,
            "is_source_only": None,
            "message": {
                "text": text,
                "fragments": [
                    {
                        "type": "text",
                        "text": text,
                        "cheermote": None,
                        "emote": None,
                        "mention": None,
                    }
                ],
            },
            "color": "#1E90FF",
            "badges": badges,
            "source_badges": None,
            "message_type": "text",
            "cheer": None,
            "reply": None,
            "channel_points_custom_reward_id": None,
            "channel_points_animation_id": None,
        }
        for subscription in self.subscriptions:
            socket = self._sockets.get(subscription["transport"]["session_id"])
            if socket is None or socket.closed:
                continue
            metadata = self._metadata(
                "notification",
                subscription_type="channel.chat.message",
                subscription_version="1",
            )
            payload = {"subscription": subscription, "event": event}
            await socket.send_str(json.dumps({"metadata": metadata, "payload": payload}))
        return message_id
