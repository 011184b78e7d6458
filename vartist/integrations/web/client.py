"""A small client of the HTTP API (stdlib only), for `vartist request`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from vartist.errors import VartistError

TIMEOUT_SECONDS = 30.0


class ApiError(VartistError):
    """The service refused the call or could not be reached."""


class ApiClient:
    def __init__(self, server: str, token: str | None = None) -> None:
        self.server = server.rstrip("/")
        self.token = token

    def open(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a call and return the open response (a file-like object; close it)."""
        data = json.dumps(body).encode() if body is not None else None
        try:
            request = urllib.request.Request(f"{self.server}{path}", data=data, method=method)
        except ValueError:
            raise ApiError(
                f"{self.server!r} is not a server address; use one like http://127.0.0.1:8765"
            ) from None
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            return urllib.request.urlopen(request, timeout=timeout or TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error") or exc.reason
            except (ValueError, AttributeError):
                message = exc.reason
            raise ApiError(f"{self.server} answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(
                f"cannot reach {self.server} ({reason}); is `vartist serve` running there?"
            ) from None

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, raw: bool = False
    ) -> Any:
        with self.open(method, path, body) as response:
            try:
                content = response.read()
                return content if raw else json.loads(content or b"null")
            except (OSError, ValueError) as exc:
                raise ApiError(f"{self.server} sent a broken answer ({exc})") from None

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)

    def get_bytes(self, path: str) -> bytes:
        return bytes(self._call("GET", path, raw=True))
