"""Helpers of the Kubernetes checks: workloads and their containers, findings, waivers.

Everything here reads the ``k8s_api`` facade only, so a check runs the same against a live API
server and against rendered manifests. Values the API server would default are read with the
same default here (a missing ``strategy`` is RollingUpdate, a missing grace period 30 s), so a
manifest and the object created from it give the same outcome.

Waivers on the object itself: the annotation ``readiness.io/waive-<CHECK-ID>: <reason>`` waives
that check for every container of the object; ``"[sidecar,init] <reason>"`` only for the
named containers. The profile's waivers with ``object:`` (and ``container:``) do the same from
the config, through the ``readiness`` fixture. A waived finding stays in the evidence, marked
``waived`` with its reason.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_readiness.connectors.kubernetes import RESOURCES, KubernetesCluster, Resource

Object = dict[str, Any]

WAIVE_PREFIX = "readiness.io/waive-"
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod")
SCALABLE = ("Deployment", "StatefulSet")
_WORKLOAD_PLURALS = (
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "pods",
)
_MAX_IN_MESSAGE = 8

_cache: weakref.WeakKeyDictionary[KubernetesCluster, dict[Any, Any]] = weakref.WeakKeyDictionary()


#: Why a check that reads runtime state is not applicable to rendered manifests.
OFFLINE = "N/A: rendered manifests have no runtime state; run against a live cluster for this check"


def live_only(cluster: KubernetesCluster) -> None:
    """Skip as not applicable, with ``OFFLINE``, unless the target is a live cluster."""
    if not cluster.is_live:
        pytest.skip(OFFLINE)


def object_name(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def object_namespace(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def app_namespaces(cluster: KubernetesCluster, *excluded: str) -> list[str]:
    """Namespaces running workloads or named by the target, without kube-* and ``excluded``."""
    names = {w.namespace for w in workloads(cluster)} | set(cluster.namespace_scope or ())
    return sorted(n for n in names if n and not n.startswith("kube-") and n not in excluded)


def listed(cluster: KubernetesCluster, plural: str) -> list[Object]:
    """``cluster.objects`` of a facade resource, listed once per run and target (read-only)."""
    cached = _cache.setdefault(cluster, {})
    if plural not in cached:
        cached[plural] = cluster.objects(RESOURCES[plural])
    result: list[Object] = cached[plural]
    return result


def listed_resource(
    cluster: KubernetesCluster, resource: Resource, *, every_namespace: bool = False
) -> list[Object]:
    """Objects of any resource, custom ones too (``[]`` where not served), listed once."""
    cached = _cache.setdefault(cluster, {})
    key = (resource, every_namespace)
    if key not in cached:
        cached[key] = cluster.objects(resource, every_namespace=every_namespace)
    result: list[Object] = cached[key]
    return result


def pods_everywhere(cluster: KubernetesCluster) -> list[Object]:
    """Pods of every namespace, beyond the target's scope (e.g. controllers), listed once."""
    cached = _cache.setdefault(cluster, {})
    if "pods everywhere" not in cached:
        cached["pods everywhere"] = cluster.objects(RESOURCES["pods"], every_namespace=True)
    result: list[Object] = cached["pods everywhere"]
    return result


