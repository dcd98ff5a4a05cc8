"""The API contract (issue 12 item 1): typed answers, documented errors, strict bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.openapi import API_DIR
from tests.helpers import Api, village_op

TIERS = ("county", "township", "village")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema a client can generate a type from: an object with named properties, or an
    array of such (a bare object or a map of anything is not)."""
    schema = _resolve(document, schema)
    if schema.get("type") == "array":
        return _typed(document, schema.get("items", {}))
    return bool(schema.get("properties"))


@pytest.mark.parametrize("tier", TIERS)
def test_every_get_answers_a_typed_body_and_documents_its_errors(tier: str) -> None:
    document = json.loads((API_DIR / f"{tier}.openapi.json").read_text(encoding="utf-8"))
    untyped, undocumented = [], []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            ok = responses.get("200") or responses.get("201") or {}
            content = ok.get("content", {})
            schema = content.get("application/json", {}).get("schema")
            download = schema is None and all(
                c.get("schema") == {"type": "string", "format": "binary"} for c in content.values()
            )
            if (
                method == "get"
                and not download
                and (schema is None or not _typed(document, schema))
            ):
                untyped.append(f"GET {path}")
            if path.startswith("/api/v1/") and not {"401", "403", "422"} <= set(responses):
                undocumented.append(f"{method.upper()} {path}")
            for code in ("401", "403", "404", "409", "422"):
                if code in responses:
                    ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (path, code, ref)
    assert untyped == []
    assert undocumented == []


def test_an_unknown_field_is_refused_and_named(api: Api) -> None:
    body = {
        "village_code": village_op().division,
        "name": "长者合唱队",
        "field": "culture_sports",
        "founded_on": "2024-01-01",
        "catgory": "village_sage_council",
    }
    r = api.village.post("/api/v1/filing-applications", json=body, headers=api.auth(village_op()))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert [d["field"] for d in error["details"]] == ["catgory"]


def test_malformed_json_names_line_and_column(api: Api) -> None:
    headers = {**api.auth(village_op()), "Content-Type": "application/json"}
    r = api.village.post(
        "/api/v1/filing-applications", content=b'{"name": "x",\n  "field": }', headers=headers
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_json"
    assert error["details"] == [{"line": 2, "column": 12, "problem": "Expecting value"}]
