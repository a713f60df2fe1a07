"""Schema validation of offline manifests with kubernetes-validate's bundled OpenAPI schemas.

kubernetes-validate's own ``validate()`` re-reads the 1 MB definitions file for every object;
here one validator per (schema version, kind, apiVersion) is built from the same files and
reused, so a thousand objects validate in well under a second. Strict schemas are used: an
unknown field (a typo such as ``readinesProbe``) is an error, as ``kubectl apply`` would say.
"""

from __future__ import annotations

import json
import re
from functools import cache
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
    return json.loads(_schema_dir(version).joinpath("_definitions.json").read_text())


@cache
def _validator(version: str, kind: str, api_version: str) -> Any:
    """A validator for one kind, or None when no schema is bundled for it."""
    import jsonschema
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir(version).joinpath(f"{kind.lower()}-{group_version}.json")
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    registry = Resource.from_contents(_definitions(version)) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _is_builtin_api(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group == "" or group.endswith(".k8s.io") or "." not in group


def validate_objects(cluster: Any, version: str) -> tuple[list[Finding], list[str], int]:
    """(findings, objects without a schema, objects checked) for every object of the manifests."""
    _package()
    findings: list[Finding] = []
    unchecked: list[str] = []
    objects = list(cluster.client)
    for obj in objects:
        kind, api_version = str(obj.get("kind")), str(obj.get("apiVersion"))
        validator = _validator(version, kind, api_version)
        who = subject(cluster, obj)
        if validator is None:
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
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        for error in errors[:_MAX_ERRORS_PER_OBJECT]:
            where = ".".join(str(p) for p in error.absolute_path) or "(object)"
            findings.append(Finding(who, None, where, _problem(error), "valid per the schema"))
    return findings, unchecked, len(objects)


def _problem(error: Any) -> str:
    """What is wrong, without echoing the value (it may be a secret)."""
    if error.validator in ("additionalProperties", "required"):
        return str(error.message)[:200]  # names fields only
    return f"fails {error.validator}: {json.dumps(error.validator_value, default=str)[:120]}"
