"""The ecosystem Kubernetes checks (checks/test_k8s_ecosystem.py) on a good and a bad case,
offline (rendered manifests) and live (a real API server), and with the add-ons required.

Real: kube-apiserver v1.20.2 + etcd (tools/kube-apiserver.sh), seeded with kubectl, with the
add-ons' CustomResourceDefinitions registered under a permissive schema (their own schemas are
not what is tested here); a second server started without the RBAC API for K8S-RBAC-ENABLED.
Stand-ins: no add-on controller runs, so what Istio's injector, the VPA recommender, Flagger,
the External Secrets Operator, load balancers and the endpoints controller would write (proxy
containers, recommendations, phases, conditions, addresses, endpoints) is written by the test.
Cases: tests/data/k8s-ecosystem/{good,bad,plain}.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.builtin import discover
from tests.support.k8s_real import ROOT, RealApiServer, real_apiserver
from tests.support.readiness_runs import run_profile

pytestmark = pytest.mark.integration

DATA = ROOT / "tests" / "data" / "k8s-ecosystem"
CHECKS = sorted(
    c.id for m in discover() if m.path.name == "test_k8s_ecosystem.py" for c in m.checks
)
LIVE_ONLY = {"K8S-RBAC-ENABLED", "K8S-EXTERNAL-SECRETS-SYNCED", "K8S-LB-ADDRESS"}
BOTH = [c for c in CHECKS if c not in LIVE_ONLY]
OFFLINE = "N/A: rendered manifests have no runtime state"
REQUIRED = {
    "require_mesh": True,
    "require_vpa": True,
    "require_canary": True,
    "require_external_secrets": True,
    "require_service_monitors": True,
    "required_webhooks": ["eco-gatekeeper"],
}

#: what the bad case's failure message names, from the manifests alone
BAD = {
    "K8S-MESH-INJECTED": "eco-bad/Deployment/api",
    "K8S-MESH-MTLS-STRICT": "eco-bad/PeerAuthentication/default",
    "K8S-VPA": "eco-bad/VerticalPodAutoscaler/api",
    "K8S-CANARY-RESOURCE": "eco-bad/Canary/api",
    "K8S-SERVICEMONITOR": "eco-bad/Service/api",
    "K8S-ADMISSION-WEBHOOKS": "ValidatingWebhookConfiguration/eco-bad-policy",
}
#: the setting each bad case breaks: in the message and in the remediation
SETTING = {
    "K8S-MESH-INJECTED": ("sidecar.istio.io/inject=false", "istio-injection=enabled"),
    "K8S-MESH-MTLS-STRICT": ("spec.mtls.mode=PERMISSIVE", "spec.mtls.mode"),
    "K8S-VPA": ("spec.targetRef=Deployment/api-v1", "spec.targetRef"),
    "K8S-CANARY-RESOURCE": ("spec.targetRef=Deployment/api-old", "spec.targetRef"),
    "K8S-SERVICEMONITOR": ("none selects it", "spec.selector"),
    "K8S-ADMISSION-WEBHOOKS": (
        "webhooks[widgets.eco-bad.example.com].failurePolicy=Ignore",
        "failurePolicy",
    ),
}
#: what only a live server shows of the bad case
BAD_LIVE = {
    "K8S-MESH-INJECTED": "eco-bad/Deployment/worker: pods without istio-proxy=worker-1",
    "K8S-VPA": "eco-bad/VerticalPodAutoscaler/api: status.recommendation=unset",
    "K8S-CANARY-RESOURCE": "eco-bad/Canary/api: status.phase=Failed",
    "K8S-EXTERNAL-SECRETS-SYNCED": (
        "eco-bad/ExternalSecret/api-db: status.conditions=Ready=False (SecretSyncedError)"
    ),
    "K8S-LB-ADDRESS": "eco-bad/Service/api: status.loadBalancer.ingress=unset",
    "K8S-ADMISSION-WEBHOOKS": "clientConfig.service=eco-bad/absent-webhook: not found",
}
#: what the plain case's failure names once the add-on is required: the object, the setting
REQUIRED_BAD = {
    "K8S-MESH-INJECTED": ("eco-plain/Deployment/api", "sidecar injection=no injection label"),
    "K8S-MESH-MTLS-STRICT": ("Namespace/eco-plain", "service mesh=none"),
    "K8S-VPA": ("eco-plain/Deployment/api", "VerticalPodAutoscaler=none"),
    "K8S-CANARY-RESOURCE": ("eco-plain/Deployment/api", "Canary or Rollout=none"),
    "K8S-SERVICEMONITOR": ("eco-plain/Service/api", "none selects it"),
    "K8S-EXTERNAL-SECRETS-SYNCED": ("Namespace/eco-plain", "ExternalSecret=none"),
    "K8S-ADMISSION-WEBHOOKS": ("WebhookConfiguration/eco-gatekeeper", "configuration=missing"),
}


def _run(project: Path, profile: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(target, check id) -> JSON result item of one readiness run of ``profile``."""
    return run_profile(project, {"checks": CHECKS, "timeout": 30, **profile}).by_target()


