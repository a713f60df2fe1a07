"""Waiving one object or one container of a built-in Kubernetes check with an annotation."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop", "annotations": {}},
    "spec": {
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "r/app:1",
                        "securityContext": {"readOnlyRootFilesystem": True},
                    },
                    {"name": "sidecar", "image": "r/sidecar:1"},
                ]
            },
        },
    },
}


def run(
    pytester: pytest.Pytester, annotations: dict[str, str], writable_app: bool = False
) -> dict[str, Any]:
    deployment = json.loads(json.dumps(DEPLOYMENT))
    deployment["metadata"]["annotations"] = annotations
    if writable_app:
        deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {}
    (pytester.path / "app.yaml").write_text(yaml.safe_dump(deployment))
    pytester.makefile(
        ".yaml",
        readiness=f"""
        profiles:
          ci:
            checks: [K8S-SEC-RO-ROOTFS]
            kubernetes:
              - {{name: app, manifests: ["{pytester.path / "app.yaml"}"]}}
        """,
    )
    out = pytester.path / "r.json"
    pytester.runpytest("--readiness=ci", f"--readiness-json={out}", "-p", "no:cacheprovider")
    (item,) = json.loads(out.read_text())["items"]
    return dict(item)


def _waived(item: dict[str, Any]) -> dict[str, str]:
    return {
        r["details"]["container"]: r["details"]["waived"]
        for r in item["evidence"]
        if "waived" in (r.get("details") or {})
    }


def test_without_a_waiver_the_sidecar_fails_the_check(pytester: pytest.Pytester) -> None:
    item = run(pytester, {})
    assert item["outcome"] == "failed"
    assert "shop/Deployment/api/sidecar" in item["message"]


def test_a_container_waiver_covers_that_container_and_is_reported(
    pytester: pytest.Pytester,
) -> None:
    item = run(
        pytester, {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "[sidecar] vendor image writes /tmp"}
    )
    assert item["outcome"] == "passed"
    assert _waived(item) == {"sidecar": "vendor image writes /tmp"}


def test_a_container_waiver_does_not_cover_the_other_containers(pytester: pytest.Pytester) -> None:
    item = run(
        pytester,
        {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "[sidecar] vendor image"},
        writable_app=True,
    )
    assert item["outcome"] == "failed"
    assert "shop/Deployment/api/app" in item["message"]
    assert "sidecar" not in item["message"]
    assert _waived(item) == {"sidecar": "vendor image"}


def test_an_object_waiver_covers_every_container(pytester: pytest.Pytester) -> None:
    item = run(
        pytester,
        {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "legacy app, fixed in 2.0"},
        writable_app=True,
    )
    assert item["outcome"] == "passed"
    assert _waived(item) == {
        "app": "legacy app, fixed in 2.0",
        "sidecar": "legacy app, fixed in 2.0",
    }


@pytest.mark.parametrize(
    "annotations",
    [
        {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "  "},
        {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "[sidecar]"},
        {"readiness.io/waive-K8S-SEC-NONROOT": "another check"},
    ],
    ids=["no-reason", "container-without-reason", "other-check"],
)
def test_a_waiver_without_reason_or_for_another_check_waives_nothing(
    pytester: pytest.Pytester, annotations: dict[str, str]
) -> None:
    item = run(pytester, annotations)
    assert item["outcome"] == "failed"
    assert _waived(item) == {}


def test_a_waiver_that_matched_nothing_is_reported(pytester: pytest.Pytester) -> None:
    item = run(pytester, {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "[app] writes its cache"})
    assert item["outcome"] == "failed"  # the sidecar is not covered
    unused = [r for r in item["evidence"] if r.get("label", "").endswith("unused waiver")]
    assert [(r["details"]["object"], r["details"]["waiver"]) for r in unused] == [
        ("shop/Deployment/api", "writes its cache")
    ]
    assert _waived(item) == {}