@dataclass(frozen=True)
class Workload:
    """An object that runs pods, with its pod template resolved."""

    kind: str
    namespace: str
    name: str
    obj: Object = field(repr=False)
    pod: Object = field(repr=False)  # the pod template: {"metadata": ..., "spec": ...}
    source: str | None = None

    @property
    def ref(self) -> str:
        if not self.namespace:
            return f"{self.kind}/{self.name}"
        return f"{self.namespace}/{self.kind}/{self.name}"

    @property
    def spec(self) -> Object:
        return self.obj.get("spec") or {}

    @property
    def pod_spec(self) -> Object:
        return self.pod.get("spec") or {}

    @property
    def pod_labels(self) -> dict[str, str]:
        return (self.pod.get("metadata") or {}).get("labels") or {}

    @property
    def long_running(self) -> bool:
        return self.kind in LONG_RUNNING

    @property
    def replicas(self) -> int:
        """Desired replicas of a Deployment/StatefulSet (the API's default is 1)."""
        value = self.spec.get("replicas")
        return 1 if value is None else int(value)

    def containers(self, *, init: bool = False) -> list[Object]:
        """The app containers, and with ``init`` the init containers first."""
        spec = self.pod_spec
        found = list(spec.get("initContainers") or []) if init else []
        return found + list(spec.get("containers") or [])

    def container_waiver(self, check_id: str) -> str | None:
        """The reason of a container-scoped waiver annotation of ``check_id`` here, if any."""
        for container in self.containers(init=True):
            reason = self.waiver(check_id, container.get("name"))
            if reason:
                return reason
        return None

    def waiver(self, check_id: str, container: str | None) -> str | None:
        """The reason of an annotation waiving ``check_id`` here, or None."""
        annotations = (self.obj.get("metadata") or {}).get("annotations") or {}
        wanted = (WAIVE_PREFIX + check_id).lower()
        for key, value in annotations.items():
            if str(key).lower() != wanted:
                continue
            text = str(value).strip()
            match = re.match(r"^\[([^\]]*)\]\s*(.*)$", text, re.DOTALL)
            if match:
                names = {n.strip() for n in match.group(1).split(",") if n.strip()}
                if container is None or container not in names:
                    return None
                text = match.group(2).strip()
            return text or None  # a waiver without a reason waives nothing
        return None


def workloads(cluster: KubernetesCluster) -> list[Workload]:
    """Every workload in scope: controllers and the Pods, Jobs, ReplicaSets nobody owns."""
    cached = _cache.setdefault(cluster, {})
    if "workloads" not in cached:
        found: list[Workload] = []
        for plural in _WORKLOAD_PLURALS:
            for obj in listed(cluster, plural):
                if plural in ("pods", "replicasets", "jobs") and _owned(obj):
                    continue
                found.append(_workload(cluster, obj))
        cached["workloads"] = found
    result: list[Workload] = cached["workloads"]
    return result


def _owned(obj: Object) -> bool:
    return bool((obj.get("metadata") or {}).get("ownerReferences"))


def subject(cluster: KubernetesCluster, obj: Object) -> Workload:
    """Any object as the subject of findings (its pod template is empty unless it has one)."""
    return _workload(cluster, obj)


def _workload(cluster: KubernetesCluster, obj: Object) -> Workload:
    kind = str(obj.get("kind"))
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if kind == "Pod":
        pod = {"metadata": meta, "spec": spec}
    elif kind == "CronJob":
        pod = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    else:
        pod = spec.get("template") or {}
    return Workload(
        kind,
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        obj,
        pod,
        cluster.source_of(obj),
    )


def selects(selector: Object | None, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels/matchExpressions) against labels; empty selects all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def served_workloads(cluster: KubernetesCluster) -> list[Workload]:
    """Long-running workloads whose pods a Service of their namespace selects."""
    services = [
        s
        for s in listed(cluster, "services")
        if (s.get("spec") or {}).get("selector")
        and (s.get("spec") or {}).get("type") != "ExternalName"
    ]
    served = []
    for workload in workloads(cluster):
        if not workload.long_running:
            continue
        for service in services:
            if (service.get("metadata") or {}).get("namespace") != workload.namespace:
                continue
            selector = service["spec"]["selector"]
            if all(workload.pod_labels.get(k) == v for k, v in selector.items()):
                served.append(workload)
                break
    return served


@dataclass(frozen=True)
class Finding:
    """One offending object or container: the setting, what it is and what it should be."""

    workload: Workload
    container: str | None
    setting: str
    observed: Any
    expected: Any

    @property
    def label(self) -> str:
        ref = self.workload.ref
        return f"{ref}/{self.container}" if self.container else ref


def per_container(
    items: Iterable[Workload],
    setting: str,
    expected: Any,
    observe: Callable[[Workload, Object], tuple[bool, Any]],
    *,
    init: bool = False,
) -> tuple[list[Finding], int]:
    """Findings for every container where ``observe`` returns (False, observed); and the count."""
    findings: list[Finding] = []
    checked = 0
    for workload in items:
        for container in workload.containers(init=init):
            checked += 1
            ok, observed = observe(workload, container)
            if not ok:
                findings.append(
                    Finding(workload, container.get("name"), setting, observed, expected)
                )
    return findings, checked


