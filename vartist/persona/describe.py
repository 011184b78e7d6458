"""Every persona field by its dotted name, with the meaning its schema documents."""

from __future__ import annotations

from pydantic import BaseModel

from vartist.persona.schema import Persona


def describe_fields(model: type[BaseModel] = Persona, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name, info in model.model_fields.items():
        dotted = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(describe_fields(annotation, f"{dotted}."))
        else:
            default = (
                "required"
                if info.is_required()
                else f"default: {info.get_default(call_default_factory=True)!r}"
            )
            rows.append((dotted, f"{info.description or ''} ({default})"))
    return rows
