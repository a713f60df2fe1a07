"""The runtime-state Kubernetes checks against a real API server, in a good and a bad state.

Real: kube-apiserver v1.20.2 + etcd (tools/kube-apiserver.sh). No controller, scheduler or
kubelet runs, so the status a cluster would report (nodes Ready, pods Running, rollouts done,
claims Bound, certificates issued) is written through the API's status subresources, as those
components would write it. The same checks against manifests are N/A (see the parity test).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.connectors.kubernetes import RESOURCES, connect
from pytest_readiness.redaction import Redactor
from tests.support.k8s_real import ROOT, RealApiServer, real_apiserver
from tests.support.readiness_runs import run_profile
from tests.support.targets import load_target

pytestmark = [pytest.mark.k8s_real, pytest.mark.integration]

RUNTIME = [
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
    "K8S-ROLLBACK-REVISION",  # its live part: an earlier ReplicaSet to roll back to
]
CRDS = ROOT / "tests" / "data" / "manifests" / "10-cert-manager-crds.yaml"
NS = "rt"
INGRESS_NS = "ingress-nginx"


def _when(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _objects() -> list[dict[str, Any]]:
    container = {"name": "web", "image": "registry.example.com/web:1.0.0"}
    labels = {"app": "web"}
    return [
        *[o for o in yaml.safe_load_all(CRDS.read_text()) if o],
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}},
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "example.com/disk",
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": NS, "labels": labels},
            "spec": {"containers": [container]},
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": NS},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": INGRESS_NS}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cert-manager"}},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "cert-manager-1",
                "namespace": "cert-manager",
                "labels": {
                    "app.kubernetes.io/name": "cert-manager",
                    "app.kubernetes.io/component": "controller",
                },
            },
            "spec": {"containers": [{"name": "controller", "image": "registry.example.com/cm:1"}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "nginx",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "controller-1",
                "namespace": INGRESS_NS,
                "labels": {"app.kubernetes.io/name": "ingress-nginx"},
            },
            "spec": {"containers": [{"name": "controller", "image": "registry.example.com/c:1"}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {
                "rules": [
                    {
                        "host": "web.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 4,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "web-tls", "namespace": NS},
            "spec": {
                "secretName": "web-tls",
                "dnsNames": ["web.example.com"],
                "issuerRef": {"name": "ca"},
            },
        },
    ]


#: created after the pods: the quota admission rejects pods while its usage is not computed
QUOTA_HARD = {"services": "10", "configmaps": "4"}
QUOTA: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ResourceQuota",
    "metadata": {"name": "quota", "namespace": NS},
    "spec": {"hard": QUOTA_HARD},
}


def _ready_pod_status(name: str, ready: bool, restarts: int = 0) -> dict[str, Any]:
    return {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [
            {
                "name": name,
                "ready": ready,
                "restartCount": restarts,
                "image": "x",
                "imageID": "",
                "state": {"running": {}},
            }
        ],
    }


def _set_revisions(api: RealApiServer, healthy: bool) -> None:
    """Deployment web at revision 2; its revision-1 ReplicaSet kept (healthy) or deleted."""
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/web"
    api.update(
        path,
        lambda o: (
            o["metadata"]
            .setdefault("annotations", {})
            .update({"deployment.kubernetes.io/revision": "2"})
        ),
    )
    replica_sets = f"/apis/apps/v1/namespaces/{NS}/replicasets"
    if not healthy:
        api.delete(f"{replica_sets}/web-1")
        return
    if api.session.get(f"{api.url}{replica_sets}/web-1", timeout=30).status_code == 200:
        return
    uid = api.session.get(f"{api.url}{path}", timeout=30).json()["metadata"]["uid"]
    labels = {"app": "web"}
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": uid}
    replica_set = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-1",
            "namespace": NS,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [owner],
        },
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:0.9"}]},
            },
        },
    }
    created = api.session.post(f"{api.url}{replica_sets}", json=replica_set, timeout=30)
    assert created.status_code == 201, created.text


def _set_state(api: RealApiServer, healthy: bool) -> None:
    """Write the status the cluster's components would report: all healthy, or one problem each."""
    _set_revisions(api, healthy)
    pressure = "False" if healthy else "True"
    api.put_status(
        "/api/v1/nodes/node-a",
        {
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "MemoryPressure", "status": pressure},
            ]
        },
    )
    ready = 2 if healthy else 1
    # a Deployment's generation also moves with its annotations (the revision set above)
    deployment = f"{api.url}/apis/apps/v1/namespaces/{NS}/deployments/web"
    generation = api.session.get(deployment, timeout=30).json()["metadata"]["generation"]
    api.put_status(
        f"/apis/apps/v1/namespaces/{NS}/deployments/web",
        {
            "observedGeneration": generation,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": ready,
            "availableReplicas": ready,
        },
    )
    api.put_status(
        f"/api/v1/namespaces/{NS}/pods/web-1",
        _ready_pod_status("web", ready=True, restarts=0 if healthy else 9),
    )
    for namespace, pod in ((INGRESS_NS, "controller-1"), ("cert-manager", "cert-manager-1")):
        api.put_status(
            f"/api/v1/namespaces/{namespace}/pods/{pod}",
            _ready_pod_status("controller", ready=healthy),
        )
    hard = QUOTA_HARD
    used = {"services": "1", "configmaps": "1" if healthy else "4"}
    api.put_status(f"/api/v1/namespaces/{NS}/resourcequotas/quota", {"hard": hard, "used": used})
    scaling = [
        {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"},
        {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"},
        {
            "type": "ScalingLimited",
            "status": "False" if healthy else "True",
            "reason": "DesiredWithinRange" if healthy else "TooManyReplicas",
        },
    ]
    replicas = 2 if healthy else 4
    api.put_status(
        f"/apis/autoscaling/v2beta2/namespaces/{NS}/horizontalpodautoscalers/web",
        {"currentReplicas": replicas, "desiredReplicas": replicas, "conditions": scaling},
    )
    api.put_status(
        f"/api/v1/namespaces/{NS}/persistentvolumeclaims/data",
        {"phase": "Bound" if healthy else "Pending"},
    )
    annotations = {"storageclass.kubernetes.io/is-default-class": "true" if healthy else "false"}
    api.update(
        "/apis/storage.k8s.io/v1/storageclasses/standard",
        lambda o: o["metadata"].update(annotations=annotations),
    )
    status = {
        "conditions": [{"type": "Ready", "status": "True"}],
        "notAfter": _when(90 if healthy else 3),
    }
    api.update(
        f"/apis/cert-manager.io/v1/namespaces/{NS}/certificates/web-tls",
        lambda o: o.update(status=status),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    with real_apiserver(tmp_path_factory.mktemp("k8s-live")) as api:
        api.apply(_objects(), "runtime")
        api.apply([dict(QUOTA)], "quota")
        yield api


def _run(
    api: RealApiServer,
    project: Path,
    thresholds: dict[str, Any],
    checks: list[str] = RUNTIME,
    namespace: str = NS,
) -> dict[str, dict[str, Any]]:
    target = {"name": "live", "kubeconfig": str(api.kubeconfig), "namespaces": [namespace]}
    profile = {"checks": checks, "thresholds": thresholds, "kubernetes": [target]}
    run = run_profile(project, profile)
    return {check_id: item for (_, check_id), item in run.by_target().items()}


def test_runtime_checks_pass_on_a_healthy_cluster(server: RealApiServer, tmp_path: Path) -> None:
    _set_state(server, healthy=True)
    # 1.20 is long out of upstream support: the profile records a vendor's extended date
    thresholds = {
        "min_k8s_version": "1.20",
        "k8s_end_of_support": {"1.20": "2099-12-31"},
        "require_cert_manager": True,
    }
    items = _run(server, tmp_path, thresholds)
    assert {k: v["outcome"] for k, v in items.items()} == dict.fromkeys(RUNTIME, "passed"), {
        k: v["message"] for k, v in items.items() if v["outcome"] != "passed"
    }


EXPECTED_BAD = {
    "K8S-VERSION-MIN": "v1.20.2",
    "K8S-NODES-READY": "Node/node-a",
    "K8S-PODS-READY": f"{NS}/Pod/web-1/web",
    "K8S-ROLLOUT-COMPLETE": f"{NS}/Deployment/web",
    "K8S-STORAGECLASS": "default: none",
    "K8S-PVC-BOUND": f"{NS}/PersistentVolumeClaim/data",
    "K8S-CERTMANAGER-READY": f"{NS}/Certificate/web-tls",
    "K8S-VERSION-SUPPORTED": "support ended or ends 2022-02-28 (upstream)",
    "K8S-QUOTA-USAGE": f"{NS}/ResourceQuota/quota: status.used.configmaps=4 of 4 (100%)",
    "K8S-INGRESS-CONTROLLER": "IngressClass/nginx: controller=0 Ready of 1 pods",
    "K8S-HPA-HEADROOM": f"{NS}/HorizontalPodAutoscaler/web: currentReplicas=4",
    "K8S-ROLLBACK-REVISION": f"{NS}/Deployment/web: ReplicaSet of an earlier revision=none",
}


def test_runtime_checks_fail_on_an_unhealthy_cluster_naming_the_object(
    server: RealApiServer, tmp_path: Path
) -> None:
    _set_state(server, healthy=False)
    items = _run(server, tmp_path, {"min_k8s_version": "1.21", "require_cert_manager": True})
    assert {k: v["outcome"] for k, v in items.items()} == dict.fromkeys(RUNTIME, "failed")
    for check_id, named in EXPECTED_BAD.items():
        assert named in items[check_id]["message"], (check_id, items[check_id]["message"])
    cert_manager = "Deployment/cert-manager: controller=0 Ready of 1 pods"
    assert cert_manager in items["K8S-CERTMANAGER-READY"]["message"]


SSA = "ssa"


def _deployment(name: str, replicas: int | None) -> dict[str, Any]:
    labels = {"app": name}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": name, "image": "registry.example.com/a:1"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    meta = {"name": name, "namespace": SSA}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def _hpa(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2beta2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": SSA},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 4,
        },
    }


