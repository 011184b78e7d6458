"""A fake VTube Studio that speaks the public API's websocket protocol, for the avatar tests.

Written from the API reference in DenchiSoft/VTubeStudio (README.md for the messages,
Files/ErrorID.cs for the error IDs). It models what an avatar adapter depends on: the token and
session authentication flow, parameter injection with the one-second control-loss rule, custom
parameters, hotkeys and expressions. It animates nothing, and every request type it does not
model is answered with ``RequestTypeUnknown``, so an adapter that starts using a new request type
fails here until the fake learns it.

The server runs on its own event loop in a background thread, so synchronous tests drive it
directly and a client on any other event loop connects to it like to the real program. From a
coroutine, call ``stop`` and ``restart`` through ``asyncio.to_thread`` (or use ``async with``):
blocking the client's loop keeps it from answering the closing handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType
from typing import Any, TypeGuard

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

API_NAME = "VTubeStudioPublicAPI"
API_VERSION = "1.0"

# README, "Feeding in data for default or custom parameters": a plugin has to re-send a parameter
# at least once every second, or VTS considers it lost and hands it back to face tracking.
CONTROL_TIMEOUT_S = 1.0

# README: injected values and custom-parameter bounds must lie within ±1,000,000.
VALUE_LIMIT = 1_000_000.0

# README, "Authentication": plugin and developer names are 3 to 32 characters long.
PLUGIN_NAME_LENGTH = range(3, 33)
# README, "Adding new tracking parameters": names are alphanumeric, 4 to 32 characters long, and
# the explanation is shorter than 256 characters.
CUSTOM_PARAMETER_NAME_LENGTH = range(4, 33)
CUSTOM_PARAMETER_EXPLANATION_LIMIT = 256
# README: the requestID, when given, is ASCII and 1 to 64 characters long.
REQUEST_ID_LENGTH = range(1, 65)

# VTS's own tracking inputs that plugins may inject without creating them first. The README
# lists only FaceAngleX and FacePositionX and calls its list incomplete; these are the built-in
# face, mouth, eye, mouse and voice inputs a VTS model's parameter mappings offer.
DEFAULT_INPUT_PARAMETERS = frozenset(
    {
        *(f"Face{kind}{axis}" for kind in ("Position", "Angle") for axis in "XYZ"),
        *("MouthSmile", "MouthOpen", "MouthX", "TongueOut", "CheekPuff", "FaceAngry"),
        *("Brows", "BrowLeftY", "BrowRightY"),
        *("EyeOpenLeft", "EyeOpenRight", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY"),
        *("MousePositionX", "MousePositionY"),
        *("VoiceVolume", "VoiceFrequency", "VoiceVolumePlusMouthOpen"),
        *("VoiceFrequencyPlusMouthSmile", "VoiceSilence"),
        *(f"Voice{vowel}" for vowel in "AIUEO"),
    }
)

# The only requests VTS answers before the session has authenticated.
REQUESTS_WITHOUT_AUTHENTICATION = frozenset(
    {"APIStateRequest", "AuthenticationTokenRequest", "AuthenticationRequest"}
)


class ErrorID(IntEnum):
    """The error IDs this fake returns, named and numbered as in Files/ErrorID.cs."""

    JSONInvalid = 2
    APINameInvalid = 3
    APIVersionInvalid = 4
    RequestIDInvalid = 5
    RequestTypeMissingOrEmpty = 6
    RequestTypeUnknown = 7
    RequestRequiresAuthentication = 8  # spelt "RequestRequiresAuthetication" in ErrorID.cs
    # The README also returns this one for every request of a session whose token was revoked.
    TokenRequestDenied = 50
    TokenRequestPluginNameInvalid = 52
    TokenRequestDeveloperNameInvalid = 53
    AuthenticationTokenMissing = 100
    AuthenticationPluginNameMissing = 101
    AuthenticationPluginDeveloperMissing = 102
    HotkeyIDNotFoundInModel = 202
    HotkeyExecutionFailedBecauseLive2DItemNotFound = 207
    CustomParamNameInvalid = 350
    CustomParamValuesInvalid = 351
    CustomParamAlreadyCreatedByOtherPlugin = 352
    CustomParamExplanationTooLong = 353
    CustomParamDefaultParamNameNotAllowed = 354
    InjectDataNoDataProvided = 450
    InjectDataValueInvalid = 451
    InjectDataWeightInvalid = 452
    InjectDataParamNameNotFound = 453
    InjectDataModeUnknown = 455
    ExpressionStateRequestInvalidFilename = 600
    ExpressionStateRequestFileNotFound = 601
    ExpressionActivationRequestInvalidFilename = 650
    ExpressionActivationRequestFileNotFound = 651


@dataclass(frozen=True)
class Hotkey:
    """A hotkey of the loaded model; ``file`` is the expression or animation it plays."""

    name: str
    hotkey_id: str
    type: str = "ToggleExpression"
    file: str = ""
    description: str = ""


@dataclass(frozen=True)
class ReceivedMessage:
    """One frame as it arrived; ``message`` is None when the frame was not a JSON object."""

    received_at: float
    connection_id: int
    raw: str
    message: dict[str, Any] | None

    @property
    def message_type(self) -> str | None:
        return None if self.message is None else self.message.get("messageType")


@dataclass(frozen=True)
class Injection:
    """One accepted parameter value from an InjectParameterDataRequest."""

    received_at: float
    connection_id: int
    parameter: str
    value: float
    weight: float
    mode: str


@dataclass(frozen=True)
class ControlLoss:
    """VTS took a parameter back: no value for it arrived for more than CONTROL_TIMEOUT_S."""

    parameter: str
    last_injection_at: float
    resumed_at: float | None  # None: no value arrived again before the checked moment

    @property
    def lost_at(self) -> float:
        return self.last_injection_at + CONTROL_TIMEOUT_S


@dataclass(frozen=True)
class ExpressionChange:
    expression_file: str
    active: bool
    fade_time: float


@dataclass
class _Session:
    """What VTS knows about one websocket connection."""

    connection_id: int
    token: str | None = None  # set once an AuthenticationRequest succeeded
    plugin_name: str | None = None


@dataclass(frozen=True)
class _Request:
    session: _Session
    data: dict[str, Any]
    received_at: float


class _APIError(Exception):
    def __init__(self, error_id: ErrorID, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message


@dataclass(frozen=True)
class _PluginIdentity:
    name: str
    developer: str


@dataclass
class _RunningServer:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    server: Server


class FakeVTubeStudio:
    """VTube Studio's public API on 127.0.0.1, with every received message recorded.

    Tokens and custom parameters survive ``restart`` (VTS keeps them in its config, and the README
    says a token authenticates again after VTS restarts); sessions do not. ``clock`` stamps each
    received message, so a test can hand in a settable clock to check the one-second rule without
    sleeping.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        approve_token_requests: bool = True,
        hotkeys: Iterable[Hotkey] = (
            Hotkey("Smile", "hotkey-smile", "ToggleExpression", "smile.exp3.json"),
            Hotkey("Wave", "hotkey-wave", "TriggerAnimation", "wave.motion3.json"),
        ),
        expression_files: Iterable[str] = ("smile.exp3.json", "sad.exp3.json"),
        model_name: str = "Fake Model",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.approve_token_requests = approve_token_requests
        """False plays the user clicking "Deny" on the plugin access popup."""
        self.hotkeys = tuple(hotkeys)
        self.model_name = model_name
        self.model_id = f"fake-{uuid.uuid4().hex}"
        self._clock = clock
        self._port = port
        self._running: _RunningServer | None = None
        self._connection_ids = itertools.count(1)
        # The server thread writes and the test thread reads everything below.
        self._lock = threading.Lock()
        self._tokens: dict[str, _PluginIdentity] = {}
        self._custom_parameters: dict[str, str] = {}  # parameter name -> creating plugin's name
        self._active_expressions = dict.fromkeys(expression_files, False)
        self._received: list[ReceivedMessage] = []
        self._injections: list[Injection] = []
        self._triggered_hotkeys: list[str] = []
        self._expression_changes: list[ExpressionChange] = []
        self._handlers: dict[str, Callable[[_Request], dict[str, Any]]] = {
            "APIStateRequest": self._api_state,
            "AuthenticationTokenRequest": self._issue_token,
            "AuthenticationRequest": self._authenticate,
            "ParameterCreationRequest": self._create_parameter,
            "InjectParameterDataRequest": self._inject_parameters,
            "HotkeysInCurrentModelRequest": self._list_hotkeys,
            "HotkeyTriggerRequest": self._trigger_hotkey,
            "ExpressionStateRequest": self._expression_state,
            "ExpressionActivationRequest": self._activate_expression,
        }

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port; 0 until the first ``start`` picked a free one."""
        return self._port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}"

    @property
    def is_running(self) -> bool:
        return self._running is not None

    def start(self) -> None:
        """Listen on the port given to the constructor, or a free one; later starts reuse it."""
        if self._running is not None:
            raise RuntimeError(f"the fake VTube Studio already listens on {self.url}")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-vtube-studio", daemon=True)
        thread.start()
        try:
            server = asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=5)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            raise
        self._port = server.sockets[0].getsockname()[1]
        self._running = _RunningServer(loop, thread, server)

    def stop(self, *, graceful: bool = True) -> None:
        """Stop listening and drop every session, like quitting VTS.

        ``graceful=False`` plays a crash: connections are cut without a websocket close frame.
        """
        running, self._running = self._running, None
        if running is None:
            return
        closing = self._close(running.server, graceful)
        asyncio.run_coroutine_threadsafe(closing, running.loop).result(timeout=10)
        running.loop.call_soon_threadsafe(running.loop.stop)
        running.thread.join()
        running.loop.close()

    def restart(self, *, graceful: bool = True) -> None:
        """Stop and start again on the same port: clients must reconnect and re-authenticate."""
        self.stop(graceful=graceful)
        self.start()

    def __enter__(self) -> FakeVTubeStudio:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeVTubeStudio:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- what the tests configure and read ------------------------------------------------------

    def revoke_tokens(self, plugin_name: str | None = None) -> None:
        """Play the user revoking API access for one plugin, or for all of them.

        As in VTS, the revoked plugins' custom parameters are deleted too, and their open sessions
        get TokenRequestDenied for every request that needs authentication.
        """
        with self._lock:
            revoked = {
                token: plugin
                for token, plugin in self._tokens.items()
                if plugin_name is None or plugin.name == plugin_name
            }
            revoked_plugins = {plugin.name for plugin in revoked.values()}
            for token in revoked:
                del self._tokens[token]
            self._custom_parameters = {
                name: added_by
                for name, added_by in self._custom_parameters.items()
                if added_by not in revoked_plugins
            }

    @property
    def tokens(self) -> list[str]:
        """The tokens that still authenticate."""
        with self._lock:
            return list(self._tokens)

    @property
    def custom_parameters(self) -> list[str]:
        with self._lock:
            return list(self._custom_parameters)

    def received(self, message_type: str | None = None) -> list[ReceivedMessage]:
        """Every received frame in arrival order, or only those of one messageType."""
        with self._lock:
            messages = list(self._received)
        if message_type is None:
            return messages
        return [message for message in messages if message.message_type == message_type]

    def injections(self, parameter: str | None = None) -> list[Injection]:
        """Accepted parameter values in arrival order; rejected requests inject nothing."""
        with self._lock:
            injections = list(self._injections)
        if parameter is None:
            return injections
        return [injection for injection in injections if injection.parameter == parameter]

    def control_losses(self, until: float | None = None) -> list[ControlLoss]:
        """Each time VTS would have taken an injected parameter back, by the one-second rule.

        A gap of more than CONTROL_TIMEOUT_S between two values of a parameter is a loss that
        ended when the later value arrived. With ``until`` (a ``clock`` reading, typically the
        end of a performance), a parameter silent for longer than that before ``until`` is also
        reported, with ``resumed_at=None``.
        """
        injection_times: dict[str, list[float]] = {}
        for injection in self.injections():
            injection_times.setdefault(injection.parameter, []).append(injection.received_at)
        losses = []
        for parameter, times in injection_times.items():
            times.sort()
            for earlier, later in itertools.pairwise(times):
                if later - earlier > CONTROL_TIMEOUT_S:
                    losses.append(ControlLoss(parameter, earlier, later))
            if until is not None and until - times[-1] > CONTROL_TIMEOUT_S:
                losses.append(ControlLoss(parameter, times[-1], None))
        return sorted(losses, key=lambda loss: loss.lost_at)

    def is_controlled(self, parameter: str, at: float | None = None) -> bool:
        """Whether a plugin holds ``parameter`` at the ``clock`` reading ``at`` (default: now)."""
        moment = self._clock() if at is None else at
        return any(
            0.0 <= moment - injection.received_at <= CONTROL_TIMEOUT_S
            for injection in self.injections(parameter)
        )

    def triggered_hotkeys(self) -> list[str]:
        """IDs of the hotkeys triggered, in order."""
        with self._lock:
            return list(self._triggered_hotkeys)

    def expression_changes(self) -> list[ExpressionChange]:
        with self._lock:
            return list(self._expression_changes)

    def active_expressions(self) -> set[str]:
        with self._lock:
            return {file for file, active in self._active_expressions.items() if active}

    def clear_history(self) -> None:
        """Forget received messages, injections, hotkey triggers and expression changes."""
        with self._lock:
            self._received.clear()
            self._injections.clear()
            self._triggered_hotkeys.clear()
            self._expression_changes.clear()

    # -- the websocket server -------------------------------------------------------------------

    async def _listen(self) -> Server:
        # A short close timeout: a client that does not answer the closing handshake (its loop
        # blocked in a synchronous stop) holds a restart up this long, not websockets' 10 s.
        return await serve(self._serve_connection, "127.0.0.1", self._port, close_timeout=0.5)

    @staticmethod
    async def _close(server: Server, graceful: bool) -> None:
        if not graceful:
            for connection in server.connections:
                connection.transport.abort()
        server.close()
        await server.wait_closed()

    async def _serve_connection(self, connection: ServerConnection) -> None:
        session = _Session(next(self._connection_ids))
        # A dropped client is the normal end of a session here, not a server error to log.
        with contextlib.suppress(ConnectionClosed):
            async for frame in connection:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                await connection.send(json.dumps(self._answer(text, session)))

    def _answer(self, text: str, session: _Session) -> dict[str, Any]:
        received_at = self._clock()
        message = _parse_json_object(text)
        with self._lock:
            self._received.append(
                ReceivedMessage(received_at, session.connection_id, text, message)
            )
        # VTS makes up a requestID for a request that carries none (or an unusable one).
        given_id = None if message is None else message.get("requestID")
        request_id = given_id if _is_valid_request_id(given_id) else str(uuid.uuid4())
        try:
            if message is None:
                raise _APIError(ErrorID.JSONInvalid, "The message is not a JSON object.")
            message_type = _validate_envelope(message)
            handler = self._handlers.get(message_type)
            if handler is None:
                raise _APIError(
                    ErrorID.RequestTypeUnknown, f"The fake knows no request {message_type!r}."
                )
            data = message.get("data") or {}  # the README allows a missing or null data field
            if not isinstance(data, dict):
                raise _APIError(ErrorID.JSONInvalid, "The data field is not a JSON object.")
            with self._lock:
                if message_type not in REQUESTS_WITHOUT_AUTHENTICATION:
                    self._require_authentication(session)
                response_data = handler(_Request(session, data, received_at))
            response_type = message_type.removesuffix("Request") + "Response"
        except _APIError as error:
            response_type = "APIError"
            response_data = {"errorID": int(error.error_id), "message": error.message}
        return {
            "apiName": API_NAME,
            "apiVersion": API_VERSION,
            "timestamp": int(time.time() * 1000),
            "requestID": request_id,
            "messageType": response_type,
            "data": response_data,
        }

    def _require_authentication(self, session: _Session) -> None:
        if session.token is None:
            raise _APIError(
                ErrorID.RequestRequiresAuthentication, "This request requires authentication."
            )
        if session.token not in self._tokens:
            raise _APIError(
                ErrorID.TokenRequestDenied, "User has revoked API access for your plugin."
            )

    # -- request handlers: each runs under self._lock and returns the response's data -----------

    def _api_state(self, request: _Request) -> dict[str, Any]:
        token = request.session.token
        return {
            "active": True,
            "vTubeStudioVersion": "fake",
            "currentSessionAuthenticated": token is not None and token in self._tokens,
        }

    def _issue_token(self, request: _Request) -> dict[str, Any]:
        name, developer = request.data.get("pluginName"), request.data.get("pluginDeveloper")
        if not _is_plugin_name(name):
            raise _APIError(
                ErrorID.TokenRequestPluginNameInvalid, f"pluginName {name!r}: 3-32 characters."
            )
        if not _is_plugin_name(developer):
            raise _APIError(
                ErrorID.TokenRequestDeveloperNameInvalid,
                f"pluginDeveloper {developer!r}: 3-32 characters.",
            )
        if not self.approve_token_requests:
            raise _APIError(
                ErrorID.TokenRequestDenied, "User has denied API access for your plugin."
            )
        token = uuid.uuid4().hex
        self._tokens[token] = _PluginIdentity(name, developer)
        return {"authenticationToken": token}

    def _authenticate(self, request: _Request) -> dict[str, Any]:
        token = request.data.get("authenticationToken")
        name, developer = request.data.get("pluginName"), request.data.get("pluginDeveloper")
        if not isinstance(token, str) or not token:
            raise _APIError(ErrorID.AuthenticationTokenMissing, "authenticationToken is missing.")
        if not isinstance(name, str) or not name:
            raise _APIError(ErrorID.AuthenticationPluginNameMissing, "pluginName is missing.")
        if not isinstance(developer, str) or not developer:
            raise _APIError(
                ErrorID.AuthenticationPluginDeveloperMissing, "pluginDeveloper is missing."
            )
        plugin = _PluginIdentity(name, developer)
        # The README: the names must match those the token was requested with.
        if self._tokens.get(token) != plugin:
            return {
                "authenticated": False,
                "reason": "Token invalid, revoked or not this plugin's.",
            }
        request.session.token = token
        request.session.plugin_name = plugin.name
        return {"authenticated": True, "reason": "Token valid for the duration of this session."}

    def _create_parameter(self, request: _Request) -> dict[str, Any]:
        data = request.data
        name = data.get("parameterName")
        if (
            not isinstance(name, str)
            or not name.isascii()
            or not name.isalnum()
            or len(name) not in CUSTOM_PARAMETER_NAME_LENGTH
        ):
            raise _APIError(
                ErrorID.CustomParamNameInvalid,
                f"parameterName {name!r}: 4-32 ASCII letters and digits.",
            )
        if name in DEFAULT_INPUT_PARAMETERS:
            raise _APIError(
                ErrorID.CustomParamDefaultParamNameNotAllowed, f"{name} is a default parameter."
            )
        # Only checked: the fake maps no parameter onto a model, so it never needs the bounds.
        bounds = [data.get(key) for key in ("min", "max", "defaultValue")]
        if not all(_is_number_within_limit(value) for value in bounds):
            raise _APIError(
                ErrorID.CustomParamValuesInvalid,
                f"min/max/defaultValue {bounds}: numbers within ±{VALUE_LIMIT:g}.",
            )
        if len(str(data.get("explanation") or "")) >= CUSTOM_PARAMETER_EXPLANATION_LIMIT:
            raise _APIError(ErrorID.CustomParamExplanationTooLong, "explanation: < 256 characters.")
        plugin_name = request.session.plugin_name or ""
        created_by = self._custom_parameters.setdefault(name, plugin_name)
        # The README: the same plugin may create a parameter again; another plugin may not.
        if created_by != plugin_name:
            raise _APIError(
                ErrorID.CustomParamAlreadyCreatedByOtherPlugin,
                f"{name} was created by {created_by}.",
            )
        return {"parameterName": name}

    def _inject_parameters(self, request: _Request) -> dict[str, Any]:
        data = request.data
        mode = data.get("mode") or "set"  # the README: no mode means "set"
        if mode not in ("set", "add"):
            raise _APIError(ErrorID.InjectDataModeUnknown, f"mode {mode!r}: 'set' or 'add'.")
        values = data.get("parameterValues")
        if not isinstance(values, list) or not values:
            raise _APIError(ErrorID.InjectDataNoDataProvided, "parameterValues is empty.")
        # Validate everything first: a request with one bad entry sets nothing.
        accepted = []
        for raw_entry in values:
            entry = raw_entry if isinstance(raw_entry, dict) else {}
            parameter, value, weight = entry.get("id"), entry.get("value"), entry.get("weight", 1)
            if (
                parameter not in DEFAULT_INPUT_PARAMETERS
                and parameter not in self._custom_parameters
            ):
                raise _APIError(
                    ErrorID.InjectDataParamNameNotFound, f"Parameter {parameter!r} not found."
                )
            if not _is_number_within_limit(value):
                raise _APIError(
                    ErrorID.InjectDataValueInvalid,
                    f"{parameter} value {value!r}: a number within ±{VALUE_LIMIT:g}.",
                )
            if not _is_number_within_limit(weight) or not 0 <= weight <= 1:
                raise _APIError(
                    ErrorID.InjectDataWeightInvalid, f"{parameter} weight {weight!r}: 0 to 1."
                )
            accepted.append(
                Injection(
                    request.received_at,
                    request.session.connection_id,
                    parameter,
                    float(value),
                    float(weight),
                    mode,
                )
            )
        self._injections.extend(accepted)
        return {}

    def _list_hotkeys(self, request: _Request) -> dict[str, Any]:
        return {
            "modelLoaded": True,
            "modelName": self.model_name,
            "modelID": self.model_id,
            "availableHotkeys": [
                {
                    "name": hotkey.name,
                    "type": hotkey.type,
                    "description": hotkey.description,
                    "file": hotkey.file,
                    "hotkeyID": hotkey.hotkey_id,
                    "keyCombination": [],
                    "onScreenButtonID": -1,
                }
                for hotkey in self.hotkeys
            ],
        }

    def _trigger_hotkey(self, request: _Request) -> dict[str, Any]:
        if request.data.get("itemInstanceID"):
            raise _APIError(
                ErrorID.HotkeyExecutionFailedBecauseLive2DItemNotFound, "The fake has no items."
            )
        wanted = str(request.data.get("hotkeyID") or "")
        # The README: a hotkey is found by its ID or by its name, case-insensitively, first wins.
        hotkey = next(
            (
                hotkey
                for hotkey in self.hotkeys
                if wanted == hotkey.hotkey_id
                or (hotkey.name and wanted.lower() == hotkey.name.lower())
            ),
            None,
        )
        if hotkey is None:
            raise _APIError(ErrorID.HotkeyIDNotFoundInModel, f"No hotkey {wanted!r} in the model.")
        self._triggered_hotkeys.append(hotkey.hotkey_id)
        return {"hotkeyID": hotkey.hotkey_id}

    def _expression_state(self, request: _Request) -> dict[str, Any]:
        wanted = request.data.get("expressionFile") or ""
        if wanted:
            self._require_expression(
                wanted,
                ErrorID.ExpressionStateRequestInvalidFilename,
                ErrorID.ExpressionStateRequestFileNotFound,
            )
        details = bool(request.data.get("details"))
        files = [wanted] if wanted else list(self._active_expressions)
        return {
            "modelLoaded": True,
            "modelName": self.model_name,
            "modelID": self.model_id,
            "expressions": [self._describe_expression(file, details) for file in files],
        }

    def _describe_expression(self, file: str, details: bool) -> dict[str, Any]:
        used_in = [
            {"name": hotkey.name, "id": hotkey.hotkey_id}
            for hotkey in self.hotkeys
            if hotkey.file == file
        ]
        return {
            "name": file.removesuffix(".exp3.json"),
            "file": file,
            "active": self._active_expressions[file],
            "deactivateWhenKeyIsLetGo": False,
            "autoDeactivateAfterSeconds": False,
            "secondsRemaining": 0,
            "usedInHotkeys": used_in if details else [],
            "parameters": [],
        }

    def _activate_expression(self, request: _Request) -> dict[str, Any]:
        file = request.data.get("expressionFile") or ""
        self._require_expression(
            file,
            ErrorID.ExpressionActivationRequestInvalidFilename,
            ErrorID.ExpressionActivationRequestFileNotFound,
        )
        active = bool(request.data.get("active"))
        # The README: fadeTime defaults to 0.25 s and is clamped to 0-2 s.
        fade_time = request.data.get("fadeTime")
        fade_time = min(max(fade_time, 0.0), 2.0) if _is_number_within_limit(fade_time) else 0.25
        self._active_expressions[file] = active
        self._expression_changes.append(ExpressionChange(file, active, fade_time))
        return {}

    def _require_expression(self, file: object, invalid: ErrorID, not_found: ErrorID) -> None:
        if not isinstance(file, str) or not file.endswith(".exp3.json"):
            raise _APIError(invalid, f"expressionFile {file!r} does not end in .exp3.json.")
        if file not in self._active_expressions:
            raise _APIError(not_found, f"The model has no expression {file!r}.")


def _parse_json_object(text: str) -> dict[str, Any] | None:
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


def _is_valid_request_id(request_id: object) -> bool:
    return (
        isinstance(request_id, str)
        and request_id.isascii()
        and len(request_id) in REQUEST_ID_LENGTH
    )


def _validate_envelope(message: dict[str, Any]) -> str:
    """Check the fields every request carries; return its messageType."""
    if "requestID" in message and not _is_valid_request_id(message["requestID"]):
        raise _APIError(ErrorID.RequestIDInvalid, "requestID: 1-64 ASCII characters.")
    if message.get("apiName") != API_NAME:
        raise _APIError(ErrorID.APINameInvalid, f"apiName must be {API_NAME!r}.")
    if message.get("apiVersion") != API_VERSION:
        raise _APIError(ErrorID.APIVersionInvalid, f"apiVersion must be {API_VERSION!r}.")
    message_type = message.get("messageType")
    if not isinstance(message_type, str) or not message_type:
        raise _APIError(ErrorID.RequestTypeMissingOrEmpty, "messageType is missing or empty.")
    return message_type


def _is_plugin_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and len(name) in PLUGIN_NAME_LENGTH


def _is_number_within_limit(value: object) -> TypeGuard[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and abs(value) <= VALUE_LIMIT
