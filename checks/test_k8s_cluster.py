"""Kubernetes cluster: version, nodes, rollout state, namespaces, quotas, storage, ingress,
autoscaling, certificates, RBAC.

Checks of runtime state (nodes, pods, rollouts, PVCs, quota usage, autoscaler status, ingress
controllers, certificates, the server version and its support) need a live API server: against
rendered manifests they are skipped as not applicable and say so. Controllers (ingress,
cert-manager) are looked for in every namespace, beyond the target's ``namespaces``, so those
checks need the right to list pods cluster-wide.
Namespace guards and RBAC are read from manifests as well; an offline run also validates every
manifest against the Kubernetes schemas.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from ._k8s import (
    Finding,
    app_namespaces,
    listed,
    live_only,
    message,
    pod_ready,
    pods_everywhere,
    quantity,
    record,
    selects,
    subject,
    workloads,
)

DOMAIN = "kubernetes"
TARGET_KIND = "kubernetes"
THRESHOLDS = {
    "K8S-VERSION-MIN": {"min_k8s_version": "1.33"},
    "K8S-VERSION-SUPPORTED": {"k8s_end_of_support": {}, "support_margin_days": 0},
    "K8S-QUOTA-USAGE": {"max_quota_usage_percent": 90},
    "K8S-INGRESS-CONTROLLER": {"ingress_controller_labels": {}},
    "K8S-PODS-READY": {"max_restarts": 5},
    "K8S-PSA-LABELS": {"psa_level": "restricted"},
    "K8S-CERTMANAGER-READY": {"cert_min_days": 14, "require_cert_manager": False},
    "K8S-MANIFESTS-VALID": {"k8s_schema_version": "1.30.0"},
}
SECTION = "Kubernetes cluster"
_BUILTIN_ROLES = {"cluster-admin", "admin", "edit", "view"}


def _version(text: str) -> tuple[int, int]:
    match = re.match(r"v?(\d+)\.(\d+)", str(text))
    if not match:
        raise ValueError(f"not a Kubernetes version: {text!r}")
    return int(match.group(1)), int(match.group(2))


@pytest.mark.critical(
    id="K8S-VERSION-MIN",
    section=SECTION,
    remediation="Upgrade the control plane (one minor version at a time) to a supported release.",
    docs="https://kubernetes.io/releases/",
)
def test_k8s_server_runs_a_supported_version(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """The API server runs at least the minimum Kubernetes version.

    The server's /version (major.minor) is at least ``min_k8s_version``.
    """
    live_only(k8s_api)
    minimum = str(
        readiness.threshold("min_k8s_version", THRESHOLDS["K8S-VERSION-MIN"]["min_k8s_version"])
    )
    version = k8s_api.server_version() or {}
    observed = str(version.get("gitVersion") or f"{version.get('major')}.{version.get('minor')}")
    evidence("server version", observed=observed, expected=f">= {minimum}")
    assert _version(observed) >= _version(minimum), (
        f"Kubernetes {observed} is older than {minimum}. Upgrade the cluster."
    )


#: End of upstream support (patch releases) of each minor version, from kubernetes.io/releases.
#: A minor older than the oldest here is past it; one newer than the newest is not.
END_OF_SUPPORT = {
    "1.19": "2021-10-28",
    "1.20": "2022-02-28",
    "1.21": "2022-06-28",
    "1.22": "2022-10-28",
    "1.23": "2023-02-28",
    "1.24": "2023-07-28",
    "1.25": "2023-10-28",
    "1.26": "2024-02-28",
    "1.27": "2024-06-28",
    "1.28": "2024-10-28",
    "1.29": "2025-02-28",
    "1.30": "2025-07-15",
    "1.31": "2025-10-28",
    "1.32": "2026-02-28",
    "1.33": "2026-06-28",
    "1.34": "2026-10-27",
    "1.35": "2027-02-28",
    "1.36": "2027-06-28",
}


def end_of_support(minor: tuple[int, int], overrides: dict[str, Any]) -> tuple[date | None, str]:
    """The end of support of a minor version and where that date comes from.

    None: newer than every release known here (so still supported).
    """
    table = {_version(k): (str(v), "upstream") for k, v in END_OF_SUPPORT.items()}
    table.update({_version(k): (str(v), "profile") for k, v in overrides.items()})
    if minor in table:
        text, origin = table[minor]
        return date.fromisoformat(text), origin
    if minor < min(table):
        return date.min, "older than every release known"
    return None, "newer than every release known"


@pytest.mark.nice_to_have(
    id="K8S-VERSION-SUPPORTED",
    section=SECTION,
    remediation="Plan the upgrade to a minor version still in support (or record the vendor's extended support date in thresholds.k8s_end_of_support).",
    docs="https://kubernetes.io/releases/",
)
def test_k8s_server_version_is_still_supported(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """The API server's minor version has not reached its end of support.

    A warning: upstream patch support of the server's major.minor ends more than
    ``support_margin_days`` days from today. The dates are upstream's; a managed cluster
    with extended support sets its own per minor in ``k8s_end_of_support`` (e.g.
    ``{"1.30": "2026-07-23"}``).
    """
    live_only(k8s_api)
    overrides = readiness.threshold(
        "k8s_end_of_support", THRESHOLDS["K8S-VERSION-SUPPORTED"]["k8s_end_of_support"]
    )
    margin = int(
        readiness.threshold(
            "support_margin_days", THRESHOLDS["K8S-VERSION-SUPPORTED"]["support_margin_days"]
        )
    )
    version = k8s_api.server_version() or {}
    observed = str(version.get("gitVersion") or f"{version.get('major')}.{version.get('minor')}")
    minor = _version(observed)
    ends, origin = end_of_support(minor, dict(overrides or {}))
    horizon = datetime.now(timezone.utc).date() + timedelta(days=margin)
    shown = "unknown" if ends is None else ("long past" if ends == date.min else ends.isoformat())
    evidence(
        f"Kubernetes {minor[0]}.{minor[1]} end of support",
        observed=f"{shown} ({origin})",
        expected=f"after {horizon.isoformat()}",
    )
    assert ends is None or ends > horizon, (
        f"Kubernetes {observed}: support ended or ends {shown} ({origin}), "
        f"before {horizon.isoformat()}. Upgrade to a supported minor version."
    )


@pytest.mark.critical(
    id="K8S-NODES-READY",
    section=SECTION,
    remediation="Fix or replace the NotReady nodes (kubectl describe node) and relieve the pressure conditions.",
    docs="https://kubernetes.io/docs/concepts/architecture/nodes/#condition",
)
def test_k8s_nodes_are_ready_without_pressure(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Every node is Ready, schedulable and under no pressure.

    Each Node has condition Ready=True, no MemoryPressure, DiskPressure or PIDPressure, and is
    not cordoned. A cluster without nodes fails: nothing could run.
    """
    live_only(k8s_api)
    nodes = listed(k8s_api, "nodes")
    findings = []
    for node in nodes:
        conditions = {
            c.get("type"): c.get("status")
            for c in (node.get("status") or {}).get("conditions") or []
        }
        bad = (
            [f"Ready={conditions.get('Ready', 'unknown')}"]
            if conditions.get("Ready") != "True"
            else []
        )
        bad += [
            k
            for k in ("MemoryPressure", "DiskPressure", "PIDPressure")
            if conditions.get(k) == "True"
        ]
        bad += ["cordoned"] if (node.get("spec") or {}).get("unschedulable") else []
        if bad:
            findings.append(
                Finding(
                    subject(k8s_api, node), None, "status", ", ".join(bad), "Ready, no pressure"
                )
            )
    evidence("nodes", observed=len(nodes), expected=">= 1")
    assert nodes, "The cluster has no nodes. Add nodes (or check the namespaces/credentials used)."
    offenders = record(
        evidence, k8s_api, "K8S-NODES-READY", findings, len(nodes), "nodes", readiness=readiness
    )
    assert not offenders, message(offenders, "nodes are not healthy", "Fix the nodes.")


