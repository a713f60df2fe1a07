"""Schema validation of offline manifests with kubernetes-validate's bundled OpenAPI schemas.

kubernetes-validate's own ``validate()`` re-reads the 1 MB definitions file for every object
and resolves each $ref through jsonschema's registry, about 3 ms per object; its schema files
are read once here and walked by a small validator for the few keywords they use. Strict
schemas are used: an unknown field (a typo such as ``readinesProbe``) is an error, as
``kubectl apply`` would say. Problems name fields and types, never values (they may be secrets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from itertools import islice
from typing import Any

from pytest_readiness.errors import MissingExtra

from ._k8s import Finding, subject

_MAX_ERRORS_PER_OBJECT = 3


def _package() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        raise MissingExtra("k8s", "kubernetes_validate") from None
    return kubernetes_validate


@cache
def _schema_dir(version: str) -> Any:
    """The strict schema folder of the newest bundled version not newer than ``version``."""
    root = (
        _package()
        .utils.importlib_resources.files("kubernetes_validate")
        .joinpath("kubernetes-json-schema")
    )
    wanted = _major_minor(version)
    bundled = sorted(
        (_major_minor(d.name[1:]), d.name)
        for d in root.iterdir()
        if d.name.startswith("v") and d.name.endswith("-local-strict")
    )
    usable = [name for mm, name in bundled if mm <= wanted]
    if not usable:
        oldest = bundled[0][1] if bundled else "none"
        raise ValueError(f"no bundled Kubernetes schema for {version} (oldest: {oldest})")
    return root.joinpath(usable[-1])


def _major_minor(version: str) -> tuple[int, int]:
    match = re.match(r"v?(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return int(match.group(1)), int(match.group(2))


@cache
def _definitions(version: str) -> Any:
    """Name -> schema of every definition the kinds' schemas refer to."""
    document = json.loads(_schema_dir(version).joinpath("_definitions.json").read_text())
    return document.get("$defs") or document.get("definitions") or {}


@cache
def _schema(version: str, kind: str, api_version: str) -> Any:
    """The schema of one kind, or None when none is bundled for it."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir(version).joinpath(f"{kind.lower()}-{group_version}.json")
    return json.loads(path.read_text()) if path.is_file() else None


_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: Any, expected: Any) -> bool:
    for name in expected if isinstance(expected, list) else [expected]:
        if name in ("integer", "number"):
            if isinstance(value, bool):
                continue
            if isinstance(value, int) or (
                isinstance(value, float) and (name == "number" or value.is_integer())
            ):
                return True
        elif isinstance(value, _TYPES[name]):
            return True
    return False


def errors(
    value: Any, schema: Any, defs: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[str, str]]:
    """(path, problem) for ``value`` against a Kubernetes JSON schema.

    Covers the keywords these schemas use ($ref into the definitions, type, enum, oneOf,
    properties, required, additionalProperties, items); ``format`` is informative only, as in
    jsonschema. A test checks the verdicts agree with jsonschema's.
    """
    ref = schema.get("$ref")
    if ref is not None:
        yield from errors(value, defs[ref.rsplit("/", 1)[-1]], defs, path)
    one_of = schema.get("oneOf")
    if one_of is not None and not any(_type_ok(value, s.get("type")) for s in one_of):
        yield _where(path), "fails oneOf: " + " or ".join(str(s.get("type")) for s in one_of)
    expected = schema.get("type")
    if expected is not None and not _type_ok(value, expected):
        yield _where(path), f"expected type {expected}, got {type(value).__name__}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield _where(path), f"not one of {json.dumps(schema['enum'])[:120]}"
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or ():
            if name not in value:
                yield _where(path), f"required field {name!r} is missing"
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                yield from errors(item, properties[key], defs, (*path, key))
            elif extra is False:
                yield _where(path), f"unknown field {key!r}"
            elif isinstance(extra, dict):
                yield from errors(item, extra, defs, (*path, key))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from errors(item, schema["items"], defs, (*path, index))


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(object)"


def _is_builtin_api(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group == "" or group.endswith(".k8s.io") or "." not in group


def validate_objects(cluster: Any, version: str) -> tuple[list[Finding], list[str], int]:
    """(findings, objects without a schema, objects checked) for every object of the manifests."""
    _package()
    findings: list[Finding] = []
    unchecked: list[str] = []
    objects = list(cluster.client)
    defs = _definitions(version)
    for obj in objects:
        kind, api_version = str(obj.get("kind")), str(obj.get("apiVersion"))
        schema = _schema(version, kind, api_version)
        who = subject(cluster, obj)
        if schema is None:
            if _is_builtin_api(api_version):
                findings.append(
                    Finding(
                        who,
                        None,
                        "apiVersion",
                        f"{api_version} {kind}",
                        f"a kind served by Kubernetes {version}",
                    )
                )
            else:
                unchecked.append(who.ref)
            continue
        for where, problem in islice(errors(obj, schema, defs), _MAX_ERRORS_PER_OBJECT):
            findings.append(Finding(who, None, where, problem, "valid per the schema"))
    return findings, unchecked, len(objects)