def _offline_targets(*cases: str) -> list[dict[str, Any]]:
    return [{"name": case, "manifests": [str(DATA / f"{case}.yaml")]} for case in cases]


# -- offline --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    root = tmp_path_factory.mktemp("eco-offline")
    linkerd = [
        {"name": case, "manifests": [str(DATA / "linkerd.yaml")], "namespaces": [f"eco-{case}"]}
        for case in ("linkerd-good", "linkerd-bad")
    ]
    targets = _offline_targets("good", "bad", "plain") + linkerd
    items = _run(root / "plain", {"kubernetes": targets})
    required = _run(
        root / "required", {"kubernetes": _offline_targets("plain"), "thresholds": REQUIRED}
    )
    items.update({("required", check_id): item for (_, check_id), item in required.items()})
    return items


@pytest.mark.parametrize("check_id", BOTH)
def test_offline_the_good_case_passes(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    item = offline["good", check_id]
    assert item["outcome"] == "passed", item["message"]


@pytest.mark.parametrize("check_id", BOTH)
def test_offline_the_bad_case_fails_naming_object_setting_and_file(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    item = offline["bad", check_id]
    assert item["outcome"] == "failed"
    observed, fix = SETTING[check_id]
    assert BAD[check_id] in item["message"]
    assert observed in item["message"]
    assert fix in item["remediation"]
    offending = [r for r in item["evidence"] if "object" in (r.get("details") or {})]
    assert offending, item["evidence"]
    assert offending[0]["details"]["setting"]
    assert offending[0]["details"]["source"].startswith(f"{DATA / 'bad.yaml'}:")


@pytest.mark.parametrize("check_id", sorted(LIVE_ONLY))
def test_offline_runtime_checks_are_not_applicable_and_say_so(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    for case in ("good", "bad", "required"):
        item = offline[case, check_id]
        assert item["outcome"] == "skipped"
        assert item["message"].startswith(OFFLINE)


@pytest.mark.parametrize("check_id", BOTH)
def test_offline_an_add_on_not_in_use_is_not_applicable(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    item = offline["plain", check_id]
    assert item["outcome"] == "skipped"
    assert item["message"].startswith("N/A: no ")


@pytest.mark.parametrize("check_id", BOTH)
def test_offline_a_required_add_on_that_is_missing_fails(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    item = offline["required", check_id]
    assert item["outcome"] == "failed"
    assert all(part in item["message"] for part in REQUIRED_BAD[check_id]), item["message"]


# -- live -----------------------------------------------------------------------------------------

#: The add-ons' kinds, as their CRDs name them: (group, version, kind, plural).
CUSTOM_KINDS = [
    ("security.istio.io", "v1beta1", "PeerAuthentication", "peerauthentications"),
    ("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler", "verticalpodautoscalers"),
    ("flagger.app", "v1beta1", "Canary", "canaries"),
    ("argoproj.io", "v1alpha1", "Rollout", "rollouts"),
    ("external-secrets.io", "v1beta1", "ExternalSecret", "externalsecrets"),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
    ("monitoring.coreos.com", "v1", "PodMonitor", "podmonitors"),
]


def _crd(group: str, version: str, kind: str, plural: str) -> dict[str, Any]:
    """A CRD accepting any object of the kind, with a status subresource like the real ones."""
    # *.k8s.io groups are protected; the VPA's own CRD carries this approval too
    approval = {"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/63797"}
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "annotations": approval},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": schema,
                    "subresources": {"status": {}},
                }
            ],
        },
    }


