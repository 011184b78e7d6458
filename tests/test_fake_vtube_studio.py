"""The fake VTube Studio, driven by the real pyvts client the avatar adapter uses.

These tests pin down both sides the adapter tests rely on: that the fake answers as the VTube
Studio API reference says, and how pyvts 0.3.3 behaves against it (it sends one requestID for
every request, lets ConnectionRefusedError through, swallows a denied token request and keeps its
own "authenticated" flag across a reconnect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pyvts
from websockets.exceptions import ConnectionClosed

from tests.fakes.vtube_studio import (
    API_NAME,
    API_VERSION,
    CONTROL_TIMEOUT_S,
    ControlLoss,
    ErrorID,
    FakeVTubeStudio,
)

PLUGIN_NAME = "vartist tests"
PLUGIN_DEVELOPER = "vartist"


@pytest.fixture
def vtube_studio() -> Iterator[FakeVTubeStudio]:
    with FakeVTubeStudio() as fake:
        yield fake


def pyvts_client(fake: FakeVTubeStudio, token_path: Path) -> Any:
    """A pyvts client for the fake; its token file lives in the test's folder, not the cwd."""
    return pyvts.vts(
        plugin_info={
            "plugin_name": PLUGIN_NAME,
            "developer": PLUGIN_DEVELOPER,
            "authentication_token_path": str(token_path),
        },
        vts_api_info={
            "version": API_VERSION,
            "name": API_NAME,
            "host": "127.0.0.1",  # pyvts's default is "localhost", which may resolve to ::1
            "port": fake.port,
        },
    )


async def authenticated_client(fake: FakeVTubeStudio, token_path: Path) -> Any:
    client = pyvts_client(fake, token_path)
    await client.connect()
    await client.request_authenticate_token()
    assert await client.request_authenticate()
    return client


async def send(client: Any, message_type: str, data: dict[str, Any] | None = None) -> Any:
    return await client.request(client.vts_request.BaseRequest(message_type, data))


async def inject(client: Any, parameter: str, value: float) -> Any:
    return await client.request(client.vts_request.requestSetParameterValue(parameter, value))


def assert_api_error(response: dict[str, Any], error_id: ErrorID) -> None:
    assert response["messageType"] == "APIError", response
    assert response["data"]["errorID"] == error_id, response


def test_error_ids_are_the_documented_numbers() -> None:
    # Files/ErrorID.cs in DenchiSoft/VTubeStudio; the adapter matches on these numbers.
    documented = {
        "RequestTypeUnknown": 7,
        "RequestRequiresAuthentication": 8,
        "TokenRequestDenied": 50,
        "HotkeyIDNotFoundInModel": 202,
        "CustomParamDefaultParamNameNotAllowed": 354,
        "InjectDataParamNameNotFound": 453,
        "ExpressionActivationRequestFileNotFound": 651,
    }
    assert {name: ErrorID[name].value for name in documented} == documented


