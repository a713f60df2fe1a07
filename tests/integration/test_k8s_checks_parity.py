"""Every built-in Kubernetes check: the same outcome on a real API server and on manifests.

Real: kube-apiserver v1.20.2 + etcd (tools/kube-apiserver.sh), seeded with kubectl; the checks
run in a pytest subprocess through the installed plugin, once, over one live and one offline
target per case. Cases (tests/data/k8s-checks): good/app.yaml passes every check; each
bad/<ID>.yaml breaks check <ID> only, in its own namespace. Stand-ins: none; but 1.20 serves
PDBs, HPAs and CronJobs under older API versions, so those are converted on seeding (as
`helm template --kube-version 1.20` would render them), and no controller fills in status.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.builtin import discover
from tests.support.k8s_real import ROOT, RealApiServer, real_apiserver
from tests.support.readiness_runs import run_profile

pytestmark = [pytest.mark.k8s_real, pytest.mark.integration]

DATA = ROOT / "tests" / "data" / "k8s-checks"
sys.path.insert(0, str(DATA))
from make_bad import CASE_THRESHOLDS, CASES, namespace_of  # noqa: E402

#: need runtime state: not applicable to manifests (tested live in test_k8s_checks_live.py)
RUNTIME = {
    "K8S-VERSION-MIN",
    "K8S-NODES-READY",
    "K8S-PODS-READY",
    "K8S-ROLLOUT-COMPLETE",
    "K8S-STORAGECLASS",
    "K8S-PVC-BOUND",
    "K8S-CERTMANAGER-READY",
    "K8S-VERSION-SUPPORTED",
    "K8S-QUOTA-USAGE",
    "K8S-INGRESS-CONTROLLER",
    "K8S-HPA-HEADROOM",
}
OFFLINE_ONLY = {"K8S-MANIFESTS-VALID"}  # a live server validated its objects on creation
#: bad cases the API server refuses to store: 1.20 drops the unknown field of the schema case,
#: and this server runs without --allow-privileged, so privileged pods are rejected on creation
NOT_LIVE = {namespace_of("K8S-MANIFESTS-VALID"), namespace_of("K8S-SEC-PRIVILEGED")}
#: add-ons' checks have their own good and bad cases with their CRDs: test_k8s_checks_ecosystem.py
ECOSYSTEM = "test_k8s_ecosystem.py"
CHECKS = sorted(
    c.id
    for m in discover()
    if m.domain == "kubernetes" and m.path.name != ECOSYSTEM
    for c in m.checks
)
BOTH = [c for c in CHECKS if c not in RUNTIME | OFFLINE_ONLY]
SECRET_LITERAL = "Plain-Text-Pw-4711"


def _cases() -> list[tuple[str, Path]]:
    return [("good", DATA / "good" / "app.yaml")] + [
        (namespace_of(check_id), DATA / "bad" / f"{check_id}.yaml") for check_id in CASES
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    with real_apiserver(tmp_path_factory.mktemp("k8s-parity")) as api:
        objects = []
        for namespace, path in _cases():
            if namespace not in NOT_LIVE:
                objects += list(yaml.safe_load_all(path.read_text()))
        api.apply(objects, "cases")
        yield api


@pytest.fixture(scope="module")
def items(
    server: RealApiServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, Any]]:
    """(target, check id) -> JSON result item, from one run over every case live and offline."""
    project = tmp_path_factory.mktemp("k8s-parity-run")
    targets = []
    for namespace, path in _cases():
        targets.append(
            {"name": f"off-{namespace}", "manifests": [str(path)], "namespaces": [namespace]}
        )
        if namespace not in NOT_LIVE:
            targets.append(
                {
                    "name": f"live-{namespace}",
                    "kubeconfig": str(server.kubeconfig),
                    "namespaces": [namespace],
                }
            )
    parity = {"checks": ["kubernetes"], "timeout": 30, "kubernetes": targets}
    run = run_profile(project, {**parity, "thresholds": CASE_THRESHOLDS}, timeout=900)
    assert SECRET_LITERAL not in run.output + run.text
    return run.by_target()


def _evidence_without_source(item: dict[str, Any]) -> list[Any]:
    records = []
    for record in item["evidence"]:
        details = {k: v for k, v in (record.get("details") or {}).items() if k != "source"}
        if record.get("label", "").endswith(" checked"):
            continue  # counts differ: the live server has its own built-in roles and bindings
        records.append((record.get("label"), record["observed"], record["expected"], details))
    return records


@pytest.mark.parametrize("case", ["good", "bad"])
@pytest.mark.parametrize("check_id", BOTH)
def test_check_gives_the_same_outcome_live_and_offline(
    items: dict[tuple[str, str], dict[str, Any]], check_id: str, case: str
) -> None:
    namespace = "good" if case == "good" else namespace_of(check_id)
    offline = items[f"off-{namespace}", check_id]
    expected = "passed" if case == "good" else "failed"
    assert offline["outcome"] == expected, offline["message"]
    if namespace not in NOT_LIVE:
        live = items[f"live-{namespace}", check_id]
        assert live["outcome"] == expected, live["message"]
        assert _evidence_without_source(offline) == _evidence_without_source(live)
    if case == "bad":
        offending = [r for r in offline["evidence"] if "object" in (r.get("details") or {})]
        assert offending, offline["evidence"]
        details = offending[0]["details"]
        assert details["object"].startswith((f"{namespace}/", f"Namespace/{namespace}"))
        assert details["setting"]
        assert details["source"].startswith(f"{DATA / 'bad' / check_id}.yaml:")
        assert offline["remediation"]
        assert details["object"] in offline["message"]


def test_every_check_agrees_live_and_offline_on_every_case(
    items: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """Not only the broken check: all checks give the same outcome on all cases."""
    differences = [
        (
            namespace,
            check_id,
            items[f"off-{namespace}", check_id]["outcome"],
            items[f"live-{namespace}", check_id]["outcome"],
        )
        for namespace, _ in _cases()
        if namespace not in NOT_LIVE
        for check_id in BOTH
        if items[f"off-{namespace}", check_id]["outcome"]
        != items[f"live-{namespace}", check_id]["outcome"]
    ]
    assert differences == []


@pytest.mark.parametrize("check_id", sorted(RUNTIME))
def test_runtime_checks_are_not_applicable_offline_and_say_so(
    items: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    offline = items["off-good", check_id]
    assert offline["outcome"] == "skipped"
    assert offline["message"].startswith("N/A: rendered manifests have no runtime state")


def test_manifest_validation_reports_the_invalid_field_with_file_and_line(
    items: dict[tuple[str, str], dict[str, Any]],
) -> None:
    good, bad = (
        items["off-good", "K8S-MANIFESTS-VALID"],
        items[f"off-{namespace_of('K8S-MANIFESTS-VALID')}", "K8S-MANIFESTS-VALID"],
    )
    assert good["outcome"] == "passed"
    assert bad["outcome"] == "failed"
    assert "readinesProbe" in bad["message"]
    assert f"{DATA / 'bad' / 'K8S-MANIFESTS-VALID'}.yaml:" in bad["message"]
    assert items["live-good", "K8S-MANIFESTS-VALID"]["outcome"] == "skipped"
