"""The k8s_api fixture gives the same outcomes live and offline.

Real: the offline backend reads the manifest files under tests/data/manifests; the live backend
uses the official kubernetes client over real HTTP. Stand-in: the API server, a small
API-compatible server (tests/support/k8s_fake_apiserver.py) serving the same manifests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.k8s_fake_apiserver import FakeApiServer, load_manifests

pytestmark = pytest.mark.integration

MANIFESTS = Path(__file__).parents[1] / "data" / "manifests"

CHECKS = """
import pytest

pytestmark = pytest.mark.important(section="Workloads")

@pytest.mark.critical(id="K8S-REPLICAS")
def test_deployments_have_two_replicas(k8s_api, evidence):
    single = [d["metadata"]["name"] for d in k8s_api.deployments() if d["spec"].get("replicas", 1) < 2]
    evidence(observed=single, expected="[]")
    assert not single, f"single-replica deployments: {single}"

@pytest.mark.important(id="K8S-PDB")
def test_every_namespace_with_deployments_has_a_pdb(k8s_api):
    namespaces = {d["metadata"]["namespace"] for d in k8s_api.deployments()}
    covered = {p["metadata"]["namespace"] for p in k8s_api.pod_disruption_budgets()}
    assert namespaces <= covered, f"no PDB in {sorted(namespaces - covered)}"

@pytest.mark.important(id="K8S-NETPOL")
def test_network_policies_exist(k8s_api):
    assert k8s_api.network_policies()

@pytest.mark.nice_to_have(id="K8S-LIMITS")
def test_containers_have_limits(k8s_api):
    missing = [
        d["metadata"]["name"]
        for d in k8s_api.deployments()
        for c in d["spec"]["template"]["spec"]["containers"]
        if "limits" not in c.get("resources", {})
    ]
    assert not missing, f"containers without limits in {missing}"
"""


@pytest.fixture
def fake_apiserver() -> Iterator[FakeApiServer]:
    with FakeApiServer(load_manifests(MANIFESTS)) as server:
        yield server


def test_live_and_offline_give_the_same_outcomes(
    pytester: pytest.Pytester, fake_apiserver: FakeApiServer
) -> None:
    kubeconfig = fake_apiserver.kubeconfig(pytester.path / "kubeconfig")
    pytester.makefile(
        ".yaml",
        readiness=f"""
        profiles:
          prod:
            checks: []  # only the checks of this test, not the built-in ones
            kubernetes:
              - {{name: rendered, manifests: ["{MANIFESTS}/*.yaml"]}}
              - {{name: live, kubeconfig: "{kubeconfig}"}}
        """,
    )
    pytester.makepyfile(test_k8s=CHECKS)
    out = pytester.path / "r.json"
    pytester.runpytest("--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider")
    items = json.loads(out.read_text())["items"]
    by_target: dict[str, dict[str, str]] = {"rendered": {}, "live": {}}
    for item in items:
        base, target = item["id"].rstrip("]").split("[")
        by_target[target][base] = item["outcome"]
    assert len(by_target["live"]) == 4
    assert set(by_target["live"].values()) == {"passed", "failed"}, (
        by_target
    )  # the checks discriminate
    assert by_target["live"] == by_target["rendered"]
    assert "error" not in by_target["live"].values()
