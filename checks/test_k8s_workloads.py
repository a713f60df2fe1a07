"""Kubernetes workloads: probes, resources, availability, images, rollout.

One item per check and ``kubernetes`` target, live cluster or rendered manifests alike; the
evidence names every offending object as namespace/Kind/name/container with what it has and
what it needs (and file:line for manifests). A check with nothing to look at in a target
(e.g. no container behind a Service) is skipped there as not applicable.

Waivers on the object itself, for every Kubernetes check: the annotation
``readiness.io/waive-<CHECK-ID>: "<reason>"`` waives the check for the whole object, and
``"[sidecar,init] <reason>"`` for the named containers only; a waiver without a reason waives
nothing. Waived findings stay in the evidence with ``waived: <reason>``; the item passes when
every finding is waived. A waiver annotation that matched no finding is reported in the
evidence as an unused waiver (remove it).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ._k8s import (
    SCALABLE,
    Finding,
    Workload,
    iter_probe_handlers,
    listed,
    message,
    per_container,
    record,
    selects,
    served_workloads,
    subject,
    workloads,
)

DOMAIN = "kubernetes"
TARGET_KIND = "kubernetes"
THRESHOLDS = {
    "K8S-PROBE-STARTUP": {"slow_start_seconds": 30},
    "K8S-RESOURCES": {"require_cpu_limit": True},
    "K8S-REPLICAS": {"min_replicas": 2},
    "K8S-HPA": {"min_replicas": 2, "require_hpa": False},
    "K8S-IMAGE-PULL-POLICY": {"min_pull_policy": "IfNotPresent"},
    "K8S-PRESTOP-GRACE": {"min_termination_grace_seconds": 30},
}
SECTION = "Kubernetes workloads"
DOCS = "https://kubernetes.io/docs/concepts/workloads/"


@pytest.mark.critical(
    id="K8S-PROBE-READINESS",
    section=SECTION,
    remediation="Add a readinessProbe (e.g. httpGet on the app's /ready endpoint) to every container the Service sends traffic to.",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
)
def test_k8s_containers_behind_a_service_have_readiness_probes(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers behind a Service have a readiness probe.

    Every container of a long-running workload whose pods a Service of its namespace selects
    declares a readinessProbe, so traffic only reaches pods that can serve it. Jobs, CronJobs,
    init containers and workloads no Service selects are not checked.
    """
    findings, checked = per_container(
        served_workloads(k8s_api),
        "readinessProbe",
        "a readinessProbe",
        lambda w, c: (bool(c.get("readinessProbe")), c.get("readinessProbe")),
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PROBE-READINESS",
        findings,
        checked,
        "containers behind a Service",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers behind a Service have no readiness probe", "Set readinessProbe."
    )