def _pod(namespace: str, name: str, app: str, containers: list[str]) -> dict[str, Any]:
    """A pod as its ReplicaSet would create it (owned, so not a workload of its own)."""
    owner = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": f"{app}-5d8f",
        "uid": "00000000-0000-0000-0000-000000000001",
        "controller": True,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": app},
            "ownerReferences": [owner],
        },
        "spec": {
            "containers": [
                {"name": c, "image": f"registry.example.com/{c}:1.0.0"} for c in containers
            ]
        },
    }


def _case(name: str) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all((DATA / f"{name}.yaml").read_text()) if o]


def _seed_good(api: RealApiServer) -> None:
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "policy-webhook", "namespace": "eco-good"},
        "subsets": [
            {"addresses": [{"ip": "10.0.0.5"}], "ports": [{"name": "https", "port": 8443}]}
        ],
    }
    pod = _pod("eco-good", "api-1", "api", ["api", "istio-proxy"])
    api.apply([*(_crd(*k) for k in CUSTOM_KINDS), *_case("good"), pod, endpoints], "good")
    base = "/apis/{group}/namespaces/eco-good/{plural}/{name}"
    api.put_status(
        base.format(group="networking.k8s.io/v1", plural="ingresses", name="api"),
        {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}},
    )
    api.put_status(
        "/api/v1/namespaces/eco-good/services/api",
        {"loadBalancer": {"ingress": [{"hostname": "api.lb.example.com"}]}},
    )
    recommendation = {"containerName": "api", "target": {"cpu": "100m", "memory": "128Mi"}}
    api.put_status(
        base.format(group="autoscaling.k8s.io/v1", plural="verticalpodautoscalers", name="api"),
        {"recommendation": {"containerRecommendations": [recommendation]}},
    )
    api.put_status(
        base.format(group="flagger.app/v1beta1", plural="canaries", name="api"),
        {"phase": "Succeeded"},
    )
    synced = {"type": "Ready", "status": "True", "reason": "SecretSynced"}
    api.put_status(
        base.format(group="external-secrets.io/v1beta1", plural="externalsecrets", name="api-db"),
        {"conditions": [synced]},
    )


