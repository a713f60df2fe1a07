"""The checks' manifest validator agrees with kubernetes-validate (jsonschema) on every fixture."""

from __future__ import annotations

import copy
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pytest_readiness.builtin import checks_dir, import_package

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
VERSION = "1.30.0"

import_package(checks_dir())  # type: ignore[arg-type]
from pytest_readiness.checks._k8s_validate import (  # noqa: E402
    _definitions,
    _schema,
    errors,
)


@cache
def _objects() -> list[dict[str, Any]]:
    paths = sorted((DATA / "k8s-checks").rglob("*.yaml")) + sorted(
        (DATA / "manifests").glob("*.yaml")
    )
    found = []
    for path in paths:
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind", "").endswith("List"):
                found += document["items"]
            elif document:
                found.append(document)
    return found


def _mutations() -> list[dict[str, Any]]:
    """Invalid variants of a valid Deployment: wrong type, missing field, bad enum, unknown key."""
    base = yaml.safe_load_all((DATA / "k8s-checks" / "good" / "app.yaml").read_text())
    deployment = next(o for o in base if o["kind"] == "Deployment")
    variants = []
    for change in (
        lambda d: d["spec"].update(replicas="three"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),
        lambda d: d["spec"]["strategy"].update(type=["Recreate"]),
        lambda d: d["spec"]["template"]["spec"].update(restartPolicy=7),
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(
            containerPort=1.5
        ),
        lambda d: d["spec"].update(replicas=True),
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"][
            "httpGet"
        ].update(port=[1]),
    ):
        variant = copy.deepcopy(deployment)
        change(variant)  # type: ignore[no-untyped-call]
        variants.append(variant)
    return variants


def _jsonschema_valid(obj: dict[str, Any]) -> bool:
    try:
        kubernetes_validate.validate(obj, VERSION, strict=True)
    except kubernetes_validate.ValidationError:
        return False
    return True


@pytest.mark.parametrize("index", range(len(_objects()) + len(_mutations())))
def test_verdict_matches_jsonschema(index: int) -> None:
    obj = copy.deepcopy((_objects() + _mutations())[index])
    schema = _schema(VERSION, obj["kind"], obj["apiVersion"])
    if schema is None:  # custom resources: no bundled schema; kubernetes-validate agrees
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(obj, VERSION, strict=True)
        return
    found = list(errors(obj, schema, _definitions(VERSION)))
    assert (not found) == _jsonschema_valid(obj), found


def test_problems_name_fields_never_values() -> None:
    deployment = _mutations()[0]  # replicas: "three"
    deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = 12345
    found = list(
        errors(deployment, _schema(VERSION, "Deployment", "apps/v1"), _definitions(VERSION))
    )
    assert ("spec.replicas", "expected type ['integer', 'null'], got str") in found
    assert all("three" not in problem and "12345" not in problem for _, problem in found)


def test_the_committed_bad_cases_are_what_make_bad_writes() -> None:
    sys.path.insert(0, str(DATA / "k8s-checks"))
    try:
        from make_bad import CASES, render
    finally:
        sys.path.remove(str(DATA / "k8s-checks"))
    committed = {p.stem for p in (DATA / "k8s-checks" / "bad").glob("*.yaml")}
    assert committed == set(CASES)
    for check_id in CASES:
        path = DATA / "k8s-checks" / "bad" / f"{check_id}.yaml"
        assert path.read_text() == render(check_id), f"{path} is stale: run make_bad.py"
