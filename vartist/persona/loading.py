"""Loading a persona from TOML, with ``--set`` overrides and errors that name the field."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from vartist.errors import VartistError
from vartist.persona.schema import Persona
from vartist.userfiles import read_user_text, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_PERSONA_BYTES = 256 * 1024
"""A persona is a page of TOML; anything far bigger is the wrong file."""


class PersonaError(VartistError):
    """The persona file (or an override) is not a valid persona."""


def _describe(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown field {shown(field)!r}; remove it or check its spelling (`vartist persona fields` lists them)"
    if error["type"] == "missing":
        return f"field {shown(field)!r} is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{shown(field)} = {shown(repr(error.get('input')), 60)} is not allowed: {message}"


def _source_of(
    loc: tuple[int | str, ...], overrides: dict[tuple[str, ...], str], source: str
) -> str:
    """Who set the field at ``loc``: the ``--set`` that wrote it or one above it, or the file."""
    path = tuple(str(part) for part in loc)
    for length in range(len(path), 0, -1):
        if path[:length] in overrides:
            return f"--set {shown(overrides[path[:length]], 60)}"
    return source


def persona_from_dict(
    data: dict[str, Any],
    source: str = "persona",
    overrides: dict[tuple[str, ...], str] | None = None,
) -> Persona:
    """Validate ``data``; every problem is reported at once, each under the source that set it
    (``source`` for the file, the ``--set`` assignment for an override)."""
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        by_source: dict[str, list[str]] = {}
        for error in exc.errors():
            origin = _source_of(error["loc"], overrides or {}, source)
            by_source.setdefault(origin, []).append(_describe(error))
        raise PersonaError(
            "; ".join(f"{origin}: {'; '.join(problems)}" for origin, problems in by_source.items())
        ) from None


def parse_override(assignment: str) -> tuple[list[str], Any]:
    """``"style.tempo=[100, 110]"`` → (["style", "tempo"], [100, 110]).

    The value is read as a TOML value when it is one (numbers, lists, booleans, quoted
    strings) and as a bare string otherwise, so ``--set name=Nova`` works unquoted.
    """
    if "=" not in assignment:
        raise PersonaError(
            f"--set {shown(assignment, 60)}: write FIELD=VALUE, like --set style.tempo=[100,110]"
        )
    dotted, raw = assignment.split("=", 1)
    path = [p.strip() for p in dotted.strip().split(".")]
    if not all(path):
        raise PersonaError(
            f"--set {shown(assignment, 60)}: {shown(dotted, 60)!r} is not a dotted field name"
        )
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        raise PersonaError(
            f"--set {shown(assignment, 60)}: the value is nested too deeply"
        ) from None
    return path, value


def apply_overrides(
    data: dict[str, Any], overrides: list[str]
) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """``data`` with each ``--set`` applied, and which assignment set each dotted path."""
    origins: dict[tuple[str, ...], str] = {}
    for assignment in overrides:
        path, value = parse_override(assignment)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise PersonaError(
                    f"--set {shown(assignment, 60)}: {shown(part)!r} is a value, not a section"
                )
            node = child
        node[path[-1]] = value
        origins[tuple(path)] = assignment
    return data, origins


def default_persona(overrides: list[str] | None = None) -> Persona:
    """The plain English pop persona that sings when no persona file is given."""
    data, origins = apply_overrides({"name": "Vartist"}, overrides or [])
    return persona_from_dict(data, "the default persona", origins)


def load_persona(path: str | Path, overrides: list[str] | None = None) -> Persona:
    """Read, parse and validate the persona file at ``path``, then apply ``overrides``.

    The file must be a regular UTF-8 file (a byte-order mark is fine) of at most
    :data:`MAX_PERSONA_BYTES`.
    """
    path = Path(path)
    text = read_user_text(path, MAX_PERSONA_BYTES, "persona file", PersonaError)
    name = shown(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PersonaError(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise PersonaError(f"{name}: not valid TOML for a persona: nested too deeply") from None
    data, origins = apply_overrides(data, overrides or [])
    return persona_from_dict(data, name, origins)