@pytest.mark.important(
    id="K8S-PROBE-LIVENESS",
    section=SECTION,
    remediation="Add a livenessProbe that fails only when the process is stuck (not when a dependency is down).",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
)
def test_k8s_long_running_containers_have_liveness_probes(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Long-running containers have a liveness probe.

    Every app container of a Deployment, StatefulSet, DaemonSet, ReplicaSet or bare Pod declares
    a livenessProbe so a hung process is restarted. Jobs, CronJobs and init containers are not
    checked.
    """
    running = [w for w in workloads(k8s_api) if w.long_running]
    findings, checked = per_container(
        running,
        "livenessProbe",
        "a livenessProbe",
        lambda w, c: (bool(c.get("livenessProbe")), c.get("livenessProbe")),
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PROBE-LIVENESS",
        findings,
        checked,
        "long-running containers",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers have no liveness probe", "Set livenessProbe."
    )


@pytest.mark.important(
    id="K8S-PROBE-IDENTICAL",
    section=SECTION,
    remediation="Point the livenessProbe at a cheap 'process alive' endpoint and the readinessProbe at a 'can serve' endpoint.",
    docs="https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/",
)
def test_k8s_liveness_and_readiness_probes_differ(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Liveness and readiness probes are not identical.

    A container whose liveness probe calls exactly what its readiness probe calls is restarted
    whenever it is merely unready (e.g. a dependency is down), turning an overload into a
    restart storm. Only containers with both probes are checked; timings are ignored.
    """
    both = []
    for workload in workloads(k8s_api):
        for container in workload.containers():
            if container.get("livenessProbe") and container.get("readinessProbe"):
                both.append((workload, container))
    findings = [
        Finding(
            w,
            c.get("name"),
            "livenessProbe",
            dict(iter_probe_handlers(c["livenessProbe"])),
            "differs from readinessProbe",
        )
        for w, c in both
        if list(iter_probe_handlers(c["livenessProbe"]))
        == list(iter_probe_handlers(c["readinessProbe"]))
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PROBE-IDENTICAL",
        findings,
        len(both),
        "containers with both probes",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders,
        "containers use the same check for liveness and readiness",
        "Give livenessProbe its own endpoint.",
    )


@pytest.mark.important(
    id="K8S-PROBE-STARTUP",
    section=SECTION,
    remediation="Replace a long initialDelaySeconds with a startupProbe (failureThreshold x periodSeconds >= the start time).",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-startup-probes",
)
def test_k8s_slow_starting_containers_have_startup_probes(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Slow-starting containers have a startup probe.

    A container is a slow starter when its liveness or readiness probe waits at least
    ``slow_start_seconds`` (initialDelaySeconds); it then needs a startupProbe, so the liveness
    probe neither kills it while starting nor waits that long after every restart.
    """
    limit = readiness.threshold(
        "slow_start_seconds", THRESHOLDS["K8S-PROBE-STARTUP"]["slow_start_seconds"]
    )
    slow = []
    for workload in workloads(k8s_api):
        for container in workload.containers():
            delay = max(
                int((container.get(p) or {}).get("initialDelaySeconds") or 0)
                for p in ("livenessProbe", "readinessProbe")
            )
            if delay >= int(limit):
                slow.append((workload, container, delay))
    findings = [
        Finding(
            w, c.get("name"), "startupProbe", f"none (initialDelaySeconds {d})", "a startupProbe"
        )
        for w, c, d in slow
        if not c.get("startupProbe")
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PROBE-STARTUP",
        findings,
        len(slow),
        "slow-starting containers",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "slow starters have no startup probe", "Set startupProbe."
    )


@pytest.mark.critical(
    id="K8S-RESOURCES",
    section=SECTION,
    remediation="Set resources.requests.cpu, requests.memory and limits.memory (and limits.cpu unless require_cpu_limit is false) on every container.",
    docs="https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
)
def test_k8s_containers_have_resource_requests_and_limits(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers set CPU and memory requests and limits.

    Every container, init containers and Jobs included, requests CPU and memory (so the
    scheduler places it) and limits memory (so one leak cannot starve the node); a CPU limit is
    required too unless the profile sets ``require_cpu_limit: false``.
    """
    cpu_limit = bool(
        readiness.threshold("require_cpu_limit", THRESHOLDS["K8S-RESOURCES"]["require_cpu_limit"])
    )
    needed = ["requests.cpu", "requests.memory", "limits.memory"] + (
        ["limits.cpu"] if cpu_limit else []
    )

    def missing(_: Workload, container: dict[str, Any]) -> tuple[bool, Any]:
        resources = container.get("resources") or {}
        absent = [
            n for n in needed if not (resources.get(n.split(".")[0]) or {}).get(n.split(".")[1])
        ]
        return not absent, f"missing {', '.join(absent)}" if absent else "set"

    findings, checked = per_container(
        workloads(k8s_api), "resources", ", ".join(needed), missing, init=True
    )
    offenders = record(
        evidence, k8s_api, "K8S-RESOURCES", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "containers lack resource requests or limits", "Set resources."
    )


def _effective_replicas(k8s_api: Any) -> list[tuple[Workload, int, str]]:
    """Deployments and StatefulSets with their minimum replicas: the HPA's when one targets it."""
    hpas = {
        (
            (h.get("metadata") or {}).get("namespace"),
            ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("kind"),
            ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name"),
        ): h
        for h in listed(k8s_api, "horizontalpodautoscalers")
    }
    result = []
    for workload in workloads(k8s_api):
        if workload.kind not in SCALABLE:
            continue
        hpa = hpas.get((workload.namespace, workload.kind, workload.name))
        if hpa is not None:
            result.append((workload, int(hpa["spec"].get("minReplicas") or 1), "HPA minReplicas"))
        else:
            result.append((workload, workload.replicas, "replicas"))
    return result


@pytest.mark.critical(
    id="K8S-REPLICAS",
    section=SECTION,
    remediation="Run at least min_replicas replicas (spec.replicas, or the HPA's minReplicas when an HPA scales it).",
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/deployment/",
)
def test_k8s_workloads_run_enough_replicas(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Deployments and StatefulSets run at least the minimum replicas.

    spec.replicas (default 1), or the minReplicas of a HorizontalPodAutoscaler targeting the
    workload, is at least ``min_replicas`` (2 by default; 3 is usual for production).
    """
    limit = int(readiness.threshold("min_replicas", THRESHOLDS["K8S-REPLICAS"]["min_replicas"]))
    scalable = _effective_replicas(k8s_api)
    findings = [Finding(w, None, field, n, f">= {limit}") for w, n, field in scalable if n < limit]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-REPLICAS",
        findings,
        len(scalable),
        "Deployments and StatefulSets",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads run too few replicas", f"Set replicas >= {limit}."
    )


def _pdb_problem(pdb: dict[str, Any], replicas: int) -> str | None:
    spec = pdb.get("spec") or {}
    unavailable, available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if unavailable is not None and str(unavailable) in ("0", "0%"):
        return "maxUnavailable 0 blocks every eviction"
    if str(available) == "100%" or (isinstance(available, int) and available >= replicas):
        return f"minAvailable {available} with {replicas} replicas blocks every eviction"
    return None


@pytest.mark.important(
    id="K8S-PDB",
    section=SECTION,
    remediation="Add a PodDisruptionBudget selecting the pods with maxUnavailable: 1 (or minAvailable below the replica count).",
    docs="https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
)
def test_k8s_replicated_workloads_have_a_non_blocking_pdb(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Replicated workloads have a PodDisruptionBudget that allows evictions.

    Every Deployment or StatefulSet running two or more replicas is selected by a
    PodDisruptionBudget of its namespace, and that budget still lets a node drain
    (not maxUnavailable 0, not minAvailable >= replicas or 100%).
    """
    pdbs = listed(k8s_api, "poddisruptionbudgets")
    replicated = [(w, n) for w, n, _ in _effective_replicas(k8s_api) if n >= 2]
    findings = []
    for workload, replicas in replicated:
        covering = [
            p
            for p in pdbs
            if (p.get("metadata") or {}).get("namespace") == workload.namespace
            and selects((p.get("spec") or {}).get("selector"), workload.pod_labels)
        ]
        if not covering:
            findings.append(
                Finding(workload, None, "PodDisruptionBudget", "none selects its pods", "one PDB")
            )
        for pdb in covering:
            problem = _pdb_problem(pdb, replicas)
            if problem:
                name = (pdb.get("metadata") or {}).get("name")
                findings.append(
                    Finding(
                        workload,
                        None,
                        f"PodDisruptionBudget {name}",
                        problem,
                        "allows one eviction",
                    )
                )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PDB",
        findings,
        len(replicated),
        "replicated workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "replicated workloads lack a usable PDB", "Set maxUnavailable: 1."
    )


@pytest.mark.important(
    id="K8S-HPA",
    section=SECTION,
    remediation="Give every HorizontalPodAutoscaler minReplicas >= min_replicas, maxReplicas above it, a metric target, and an existing scaleTargetRef.",
    docs="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
)
def test_k8s_autoscalers_keep_min_replicas_and_have_targets(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """HorizontalPodAutoscalers keep enough replicas and scale on a target.

    Every HPA has minReplicas (default 1) >= ``min_replicas``, a maxReplicas above it (else it
    cannot scale), at least one metric target, and a scaleTargetRef naming a workload of its
    namespace. With ``require_hpa: true`` every
    Deployment and StatefulSet must be targeted by one.
    """
    limit = int(readiness.threshold("min_replicas", THRESHOLDS["K8S-HPA"]["min_replicas"]))
    required = bool(readiness.threshold("require_hpa", THRESHOLDS["K8S-HPA"]["require_hpa"]))
    hpas = listed(k8s_api, "horizontalpodautoscalers")
    known = {(w.namespace, w.kind, w.name) for w in workloads(k8s_api)}
    findings = []
    for hpa in hpas:
        spec = hpa.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        namespace = (hpa.get("metadata") or {}).get("namespace")
        minimum = int(spec.get("minReplicas") or 1)
        if minimum < limit:
            findings.append(
                Finding(subject(k8s_api, hpa), None, "minReplicas", minimum, f">= {limit}")
            )
        maximum = int(spec.get("maxReplicas") or 0)
        if maximum <= minimum:
            findings.append(
                Finding(subject(k8s_api, hpa), None, "maxReplicas", maximum, f"> {minimum}")
            )
        if not spec.get("metrics") and not spec.get("targetCPUUtilizationPercentage"):
            findings.append(
                Finding(subject(k8s_api, hpa), None, "metrics", "none", "a metric target")
            )
        if (namespace, target.get("kind"), target.get("name")) not in known:
            ref = f"{target.get('kind')}/{target.get('name')}"
            findings.append(
                Finding(subject(k8s_api, hpa), None, "scaleTargetRef", ref, "an existing workload")
            )
    checked = len(hpas)
    if required:
        targeted = {
            (
                (h.get("metadata") or {}).get("namespace"),
                (h.get("spec") or {}).get("scaleTargetRef", {}).get("name"),
            )
            for h in hpas
        }
        for workload, _, _ in _effective_replicas(k8s_api):
            checked += 1
            if (workload.namespace, workload.name) not in targeted:
                findings.append(
                    Finding(workload, None, "HorizontalPodAutoscaler", "none", "one targets it")
                )
    offenders = record(
        evidence, k8s_api, "K8S-HPA", findings, checked, "autoscalers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "autoscaling problems", "Fix the HorizontalPodAutoscalers."
    )


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
UNKNOWN = object()


def declared_replicas(workload: Workload) -> Any:
    """The replica count the workload's own configuration declares: None if it declares none,
    ``UNKNOWN`` if a live object keeps no record of its configuration.

    A manifest declares it in spec.replicas. A live object always has spec.replicas (the API
    server defaults it), so there the declaration is read from kubectl apply's last-applied
    annotation, or from a server-side apply field manager owning spec.replicas. Objects
    written only by updates (e.g. Helm) record no configuration: every field they hold,
    defaulted ones included, belongs to the writer.
    """
    meta = workload.obj.get("metadata") or {}
    applied = (meta.get("annotations") or {}).get(_LAST_APPLIED)
    if applied:
        try:
            spec = json.loads(applied).get("spec") or {}
        except (ValueError, AttributeError):
            return UNKNOWN
        return spec.get("replicas")
    managed = meta.get("managedFields")
    if managed is None:
        return workload.spec.get("replicas")
    appliers = [m for m in managed if m.get("operation") == "Apply"]
    for entry in appliers:
        if "f:replicas" in ((entry.get("fieldsV1") or {}).get("f:spec") or {}):
            return workload.spec.get("replicas")
    return None if appliers else UNKNOWN


@pytest.mark.important(
    id="K8S-HPA-REPLICAS-CONFLICT",
    section=SECTION,
    remediation="Remove spec.replicas from the manifests of a workload an HPA scales (the HPA owns the count) and keep one HPA per workload.",
    docs="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling",
)
def test_k8s_autoscaled_workloads_leave_the_replica_count_to_the_autoscaler(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Autoscaled workloads do not fight their autoscaler over the replica count.

    A Deployment or StatefulSet that a HorizontalPodAutoscaler scales declares no
    spec.replicas of its own (every deploy would reset the count the HPA chose, scaling down
    under load), and exactly one HPA targets it (two HPAs overwrite each other). Live, the
    declaration is read from kubectl's last-applied annotation or server-side apply's field
    managers; an object deployed otherwise (e.g. by Helm) keeps no such record, which the
    evidence says (run the check on the rendered manifests). Not applicable where no HPA
    targets a workload.
    """
    targeting: dict[tuple[str, str, str], list[str]] = {}
    for hpa in listed(k8s_api, "horizontalpodautoscalers"):
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        meta = hpa.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(ref.get("kind")), str(ref.get("name")))
        targeting.setdefault(key, []).append(str(meta.get("name")))
    scaled = [
        (w, targeting[(w.namespace, w.kind, w.name)])
        for w in workloads(k8s_api)
        if w.kind in SCALABLE and (w.namespace, w.kind, w.name) in targeting
    ]
    findings = []
    for workload, hpas in scaled:
        declared = declared_replicas(workload)
        if declared is UNKNOWN:
            evidence(
                f"{workload.ref}: declared replicas unknown",
                observed="no last-applied or server-side apply record",
                expected="check its manifests offline",
                object=workload.ref,
            )
        elif declared is not None:
            expected = f"unset: HorizontalPodAutoscaler {hpas[0]} sets it"
            findings.append(Finding(workload, None, "spec.replicas", declared, expected))
        if len(hpas) > 1:
            findings.append(
                Finding(workload, None, "HorizontalPodAutoscaler", sorted(hpas), "exactly one")
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-HPA-REPLICAS-CONFLICT",
        findings,
        len(scaled),
        "autoscaled workloads",
        readiness,
    )
    assert not offenders, message(
        offenders,
        "workloads fight their autoscaler over the replica count",
        "Drop spec.replicas from their manifests.",
    )


@pytest.mark.important(
    id="K8S-SPREAD",
    section=SECTION,
    remediation="Add topologySpreadConstraints (topologyKey topology.kubernetes.io/zone) or a podAntiAffinity on kubernetes.io/hostname.",
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/",
)
def test_k8s_replicated_workloads_spread_their_pods(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Replicated workloads spread their pods across nodes or zones.

    Every Deployment or StatefulSet running two or more replicas declares
    topologySpreadConstraints or a pod anti-affinity, so one node or zone going down does not
    take every replica with it.
    """
    replicated = [w for w, n, _ in _effective_replicas(k8s_api) if n >= 2]
    findings = []
    for workload in replicated:
        spec = workload.pod_spec
        anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
        if not spec.get("topologySpreadConstraints") and not any(anti.values()):
            findings.append(
                Finding(
                    workload,
                    None,
                    "topologySpreadConstraints/podAntiAffinity",
                    "none",
                    "one of them",
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SPREAD",
        findings,
        len(replicated),
        "replicated workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads may place every replica together", "Spread the pods."
    )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None (a digest, or a tag other than latest)."""
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "no tag (means latest)"
    tag = last.rsplit(":", 1)[1]
    return "tag latest" if tag.lower() == "latest" else None


@pytest.mark.important(
    id="K8S-IMAGE-TAG",
    section=SECTION,
    remediation="Pin every image to a release tag (better: a @sha256 digest); never latest or no tag.",
    docs="https://kubernetes.io/docs/concepts/containers/images/#image-names",
)
def test_k8s_images_are_pinned(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Container images are pinned to a tag or digest.

    No container, init containers included, uses an image without a tag or tagged latest, so
    a restart cannot silently run different code; a digest is the strongest pin.
    """

    def pinned(_: Workload, container: dict[str, Any]) -> tuple[bool, Any]:
        image = str(container.get("image") or "")
        problem = image_problem(image) if image else "no image"
        return problem is None, f"{image} ({problem})" if problem else image

    findings, checked = per_container(
        workloads(k8s_api), "image", "a pinned tag or digest", pinned, init=True
    )
    offenders = record(
        evidence, k8s_api, "K8S-IMAGE-TAG", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "images are not pinned", "Use a release tag or digest."
    )


_PULL_ORDER = {"Never": 0, "IfNotPresent": 1, "Always": 2}


def _moving_tag(image: str) -> bool:
    """No digest, and tag latest or none: what the API server pulls Always by default."""
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.rsplit(":", 1)[1] == "latest"


def pull_policy(container: dict[str, Any]) -> str:
    """imagePullPolicy, or the API server's default for the container's image."""
    policy = container.get("imagePullPolicy")
    if policy:
        return str(policy)
    return "Always" if _moving_tag(str(container.get("image") or "")) else "IfNotPresent"


@pytest.mark.nice_to_have(
    id="K8S-IMAGE-PULL-POLICY",
    section=SECTION,
    remediation="Remove imagePullPolicy: Never; use IfNotPresent with a pinned tag or digest (Always where min_pull_policy asks for it).",
    docs="https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy",
)
def test_k8s_images_are_pulled_by_a_safe_policy(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers can pull their image and never run a stale copy.

    The effective imagePullPolicy (unset means Always for a latest or untagged image, else
    IfNotPresent) is at least ``min_pull_policy`` (IfNotPresent by default, so Never, which
    cannot start on a new node, fails; set Always to make every start check the registry and
    the pod's pull credentials), and IfNotPresent is never combined with a moving tag
    (latest or none), which lets each node keep whatever build it pulled first.
    """
    minimum = str(
        readiness.threshold(
            "min_pull_policy", THRESHOLDS["K8S-IMAGE-PULL-POLICY"]["min_pull_policy"]
        )
    )
    if minimum not in _PULL_ORDER:
        pytest.fail(f"min_pull_policy must be one of {', '.join(_PULL_ORDER)}, not {minimum!r}")

    def safe(_: Workload, container: dict[str, Any]) -> tuple[bool, Any]:
        policy = pull_policy(container)
        moving = policy == "IfNotPresent" and _moving_tag(str(container.get("image") or ""))
        ok = _PULL_ORDER.get(policy, -1) >= _PULL_ORDER[minimum] and not moving
        return ok, f"{policy} (moving tag)" if moving else policy

    findings, checked = per_container(
        workloads(k8s_api),
        "imagePullPolicy",
        f">= {minimum}, Always for a moving tag",
        safe,
        init=True,
    )
    offenders = record(
        evidence, k8s_api, "K8S-IMAGE-PULL-POLICY", findings, checked, "containers", readiness
    )
    assert not offenders, message(
        offenders, "containers may fail to pull or run stale images", "Fix imagePullPolicy."
    )


@pytest.mark.nice_to_have(
    id="K8S-ROLLING-UPDATE",
    section=SECTION,
    remediation="Use strategy.type RollingUpdate (Deployments) / updateStrategy.type RollingUpdate (StatefulSets, DaemonSets).",
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy",
)
def test_k8s_workloads_update_by_rolling(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Workloads update by rolling, not by recreating.

    Deployments use strategy RollingUpdate (not Recreate), StatefulSets and DaemonSets
    updateStrategy RollingUpdate (not OnDelete); unset means RollingUpdate.
    """
    updatable = [
        w for w in workloads(k8s_api) if w.kind in ("Deployment", "StatefulSet", "DaemonSet")
    ]
    findings = []
    for workload in updatable:
        key = "strategy" if workload.kind == "Deployment" else "updateStrategy"
        kind = (workload.spec.get(key) or {}).get("type") or "RollingUpdate"
        if kind != "RollingUpdate":
            findings.append(Finding(workload, None, f"{key}.type", kind, "RollingUpdate"))
    offenders = record(
        evidence,
        k8s_api,
        "K8S-ROLLING-UPDATE",
        findings,
        len(updatable),
        "updatable workloads",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "workloads do not roll", "Use RollingUpdate.")


@pytest.mark.important(
    id="K8S-PRESTOP-GRACE",
    section=SECTION,
    remediation="Add lifecycle.preStop (e.g. a short sleep so endpoints drain) and keep terminationGracePeriodSeconds >= the threshold.",
    docs="https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/",
)
def test_k8s_served_containers_shut_down_gracefully(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers behind a Service stop gracefully.

    Every container behind a Service has a preStop hook (so it leaves the endpoints before it
    gets SIGTERM) and its pod's terminationGracePeriodSeconds (default 30) is at least
    ``min_termination_grace_seconds``.
    """
    limit = int(
        readiness.threshold(
            "min_termination_grace_seconds",
            THRESHOLDS["K8S-PRESTOP-GRACE"]["min_termination_grace_seconds"],
        )
    )

    def graceful(workload: Workload, container: dict[str, Any]) -> tuple[bool, Any]:
        grace = workload.pod_spec.get("terminationGracePeriodSeconds")
        grace = 30 if grace is None else int(grace)
        has_hook = bool((container.get("lifecycle") or {}).get("preStop"))
        ok = has_hook and grace >= limit
        return ok, f"preStop {'set' if has_hook else 'missing'}, grace {grace}s"

    findings, checked = per_container(
        served_workloads(k8s_api), "lifecycle.preStop", f"preStop set, grace >= {limit}s", graceful
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PRESTOP-GRACE",
        findings,
        checked,
        "containers behind a Service",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers may drop requests on shutdown", "Add a preStop hook."
    )


@pytest.mark.nice_to_have(
    id="K8S-PRIORITY-CLASS",
    section=SECTION,
    remediation="Set spec.template.spec.priorityClassName to a PriorityClass for the service's tier.",
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/",
)
def test_k8s_long_running_workloads_set_a_priority_class(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Long-running workloads set a priority class.

    Every Deployment, StatefulSet, DaemonSet, ReplicaSet and bare Pod names a
    priorityClassName, so the scheduler knows what to evict first under pressure.
    """
    running = [w for w in workloads(k8s_api) if w.long_running]
    findings = [
        Finding(w, None, "priorityClassName", None, "a PriorityClass name")
        for w in running
        if not w.pod_spec.get("priorityClassName")
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PRIORITY-CLASS",
        findings,
        len(running),
        "long-running workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads have no priority class", "Set priorityClassName."
    )


_REVISION = "deployment.kubernetes.io/revision"


def _revision(obj: dict[str, Any]) -> int:
    value = str(((obj.get("metadata") or {}).get("annotations") or {}).get(_REVISION) or "")
    return int(value) if value.isdigit() else 0


def _without_previous_revision(k8s_api: Any, items: list[Workload]) -> list[Finding]:
    """Deployments past revision 1 that own no ReplicaSet of an earlier revision."""
    earlier: dict[str, list[int]] = {}
    for replica_set in listed(k8s_api, "replicasets"):
        for owner in (replica_set.get("metadata") or {}).get("ownerReferences") or []:
            if owner.get("kind") == "Deployment":
                earlier.setdefault(str(owner.get("uid")), []).append(_revision(replica_set))
    findings = []
    for workload in items:
        current = _revision(workload.obj)
        if workload.kind != "Deployment" or current < 2:
            continue
        uid = str((workload.obj.get("metadata") or {}).get("uid"))
        if not any(0 < r < current for r in earlier.get(uid, [])):
            findings.append(
                Finding(
                    workload,
                    None,
                    "ReplicaSet of an earlier revision",
                    f"none (at revision {current})",
                    "one to roll back to",
                )
            )
    return findings


@pytest.mark.nice_to_have(
    id="K8S-ROLLBACK-REVISION",
    section=SECTION,
    remediation="Keep spec.revisionHistoryLimit at 1 or more (default 10) so `kubectl rollout undo` has a revision to go back to.",
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#revision-history-limit",
)
def test_k8s_workloads_keep_a_revision_to_roll_back_to(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Deployments and StatefulSets keep old revisions to roll back to.

    spec.revisionHistoryLimit (default 10) is at least 1: with 0 the old ReplicaSets or
    ControllerRevisions are deleted and a bad release cannot be undone with a rollback. Live,
    a Deployment past its first revision (annotation deployment.kubernetes.io/revision > 1)
    also still owns a ReplicaSet of an earlier revision.
    """
    items = [w for w in workloads(k8s_api) if w.kind in SCALABLE]
    findings = [
        Finding(w, None, "revisionHistoryLimit", w.spec.get("revisionHistoryLimit"), ">= 1")
        for w in items
        if w.spec.get("revisionHistoryLimit") is not None
        and int(w.spec["revisionHistoryLimit"]) < 1
    ]
    if k8s_api.is_live:
        findings += _without_previous_revision(k8s_api, items)
    offenders = record(
        evidence,
        k8s_api,
        "K8S-ROLLBACK-REVISION",
        findings,
        len(items),
        "Deployments and StatefulSets",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads keep no revision to roll back to", "Set revisionHistoryLimit >= 1."
    )
