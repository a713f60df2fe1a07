"""Write bad/<CHECK-ID>.yaml: the compliant good/app.yaml with one setting broken per check.

Each case lives in its own namespace ``bad-<check-id>`` so all of them can be created in one
API server. Run from the repository root after changing good/app.yaml or a case:

    python tests/data/k8s-checks/make_bad.py

``tests/plugin/test_k8s_checks_cases.py`` fails when the committed files differ from this output.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
Obj = dict[str, Any]


def _find(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    return next(o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"]))


def _pod(objects: list[Obj]) -> Obj:
    spec: Obj = _find(objects, "Deployment")["spec"]["template"]["spec"]
    return spec


def _api(objects: list[Obj]) -> Obj:
    container: Obj = _pod(objects)["containers"][0]
    return container


def _init(objects: list[Obj]) -> Obj:
    container: Obj = _pod(objects)["initContainers"][0]
    return container


def _drop(objects: list[Obj], kind: str, name: str) -> None:
    objects.remove(_find(objects, kind, name))


def _no_replicas(objects: list[Obj]) -> None:
    _find(objects, "Deployment")["spec"]["replicas"] = 1
    _drop(objects, "HorizontalPodAutoscaler", "api")


def _replicas_fight(objects: list[Obj]) -> None:
    """A fixed replica count beside the HPA, and a second HPA on the same Deployment."""
    _find(objects, "Deployment")["spec"]["replicas"] = 3
    second = copy.deepcopy(_find(objects, "HorizontalPodAutoscaler"))
    second["metadata"]["name"] = "api-memory"
    objects.append(second)


def _privileged(objects: list[Obj]) -> None:
    # the API server rejects privileged together with allowPrivilegeEscalation: false
    _api(objects)["securityContext"] = {
        "privileged": True,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _no_netpol(objects: list[Obj]) -> None:
    _drop(objects, "NetworkPolicy", "api-ingress")
    _find(objects, "NetworkPolicy", "default-deny")["spec"]["podSelector"] = {
        "matchLabels": {"app": "nothing"}
    }


def _cluster_admin(objects: list[Obj]) -> None:
    binding = _find(objects, "RoleBinding")
    binding["roleRef"] = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "cluster-admin",
    }


def _automount(objects: list[Obj]) -> None:
    del _pod(objects)["automountServiceAccountToken"]
    _find(objects, "ServiceAccount")["automountServiceAccountToken"] = True


CASES: dict[str, Callable[[list[Obj]], Any]] = {
    "K8S-PROBE-READINESS": lambda o: _api(o).pop("readinessProbe"),
    "K8S-PROBE-LIVENESS": lambda o: _api(o).pop("livenessProbe"),
    "K8S-PROBE-IDENTICAL": lambda o: _api(o)["livenessProbe"]["httpGet"].update(path="/ready"),
    "K8S-PROBE-STARTUP": lambda o: _api(o).pop("startupProbe"),
    "K8S-RESOURCES": lambda o: _api(o)["resources"]["limits"].pop("memory"),
    "K8S-REPLICAS": _no_replicas,
    "K8S-PDB": lambda o: _find(o, "PodDisruptionBudget")["spec"].update(maxUnavailable=0),
    "K8S-HPA": lambda o: _find(o, "HorizontalPodAutoscaler")["spec"].update(
        minReplicas=1, maxReplicas=1
    ),
    "K8S-HPA-REPLICAS-CONFLICT": _replicas_fight,
    "K8S-SPREAD": lambda o: _pod(o).pop("topologySpreadConstraints"),
    "K8S-IMAGE-TAG": lambda o: _init(o).update(image="registry.example.com/shop/api:latest"),
    "K8S-IMAGE-PULL-POLICY": lambda o: _api(o).update(imagePullPolicy="Never"),
    "K8S-ROLLING-UPDATE": lambda o: _find(o, "Deployment")["spec"].update(
        strategy={"type": "Recreate"}
    ),
    "K8S-ROLLBACK-REVISION": lambda o: _find(o, "Deployment")["spec"].update(
        revisionHistoryLimit=0
    ),
    "K8S-PRESTOP-GRACE": lambda o: _api(o).pop("lifecycle"),
    "K8S-PRIORITY-CLASS": lambda o: _pod(o).pop("priorityClassName"),
    "K8S-SEC-NONROOT": lambda o: _pod(o)["securityContext"].update(runAsNonRoot=False, runAsUser=0),
    "K8S-SEC-RO-ROOTFS": lambda o: _api(o)["securityContext"].update(readOnlyRootFilesystem=False),
    "K8S-SEC-PRIVILEGED": _privileged,
    "K8S-SEC-PRIV-ESCALATION": lambda o: _init(o)["securityContext"].update(
        allowPrivilegeEscalation=True
    ),
    "K8S-SEC-CAPABILITIES": lambda o: _api(o)["securityContext"]["capabilities"].update(
        add=["NET_ADMIN"]
    ),
    "K8S-SEC-SECCOMP": lambda o: _pod(o)["securityContext"].update(
        seccompProfile={"type": "Unconfined"}
    ),
    "K8S-SEC-HOST-NAMESPACES": lambda o: _pod(o).update(hostPID=True),
    "K8S-SEC-HOSTPATH": lambda o: _pod(o).update(
        volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]
    ),
    "K8S-SEC-HOSTPORT": lambda o: _api(o)["ports"][0].update(hostPort=8080),
    "K8S-SA-DEDICATED": lambda o: _pod(o).pop("serviceAccountName"),
    "K8S-SA-AUTOMOUNT": _automount,
    "K8S-NETPOL": _no_netpol,
    "K8S-NETPOL-DEFAULT-DENY": lambda o: _drop(o, "NetworkPolicy", "default-deny"),
    "K8S-NO-PLAINTEXT-SECRETS": lambda o: _api(o)["env"].__setitem__(
        1, {"name": "DB_PASSWORD", "value": "Plain-Text-Pw-4711"}
    ),
    "K8S-PSA-LABELS": lambda o: _find(o, "Namespace")["metadata"]["labels"].update(
        {"pod-security.kubernetes.io/enforce": "privileged"}
    ),
    "K8S-NS-QUOTA": lambda o: _drop(o, "ResourceQuota", "quota"),
    "K8S-NS-LIMITRANGE": lambda o: _drop(o, "LimitRange", "defaults"),
    "K8S-RBAC-CLUSTER-ADMIN": _cluster_admin,
    "K8S-RBAC-SECRETS-WILDCARD": lambda o: _find(o, "Role")["rules"].append(
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}
    ),
    "K8S-INGRESS-TLS": lambda o: _find(o, "Ingress")["spec"].pop("tls"),
    "K8S-INGRESS-RATELIMIT": lambda o: _find(o, "Ingress")["metadata"].pop("annotations"),
    "K8S-REFS-EXIST": lambda o: _drop(o, "Secret", "api-db"),
    "K8S-ENV-REQUIRED": lambda o: _api(o)["env"].pop(0),  # LOG_LEVEL
    "K8S-PROBE-TIMEOUTS": lambda o: _api(o)["livenessProbe"].update(
        periodSeconds=3, failureThreshold=1
    ),
    # offline only: a live API server (1.20) would drop the unknown field, not store it
    "K8S-MANIFESTS-VALID": lambda o: _api(o).__setitem__(
        "readinesProbe", _api(o).pop("readinessProbe")
    ),
}

#: what the cases' profile must state for the checks that are not applicable by default
CASE_THRESHOLDS: dict[str, Any] = {
    "k8s_required_env": {"api": ["LOG_LEVEL", "DB_PASSWORD"]},
    "require_ingress_ratelimit": True,
}


def namespace_of(check_id: str) -> str:
    return "bad-" + check_id.lower().removeprefix("k8s-")


def render(check_id: str) -> str:
    objects = list(yaml.safe_load_all((HERE / "good" / "app.yaml").read_text()))
    CASES[check_id](objects)
    namespace = namespace_of(check_id)
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == "Namespace":
            meta["name"] = namespace
        else:
            meta["namespace"] = namespace
        for subject in obj.get("subjects") or []:
            subject["namespace"] = namespace
    header = f"# Generated by make_bad.py: good/app.yaml with {check_id} broken.\n"
    return header + yaml.safe_dump_all(objects, sort_keys=False)


def main() -> int:
    for check_id in CASES:
        (HERE / "bad" / f"{check_id}.yaml").write_text(render(check_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