def test_token_flow_stores_the_token_and_authenticates_the_session(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    token_path = tmp_path / "token.txt"

    async def scenario() -> tuple[Any, Any, bool]:
        client = pyvts_client(vtube_studio, token_path)
        await client.connect()
        before = await send(client, "APIStateRequest")
        await client.request_authenticate_token()
        authenticated = await client.request_authenticate()
        after = await send(client, "APIStateRequest")
        assert client.get_authentic_status() == 2  # pyvts: 2 means authenticated
        await client.close()
        return before, after, authenticated

    before, after, authenticated = asyncio.run(scenario())

    assert before["data"]["currentSessionAuthenticated"] is False
    assert authenticated
    assert after["data"]["currentSessionAuthenticated"] is True
    assert vtube_studio.tokens == [token_path.read_text()]
    assert [message.message_type for message in vtube_studio.received()] == [
        "APIStateRequest",
        "AuthenticationTokenRequest",
        "AuthenticationRequest",
        "APIStateRequest",
    ]


def test_a_stored_token_authenticates_without_asking_the_user_again(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    token_path = tmp_path / "token.txt"

    async def scenario() -> None:
        for _ in range(2):
            client = await authenticated_client(vtube_studio, token_path)
            await client.close()

    asyncio.run(scenario())

    assert len(vtube_studio.received("AuthenticationTokenRequest")) == 1
    assert len(vtube_studio.received("AuthenticationRequest")) == 2


def test_a_denied_token_request_answers_error_50_and_pyvts_stores_nothing(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    vtube_studio.approve_token_requests = False
    token_path = tmp_path / "token.txt"

    async def scenario() -> tuple[Any, int]:
        client = pyvts_client(vtube_studio, token_path)
        await client.connect()
        denied = await client.request(client.vts_request.authentication_token())
        await client.request_authenticate_token()  # pyvts prints "authentication failed"
        status = client.get_authentic_status()
        await client.close()
        return denied, status

    denied, status = asyncio.run(scenario())

    assert_api_error(denied, ErrorID.TokenRequestDenied)
    assert status == 0
    assert not token_path.exists()
    assert vtube_studio.tokens == []


def test_mouth_open_is_accepted_and_recorded(vtube_studio: FakeVTubeStudio, tmp_path: Path) -> None:
    async def scenario() -> Any:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        response = await inject(client, "MouthOpen", 0.75)
        await client.close()
        return response

    response = asyncio.run(scenario())

    assert response["messageType"] == "InjectParameterDataResponse"
    [injection] = vtube_studio.injections()
    assert (injection.parameter, injection.value, injection.weight) == ("MouthOpen", 0.75, 1.0)
    assert vtube_studio.is_controlled("MouthOpen", at=injection.received_at + 0.5)


def test_default_parameters_are_accepted_together(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    parameters = ["MouthOpen", "MouthSmile", "FaceAngleX", "FaceAngleY", "FaceAngleZ"]
    values = [0.5, -0.25, 10.0, -5.0, 3.0]

    async def scenario() -> Any:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        message = client.vts_request.requestSetMultiParameterValue(parameters, values)
        response = await client.request(message)
        await client.close()
        return response

    response = asyncio.run(scenario())

    assert response["messageType"] == "InjectParameterDataResponse"
    assert [(i.parameter, i.value) for i in vtube_studio.injections()] == list(
        zip(parameters, values, strict=True)
    )


def test_an_unknown_parameter_is_rejected_with_error_453_and_sets_nothing(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> Any:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        message = client.vts_request.requestSetMultiParameterValue(
            ["MouthOpen", "VartistNoSuchParameter"], [0.5, 0.5]
        )
        response = await client.request(message)
        await client.close()
        return response

    response = asyncio.run(scenario())

    assert_api_error(response, ErrorID.InjectDataParamNameNotFound)
    assert vtube_studio.injections() == []


def test_injection_before_authentication_answers_error_8(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> Any:
        client = pyvts_client(vtube_studio, tmp_path / "token.txt")
        await client.connect()
        response = await inject(client, "MouthOpen", 0.5)
        await client.close()
        return response

    assert_api_error(asyncio.run(scenario()), ErrorID.RequestRequiresAuthentication)
    assert vtube_studio.injections() == []


def test_a_created_custom_parameter_can_be_injected(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        created = await client.request(client.vts_request.requestCustomParameter("VartistJaw"))
        injected = await inject(client, "VartistJaw", 0.25)
        default_name = await client.request(client.vts_request.requestCustomParameter("MouthOpen"))
        await client.close()
        return created, injected, default_name

    created, injected, default_name = asyncio.run(scenario())

    assert created["data"] == {"parameterName": "VartistJaw"}
    assert injected["messageType"] == "InjectParameterDataResponse"
    assert [i.value for i in vtube_studio.injections("VartistJaw")] == [0.25]
    assert_api_error(default_name, ErrorID.CustomParamDefaultParamNameNotAllowed)


def test_a_revoked_token_fails_authentication(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    token_path = tmp_path / "token.txt"

    async def scenario() -> tuple[Any, bool, int]:
        client = await authenticated_client(vtube_studio, token_path)
        await client.request(client.vts_request.requestCustomParameter("VartistJaw"))
        vtube_studio.revoke_tokens()
        open_session = await inject(client, "MouthOpen", 0.5)
        await client.close()

        returning = pyvts_client(vtube_studio, token_path)
        await returning.connect()
        await returning.request_authenticate_token()  # reads the revoked token from the file
        authenticated = await returning.request_authenticate()
        status = returning.get_authentic_status()
        await returning.close()
        return open_session, authenticated, status

    open_session, authenticated, status = asyncio.run(scenario())

    assert_api_error(open_session, ErrorID.TokenRequestDenied)
    assert not authenticated
    assert status == -1  # pyvts: -1 means "wrong token"
    assert vtube_studio.custom_parameters == []  # revoking deletes the plugin's parameters


def test_hotkeys_are_listed_and_triggered_by_id_or_name(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> tuple[Any, Any, Any, Any]:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        listed = await client.request(client.vts_request.requestHotKeyList())
        by_id = await client.request(client.vts_request.requestTriggerHotKey("hotkey-wave"))
        by_name = await client.request(client.vts_request.requestTriggerHotKey("SMILE"))
        unknown = await client.request(client.vts_request.requestTriggerHotKey("Dance"))
        await client.close()
        return listed, by_id, by_name, unknown

    listed, by_id, by_name, unknown = asyncio.run(scenario())

    assert [h["name"] for h in listed["data"]["availableHotkeys"]] == ["Smile", "Wave"]
    assert by_id["data"] == {"hotkeyID": "hotkey-wave"}
    assert by_name["data"] == {"hotkeyID": "hotkey-smile"}
    assert_api_error(unknown, ErrorID.HotkeyIDNotFoundInModel)
    assert vtube_studio.triggered_hotkeys() == ["hotkey-wave", "hotkey-smile"]


def test_expressions_are_activated_and_reported(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> tuple[Any, Any, Any, Any]:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        activation = {"expressionFile": "smile.exp3.json", "active": True, "fadeTime": 5}
        activated = await send(client, "ExpressionActivationRequest", activation)
        state = await send(client, "ExpressionStateRequest", {"details": True})
        missing = await send(
            client, "ExpressionActivationRequest", {"expressionFile": "x.exp3.json"}
        )
        misnamed = await send(client, "ExpressionActivationRequest", {"expressionFile": "smile"})
        await client.close()
        return activated, state, missing, misnamed

    activated, state, missing, misnamed = asyncio.run(scenario())

    assert activated["messageType"] == "ExpressionActivationResponse"
    expressions = {e["file"]: e for e in state["data"]["expressions"]}
    assert expressions["smile.exp3.json"]["active"] is True
    assert expressions["sad.exp3.json"]["active"] is False
    assert expressions["smile.exp3.json"]["usedInHotkeys"] == [
        {"name": "Smile", "id": "hotkey-smile"}
    ]
    assert vtube_studio.active_expressions() == {"smile.exp3.json"}
    assert vtube_studio.expression_changes()[0].fade_time == 2.0  # the README clamps to 2 s
    assert_api_error(missing, ErrorID.ExpressionActivationRequestFileNotFound)
    assert_api_error(misnamed, ErrorID.ExpressionActivationRequestInvalidFilename)


def test_malformed_and_unknown_requests_get_their_error_ids(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        unknown_type = await send(client, "VartistNoSuchRequest")
        wrong_api = await client.request(
            {**client.vts_request.BaseRequest("APIStateRequest"), "apiName": "X"}
        )
        await client.websocket.send("{not json")
        not_json = await client.websocket.recv()
        await client.close()
        return unknown_type, wrong_api, not_json

    unknown_type, wrong_api, not_json = asyncio.run(scenario())

    assert_api_error(unknown_type, ErrorID.RequestTypeUnknown)
    assert_api_error(wrong_api, ErrorID.APINameInvalid)
    assert wrong_api["requestID"] == "SomeID"
    assert f'"errorID": {ErrorID.JSONInvalid.value},' in not_json
    assert vtube_studio.received()[-1].message is None


@pytest.mark.parametrize("graceful", [True, False], ids=["quit", "crash"])
def test_after_a_restart_pyvts_reconnects_and_must_authenticate_again(
    vtube_studio: FakeVTubeStudio, tmp_path: Path, graceful: bool
) -> None:
    port = vtube_studio.port

    async def scenario() -> tuple[Any, bool, Any]:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        await inject(client, "MouthOpen", 0.5)
        # From a thread, so this loop can answer the closing handshake meanwhile.
        await asyncio.to_thread(vtube_studio.restart, graceful=graceful)
        with pytest.raises(ConnectionClosed):
            await inject(client, "MouthOpen", 0.5)
        await client.connect()
        # pyvts still calls itself authenticated: the adapter has to re-authenticate on its own.
        assert client.get_authentic_status() == 2
        unauthenticated = await inject(client, "MouthOpen", 0.5)
        reauthenticated = await client.request_authenticate()
        accepted = await inject(client, "MouthOpen", 0.5)
        await client.close()
        return unauthenticated, reauthenticated, accepted

    unauthenticated, reauthenticated, accepted = asyncio.run(scenario())

    assert vtube_studio.port == port
    assert_api_error(unauthenticated, ErrorID.RequestRequiresAuthentication)
    assert reauthenticated  # the token survives the restart, as it does in VTS
    assert accepted["messageType"] == "InjectParameterDataResponse"
    assert len({i.connection_id for i in vtube_studio.injections()}) == 2


def test_pyvts_lets_connection_refused_through_when_vtube_studio_is_not_running(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    vtube_studio.stop()
    client = pyvts_client(vtube_studio, tmp_path / "token.txt")

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(client.connect())
    assert client.get_connection_status() == 0


def test_messages_are_recorded_in_order_and_pyvts_reuses_one_request_id(
    vtube_studio: FakeVTubeStudio, tmp_path: Path
) -> None:
    async def scenario() -> None:
        client = await authenticated_client(vtube_studio, tmp_path / "token.txt")
        for step in range(5):
            await inject(client, "MouthOpen", step / 4)
        await client.close()

    asyncio.run(scenario())

    received = vtube_studio.received()
    times = [message.received_at for message in received]
    assert times == sorted(times)
    assert {message.message["requestID"] for message in received if message.message} == {"SomeID"}
    assert [i.value for i in vtube_studio.injections("MouthOpen")] == [0.0, 0.25, 0.5, 0.75, 1.0]


class SettableClock:
    """Stands in for time.monotonic so the one-second rule is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_control_losses_follow_the_one_second_rule(tmp_path: Path) -> None:
    clock = SettableClock()
    mouth_times = [100.0, 100.5, 101.4, 102.6, 102.8]  # the gap 101.4 -> 102.6 is 1.2 s
    smile_times = [100.0, 101.0]  # exactly one second apart: still in control

    async def scenario(fake: FakeVTubeStudio) -> None:
        client = await authenticated_client(fake, tmp_path / "token.txt")
        for moment in sorted({*mouth_times, *smile_times}):
            clock.now = moment
            if moment in mouth_times:
                await inject(client, "MouthOpen", 0.5)
            if moment in smile_times:
                await inject(client, "MouthSmile", 0.5)
        await client.close()

    with FakeVTubeStudio(clock=clock) as fake:
        asyncio.run(scenario(fake))

    assert fake.control_losses() == [ControlLoss("MouthOpen", 101.4, 102.6)]
    assert fake.control_losses()[0].lost_at == pytest.approx(101.4 + CONTROL_TIMEOUT_S)
    # Ordered by when control was lost: MouthSmile at 102.0, MouthOpen at 102.4.
    assert fake.control_losses(until=103.5) == [
        ControlLoss("MouthSmile", 101.0, None),
        ControlLoss("MouthOpen", 101.4, 102.6),
    ]
    assert fake.is_controlled("MouthOpen", at=102.0)
    assert not fake.is_controlled("MouthOpen", at=102.5)