@pytest.mark.critical(
    id="K8S-PODS-READY",
    section=SECTION,
    remediation="Find why the pods are not Ready or restart (kubectl describe pod / logs --previous) and fix the cause.",
    docs="https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/",
)
def test_k8s_pods_are_ready_and_stable(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Pods are Running and Ready, with few restarts.

    Every pod in scope that has not completed is Running with condition Ready=True, and no
    container restarted more than ``max_restarts`` times.
    """
    live_only(k8s_api)
    limit = int(readiness.threshold("max_restarts", THRESHOLDS["K8S-PODS-READY"]["max_restarts"]))
    pods = [
        p for p in listed(k8s_api, "pods") if (p.get("status") or {}).get("phase") != "Succeeded"
    ]
    findings = []
    for pod in pods:
        status = pod.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if status.get("phase") != "Running" or not ready:
            findings.append(
                Finding(
                    subject(k8s_api, pod),
                    None,
                    "status",
                    f"{status.get('phase')}, ready={ready}",
                    "Running, Ready",
                )
            )
        for container in status.get("containerStatuses") or []:
            if int(container.get("restartCount") or 0) > limit:
                findings.append(
                    Finding(
                        subject(k8s_api, pod),
                        container.get("name"),
                        "restartCount",
                        container.get("restartCount"),
                        f"<= {limit}",
                    )
                )
    offenders = record(
        evidence, k8s_api, "K8S-PODS-READY", findings, len(pods), "pods", readiness=readiness
    )
    assert not offenders, message(offenders, "pod problems", "Fix the failing pods.")


@pytest.mark.critical(
    id="K8S-ROLLOUT-COMPLETE",
    section=SECTION,
    remediation="Finish or roll back the rollout (kubectl rollout status / undo) and fix what keeps replicas unavailable.",
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status",
)
def test_k8s_rollouts_are_complete(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Deployments and StatefulSets are fully rolled out and available.

    The controller has observed the latest generation, and updated, ready and available
    replicas all equal the desired replicas.
    """
    live_only(k8s_api)
    items = [w for w in workloads(k8s_api) if w.kind in ("Deployment", "StatefulSet")]
    findings = []
    for workload in items:
        status = workload.obj.get("status") or {}
        generation = (workload.obj.get("metadata") or {}).get("generation") or 0
        counts = {
            "observedGeneration": status.get("observedGeneration") or 0,
            "updatedReplicas": status.get("updatedReplicas") or 0,
            "readyReplicas": status.get("readyReplicas") or 0,
        }
        if workload.kind == "Deployment":
            counts["availableReplicas"] = status.get("availableReplicas") or 0
        want = workload.replicas
        if counts["observedGeneration"] < generation or any(
            v != want for k, v in counts.items() if k != "observedGeneration"
        ):
            findings.append(
                Finding(
                    workload,
                    None,
                    "status",
                    counts,
                    f"generation {generation}, {want} replicas everywhere",
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-ROLLOUT-COMPLETE",
        findings,
        len(items),
        "Deployments and StatefulSets",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "rollouts are incomplete", "Finish or undo the rollouts."
    )


def _namespace_findings(k8s_api: Any, plural: str, setting: str) -> tuple[list[Finding], int]:
    present = {(o.get("metadata") or {}).get("namespace") for o in listed(k8s_api, plural)}
    namespaces = app_namespaces(k8s_api)
    findings = [
        Finding(
            subject(k8s_api, {"kind": "Namespace", "metadata": {"name": n}}),
            None,
            setting,
            "none",
            "one",
        )
        for n in namespaces
        if n not in present
    ]
    return findings, len(namespaces)


@pytest.mark.important(
    id="K8S-PSA-LABELS",
    section=SECTION,
    remediation="Label each application namespace pod-security.kubernetes.io/enforce=<psa_level> (restricted by default).",
    docs="https://kubernetes.io/docs/concepts/security/pod-security-admission/",
)
def test_k8s_namespaces_enforce_pod_security(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Application namespaces enforce a Pod Security Standard.

    Every namespace running workloads (or named in the target's namespaces) carries the label
    pod-security.kubernetes.io/enforce at ``psa_level`` or stricter; offline, a namespace
    without a Namespace object in the manifests cannot show the label and fails.
    """
    level = str(readiness.threshold("psa_level", THRESHOLDS["K8S-PSA-LABELS"]["psa_level"]))
    allowed = {"restricted"} if level == "restricted" else {"restricted", "baseline"}
    objects = {(n.get("metadata") or {}).get("name"): n for n in listed(k8s_api, "namespaces")}
    namespaces = app_namespaces(k8s_api)
    findings = []
    for name in namespaces:
        obj = objects.get(name) or {"kind": "Namespace", "metadata": {"name": name}}
        labels = (obj.get("metadata") or {}).get("labels") or {}
        enforce = labels.get("pod-security.kubernetes.io/enforce")
        if enforce not in allowed:
            shown = enforce if name in objects else "no Namespace object"
            findings.append(
                Finding(
                    subject(k8s_api, obj),
                    None,
                    "pod-security.kubernetes.io/enforce",
                    shown,
                    " or ".join(sorted(allowed)),
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PSA-LABELS",
        findings,
        len(namespaces),
        "application namespaces",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "namespaces do not enforce pod security", f"Label them enforce={level}."
    )


@pytest.mark.important(
    id="K8S-NS-QUOTA",
    section=SECTION,
    remediation="Add a ResourceQuota to each application namespace (requests/limits of cpu and memory, pod count).",
    docs="https://kubernetes.io/docs/concepts/policy/resource-quotas/",
)
def test_k8s_namespaces_have_resource_quotas(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Application namespaces have a ResourceQuota.

    Every namespace running workloads (or named in the target's namespaces) has at least one
    ResourceQuota, so one application cannot take the whole cluster.
    """
    findings, checked = _namespace_findings(k8s_api, "resourcequotas", "ResourceQuota")
    offenders = record(
        evidence,
        k8s_api,
        "K8S-NS-QUOTA",
        findings,
        checked,
        "application namespaces",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "namespaces have no quota", "Add a ResourceQuota.")


@pytest.mark.important(
    id="K8S-QUOTA-USAGE",
    section=SECTION,
    remediation="Raise the ResourceQuota's hard limits (or free resources) before deploying; a full quota rejects new pods, including a rollout's.",
    docs="https://kubernetes.io/docs/concepts/policy/resource-quotas/#viewing-and-setting-quotas",
)
def test_k8s_resource_quotas_have_room(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """ResourceQuotas have room left.

    For every ResourceQuota in scope, each resource's status.used is below
    ``max_quota_usage_percent`` of its hard limit (a hard limit of 0 is a deliberate ban and
    is not counted). A quota whose usage the API server has not computed fails. Not applicable
    where no ResourceQuota exists (K8S-NS-QUOTA asks for them).
    """
    live_only(k8s_api)
    limit = float(
        readiness.threshold(
            "max_quota_usage_percent", THRESHOLDS["K8S-QUOTA-USAGE"]["max_quota_usage_percent"]
        )
    )
    quotas = listed(k8s_api, "resourcequotas")
    findings = []
    for quota in quotas:
        who = subject(k8s_api, quota)
        status = quota.get("status") or {}
        hard = status.get("hard") or (quota.get("spec") or {}).get("hard") or {}
        used = status.get("used")
        if used is None:
            findings.append(Finding(who, None, "status.used", None, "computed by the API server"))
            continue
        for resource, cap in sorted(hard.items()):
            cap_value, used_value = quantity(cap), quantity(used.get(resource, "0"))
            if cap_value <= 0:
                continue
            percent = 100 * used_value / cap_value
            if percent >= limit:
                findings.append(
                    Finding(
                        who,
                        None,
                        f"status.used.{resource}",
                        f"{used.get(resource)} of {cap} ({percent:.0f}%)",
                        f"< {limit:g}% of hard",
                    )
                )
    offenders = record(
        evidence, k8s_api, "K8S-QUOTA-USAGE", findings, len(quotas), "quotas", readiness
    )
    assert not offenders, message(offenders, "quotas are (nearly) full", "Raise the limits.")


@pytest.mark.nice_to_have(
    id="K8S-NS-LIMITRANGE",
    section=SECTION,
    remediation="Add a LimitRange with default requests and limits to each application namespace.",
    docs="https://kubernetes.io/docs/concepts/policy/limit-range/",
)
def test_k8s_namespaces_have_limit_ranges(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Application namespaces have a LimitRange.

    Every namespace running workloads (or named in the target's namespaces) has a LimitRange
    giving containers default requests and limits.
    """
    findings, checked = _namespace_findings(k8s_api, "limitranges", "LimitRange")
    offenders = record(
        evidence,
        k8s_api,
        "K8S-NS-LIMITRANGE",
        findings,
        checked,
        "application namespaces",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "namespaces have no LimitRange", "Add a LimitRange.")


@pytest.mark.important(
    id="K8S-STORAGECLASS",
    section=SECTION,
    remediation='Mark one StorageClass default: annotation storageclass.kubernetes.io/is-default-class: "true".',
    docs="https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass",
)
def test_k8s_cluster_has_a_default_storage_class(k8s_api: Any, evidence: Any) -> None:
    """The cluster has a default StorageClass.

    At least one StorageClass exists and exactly one carries
    storageclass.kubernetes.io/is-default-class=true.
    """
    live_only(k8s_api)
    classes = listed(k8s_api, "storageclasses")
    default = [
        (c.get("metadata") or {}).get("name")
        for c in classes
        if ((c.get("metadata") or {}).get("annotations") or {}).get(
            "storageclass.kubernetes.io/is-default-class"
        )
        == "true"
    ]
    evidence("default StorageClass", observed=default, expected="exactly one")
    assert len(default) == 1, (
        f"{len(classes)} StorageClasses, default: {default or 'none'}. Mark exactly one as default."
    )


def _controller_pods(k8s_api: Any, labels: dict[str, str]) -> str | None:
    """None when a pod with ``labels`` is Ready in any namespace, else what was found."""
    matching = [
        p
        for p in pods_everywhere(k8s_api)
        if selects({"matchLabels": labels}, (p.get("metadata") or {}).get("labels") or {})
    ]
    ready = sum(1 for p in matching if pod_ready(p))
    return None if ready else f"{ready} Ready of {len(matching)} pods labelled {labels}"


#: Pod labels of well-known ingress controllers, by the IngressClass's spec.controller.
CONTROLLER_LABELS = {
    "k8s.io/ingress-nginx": {"app.kubernetes.io/name": "ingress-nginx"},
    "nginx.org/ingress-controller": {"app.kubernetes.io/name": "nginx-ingress"},
    "traefik.io/ingress-controller": {"app.kubernetes.io/name": "traefik"},
    "ingress.k8s.aws/alb": {"app.kubernetes.io/name": "aws-load-balancer-controller"},
}
_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"


def _ingress_class(ingress: dict[str, Any], default: str | None) -> str | None:
    named = (ingress.get("spec") or {}).get("ingressClassName")
    legacy = ((ingress.get("metadata") or {}).get("annotations") or {}).get(
        "kubernetes.io/ingress.class"
    )
    return str(named or legacy or default or "") or None


@pytest.mark.important(
    id="K8S-INGRESS-CONTROLLER",
    section=SECTION,
    remediation="Install an ingress controller (or fix its pods) and give every Ingress an existing ingressClassName (or mark one IngressClass default).",
    docs="https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/",
)
def test_k8s_an_ingress_controller_serves_the_ingresses(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """An ingress controller is running for the Ingresses.

    Every Ingress in scope names an existing IngressClass (spec.ingressClassName, the legacy
    annotation, or the default class), and every IngressClass in use (all of them when no
    Ingress is in scope) has at least one Ready controller pod in any namespace. Controller
    pods are found by their labels: known ones for ingress-nginx, NGINX Inc, Traefik and the
    AWS Load Balancer Controller, others from ``ingress_controller_labels``
    (``{controller: {label: value}}``). Not applicable without Ingresses and IngressClasses.
    """
    live_only(k8s_api)
    labels_of = dict(CONTROLLER_LABELS)
    labels_of.update(
        readiness.threshold(
            "ingress_controller_labels",
            THRESHOLDS["K8S-INGRESS-CONTROLLER"]["ingress_controller_labels"],
        )
        or {}
    )
    classes = {
        str((c.get("metadata") or {}).get("name")): c for c in listed(k8s_api, "ingressclasses")
    }
    defaults = [
        name
        for name, c in classes.items()
        if ((c.get("metadata") or {}).get("annotations") or {}).get(_DEFAULT_CLASS) == "true"
    ]
    ingresses = listed(k8s_api, "ingresses")
    findings = []
    used = set()
    for ingress in ingresses:
        name = _ingress_class(ingress, defaults[0] if len(defaults) == 1 else None)
        if name in classes:
            used.add(name)
        else:
            observed = name or "unset, and no single default IngressClass"
            findings.append(
                Finding(
                    subject(k8s_api, ingress),
                    None,
                    "spec.ingressClassName",
                    observed,
                    "an existing IngressClass",
                )
            )
    for name in sorted(used if ingresses else classes):
        controller = str((classes[name].get("spec") or {}).get("controller"))
        wanted = labels_of.get(controller)
        problem = (
            _controller_pods(k8s_api, wanted)
            if wanted
            else f"controller {controller}: pod labels unknown"
        )
        if problem is None:
            continue
        expected = (
            ">= 1 Ready controller pod"
            if wanted
            else "its pod labels in thresholds.ingress_controller_labels"
        )
        findings.append(
            Finding(subject(k8s_api, classes[name]), None, "controller", problem, expected)
        )
    checked = len(ingresses) + len(used if ingresses else classes)
    offenders = record(
        evidence,
        k8s_api,
        "K8S-INGRESS-CONTROLLER",
        findings,
        checked,
        "Ingresses and classes",
        readiness,
    )
    assert not offenders, message(
        offenders, "Ingresses have no running controller", "Run the ingress controller."
    )


@pytest.mark.important(
    id="K8S-HPA-HEADROOM",
    section=SECTION,
    remediation="Raise the HPA's maxReplicas (and the quota and nodes behind it), or fix what keeps ScalingActive False (usually missing metrics or requests).",
    docs="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#appendix-horizontal-pod-autoscaler-status-conditions",
)
def test_k8s_autoscalers_are_active_and_below_their_maximum(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """HorizontalPodAutoscalers are active and not stuck at their maximum.

    Every HPA in scope reports a status (the controller has evaluated it), condition
    ScalingActive is not False (it can read its metrics), and currentReplicas is below
    maxReplicas: an HPA at its maximum has no room left for the next peak.
    """
    live_only(k8s_api)
    hpas = listed(k8s_api, "horizontalpodautoscalers")
    findings = []
    for hpa in hpas:
        who = subject(k8s_api, hpa)
        status = hpa.get("status") or {}
        conditions = {c.get("type"): c for c in status.get("conditions") or []}
        maximum = int((hpa.get("spec") or {}).get("maxReplicas") or 0)
        if not conditions and "currentReplicas" not in status:
            findings.append(Finding(who, None, "status", None, "evaluated by the autoscaler"))
            continue
        active = conditions.get("ScalingActive") or {}
        if active.get("status") == "False":
            reason = active.get("reason") or "no reason given"
            findings.append(Finding(who, None, "ScalingActive", f"False: {reason}", "True"))
        current = int(status.get("currentReplicas") or 0)
        if current >= maximum:
            findings.append(
                Finding(who, None, "currentReplicas", current, f"< maxReplicas {maximum}")
            )
    offenders = record(
        evidence, k8s_api, "K8S-HPA-HEADROOM", findings, len(hpas), "autoscalers", readiness
    )
    assert not offenders, message(
        offenders, "autoscalers cannot scale further", "Raise maxReplicas or fix the metrics."
    )


@pytest.mark.critical(
    id="K8S-PVC-BOUND",
    section=SECTION,
    remediation="Check the claim's StorageClass and events (kubectl describe pvc) until it is Bound.",
    docs="https://kubernetes.io/docs/concepts/storage/persistent-volumes/",
)
def test_k8s_volume_claims_are_bound(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """PersistentVolumeClaims are Bound.

    Every PersistentVolumeClaim in scope has status.phase Bound.
    """
    live_only(k8s_api)
    claims = listed(k8s_api, "persistentvolumeclaims")
    findings = [
        Finding(
            subject(k8s_api, c), None, "status.phase", (c.get("status") or {}).get("phase"), "Bound"
        )
        for c in claims
        if (c.get("status") or {}).get("phase") != "Bound"
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PVC-BOUND",
        findings,
        len(claims),
        "volume claims",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "claims are not bound", "Bind the claims.")


CERT_MANAGER_LABELS = {
    "app.kubernetes.io/name": "cert-manager",
    "app.kubernetes.io/component": "controller",
}


def _cert_manager_missing(k8s_api: Any) -> list[Finding]:
    """A finding when cert-manager is not installed or its controller is not running."""
    who = subject(k8s_api, {"kind": "Deployment", "metadata": {"name": "cert-manager"}})
    if not k8s_api.serves("cert-manager.io", "v1", "certificates"):
        return [
            Finding(who, None, "certificates.cert-manager.io", "not served", "cert-manager CRDs")
        ]
    observed = _controller_pods(k8s_api, CERT_MANAGER_LABELS)
    if observed is None:
        return []
    return [Finding(who, None, "controller", observed, ">= 1 Ready cert-manager controller pod")]


@pytest.mark.important(
    id="K8S-CERTMANAGER-READY",
    section=SECTION,
    remediation="Fix the failing Certificates (kubectl describe certificate / certificaterequest) so they renew before expiry.",
    docs="https://cert-manager.io/docs/usage/certificate/",
)
def test_k8s_certificates_are_ready_and_not_expiring(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """cert-manager Certificates are Ready and not about to expire.

    Every cert-manager Certificate in scope has condition Ready=True and a notAfter more than
    ``cert_min_days`` days away. With ``require_cert_manager: true`` cert-manager itself must
    be present: its Certificate API served and a Ready controller pod (labelled
    app.kubernetes.io/name=cert-manager, component controller) in any namespace. Not
    applicable where no Certificate exists and cert-manager is not required.
    """
    live_only(k8s_api)
    days = int(
        readiness.threshold("cert_min_days", THRESHOLDS["K8S-CERTMANAGER-READY"]["cert_min_days"])
    )
    required = bool(
        readiness.threshold(
            "require_cert_manager", THRESHOLDS["K8S-CERTMANAGER-READY"]["require_cert_manager"]
        )
    )
    certificates = k8s_api.custom_objects("cert-manager.io", "v1", "certificates")
    horizon = datetime.now(timezone.utc) + timedelta(days=days)
    findings = _cert_manager_missing(k8s_api) if required else []
    for cert in certificates:
        status = cert.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        not_after = status.get("notAfter")
        expires = (
            datetime.fromisoformat(str(not_after).replace("Z", "+00:00")) if not_after else None
        )
        if not ready or expires is None or expires < horizon:
            findings.append(
                Finding(
                    subject(k8s_api, cert),
                    None,
                    "status",
                    f"ready={ready}, notAfter={not_after}",
                    f"Ready, notAfter > {days} days",
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-CERTMANAGER-READY",
        findings,
        len(certificates) + int(required),
        "cert-manager Certificates",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "certificates are not ready or expire soon", "Renew them."
    )


def _is_app_subject(subject_: dict[str, Any], binding_namespace: str | None) -> bool:
    namespace = subject_.get("namespace") or binding_namespace or ""
    return subject_.get("kind") == "ServiceAccount" and not str(namespace).startswith("kube-")


@pytest.mark.critical(
    id="K8S-RBAC-CLUSTER-ADMIN",
    section=SECTION,
    remediation="Bind the application's ServiceAccount to a Role with only the verbs and resources it needs.",
    docs="https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
)
def test_k8s_no_app_service_account_is_cluster_admin(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """No application service account is bound to cluster-admin.

    No ClusterRoleBinding or RoleBinding grants the cluster-admin ClusterRole to a
    ServiceAccount outside the kube-* namespaces.
    """
    bindings = listed(k8s_api, "clusterrolebindings") + listed(k8s_api, "rolebindings")
    findings = []
    for binding in bindings:
        ref = binding.get("roleRef") or {}
        if ref.get("kind") != "ClusterRole" or ref.get("name") != "cluster-admin":
            continue
        namespace = (binding.get("metadata") or {}).get("namespace")
        for account in binding.get("subjects") or []:
            if _is_app_subject(account, namespace):
                who = (
                    f"{account.get('namespace') or namespace}/ServiceAccount/{account.get('name')}"
                )
                findings.append(
                    Finding(
                        subject(k8s_api, binding),
                        None,
                        "subjects",
                        who,
                        "no application ServiceAccount",
                    )
                )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-RBAC-CLUSTER-ADMIN",
        findings,
        len(bindings),
        "role bindings",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "bindings make application accounts cluster-admin", "Bind a narrower Role."
    )


_READS = {"get", "list", "watch", "*"}


def _wildcard_secret_rules(role: dict[str, Any]) -> list[str]:
    """Rules granting secrets through a wildcard: every verb on secrets, or reading '*'."""
    found = []
    for rule in role.get("rules") or []:
        groups, resources, verbs = (
            set(rule.get(k) or []) for k in ("apiGroups", "resources", "verbs")
        )
        if not groups & {"", "*"}:
            continue
        every_verb = resources & {"secrets", "*"} and "*" in verbs
        reads_everything = "*" in resources and verbs & _READS
        if every_verb or reads_everything:
            found.append(
                f"apiGroups={sorted(groups)} resources={sorted(resources)} verbs={sorted(verbs)}"
            )
    return found


@pytest.mark.critical(
    id="K8S-RBAC-SECRETS-WILDCARD",
    section=SECTION,
    remediation="Name the resources and verbs the app needs (usually get on named secrets) instead of '*'.",
    docs="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
)
def test_k8s_no_role_grants_secrets_through_a_wildcard(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """No custom Role or ClusterRole grants secrets through a wildcard.

    No Role or ClusterRole other than the built-in ones (cluster-admin, admin, edit, view,
    system:*) has a core-group rule with verbs '*' on secrets, or with resources '*' and a read
    verb (get, list, watch), which reads every secret in its scope.
    """
    roles = [
        r
        for r in listed(k8s_api, "clusterroles") + listed(k8s_api, "roles")
        if (r.get("metadata") or {}).get("name") not in _BUILTIN_ROLES
        and not str((r.get("metadata") or {}).get("name")).startswith("system:")
    ]
    findings = [
        Finding(subject(k8s_api, r), None, "rules", rule, "explicit verbs")
        for r in roles
        for rule in _wildcard_secret_rules(r)
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-RBAC-SECRETS-WILDCARD",
        findings,
        len(roles),
        "custom roles",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "roles grant secrets through a wildcard", "Name them.")


@pytest.mark.critical(
    id="K8S-MANIFESTS-VALID",
    section=SECTION,
    remediation="Fix the reported fields (or render the chart again for the target Kubernetes version).",
    docs="https://github.com/willthames/kubernetes-validate",
)
def test_k8s_manifests_match_the_kubernetes_schemas(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Rendered manifests are valid Kubernetes objects.

    Offline only (a live API server validated its objects itself): every object of the
    manifests validates against the Kubernetes OpenAPI schemas of ``k8s_schema_version``;
    invalid ones are reported with file and line. Kinds without a bundled schema (custom
    resources) are reported as not validated but do not fail.
    """
    if k8s_api.is_live:
        pytest.skip("N/A: a live API server validated its objects when they were created")
    from ._k8s_validate import validate_objects

    version = str(
        readiness.threshold(
            "k8s_schema_version", THRESHOLDS["K8S-MANIFESTS-VALID"]["k8s_schema_version"]
        )
    )
    findings, unchecked, checked = validate_objects(k8s_api, version)
    if unchecked:
        evidence("no schema (not validated)", observed=unchecked, expected="custom resources only")
    offenders = record(
        evidence,
        k8s_api,
        "K8S-MANIFESTS-VALID",
        findings,
        checked,
        "manifest objects",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "objects do not match the Kubernetes schemas", "Fix the manifests."
    )
