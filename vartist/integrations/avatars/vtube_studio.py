"""VTube Studio (Live2D avatars) through its public websocket API, with pyvts as the client.

- **Token**: on first use VTube Studio shows the streamer a popup to allow "vartist"; the token
  it then issues is kept in ``$XDG_CONFIG_HOME/vartist/vtube-studio-token`` (mode 0600) and
  reused. A token VTube Studio no longer accepts (revoked in its settings) is dropped and a new
  one requested. vartist reads and writes the file itself: pyvts would write it with the
  default permissions, in the working folder.
- **Lip sync**: ``MouthOpen`` and ``MouthSmile`` are VTube Studio *input* parameters (not the
  model's ``ParamMouthForm``), injected every frame. VTube Studio lets go of an input that gets
  no data for a second, so the performer keeps sending through instrumentals.
- **Requests are serialised**: pyvts sends every request with the same id and reads the next
  frame as its answer, so two requests in flight would take each other's replies.
- **Errors** are handled by VTube Studio's errorID; a lost connection is retried every
  :data:`RECONNECT_SECONDS` while the song plays on, and the avatar picks up the current pose.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

from vartist.errors import MissingDependencyError, VartistError
from vartist.persona import Persona
from vartist.runtime.lipsync import MouthPose
from vartist.runtime.performer import avatar_links
from vartist.timeline import Timeline
from vartist.userfiles import read_user_text

log = logging.getLogger("vartist.vtube_studio")

DEFAULT_PORT = 8001
DISCOVERY_PORT = 47779
"""VTube Studio broadcasts its API state on this UDP port every two seconds."""
DISCOVERY_SECONDS = 2.5
SWAY_DEGREES = 6.0
"""How far the head tilts (FaceAngleZ) each way, swaying left and right on alternate beats."""
PLUGIN_NAME = "vartist"
PLUGIN_DEVELOPER = "vartist"
API_INFO = {"version": "1.0", "name": "VTubeStudioPublicAPI"}
REPLY_TIMEOUT_SECONDS = 1.0
RECONNECT_SECONDS = 0.25

# VTube Studio's errorIDs (Files/ErrorID.cs in its repository) that vartist acts on
ERROR_NOT_AUTHENTICATED = 8
ERROR_TOKEN_DENIED = 50
"""The user refused the popup, or a session's token was revoked."""
ERROR_PARAMETER_NOT_FOUND = 453
ERROR_HOTKEY_NOT_FOUND = 202


class AvatarError(VartistError):
    """The avatar application refused or cannot be reached."""


class VTubeStudioError(AvatarError):
    def __init__(self, error_id: int, message: str) -> None:
        super().__init__(f"VTube Studio error {error_id}: {message}")
        self.error_id = error_id


def discover_port(seconds: float = DISCOVERY_SECONDS, port: int = DISCOVERY_PORT) -> int | None:
    """The API port of a VTube Studio on this network, from its UDP state broadcast, or None
    when none is heard within ``seconds``."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):  # another plugin may be listening too
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            listener.bind(("", port))
        except OSError:
            return None
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            listener.settimeout(left)
            try:
                datagram, _ = listener.recvfrom(4096)
            except (TimeoutError, OSError):
                return None
            try:
                message = json.loads(datagram)
            except ValueError:
                continue
            data = message.get("data") if isinstance(message, dict) else None
            if (
                message.get("messageType") == "VTubeStudioAPIStateBroadcast"
                and isinstance(data, dict)
                and data.get("active")
                and isinstance(data.get("port"), int)
            ):
                return int(data["port"])
    return None


def beat_sway(beats: list[float], position: float) -> float:
    """Head tilt in degrees: a sine that crosses zero on each beat, left and right in turn."""
    if len(beats) < 2 or position < beats[0] or position >= beats[-1]:
        return 0.0
    index = bisect.bisect_right(beats, position) - 1
    phase = (position - beats[index]) / (beats[index + 1] - beats[index])
    return SWAY_DEGREES * math.sin(math.pi * (index + phase))


def default_token_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vartist" / "vtube-studio-token"


def _read_token(path: Path) -> str | None:
    if not path.exists():
        return None
    return read_user_text(path, 4096, "VTube Studio token file").strip() or None


def _write_token(path: Path, token: str) -> None:
    """Write the token readable by its owner only; never through a wider-open file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = path.with_name(f".{path.name}.new")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token)
    os.chmod(staging, 0o600)
    os.replace(staging, path)


