"""Integration events are a public contract (ADR 0002): the checked-in JSON schemas in
shared/kernel/integration/schemas are the published promise, and the current models must keep it.
The checked-in OpenAPI documents in docs/api are held to the code the same way."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from services import openapi
from shared.kernel.integration import schema
from shared.kernel.integration.events import TYPES

TYPE_NAME = re.compile(r"^sanji\.(village|township|county)\.[a-z_]+\.[a-z_]+\.v\d+$")
CHECKED_IN = schema.checked_in()


# ------------------------------------------------------------------ the contract itself


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_type_names_follow_the_convention(type_name: str) -> None:
    assert TYPE_NAME.match(type_name), f"{type_name} is not sanji.<tier>.<subject>.<action>.v<n>"


@pytest.mark.parametrize("type_name", sorted(CHECKED_IN))
def test_checked_in_file_names_follow_the_convention(type_name: str) -> None:
    assert TYPE_NAME.match(type_name), type_name


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_every_type_has_a_checked_in_schema(type_name: str) -> None:
    assert type_name in CHECKED_IN, f"no schema for {type_name}: {schema.FIX_HINT}"


@pytest.mark.parametrize("type_name", sorted(set(TYPES) & set(CHECKED_IN)))
def test_current_model_is_compatible_with_the_checked_in_schema(type_name: str) -> None:
    problems = schema.incompatibilities(CHECKED_IN[type_name], schema.event_schema(type_name))
    assert problems == [], (
        f"{type_name} changed incompatibly; publish a new major type (….v2) beside it instead"
    )


def test_checked_in_schemas_are_exactly_current() -> None:
    found = schema.differences()
    assert found == [], "\n".join([*found, schema.FIX_HINT])


def test_no_published_type_disappears() -> None:
    gone = sorted(set(CHECKED_IN) - set(TYPES))
    assert gone == [], f"published types must stay in TYPES (a consumer may rely on them): {gone}"


def test_schema_fixes_the_type_and_describes_the_payload() -> None:
    s = schema.event_schema("sanji.village.activity.reported.v1")
    assert s["properties"]["type"]["const"] == "sanji.village.activity.reported.v1"
    data = s["properties"]["data"]
    assert "volunteer_hours" in data["required"]
    assert data["properties"]["field"] == {"$ref": "#/$defs/Field"}
    assert "Field" in s["$defs"] and "ActorV1" in s["$defs"]


def test_check_entry_point_passes_on_the_checked_in_files() -> None:
    assert schema.main(["--check"]) == 0


def test_write_refuses_an_incompatible_change(tmp_path: Path) -> None:
    type_name = "sanji.village.group.applied.v1"
    published = schema.event_schema(type_name)
    published["properties"]["data"]["properties"]["nickname"] = {"type": "string"}
    (tmp_path / f"{type_name}.json").write_text(schema.render(published), encoding="utf-8")
    problems = schema.write(tmp_path)
    assert problems == [f"{type_name}: removed property data.nickname"]
    assert schema.render(published) == (tmp_path / f"{type_name}.json").read_text("utf-8")


# ------------------------------------------------------------------ incompatibilities()


class Kind(StrEnum):
    A = "a"
    B = "b"


class KindWithoutB(StrEnum):
    A = "a"


class Inner(BaseModel):
    code: str


class V1(BaseModel):
    name: str
    count: int
    kind: Kind
    note: str | None = None
    inner: Inner


def _problems(new: type[BaseModel]) -> list[str]:
    return schema.incompatibilities(V1.model_json_schema(), new.model_json_schema())


def test_identical_schemas_are_compatible() -> None:
    assert _problems(V1) == []


def test_removed_field_is_caught() -> None:
    class V2(BaseModel):
        name: str
        kind: Kind
        note: str | None = None
        inner: Inner

    assert _problems(V2) == ["removed property count"]


def test_changed_type_is_caught() -> None:
    class V2(BaseModel):
        name: str
        count: str
        kind: Kind
        note: str | None = None
        inner: Inner

    assert _problems(V2) == ["changed type of count: ['integer'] -> ['string']"]


def test_changed_format_is_a_changed_type() -> None:
    class V2(BaseModel):
        name: date
        count: int
        kind: Kind
        note: str | None = None
        inner: Inner

    assert _problems(V2) == ["changed type of name: ['string'] -> ['string:date']"]


def test_losing_the_type_altogether_is_caught() -> None:
    class V2(BaseModel):
        name: str
        count: int
        kind: Kind
        note: Any = None
        inner: Inner

    assert _problems(V2) == ["changed type of note: ['null', 'string'] -> ['any']"]


def test_removed_enum_value_is_caught() -> None:
    class V2(BaseModel):
        name: str
        count: int
        kind: KindWithoutB
        note: str | None = None
        inner: Inner

    assert _problems(V2) == ["removed enum values of kind: ['b']"]


def test_added_enum_value_is_allowed() -> None:
    class Old(BaseModel):
        kind: KindWithoutB

    class New(BaseModel):
        kind: Kind

    assert schema.incompatibilities(Old.model_json_schema(), New.model_json_schema()) == []


def test_newly_required_field_is_caught() -> None:
    class V2(BaseModel):
        name: str
        count: int
        kind: Kind
        note: str | None
        inner: Inner

    assert _problems(V2) == ["newly required property note"]


def test_new_required_field_is_caught() -> None:
    class V2(V1):
        extra: int

    assert _problems(V2) == ["newly required property extra"]


def test_new_optional_field_is_allowed() -> None:
    class V2(V1):
        extra: int | None = None

    assert _problems(V2) == []


def test_changes_inside_referenced_models_are_caught() -> None:
    class Inner2(BaseModel):
        code: int

    class V2(BaseModel):
        name: str
        count: int
        kind: Kind
        note: str | None = None
        inner: Inner2

    assert _problems(V2) == ["changed type of inner.code: ['string'] -> ['integer']"]


def test_a_changed_constant_is_caught() -> None:
    old = schema.event_schema("sanji.county.organisation.revoked.v1")
    new = schema.event_schema("sanji.county.organisation.deregistered.v1")
    assert schema.incompatibilities(old, new) == [
        "changed constant of type: 'sanji.county.organisation.revoked.v1' -> "
        "'sanji.county.organisation.deregistered.v1'"
    ]


# ------------------------------------------------------------------ OpenAPI documents


def test_checked_in_openapi_documents_are_current() -> None:
    for tier, document in openapi.documents().items():
        path = openapi.path_for(tier)
        assert path.exists(), f"no {path}: run python -m services.openapi"
        assert path.read_text(encoding="utf-8") == openapi.render(document), (
            f"{path} is stale: run python -m services.openapi"
        )
