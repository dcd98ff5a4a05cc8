"""Checked-in JSON schemas of the integration events, and the compatibility rules (ADR 0002).

One schema per type in :data:`shared.kernel.integration.events.TYPES`: the :class:`Envelope` schema with
``type`` fixed to the type name and ``data`` replaced by the payload model's schema (pydantic's
validation-mode schema: what a consumer of that major version accepts).

    python -m shared.kernel.integration.schema --write   # (re)write schemas/<type>.json
    python -m shared.kernel.integration.schema --check   # exit 1 unless the files are exactly current

``--write`` refuses a change that :func:`incompatibilities` rejects: an incompatible change is a
new major type (``….v2``) published beside the old one, never an edit of a published schema.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
FIX_HINT = "run python -m shared.kernel.integration.schema --write"

Schema = dict[str, Any]


# ------------------------------------------------------------------ building


def event_schema(type_name: str) -> Schema:
    """The JSON schema of one integration event type, envelope and payload together."""
    schema = Envelope.model_json_schema()
    payload = TYPES[type_name].model_json_schema()
    defs = schema.setdefault("$defs", {})
    for name, definition in payload.pop("$defs", {}).items():
        if defs.setdefault(name, definition) != definition:
            raise ValueError(f"{type_name}: payload and envelope define {name!r} differently")
    schema["properties"]["type"] = {"const": type_name, "title": "Type", "type": "string"}
    schema["properties"]["data"] = payload
    schema["title"] = type_name
    schema["$schema"] = DIALECT
    return schema


def render(schema: Schema) -> str:
    """The checked-in text of a schema: sorted keys, indent 2, trailing newline."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def path_for(type_name: str, directory: Path = SCHEMA_DIR) -> Path:
    return directory / f"{type_name}.json"


def checked_in(directory: Path = SCHEMA_DIR) -> dict[str, Schema]:
    """The checked-in schemas by type name."""
    return {
        p.name.removesuffix(".json"): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("*.json"))
    }


# ------------------------------------------------------------------ compatibility


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """Why data written against ``new`` and consumers built on ``old`` may not get along.

    Incompatible: a property removed, a property's type (or format, or const) changed, an enum
    value removed or a free value newly restricted to an enum, a property newly required.
    Compatible: a new optional property (consumers ignore unknown fields), new enum values,
    changed titles and descriptions. ``$ref`` is resolved against each schema's own ``$defs``.
    """
    problems: list[str] = []
    _compare(old, new, "", _Roots(old, new), problems)
    return problems


class _Roots:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old = old
        self.new = new
        self.seen: set[tuple[str, str, str]] = set()


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _variants(node: Schema) -> list[Schema]:
    variants: list[Schema] = node.get("anyOf") or node.get("oneOf") or [node]
    return variants


def _types(node: Schema, root: Schema) -> frozenset[str]:
    """The JSON types a node admits, with their formats (``string:date``)."""
    node = _resolve(node, root)
    if "anyOf" in node or "oneOf" in node:
        return frozenset().union(*(_types(v, root) for v in _variants(node)))
    declared = node.get("type", "any")
    names = declared if isinstance(declared, list) else [declared]
    fmt = node.get("format")
    return frozenset(f"{t}:{fmt}" if fmt else t for t in names)


def _compare(old: Schema, new: Schema, path: str, roots: _Roots, out: list[str]) -> None:
    key = (path, json.dumps(old, sort_keys=True), json.dumps(new, sort_keys=True))
    if key in roots.seen:  # recursive definitions: compared once per path
        return
    roots.seen.add(key)
    old, new = _resolve(old, roots.old), _resolve(new, roots.new)
    where = path or "(root)"
    old_types, new_types = _types(old, roots.old), _types(new, roots.new)
    if old_types != new_types:
        out.append(f"changed type of {where}: {sorted(old_types)} -> {sorted(new_types)}")
        return
    out.extend(_value_changes(old, new, where))
    if "properties" in old or "properties" in new:
        _compare_objects(old, new, path, roots, out)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        _compare(old["items"], new["items"], f"{path}[]", roots, out)
    if "anyOf" in old or "oneOf" in old:
        _compare_variants(old, new, path, roots, out)


def _value_changes(old: Schema, new: Schema, where: str) -> Iterator[str]:
    if old.get("const") != new.get("const"):
        yield f"changed constant of {where}: {old.get('const')!r} -> {new.get('const')!r}"
    if "enum" in old and "enum" in new:
        removed = [v for v in old["enum"] if v not in new["enum"]]
        if removed:
            yield f"removed enum values of {where}: {removed}"
    elif "enum" in new:
        yield f"restricted {where} to enum values {new['enum']}"


def _compare_objects(old: Schema, new: Schema, path: str, roots: _Roots, out: list[str]) -> None:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    prefix = f"{path}." if path else ""
    for name, old_prop in old_props.items():
        if name not in new_props:
            out.append(f"removed property {prefix}{name}")
        else:
            _compare(old_prop, new_props[name], f"{prefix}{name}", roots, out)
    for name in new.get("required", []):
        if name not in old.get("required", []):
            out.append(f"newly required property {prefix}{name}")


def _compare_variants(old: Schema, new: Schema, path: str, roots: _Roots, out: list[str]) -> None:
    """Pair the alternatives of a union by their types and compare each pair."""
    candidates = _variants(new)
    for variant in _variants(old):
        types = _types(variant, roots.old)
        for other in candidates:
            if _types(other, roots.new) == types:
                _compare(variant, other, path, roots, out)
                break


# ------------------------------------------------------------------ check and write


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every way the checked-in schemas differ from the current models (empty: all current)."""
    found = []
    for type_name in sorted(TYPES):
        path = path_for(type_name, directory)
        if not path.exists():
            found.append(f"{type_name}: no checked-in schema ({path.name})")
        elif path.read_text(encoding="utf-8") != render(event_schema(type_name)):
            found.append(f"{type_name}: checked-in schema is not current")
    for type_name in sorted(set(checked_in(directory)) - set(TYPES)):
        found.append(f"{type_name}: checked in but no longer in TYPES (published types stay)")
    return found


def write(directory: Path = SCHEMA_DIR, allow_incompatible: bool = False) -> list[str]:
    """Write every schema; returns the incompatibilities that stopped it (nothing written)."""
    old = checked_in(directory)
    problems = [
        f"{type_name}: {problem}"
        for type_name in sorted(TYPES)
        if type_name in old
        for problem in incompatibilities(old[type_name], event_schema(type_name))
    ]
    if problems and not allow_incompatible:
        return problems
    directory.mkdir(parents=True, exist_ok=True)
    for type_name in sorted(TYPES):
        path_for(type_name, directory).write_text(render(event_schema(type_name)), encoding="utf-8")
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.kernel.integration.schema")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write schemas/<type>.json")
    mode.add_argument("--check", action="store_true", help="exit 1 unless the files are current")
    parser.add_argument(
        "--allow-incompatible",
        action="store_true",
        help="write even incompatible changes (only for a type never published)",
    )
    args = parser.parse_args(argv)
    if args.check:
        found = differences()
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(FIX_HINT, file=sys.stderr)
        return 1 if found else 0
    problems = write(allow_incompatible=args.allow_incompatible)
    for line in problems:
        print(f"incompatible: {line}", file=sys.stderr)
    if problems:
        print("publish a new major type (….v2) beside the old one instead", file=sys.stderr)
        return 1
    print(f"wrote {len(TYPES)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
