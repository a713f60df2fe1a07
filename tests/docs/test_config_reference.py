"""The configuration reference (docs/configuration.md) names every key of the JSON Schema.

Its target part is generated from the registry (`python -m pytest_readiness.connectors.derived`,
whose --check keeps it current); this covers the hand-written part too: top level, profile,
policy, waivers and attestations. A key counts as documented when it appears in code
formatting (`timeout`) or in a listing of a mapping's keys (`{id, reason, by}`, {ca, cert, key}).
"""

from __future__ import annotations

import re
from typing import Any

from pytest_readiness.schema import readiness_schema
from tests.docs.commands import ROOT

REFERENCE = ROOT / "docs" / "configuration.md"


def _keys(node: Any, schema: dict[str, Any], path: str, seen: set[str]) -> set[tuple[str, str]]:
    """(where, key) of every property the schema allows, following $ref once per definition."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, list):
        for child in node:
            found |= _keys(child, schema, path, seen)
        return found
    if not isinstance(node, dict):
        return found
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        seen.add(ref)
        target: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        found |= _keys(target, schema, path, seen)
    for key, child in node.get("properties", {}).items():
        found.add((path, key))
        found |= _keys(child, schema, f"{path}.{key}", seen)
    for word in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
        found |= _keys(node.get(word), schema, f"{path}[]" if word == "items" else path, seen)
    return found


def _documented_words() -> set[str]:
    text = REFERENCE.read_text()
    spans = re.findall(r"`([^`]+)`", text) + re.findall(r"\{([^{}]+)\}", text)
    return {word for span in spans for word in re.findall(r"[A-Za-z_][\w-]*", span)}


def test_the_reference_names_every_key_of_the_schema() -> None:
    schema = readiness_schema()
    keys = _keys(schema, schema, "", set())
    assert {"profiles", "waivers", "covers_critical", "valid_days", "manifests"} <= {
        key for _, key in keys
    }
    words = _documented_words()
    assert sorted(f"{where}.{key}" for where, key in keys if key not in words) == []