def record(
    evidence: Any,
    cluster: KubernetesCluster,
    check_id: str,
    findings: Iterable[Finding],
    checked: int,
    unit: str,
    readiness: Any = None,
) -> list[Finding]:
    """Record every finding (waived ones marked), waiver annotations that matched no finding,
    and a summary; return the unwaived findings. ``readiness`` (the fixture) adds the profile's
    object-scoped waivers (``object:``, ``container:``) to the annotations.

    With nothing to check the check is not applicable to this target: it is skipped as N/A.
    """
    if checked == 0:
        pytest.skip(f"N/A: no {unit} in scope")
    findings = list(findings)
    open_findings: list[Finding] = []
    for finding in findings:
        details: dict[str, Any] = {"object": finding.workload.ref, "setting": finding.setting}
        if finding.container:
            details["container"] = finding.container
        if finding.workload.source:
            details["source"] = finding.workload.source
        reason = finding.workload.waiver(check_id, finding.container)
        scoped = (
            readiness.object_waiver(check_id, finding.workload.ref, finding.container)
            if readiness is not None and not reason
            else None
        )
        if reason:
            details["waived"] = reason
        elif scoped is not None:
            details.update(readiness.waived_details(scoped))
        else:
            open_findings.append(finding)
        evidence(finding.label, observed=finding.observed, expected=finding.expected, **details)
    waived_refs = {f.workload.ref for f in findings if f.workload.waiver(check_id, f.container)}
    for workload in workloads(cluster):
        reason = workload.waiver(check_id, None) or workload.container_waiver(check_id)
        if reason and workload.ref not in waived_refs:
            evidence(
                f"{workload.ref}: unused waiver",
                observed="matched no finding",
                expected=f"a {check_id} finding to waive",
                object=workload.ref,
                waiver=reason,
            )
    evidence(
        f"{unit} checked",
        observed=f"{len(open_findings)} of {checked} not compliant",
        expected="0 not compliant",
    )
    return open_findings


def message(findings: list[Finding], problem: str, fix: str) -> str:
    """'<n> <problem>: a, b, ... ; <fix>' naming the offenders (file:line offline)."""
    names = []
    for finding in findings[:_MAX_IN_MESSAGE]:
        where = f" ({finding.workload.source})" if finding.workload.source else ""
        names.append(f"{finding.label}{where}: {finding.setting}={_show(finding.observed)}")
    more = f" and {len(findings) - _MAX_IN_MESSAGE} more" if len(findings) > _MAX_IN_MESSAGE else ""
    return f"{len(findings)} {problem}: {'; '.join(names)}{more}. {fix}"


def _show(value: Any) -> str:
    return "unset" if value is None else str(value)


def security_context(workload: Workload, container: Object, key: str) -> Any:
    """A container's securityContext value, else the pod's (for keys the pod level has)."""
    own = (container.get("securityContext") or {}).get(key)
    if own is not None:
        return own
    return (workload.pod_spec.get("securityContext") or {}).get(key)


def iter_probe_handlers(probe: Object | None) -> Iterator[tuple[str, Any]]:
    """The handler part of a probe (what it calls), without timings the API server defaults."""
    for kind in ("httpGet", "tcpSocket", "exec", "grpc"):
        handler = (probe or {}).get(kind)
        if handler is None:
            continue
        if kind == "httpGet":
            yield kind, (handler.get("path") or "/", str(handler.get("port")), handler.get("host"))
        elif kind == "tcpSocket":
            yield kind, str(handler.get("port"))
        elif kind == "exec":
            yield kind, tuple(handler.get("command") or ())
        else:
            yield kind, (str(handler.get("port")), handler.get("service"))


_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    "m": 10**-3,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def quantity(text: Any) -> float:
    """A Kubernetes resource quantity ("500m", "1Gi", "2", "1e3") as a number."""
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    number, suffix = match.groups()
    return float(number) * (_SUFFIX[suffix] if suffix else 1)


def pod_ready(pod: Object) -> bool:
    """Running with condition Ready=True."""
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
