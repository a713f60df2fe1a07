"""Pure helpers of the Kubernetes checks: quantities, pull policy defaults, declared replicas,
end of support, ingress classes."""

from __future__ import annotations

import ast
import json
from datetime import date
from typing import Any

import pytest

from pytest_readiness.builtin import checks_dir, import_package

import_package(checks_dir())  # type: ignore[arg-type]
from pytest_readiness.checks._k8s import Workload, quantity  # noqa: E402
from pytest_readiness.checks.test_k8s_cluster import (  # noqa: E402
    END_OF_SUPPORT,
    _ingress_class,
    end_of_support,
)
from pytest_readiness.checks.test_k8s_workloads import (  # noqa: E402
    UNKNOWN,
    declared_replicas,
    pull_policy,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", 0.5), ("2", 2), ("1Gi", 2**30), ("1k", 1000), ("1e3", 1000), ("0", 0)],
)
def test_quantity_reads_kubernetes_suffixes(text: str, value: float) -> None:
    assert quantity(text) == pytest.approx(value)


def test_quantity_rejects_what_is_not_a_quantity() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("lots")


@pytest.mark.parametrize(
    ("container", "policy"),
    [
        ({"image": "r/app:1.2"}, "IfNotPresent"),
        ({"image": "r/app"}, "Always"),
        ({"image": "r/app:latest"}, "Always"),
        ({"image": "registry:5000/app"}, "Always"),  # the port is not a tag
        ({"image": "r/app@sha256:" + "a" * 64}, "IfNotPresent"),
        ({"image": "r/app:1.2", "imagePullPolicy": "Never"}, "Never"),
    ],
)
def test_pull_policy_defaults_like_the_api_server(container: dict[str, Any], policy: str) -> None:
    assert pull_policy(container) == policy


def _deployment(meta: dict[str, Any], spec: dict[str, Any]) -> Workload:
    obj = {"kind": "Deployment", "metadata": {"name": "api", "namespace": "shop", **meta}}
    obj["spec"] = spec
    return Workload("Deployment", "shop", "api", obj, {})


def _managed(operation: str, spec_fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "manager": "tool",
        "operation": operation,
        "fieldsV1": {"f:spec": spec_fields},
    }


def test_declared_replicas_of_a_manifest_is_its_spec_replicas() -> None:
    assert declared_replicas(_deployment({}, {"replicas": 3})) == 3
    assert declared_replicas(_deployment({}, {})) is None


def test_declared_replicas_of_a_kubectl_applied_object_comes_from_last_applied() -> None:
    applied = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps({"spec": {}})}
    live = {"annotations": applied, "managedFields": [_managed("Update", {"f:replicas": {}})]}
    assert declared_replicas(_deployment(live, {"replicas": 1})) is None
    applied = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"spec": {"replicas": 2}})
    }
    assert declared_replicas(_deployment({"annotations": applied}, {"replicas": 5})) == 2


def test_declared_replicas_of_a_server_side_applied_object_comes_from_its_field_owner() -> None:
    owns = {"managedFields": [_managed("Apply", {"f:replicas": {}, "f:template": {}})]}
    assert declared_replicas(_deployment(owns, {"replicas": 4})) == 4
    other = {"managedFields": [_managed("Apply", {"f:template": {}})]}
    assert declared_replicas(_deployment(other, {"replicas": 4})) is None


def test_declared_replicas_of_an_object_written_only_by_updates_is_unknown() -> None:
    # an Update owns every field after defaulting, so it says nothing about the manifest
    updated = {"managedFields": [_managed("Update", {"f:replicas": {}})]}
    assert declared_replicas(_deployment(updated, {"replicas": 1})) is UNKNOWN


def test_end_of_support_uses_upstream_dates_and_profile_overrides() -> None:
    assert end_of_support((1, 20), {}) == (date(2022, 2, 28), "upstream")
    assert end_of_support((1, 20), {"1.20": "2099-12-31"}) == (date(2099, 12, 31), "profile")


def test_end_of_support_past_for_older_minors_and_unknown_for_newer_ones() -> None:
    oldest = min(tuple(int(p) for p in k.split(".")) for k in END_OF_SUPPORT)
    assert end_of_support((1, oldest[1] - 1), {})[0] == date.min
    assert end_of_support((1, 99), {})[0] is None


@pytest.mark.parametrize(
    ("ingress", "default", "expected"),
    [
        ({"spec": {"ingressClassName": "nginx"}}, "traefik", "nginx"),
        (
            {"metadata": {"annotations": {"kubernetes.io/ingress.class": "legacy"}}},
            None,
            "legacy",
        ),
        ({"spec": {}}, "traefik", "traefik"),
        ({"spec": {}}, None, None),
    ],
)
def test_ingress_class_is_named_then_legacy_then_default(
    ingress: dict[str, Any], default: str | None, expected: str | None
) -> None:
    assert _ingress_class(ingress, default) == expected


def _record_calls_without_profile_waivers() -> list[str]:
    missing = []
    for module in sorted(checks_dir().glob("test_k8s_*.py")):  # type: ignore[union-attr]
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "record"):
                continue
            passes = len(call.args) >= 7 or any(k.arg == "readiness" for k in call.keywords)
            if not passes:
                missing.append(f"{module.name}:{call.lineno}")
    return missing


def test_every_kubernetes_check_that_records_findings_honours_profile_object_waivers() -> None:
    # record() applies the profile's object-scoped waivers only when given the readiness fixture.
    assert _record_calls_without_profile_waivers() == []
