"""The persona schema: examples load, overrides apply, bad values name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runner import vartist
from vartist.persona import Persona, PersonaError, load_persona, persona_from_dict

EXAMPLES = sorted(
    Path(__file__).resolve().parent.parent.joinpath("examples/personas").glob("*.toml")
)


def test_there_are_at_least_three_distinct_example_personas_one_dutch_or_swedish() -> None:
    personas = [load_persona(path) for path in EXAMPLES]
    assert len({p.name for p in personas}) >= 3
    assert len({(p.language, p.style.genres[0]) for p in personas}) >= 3
    assert {"nl", "sv"} & {p.language for p in personas}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_persona_names_engines_genres_and_a_language_that_exist(path: Path) -> None:
    """Beyond the schema: its engines are registered, its genres have style models and
    espeak-ng speaks its language (check_persona raises otherwise)."""
    from vartist.runtime.checks import check_persona

    notes = check_persona(load_persona(path))
    assert any("engines:" in note for note in notes)


def test_set_overrides_any_field_by_dotted_name(tmp_path: Path) -> None:
    persona = load_persona(
        EXAMPLES[0],
        ["style.tempo=[90, 95]", "voice.vibrato.depth_cents=12", "language=sv", "name=Ny Röst"],
    )
    assert persona.style.tempo == (90, 95)
    assert persona.voice.vibrato.depth_cents == 12
    assert persona.language == "sv"
    assert persona.name == "Ny Röst"


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("style.tempo=[0, 120]", ["style.tempo", "40 and 240"]),
        ("style.tempo=[130, 90]", ["style.tempo", "inverted"]),
        ('voice.range=["E5", "A3"]', ["voice.range", "inverted"]),
        ('voice.range=["A3", "H5"]', ["voice.range", "note name"]),
        ("mix.loudness_lufs=3", ["mix.loudness_lufs", "-6"]),
        ("style.tempi=[90, 100]", ["unknown field", "style.tempi"]),
        ('style.keys=["Q major"]', ["style.keys", "not a key"]),
        ("voice.vibrato.rate_hz=-1", ["voice.vibrato.rate_hz"]),
    ],
)
def test_bad_values_give_one_line_naming_field_and_rule(override: str, names: list[str]) -> None:
    with pytest.raises(PersonaError) as caught:
        load_persona(EXAMPLES[0], [override])
    message = str(caught.value)
    assert "\n" not in message
    for name in names:
        assert name in message


def test_malformed_toml_and_missing_file_are_persona_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "Nova\n[style\n', encoding="utf-8")
    with pytest.raises(PersonaError, match="not valid TOML"):
        load_persona(broken)
    with pytest.raises(PersonaError, match="no such persona file"):
        load_persona(tmp_path / "absent.toml")


def test_name_is_required_and_not_blank() -> None:
    with pytest.raises(PersonaError, match="'name' is required"):
        persona_from_dict({})
    with pytest.raises(PersonaError, match="blank"):
        persona_from_dict({"name": "   "})


def _schema_leaves(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of every leaf field in pydantic's JSON schema (sections resolved by $ref)."""
    leaves: list[str] = []
    for name, spec in node.get("properties", {}).items():
        ref = spec.get("$ref") or next(
            (s["$ref"] for s in spec.get("allOf", []) if "$ref" in s), None
        )
        if ref:
            section = schema["$defs"][ref.rsplit("/", 1)[-1]]
            leaves += _schema_leaves(schema, section, f"{prefix}{name}.")
        else:
            leaves.append(f"{prefix}{name}")
    return leaves


def test_every_field_is_listed_with_a_description(tmp_path: Path) -> None:
    """`vartist persona fields` lists each leaf of the schema pydantic derives, each with words."""
    schema = Persona.model_json_schema()
    leaves = _schema_leaves(schema, schema)
    assert len(leaves) >= 15
    result = vartist("persona", "fields", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {}
    for line in result.stdout.splitlines():
        name, _, meaning = line.partition("  ")
        listed[name] = meaning.split(" (default")[0].split(" (required")[0].strip()
    for leaf in leaves:
        assert listed.get(leaf), f"{leaf} is missing from `vartist persona fields` or undocumented"