@avatar_links.register("vtube_studio")
class VTubeStudioLink:
    """Drives a Live2D avatar in VTube Studio from the performer's poses and sections."""

    name = "vtube_studio"

    def __init__(self, persona: Persona, token_path: Path | None = None) -> None:
        try:
            import pyvts
        except ImportError:
            raise MissingDependencyError(
                "the VTube Studio avatar", "pip install 'vartist[stage]'"
            ) from None
        self._pyvts = pyvts
        config = persona.avatar
        self.host = config.host
        self.port = config.port or discover_port() or DEFAULT_PORT
        self.mouth_open = config.mouth_open_parameter
        self.mouth_smile = config.mouth_smile_parameter
        self.expressions = dict(config.expressions)
        self.hotkeys = dict(config.hotkeys)
        self.token_path = token_path or default_token_path()
        self._client: Any = None
        self._lock = asyncio.Lock()
        self._next_attempt = 0.0
        self._active_expression: str | None = None
        self._section_kind: str | None = None
        self._hotkey_ids: dict[str, str] = {}
        self._beats: list[float] = []
        self.reconnects = 0

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and authenticate; the first time, the streamer approves vartist in VTube
        Studio's popup."""
        try:
            await self._open()
        except (OSError, asyncio.TimeoutError) as exc:
            raise AvatarError(
                f"VTube Studio is not reachable at ws://{self.host}:{self.port} ({exc}); start "
                "it and turn on its API (Settings → Start API)"
            ) from None

    async def _open(self) -> None:
        client = self._pyvts.vts(
            plugin_info={
                "plugin_name": PLUGIN_NAME,
                "developer": PLUGIN_DEVELOPER,
                "authentication_token_path": str(self.token_path),
            },
            vts_api_info={**API_INFO, "port": self.port, "host": self.host},
        )
        await asyncio.wait_for(client.connect(), REPLY_TIMEOUT_SECONDS * 3)
        if client.websocket is None:  # pyvts swallows some failures and leaves no socket
            raise OSError("no connection")
        self._client = client
        token = _read_token(self.token_path)
        if token is None or not await self._authenticate(token):
            token = await self._new_token()
            if not await self._authenticate(token):
                raise AvatarError("VTube Studio did not accept vartist's new token")
        await self._load_hotkeys()

    async def _new_token(self) -> str:
        reply = await self._request(
            self._client.vts_request.authentication_token(), timeout=120.0
        )  # the streamer has to click "Allow" in VTube Studio's popup
        token = str(reply["data"]["authenticationToken"])
        _write_token(self.token_path, token)
        return token

    async def _authenticate(self, token: str) -> bool:
        reply = await self._request(self._client.vts_request.authentication(token))
        return bool(reply["data"].get("authenticated"))

    async def _load_hotkeys(self) -> None:
        if not self.hotkeys:
            return
        reply = await self._request(self._client.vts_request.requestHotKeyList())
        self._hotkey_ids = {
            str(hotkey.get("name")): str(hotkey.get("hotkeyID"))
            for hotkey in reply["data"].get("availableHotkeys", [])
        }

    async def _request(
        self, message: dict[str, Any], timeout: float = REPLY_TIMEOUT_SECONDS
    ) -> Any:
        async with self._lock:
            reply = await asyncio.wait_for(self._client.request(message), timeout)
        if reply.get("messageType") == "APIError":
            data = reply.get("data", {})
            raise VTubeStudioError(int(data.get("errorID", -1)), str(data.get("message", "")))
        return reply

    async def _drop(self, reason: str) -> None:
        log.info("VTube Studio connection lost (%s); reconnecting", reason)
        client, self._client = self._client, None
        if client is not None and client.websocket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.websocket.close(), 0.2)
        self._next_attempt = time.monotonic() + RECONNECT_SECONDS

    async def _ensure_connected(self) -> bool:
        if self._client is not None:
            return True
        if time.monotonic() < self._next_attempt:
            return False
        try:
            await self._open()
        except (OSError, asyncio.TimeoutError, VartistError) as exc:
            await self._drop(str(exc) or type(exc).__name__)
            return False
        self.reconnects += 1
        if self._section_kind is not None:  # the restarted app forgot the expression
            self._active_expression = None
            await self._apply_expression(self._section_kind)
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        """Send if connected; a broken connection is dropped and retried at the next frame."""
        if not await self._ensure_connected():
            return
        try:
            await self._request(message)
        except VTubeStudioError as exc:
            if exc.error_id in (ERROR_NOT_AUTHENTICATED, ERROR_TOKEN_DENIED):
                with contextlib.suppress(OSError):
                    self.token_path.unlink()  # revoked: the next connection asks for a new one
                await self._drop("the token was revoked")
                return
            raise
        except VartistError:
            raise
        except Exception as exc:  # the socket closed, timed out or broke: retry next frame
            await self._drop(type(exc).__name__)

    # --- the performer's calls ----------------------------------------------------------------

    async def send_pose(self, pose: MouthPose, position: float) -> None:
        if self._client is None and not await self._ensure_connected():
            return
        message = self._client.vts_request.requestSetMultiParameterValue(
            [self.mouth_open, self.mouth_smile, "FaceAngleZ"],
            [pose.open, pose.spread, beat_sway(self._beats, position)],
            face_found=True,
        )
        await self._send(message)

    async def begin_song(self, title: str, requester: str, timeline: Timeline) -> None:
        self._beats = [beat.start for beat in timeline.of("beat")]

    async def enter_section(self, kind: str, label: str) -> None:
        self._section_kind = kind
        if self._client is None and not await self._ensure_connected():
            return
        await self._apply_expression(kind)
        hotkey = self.hotkeys.get(kind)
        if hotkey is not None:
            hotkey_id = self._hotkey_ids.get(hotkey)
            if hotkey_id is None:
                raise AvatarError(f"VTube Studio's model has no hotkey named {hotkey!r}")
            await self._send(self._client.vts_request.requestTriggerHotKey(hotkey_id))

    async def _apply_expression(self, kind: str) -> None:
        wanted = self.expressions.get(kind)
        if wanted == self._active_expression:
            return
        if self._active_expression is not None:
            await self._send(self._expression(self._active_expression, active=False))
        if wanted is not None:
            await self._send(self._expression(wanted, active=True))
        self._active_expression = wanted

    def _expression(self, file: str, active: bool) -> dict[str, Any]:
        return dict(
            self._client.vts_request.BaseRequest(
                "ExpressionActivationRequest", {"expressionFile": file, "active": active}
            )
        )

    async def close(self) -> None:
        if self._client is not None:
            if self._active_expression is not None:
                with contextlib.suppress(Exception):
                    await self._send(self._expression(self._active_expression, active=False))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), 1.0)
            self._client = None
