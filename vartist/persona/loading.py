"""Loading a persona from TOML, with ``--set`` overrides and errors that name the field."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from vartist.errors import VartistError
from vartist.persona.schema import Persona

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class PersonaError(VartistError):
    """The persona file (or an override) is not a valid persona."""


def _describe(error: ErrorDetails, source: str) -> str:
    field = ".".join(str(part) for part in error["loc"])
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown field {field!r}; remove it or check its spelling (`vartist persona fields` lists them)"
    if error["type"] == "missing":
        return f"{source}: field {field!r} is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{source}: {field} = {value!r} is not allowed: {message}"


def persona_from_dict(data: dict[str, Any], source: str = "persona") -> Persona:
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e, source) for e in exc.errors()]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PersonaError(problems[0] + more) from None


def parse_override(assignment: str) -> tuple[list[str], Any]:
    """``"style.tempo=[100, 110]"`` → (["style", "tempo"], [100, 110]).

    The value is read as a TOML value when it is one (numbers, lists, booleans, quoted
    strings) and as a bare string otherwise, so ``--set name=Nova`` works unquoted.
    """
    if "=" not in assignment:
        raise PersonaError(
            f"--set {assignment!r}: write FIELD=VALUE, like --set style.tempo=[100,110]"
        )
    dotted, raw = assignment.split("=", 1)
    path = [p.strip() for p in dotted.strip().split(".")]
    if not all(path):
        raise PersonaError(f"--set {assignment!r}: {dotted!r} is not a dotted field name")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for assignment in overrides:
        path, value = parse_override(assignment)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise PersonaError(f"--set {assignment!r}: {part!r} is a value, not a section")
            node = child
        node[path[-1]] = value
    return data


def load_persona(path: str | Path, overrides: list[str] | None = None) -> Persona:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PersonaError(f"{path}: no such persona file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{path}: cannot read the persona file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PersonaError(f"{path}: not valid TOML: {exc}") from None
    data = apply_overrides(data, overrides or [])
    return persona_from_dict(data, str(path))