def test_a_replica_count_fight_is_read_from_server_side_apply_records(
    server: RealApiServer, tmp_path: Path
) -> None:
    """Server-side apply records what the configuration declared: spec.replicas set by it
    fights the HPA, one the server defaulted does not; an object only ever written by plain
    updates (as Helm writes) has no such record, which the evidence says."""
    applied = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SSA}},
        _deployment("fixed", 3),
        _deployment("free", None),
        *(_hpa(n) for n in ("fixed", "free", "updated")),
    ]
    path = tmp_path / "ssa.yaml"
    path.write_text(yaml.safe_dump_all(applied))
    kubectl = ["kubectl", f"--kubeconfig={server.kubeconfig}", "--request-timeout=60s"]
    done = subprocess.run(
        [*kubectl, "apply", "--server-side", "-f", str(path)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    created = server.session.post(
        f"{server.url}/apis/apps/v1/namespaces/{SSA}/deployments",
        json=_deployment("updated", None),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    project = tmp_path / "run"
    project.mkdir()
    items = _run(server, project, {}, checks=["K8S-HPA-REPLICAS-CONFLICT"], namespace=SSA)
    item = items["K8S-HPA-REPLICAS-CONFLICT"]
    assert item["outcome"] == "failed"
    assert f"{SSA}/Deployment/fixed: spec.replicas=3" in item["message"]
    assert f"{SSA}/Deployment/free" not in item["message"]
    unknown = [r for r in item["evidence"] if r["label"].endswith("declared replicas unknown")]
    assert [r["details"]["object"] for r in unknown] == [f"{SSA}/Deployment/updated"]


def test_the_facade_lifts_the_namespace_scope_and_tells_served_apis(
    server: RealApiServer,
) -> None:
    """What the controller checks rely on: pods of every namespace on request, and whether
    an API (cert-manager's CRD) is served."""
    target = load_target(
        "kubernetes", "facade", timeout=10, kubeconfig=str(server.kubeconfig), namespaces=[NS]
    )
    cluster = connect(target, Redactor())
    try:
        scoped = {p["metadata"]["namespace"] for p in cluster.objects(RESOURCES["pods"])}
        every = cluster.objects(RESOURCES["pods"], every_namespace=True)
        assert scoped == {NS}
        assert {INGRESS_NS, "cert-manager", NS} <= {p["metadata"]["namespace"] for p in every}
        assert cluster.serves("cert-manager.io", "v1", "certificates")
        assert not cluster.serves("cert-manager.io", "v1", "widgets")
        assert not cluster.serves("example.invalid", "v1", "certificates")
    finally:
        cluster.close()