def _seed_bad(api: RealApiServer) -> None:
    pods = [
        _pod("eco-bad", "api-1", "api", ["api"]),
        _pod("eco-bad", "worker-1", "worker", ["worker"]),  # created before injection was on
    ]
    api.apply([*_case("bad"), *pods], "bad")
    base = "/apis/{group}/namespaces/eco-bad/{plural}/{name}"
    api.put_status(
        base.format(group="flagger.app/v1beta1", plural="canaries", name="api"),
        {"phase": "Failed"},
    )
    failed = {"type": "Ready", "status": "False", "reason": "SecretSyncedError"}
    api.put_status(
        base.format(group="external-secrets.io/v1beta1", plural="externalsecrets", name="api-db"),
        {"conditions": [failed]},
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    with real_apiserver(tmp_path_factory.mktemp("k8s-eco")) as api:
        yield api


def _live_target(api: RealApiServer, namespace: str) -> list[dict[str, Any]]:
    return [{"name": "live", "kubeconfig": str(api.kubeconfig), "namespaces": [namespace]}]


@pytest.fixture(scope="module")
def live_good(
    server: RealApiServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Run before the bad case exists: webhook configurations are cluster-wide."""
    _seed_good(server)
    items = _run(
        tmp_path_factory.mktemp("eco-good"), {"kubernetes": _live_target(server, "eco-good")}
    )
    return {check_id: item for (_, check_id), item in items.items()}


@pytest.fixture(scope="module")
def live_bad(
    server: RealApiServer,
    live_good: dict[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    _seed_bad(server)
    items = _run(
        tmp_path_factory.mktemp("eco-bad"), {"kubernetes": _live_target(server, "eco-bad")}
    )
    return {check_id: item for (_, check_id), item in items.items()}


@pytest.mark.k8s_real
@pytest.mark.parametrize("check_id", CHECKS)
def test_live_the_good_case_passes(live_good: dict[str, dict[str, Any]], check_id: str) -> None:
    item = live_good[check_id]
    assert item["outcome"] == "passed", item["message"]


@pytest.mark.k8s_real
@pytest.mark.parametrize("check_id", [c for c in CHECKS if c != "K8S-RBAC-ENABLED"])
def test_live_the_bad_case_fails_with_evidence_and_remediation(
    live_bad: dict[str, dict[str, Any]], check_id: str
) -> None:
    item = live_bad[check_id]
    assert item["outcome"] == "failed"
    if check_id in BAD:
        assert BAD[check_id] in item["message"]
        assert SETTING[check_id][0] in item["message"]
    if check_id in BAD_LIVE:
        assert BAD_LIVE[check_id] in item["message"]
    assert item["remediation"]
    assert any("object" in (r.get("details") or {}) for r in item["evidence"])


@pytest.mark.k8s_real
def test_live_the_rbac_api_is_served_and_the_bad_case_is_a_server_without_it(
    live_bad: dict[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shared server runs with RBAC (so it passed above); here one runs without."""
    monkeypatch.setenv("K8S_AUTHORIZATION_MODE", "AlwaysAllow")
    monkeypatch.setenv(
        "K8S_RUNTIME_CONFIG",
        "rbac.authorization.k8s.io/v1=false,rbac.authorization.k8s.io/v1beta1=false",
    )
    state = tmp_path_factory.mktemp("k8s-no-rbac")
    with real_apiserver(state) as api:
        items = _run(
            state / "run",
            {"checks": ["K8S-RBAC-ENABLED"], "kubernetes": _live_target(api, "default")},
        )
    item = items["live", "K8S-RBAC-ENABLED"]
    assert item["outcome"] == "failed"
    assert "does not serve rbac.authorization.k8s.io/v1 roles" in item["message"]
    assert "--authorization-mode" in item["remediation"]
    assert item["evidence"][0]["observed"] == "served: none"


@pytest.mark.k8s_real
@pytest.mark.parametrize("check_id", BOTH)
def test_live_and_offline_agree_on_the_manifests_part(
    offline: dict[tuple[str, str], dict[str, Any]],
    live_good: dict[str, dict[str, Any]],
    live_bad: dict[str, dict[str, Any]],
    check_id: str,
) -> None:
    assert offline["good", check_id]["outcome"] == live_good[check_id]["outcome"]
    assert offline["bad", check_id]["outcome"] == live_bad[check_id]["outcome"]


@pytest.mark.k8s_real
def test_live_required_add_ons_that_are_missing_fail(
    server: RealApiServer,
    live_bad: dict[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server.apply(_case("plain"), "plain")
    required: dict[str, Any] = {
        "checks": sorted(set(REQUIRED_BAD) - {"K8S-ADMISSION-WEBHOOKS"}),
        "thresholds": REQUIRED,
        "kubernetes": _live_target(server, "eco-plain"),
    }
    items = _run(tmp_path_factory.mktemp("eco-required"), required)
    for check_id in required["checks"]:
        item = items["live", check_id]
        assert item["outcome"] == "failed", (check_id, item["message"])
        assert all(part in item["message"] for part in REQUIRED_BAD[check_id]), item["message"]


@pytest.mark.parametrize("check_id", ["K8S-MESH-INJECTED", "K8S-MESH-MTLS-STRICT"])
def test_offline_linkerd_namespaces_are_checked_like_istio_ones(
    offline: dict[tuple[str, str], dict[str, Any]], check_id: str
) -> None:
    assert offline["linkerd-good", check_id]["outcome"] == "passed"
    bad = offline["linkerd-bad", check_id]
    assert bad["outcome"] == "failed"
    expected = {
        "K8S-MESH-INJECTED": "eco-linkerd-bad/Deployment/api",
        "K8S-MESH-MTLS-STRICT": "config.linkerd.io/default-inbound-policy=all-unauthenticated",
    }
    assert expected[check_id] in bad["message"]
    assert "linkerd" in bad["remediation"]
