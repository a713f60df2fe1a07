"""Kubernetes ecosystem: service mesh, the RBAC API, vertical autoscaling, progressive delivery,
external secrets, Prometheus Operator monitors, load balancer addresses, admission webhooks.

Most of these read the custom resources of add-ons (Istio, Linkerd, the Vertical Pod Autoscaler,
Flagger, Argo Rollouts, the External Secrets Operator, the Prometheus Operator). A check is not
applicable where its add-on is not in use, unless the profile requires it with its
``require_*`` threshold: then the add-on's absence fails. What controllers write (recommendations,
sync state, phases, addresses, endpoints) is read from a live API server only; against rendered
manifests the checks made only of it are skipped as not applicable and say so, the others check
what the manifests declare. Mesh root, webhook services and monitors are looked for in every
namespace, so those checks need the right to list them cluster-wide.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.connectors.kubernetes import RESOURCES, Resource

from ._k8s import (
    Finding,
    Object,
    Workload,
    app_namespaces,
    listed,
    listed_resource,
    live_only,
    message,
    object_name,
    object_namespace,
    record,
    selects,
    subject,
    workloads,
)

DOMAIN = "kubernetes"
TARGET_KIND = "kubernetes"
THRESHOLDS = {
    "K8S-MESH-MTLS-STRICT": {
        "require_mesh": False,
        "mesh_root_namespace": "istio-system",
        "linkerd_default_inbound_policy": "all-unauthenticated",
    },
    "K8S-MESH-INJECTED": {"require_mesh": False, "mesh_root_namespace": "istio-system"},
    "K8S-VPA": {"require_vpa": False},
    "K8S-CANARY-RESOURCE": {"require_canary": False},
    "K8S-EXTERNAL-SECRETS-SYNCED": {"require_external_secrets": False},
    "K8S-SERVICEMONITOR": {"require_service_monitors": False},
    "K8S-ADMISSION-WEBHOOKS": {
        "webhook_failure_policy": "Fail",
        "max_webhook_timeout_seconds": 10,
        "required_webhooks": [],
    },
}
SECTION = "Kubernetes ecosystem"

PEER_AUTHENTICATIONS = Resource(
    "security.istio.io", ("v1", "v1beta1"), "peerauthentications", "PeerAuthentication"
)
VPAS = Resource("autoscaling.k8s.io", ("v1",), "verticalpodautoscalers", "VerticalPodAutoscaler")
CANARIES = Resource("flagger.app", ("v1beta1",), "canaries", "Canary")
ROLLOUTS = Resource("argoproj.io", ("v1alpha1",), "rollouts", "Rollout")
EXTERNAL_SECRETS = Resource(
    "external-secrets.io", ("v1", "v1beta1"), "externalsecrets", "ExternalSecret"
)
SERVICE_MONITORS = Resource("monitoring.coreos.com", ("v1",), "servicemonitors", "ServiceMonitor")
POD_MONITORS = Resource("monitoring.coreos.com", ("v1",), "podmonitors", "PodMonitor")
WEBHOOK_CONFIGURATIONS = tuple(
    Resource("admissionregistration.k8s.io", ("v1", "v1beta1"), plural, kind, False)
    for plural, kind in (
        ("validatingwebhookconfigurations", "ValidatingWebhookConfiguration"),
        ("mutatingwebhookconfigurations", "MutatingWebhookConfiguration"),
    )
)
ENDPOINTS = Resource("", ("v1",), "endpoints", "Endpoints", True)

ISTIO_INJECTION = "istio-injection"
ISTIO_REVISION = "istio.io/rev"
ISTIO_POD_INJECT = "sidecar.istio.io/inject"
LINKERD_INJECT = "linkerd.io/inject"
LINKERD_POLICY = "config.linkerd.io/default-inbound-policy"
#: Linkerd inbound policies that admit only mTLS-authenticated (meshed) clients, or nothing
LINKERD_STRICT = ("all-authenticated", "cluster-authenticated", "deny")
PROXY_CONTAINERS = {"istio": "istio-proxy", "linkerd": "linkerd-proxy"}
CERT_MANAGER_CA = (
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/inject-apiserver-ca",
)


def _meta(obj: Object) -> Object:
    return obj.get("metadata") or {}


def _in_scope(k8s_api: Any, namespace: str) -> bool:
    return k8s_api.namespace_scope is None or namespace in k8s_api.namespace_scope


def _namespace_objects(k8s_api: Any) -> dict[str, Object]:
    return {object_name(n): n for n in listed(k8s_api, "namespaces")}


def _namespace_subject(k8s_api: Any, namespaces: dict[str, Object], name: str) -> Workload:
    obj = namespaces.get(name) or {"kind": "Namespace", "metadata": {"name": name}}
    return subject(k8s_api, obj)


def _has_condition(obj: Object, kind: str) -> tuple[bool, str]:
    """Whether status condition ``kind`` is True, and what it says."""
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            reason = condition.get("reason") or "no reason"
            return condition.get("status") == "True", f"{kind}={condition.get('status')} ({reason})"
    return False, f"no {kind} condition"


# -- service mesh ----------------------------------------------------------------------------


def _mesh_of_namespace(namespace: Object) -> str | None:
    """The mesh that injects every pod of the namespace, from its label or annotation."""
    labels = _meta(namespace).get("labels") or {}
    annotations = _meta(namespace).get("annotations") or {}
    if labels.get(ISTIO_INJECTION) == "enabled" or (
        ISTIO_REVISION in labels and labels.get(ISTIO_INJECTION) != "disabled"
    ):
        return "istio"
    if annotations.get(LINKERD_INJECT) == "enabled":
        return "linkerd"
    return None


def _injection(workload: Workload, namespace: Object) -> tuple[str | None, bool, str]:
    """(mesh, injected, what decides it) for a workload's pods, the pod template's own label or
    annotation overriding the namespace's."""
    meta = workload.pod.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    istio = str(labels.get(ISTIO_POD_INJECT, annotations.get(ISTIO_POD_INJECT, ""))).lower()
    linkerd = str(annotations.get(LINKERD_INJECT, "")).lower()
    by_namespace = _mesh_of_namespace(namespace)
    names = {c.get("name") for c in workload.containers(init=True)}
    for mesh, proxy in PROXY_CONTAINERS.items():
        if proxy in names:  # rendered with the proxy already (e.g. Linkerd's control plane)
            return mesh, True, f"pod template runs {proxy}"
    if istio == "false":
        return "istio", False, f"{ISTIO_POD_INJECT}=false"
    if linkerd == "disabled":
        return "linkerd", False, f"{LINKERD_INJECT}=disabled"
    if istio == "true" or ISTIO_REVISION in labels:
        return "istio", True, "pod template opts in"
    if linkerd in ("enabled", "ingress"):
        return "linkerd", True, f"{LINKERD_INJECT}={linkerd}"
    if by_namespace:
        return by_namespace, True, f"namespace {workload.namespace} injects ({by_namespace})"
    return None, False, "no injection label or annotation on the namespace or pod template"


def _pods_of(k8s_api: Any, workload: Workload) -> list[Object]:
    if workload.kind == "Pod":
        return [workload.obj]
    selector = workload.spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return []
    return [
        p
        for p in listed(k8s_api, "pods")
        if object_namespace(p) == workload.namespace
        and selects(selector, _meta(p).get("labels") or {})
    ]


def _without_proxy(k8s_api: Any, workload: Workload, mesh: str) -> list[str]:
    """Names of the workload's running pods that lack the mesh's proxy container (live)."""
    proxy = PROXY_CONTAINERS[mesh]
    missing = []
    for pod in _pods_of(k8s_api, workload):
        spec = pod.get("spec") or {}
        names = {c.get("name") for c in (spec.get("containers") or [])}
        names |= {c.get("name") for c in (spec.get("initContainers") or [])}
        if proxy not in names:
            missing.append(object_name(pod))
    return missing


@pytest.mark.important(
    id="K8S-MESH-INJECTED",
    section=SECTION,
    remediation="Label the namespace istio-injection=enabled (or istio.io/rev with the control plane's revision), or annotate it linkerd.io/inject: enabled; remove sidecar.istio.io/inject=false or linkerd.io/inject: disabled from the pod template; then restart the workload so its pods get the proxy.",
    docs="https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/",
)
def test_k8s_mesh_workloads_carry_the_sidecar(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Workloads in mesh namespaces get the mesh's proxy.

    Every long-running workload in a namespace that a mesh injects (label istio-injection=enabled
    or istio.io/rev, annotation linkerd.io/inject: enabled), or whose pod template opts in, is
    injected: its pod template does not opt out (sidecar.istio.io/inject=false,
    linkerd.io/inject: disabled). Live, its pods also carry the proxy container (istio-proxy,
    linkerd-proxy); a pod created before injection was turned on has none. With
    ``require_mesh: true`` every long-running workload outside kube-* and the mesh's own
    namespace (``mesh_root_namespace``) must be injected. Not applicable where no workload is
    in a mesh and none is required.
    """
    required = bool(
        readiness.threshold("require_mesh", THRESHOLDS["K8S-MESH-INJECTED"]["require_mesh"])
    )
    root = str(
        readiness.threshold(
            "mesh_root_namespace", THRESHOLDS["K8S-MESH-INJECTED"]["mesh_root_namespace"]
        )
    )
    namespaces = _namespace_objects(k8s_api)
    apps = set(app_namespaces(k8s_api, root))
    findings = []
    checked = 0
    for workload in workloads(k8s_api):
        if not workload.long_running or workload.namespace not in apps:
            continue
        namespace = namespaces.get(workload.namespace) or {}
        mesh, injected, why = _injection(workload, namespace)
        if mesh is None and not required:
            continue
        checked += 1
        if not injected:
            findings.append(Finding(workload, None, "sidecar injection", why, "injected"))
        elif mesh is not None and k8s_api.is_live:
            bare = _without_proxy(k8s_api, workload, mesh)
            if bare:
                findings.append(
                    Finding(
                        workload,
                        None,
                        "pods without " + PROXY_CONTAINERS[mesh],
                        ", ".join(bare),
                        f"every pod runs {PROXY_CONTAINERS[mesh]}",
                    )
                )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-MESH-INJECTED",
        findings,
        checked,
        "mesh workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads run without the mesh proxy", "Turn injection on and restart them."
    )


def _istio_mode(policy: Object) -> str:
    return str(((policy.get("spec") or {}).get("mtls") or {}).get("mode") or "UNSET").upper()


def _istio_effective(
    policies: list[Object], namespace: str, root: str
) -> tuple[str, Object | None]:
    """The mTLS mode a namespace's workloads get without a selector policy of their own, and the
    PeerAuthentication it comes from (None: Istio's default, PERMISSIVE)."""
    for scope in (namespace, root):
        wide = [
            p
            for p in policies
            if object_namespace(p) == scope
            and not (p.get("spec") or {}).get("selector")
            and _istio_mode(p) != "UNSET"
        ]
        if wide:
            weakest = next((p for p in wide if _istio_mode(p) != "STRICT"), wide[0])
            return _istio_mode(weakest), weakest
    return "PERMISSIVE", None


def _ref(obj: Object) -> str:
    namespace = object_namespace(obj)
    return f"{namespace + '/' if namespace else ''}{obj.get('kind')}/{object_name(obj)}"


@pytest.mark.critical(
    id="K8S-MESH-MTLS-STRICT",
    section=SECTION,
    remediation="Istio: a PeerAuthentication with spec.mtls.mode: STRICT in the root namespace (mesh-wide) or in each application namespace, and no PERMISSIVE or DISABLE per workload or port. Linkerd: annotate the namespaces config.linkerd.io/default-inbound-policy: all-authenticated (or install with that default).",
    docs="https://istio.io/latest/docs/reference/config/security/peer_authentication/",
)
def test_k8s_mesh_enforces_mutual_tls(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """The service mesh accepts only mutual-TLS traffic.

    Istio (in use where a namespace is labelled for injection, a pod template opts in, or a
    PeerAuthentication exists in the namespace or mesh-wide): every application namespace's effective PeerAuthentication mode is STRICT, from
    its own namespace-wide policy or else the mesh-wide one in ``mesh_root_namespace``
    (without either, Istio's default is PERMISSIVE); no workload-selector PeerAuthentication
    in scope sets PERMISSIVE or DISABLE, for the workload or a port. Linkerd (in use where the
    namespace or a pod template is annotated linkerd.io/inject): the inbound policy
    (config.linkerd.io/default-inbound-policy on the namespace or pod template, else
    ``linkerd_default_inbound_policy``, the cluster's installed default) is all-authenticated,
    cluster-authenticated or deny. With ``require_mesh: true`` a namespace in no mesh fails.
    Not applicable where no mesh is in use and none is required.
    """
    thresholds = THRESHOLDS["K8S-MESH-MTLS-STRICT"]
    required = bool(readiness.threshold("require_mesh", thresholds["require_mesh"]))
    root = str(readiness.threshold("mesh_root_namespace", thresholds["mesh_root_namespace"]))
    linkerd_default = str(
        readiness.threshold(
            "linkerd_default_inbound_policy", thresholds["linkerd_default_inbound_policy"]
        )
    )
    policies = listed_resource(k8s_api, PEER_AUTHENTICATIONS, every_namespace=True)
    namespaces = _namespace_objects(k8s_api)
    by_namespace: dict[str, list[Workload]] = {}
    for workload in workloads(k8s_api):
        by_namespace.setdefault(workload.namespace, []).append(workload)
    findings = []
    checked = 0
    for name in app_namespaces(k8s_api, root):
        namespace = namespaces.get(name) or {}
        meshes = {_injection(w, namespace)[0] for w in by_namespace.get(name, [])}
        meshes.add(_mesh_of_namespace(namespace))
        if any(object_namespace(p) in (name, root) for p in policies):
            meshes.add("istio")  # a policy of its own, or a mesh-wide one
        meshes.discard(None)
        who = _namespace_subject(k8s_api, namespaces, name)
        if not meshes:
            if required:
                checked += 1
                findings.append(
                    Finding(who, None, "service mesh", "none", "Istio or Linkerd with mTLS")
                )
            continue
        checked += 1
        if "istio" in meshes:
            mode, origin = _istio_effective(policies, name, root)
            if mode != "STRICT":
                shown = f"{mode} ({_ref(origin) if origin else 'Istio default, no policy'})"
                source = (
                    subject(k8s_api, origin) if origin and object_namespace(origin) == name else who
                )
                findings.append(Finding(source, None, "spec.mtls.mode", shown, "STRICT"))
        if "linkerd" in meshes:
            annotations = _meta(namespace).get("annotations") or {}
            policy = str(annotations.get(LINKERD_POLICY) or linkerd_default)
            if policy not in LINKERD_STRICT:
                findings.append(
                    Finding(who, None, LINKERD_POLICY, policy, " or ".join(LINKERD_STRICT))
                )
            for workload in by_namespace.get(name, []):
                own = ((workload.pod.get("metadata") or {}).get("annotations") or {}).get(
                    LINKERD_POLICY
                )
                if own is not None and own not in LINKERD_STRICT:
                    findings.append(
                        Finding(workload, None, LINKERD_POLICY, own, " or ".join(LINKERD_STRICT))
                    )
    for peer in policies:  # workload-selector policies override the namespace's mode
        spec = peer.get("spec") or {}
        if not spec.get("selector") or not _in_scope(k8s_api, object_namespace(peer)):
            continue
        checked += 1
        weak = {"spec.mtls.mode": _istio_mode(peer)}
        for port, setting in sorted((spec.get("portLevelMtls") or {}).items()):
            weak[f"spec.portLevelMtls.{port}.mode"] = str((setting or {}).get("mode") or "UNSET")
        for key, mode in weak.items():
            if mode.upper() in ("PERMISSIVE", "DISABLE"):
                findings.append(Finding(subject(k8s_api, peer), None, key, mode, "STRICT"))
    offenders = record(
        evidence,
        k8s_api,
        "K8S-MESH-MTLS-STRICT",
        findings,
        checked,
        "mesh namespaces and workload policies",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "places accept plaintext traffic", "Set the mesh's mTLS mode to STRICT."
    )


# -- RBAC ------------------------------------------------------------------------------------

RBAC_RESOURCES = ("roles", "rolebindings", "clusterroles", "clusterrolebindings")


@pytest.mark.critical(
    id="K8S-RBAC-ENABLED",
    section=SECTION,
    remediation="Start kube-apiserver with --authorization-mode including RBAC (e.g. Node,RBAC) and without --runtime-config disabling rbac.authorization.k8s.io/v1; on a managed cluster, enable Kubernetes RBAC in its settings.",
    docs="https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
)
def test_k8s_rbac_api_is_served(k8s_api: Any, evidence: Any) -> None:
    """The API server serves the RBAC API.

    The API group rbac.authorization.k8s.io/v1 is served with roles, rolebindings,
    clusterroles and clusterrolebindings. The authorization mode itself is a flag of the API
    server that its API does not show; a server without the RBAC API cannot run the RBAC
    authorizer.
    """
    live_only(k8s_api)
    missing = [
        plural
        for plural in RBAC_RESOURCES
        if not k8s_api.serves("rbac.authorization.k8s.io", "v1", plural)
    ]
    served = [p for p in RBAC_RESOURCES if p not in missing]
    evidence(
        "rbac.authorization.k8s.io/v1",
        observed=f"served: {', '.join(served) or 'none'}",
        expected=f"served: {', '.join(RBAC_RESOURCES)}",
    )
    assert not missing, (
        f"The API server does not serve rbac.authorization.k8s.io/v1 {', '.join(missing)}. "
        "Enable RBAC (--authorization-mode=Node,RBAC)."
    )


# -- autoscaling and delivery -----------------------------------------------------------------


def _workload_keys(k8s_api: Any) -> set[tuple[str, str, str]]:
    keys = {(w.namespace, w.kind, w.name) for w in workloads(k8s_api)}
    keys |= {
        (object_namespace(r), "Rollout", object_name(r)) for r in listed_resource(k8s_api, ROLLOUTS)
    }
    return keys


def _target(obj: Object, field: str = "targetRef") -> tuple[str, str, str]:
    ref = (obj.get("spec") or {}).get(field) or {}
    return object_namespace(obj), str(ref.get("kind")), str(ref.get("name"))


def _scales_on_resources(hpa: Object) -> list[str]:
    """The cpu/memory metrics an HPA scales on (a VPA in Auto mode fights those)."""
    spec = hpa.get("spec") or {}
    found = ["cpu"] if spec.get("targetCPUUtilizationPercentage") else []
    for metric in spec.get("metrics") or []:
        source = metric.get("resource") or metric.get("containerResource") or {}
        if metric.get("type") in ("Resource", "ContainerResource") and source.get("name") in (
            "cpu",
            "memory",
        ):
            found.append(str(source["name"]))
    return found


def _scalable(k8s_api: Any) -> list[Workload]:
    return [w for w in workloads(k8s_api) if w.kind in ("Deployment", "StatefulSet")]


@pytest.mark.nice_to_have(
    id="K8S-VPA",
    section=SECTION,
    remediation='Point every VerticalPodAutoscaler\'s spec.targetRef at an existing workload, run the VPA recommender, and set spec.updatePolicy.updateMode: "Off" where an HPA scales the same workload on cpu or memory; with require_vpa, add a VPA for each Deployment and StatefulSet.',
    docs="https://github.com/kubernetes/autoscaler/tree/master/vertical-pod-autoscaler",
)
def test_k8s_vertical_autoscalers_target_workloads(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """VerticalPodAutoscalers target existing workloads and give recommendations.

    Every VerticalPodAutoscaler's spec.targetRef names a workload of its namespace, and one
    that updates pods (updateMode other than Off, Auto by default) does not share its target
    with an HPA scaling on cpu or memory (the two would fight). Live, each has recommendations
    in status.recommendation. With ``require_vpa: true`` every Deployment and StatefulSet is
    targeted by one. Not applicable without VPAs when none is required.
    """
    required = bool(readiness.threshold("require_vpa", THRESHOLDS["K8S-VPA"]["require_vpa"]))
    vpas = listed_resource(k8s_api, VPAS)
    known = _workload_keys(k8s_api)
    hpas = {
        _target(h, "scaleTargetRef"): h
        for h in listed(k8s_api, "horizontalpodautoscalers")
        if _scales_on_resources(h)
    }
    findings = []
    for vpa in vpas:
        who = subject(k8s_api, vpa)
        target = _target(vpa)
        if target not in known:
            findings.append(
                Finding(
                    who, None, "spec.targetRef", f"{target[1]}/{target[2]}", "an existing workload"
                )
            )
        mode = str(((vpa.get("spec") or {}).get("updatePolicy") or {}).get("updateMode") or "Auto")
        hpa = hpas.get(target)
        if hpa is not None and mode != "Off":
            fight = f"{mode}, and {_ref(hpa)} scales on {', '.join(_scales_on_resources(hpa))}"
            findings.append(Finding(who, None, "spec.updatePolicy.updateMode", fight, "Off"))
        if k8s_api.is_live:
            recommendation = (vpa.get("status") or {}).get("recommendation") or {}
            if not recommendation.get("containerRecommendations"):
                findings.append(
                    Finding(who, None, "status.recommendation", None, "recommendations")
                )
    checked = len(vpas)
    if required:
        targeted = {_target(v) for v in vpas}
        for workload in _scalable(k8s_api):
            checked += 1
            if (workload.namespace, workload.kind, workload.name) not in targeted:
                findings.append(
                    Finding(workload, None, "VerticalPodAutoscaler", "none", "one targets it")
                )
    offenders = record(
        evidence, k8s_api, "K8S-VPA", findings, checked, "vertical autoscalers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "vertical autoscaling problems", "Fix the VerticalPodAutoscalers."
    )


CANARY_PHASES = ("Initialized", "Succeeded")
_DELIVERY_OWNERS = ("Canary", "Rollout")


@pytest.mark.important(
    id="K8S-CANARY-RESOURCE",
    section=SECTION,
    remediation="Point each Flagger Canary's spec.targetRef (or Argo Rollout's spec.workloadRef) at an existing workload, give Rollouts a spec.strategy of canary or blueGreen, and fix or roll back failed analyses; with require_canary, add a Canary or Rollout for each Deployment and StatefulSet.",
    docs="https://docs.flagger.app/usage/how-it-works",
)
def test_k8s_progressive_delivery_covers_the_workloads(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Flagger Canaries and Argo Rollouts are sound and healthy.

    Every Flagger Canary's spec.targetRef names a workload of its namespace; every Argo
    Rollout has a canary or blueGreen strategy, and its spec.workloadRef (if any) names a
    workload. Live, a Canary's status.phase is Initialized or Succeeded (not Failed, nor an
    analysis still in progress) and a Rollout's is Healthy. With ``require_canary: true``
    every Deployment and StatefulSet (but Flagger's own primaries) is targeted by a Canary or
    a Rollout's workloadRef. Not applicable without either when none is required.
    """
    required = bool(
        readiness.threshold("require_canary", THRESHOLDS["K8S-CANARY-RESOURCE"]["require_canary"])
    )
    canaries = listed_resource(k8s_api, CANARIES)
    rollouts = listed_resource(k8s_api, ROLLOUTS)
    known = _workload_keys(k8s_api)
    findings = []
    for canary in canaries:
        who = subject(k8s_api, canary)
        target = _target(canary)
        if target not in known:
            findings.append(
                Finding(
                    who, None, "spec.targetRef", f"{target[1]}/{target[2]}", "an existing workload"
                )
            )
        phase = (canary.get("status") or {}).get("phase")
        if k8s_api.is_live and phase not in CANARY_PHASES:
            findings.append(Finding(who, None, "status.phase", phase, " or ".join(CANARY_PHASES)))
    for rollout in rollouts:
        who = subject(k8s_api, rollout)
        spec = rollout.get("spec") or {}
        strategy = spec.get("strategy") or {}
        if not ({"canary", "blueGreen"} & set(strategy)):
            findings.append(
                Finding(who, None, "spec.strategy", sorted(strategy) or None, "canary or blueGreen")
            )
        if spec.get("workloadRef") and _target(rollout, "workloadRef") not in known:
            ref = _target(rollout, "workloadRef")
            findings.append(
                Finding(who, None, "spec.workloadRef", f"{ref[1]}/{ref[2]}", "an existing workload")
            )
        status = rollout.get("status") or {}
        if k8s_api.is_live and status.get("phase") != "Healthy":
            shown = f"{status.get('phase')}: {status.get('message') or 'no message'}"
            findings.append(Finding(who, None, "status.phase", shown, "Healthy"))
    checked = len(canaries) + len(rollouts)
    if required:
        covered = {_target(c) for c in canaries}
        covered |= {_target(r, "workloadRef") for r in rollouts}
        for workload in _scalable(k8s_api):
            owners = _meta(workload.obj).get("ownerReferences") or []
            if any(o.get("kind") in _DELIVERY_OWNERS for o in owners):
                continue  # Flagger's primary Deployment, run by its Canary
            checked += 1
            if (workload.namespace, workload.kind, workload.name) not in covered:
                findings.append(
                    Finding(workload, None, "Canary or Rollout", "none", "one targets it")
                )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-CANARY-RESOURCE",
        findings,
        checked,
        "canaries and rollouts",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "progressive delivery problems", "Fix the Canaries and Rollouts."
    )


# -- secrets, monitoring, traffic ------------------------------------------------------------


@pytest.mark.critical(
    id="K8S-EXTERNAL-SECRETS-SYNCED",
    section=SECTION,
    remediation="Fix what keeps the ExternalSecret from syncing (kubectl describe externalsecret: the SecretStore's credentials, the remote key) until it is Ready=True (SecretSynced); with require_external_secrets, give each application namespace its ExternalSecrets.",
    docs="https://external-secrets.io/latest/api/externalsecret/",
)
def test_k8s_external_secrets_are_synced(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """ExternalSecrets are synced from their store.

    Live only: every ExternalSecret (external-secrets.io) in scope has condition Ready=True,
    which the operator sets when it wrote the Secret (reason SecretSynced). With
    ``require_external_secrets: true`` every application namespace has at least one. Not
    applicable without ExternalSecrets when none is required.
    """
    live_only(k8s_api)
    required = bool(
        readiness.threshold(
            "require_external_secrets",
            THRESHOLDS["K8S-EXTERNAL-SECRETS-SYNCED"]["require_external_secrets"],
        )
    )
    secrets = listed_resource(k8s_api, EXTERNAL_SECRETS)
    findings = []
    for secret in secrets:
        ready, said = _has_condition(secret, "Ready")
        if not ready:
            findings.append(
                Finding(subject(k8s_api, secret), None, "status.conditions", said, "Ready=True")
            )
    checked = len(secrets)
    if required:
        namespaces = _namespace_objects(k8s_api)
        having = {object_namespace(s) for s in secrets}
        for name in app_namespaces(k8s_api):
            checked += 1
            if name not in having:
                who = _namespace_subject(k8s_api, namespaces, name)
                findings.append(Finding(who, None, "ExternalSecret", "none", ">= 1"))
    offenders = record(
        evidence,
        k8s_api,
        "K8S-EXTERNAL-SECRETS-SYNCED",
        findings,
        checked,
        "external secrets",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "external secrets are not synced", "Fix their stores and keys."
    )


def _exposes_metrics(service: Object) -> bool:
    annotations = _meta(service).get("annotations") or {}
    ports = (service.get("spec") or {}).get("ports") or []
    return str(annotations.get("prometheus.io/scrape")).lower() == "true" or any(
        "metrics" in str(p.get("name") or "").lower() for p in ports
    )


def _watches(monitor: Object, namespace: str) -> bool:
    """Whether a ServiceMonitor/PodMonitor looks into ``namespace`` (its own by default)."""
    chosen = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if chosen.get("any"):
        return True
    if chosen.get("matchNames"):
        return namespace in chosen["matchNames"]
    return object_namespace(monitor) == namespace


def _service_monitored(service: Object, monitors: list[Object]) -> bool:
    labels = _meta(service).get("labels") or {}
    ports = (service.get("spec") or {}).get("ports") or []
    names = {str(p.get("name")) for p in ports if p.get("name")}
    targets = {str(p.get("targetPort", p.get("port"))) for p in ports}
    for monitor in monitors:
        spec = monitor.get("spec") or {}
        if not _watches(monitor, object_namespace(service)) or not selects(
            spec.get("selector"), labels
        ):
            continue
        for endpoint in spec.get("endpoints") or []:
            if str(endpoint.get("port")) in names or str(endpoint.get("targetPort")) in targets:
                return True
    return False


def _pods_monitored(k8s_api: Any, service: Object, monitors: list[Object]) -> bool:
    """Whether a PodMonitor scrapes a port of the pods the Service selects."""
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return False
    for workload in workloads(k8s_api):
        if workload.namespace != object_namespace(service) or not all(
            workload.pod_labels.get(k) == v for k, v in selector.items()
        ):
            continue
        ports = {
            str(p.get(key))
            for c in workload.containers()
            for p in c.get("ports") or []
            for key in ("name", "containerPort")
            if p.get(key) is not None
        }
        for monitor in monitors:
            spec = monitor.get("spec") or {}
            if not _watches(monitor, workload.namespace) or not selects(
                spec.get("selector"), workload.pod_labels
            ):
                continue
            for endpoint in spec.get("podMetricsEndpoints") or []:
                if str(endpoint.get("port", endpoint.get("portNumber"))) in ports:
                    return True
    return False


@pytest.mark.important(
    id="K8S-SERVICEMONITOR",
    section=SECTION,
    remediation="Add a ServiceMonitor (monitoring.coreos.com/v1) whose spec.selector matches the Service's labels and whose spec.endpoints[].port names its metrics port (or a PodMonitor on its pods); with require_service_monitors, cover every Service.",
    docs="https://prometheus-operator.dev/docs/developer/getting-started/",
)
def test_k8s_metrics_services_are_scraped(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Services that expose metrics are scraped through the Prometheus Operator.

    Every Service in scope outside kube-* that exposes metrics (a port whose name contains
    "metrics", or the annotation prometheus.io/scrape: "true") is selected by a ServiceMonitor
    (spec.selector matches its labels, the monitor watches its namespace, an endpoint names
    one of its ports) or its pods by a PodMonitor on one of their ports. Monitors are looked
    for in every namespace. With ``require_service_monitors: true`` every Service with a pod
    selector must be too. Not applicable where no Service exposes metrics and none is
    required.
    """
    required = bool(
        readiness.threshold(
            "require_service_monitors",
            THRESHOLDS["K8S-SERVICEMONITOR"]["require_service_monitors"],
        )
    )
    monitors = listed_resource(k8s_api, SERVICE_MONITORS, every_namespace=True)
    pod_monitors = listed_resource(k8s_api, POD_MONITORS, every_namespace=True)
    services = [
        s
        for s in listed(k8s_api, "services")
        if not object_namespace(s).startswith("kube-")
        and (s.get("spec") or {}).get("type") != "ExternalName"
        and (_exposes_metrics(s) or (required and (s.get("spec") or {}).get("selector")))
    ]
    findings = [
        Finding(
            subject(k8s_api, s),
            None,
            "ServiceMonitor or PodMonitor",
            "none selects it",
            "one selecting it on a port",
        )
        for s in services
        if not _service_monitored(s, monitors) and not _pods_monitored(k8s_api, s, pod_monitors)
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SERVICEMONITOR",
        findings,
        len(services),
        "metrics services",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "services are not scraped", "Add ServiceMonitors or PodMonitors."
    )


def _addresses(obj: Object) -> list[str]:
    balancer = (obj.get("status") or {}).get("loadBalancer") or {}
    return [
        str(entry.get("ip") or entry.get("hostname"))
        for entry in balancer.get("ingress") or []
        if entry.get("ip") or entry.get("hostname")
    ]


@pytest.mark.important(
    id="K8S-LB-ADDRESS",
    section=SECTION,
    remediation="Find why no address was assigned (kubectl describe service / ingress: the cloud load balancer controller, its quota, the ingress controller's publish-service) until status.loadBalancer.ingress lists an IP or hostname.",
    docs="https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer",
)
def test_k8s_load_balancers_have_addresses(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """LoadBalancer Services and Ingresses have an address.

    Live only: every Service of type LoadBalancer and every Ingress in scope has an IP or a
    hostname in status.loadBalancer.ingress, so clients can reach it. Not applicable without
    either.
    """
    live_only(k8s_api)
    balanced = [
        s
        for s in listed(k8s_api, "services")
        if (s.get("spec") or {}).get("type") == "LoadBalancer"
    ] + listed(k8s_api, "ingresses")
    findings = [
        Finding(subject(k8s_api, o), None, "status.loadBalancer.ingress", None, "an IP or hostname")
        for o in balanced
        if not _addresses(o)
    ]
    for obj in balanced:
        if _addresses(obj):
            evidence(_ref(obj), observed=_addresses(obj), expected="an IP or hostname")
    offenders = record(
        evidence,
        k8s_api,
        "K8S-LB-ADDRESS",
        findings,
        len(balanced),
        "load-balanced Services and Ingresses",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "load balancers have no address", "Get them an address."
    )


# -- admission webhooks ------------------------------------------------------------------------


def _ready_endpoints(k8s_api: Any) -> dict[tuple[str, str], int]:
    """Ready addresses of every Endpoints object, by (namespace, name)."""
    return {
        (object_namespace(e), object_name(e)): sum(
            len(s.get("addresses") or []) for s in e.get("subsets") or []
        )
        for e in listed_resource(k8s_api, ENDPOINTS, every_namespace=True)
    }


def _webhook_findings(
    k8s_api: Any,
    configuration: Object,
    webhook: Object,
    limits: tuple[str, int],
    services: dict[tuple[str, str], int] | None,
) -> list[Finding]:
    """Findings of one webhook; ``services`` (live): ready addresses by Service, None offline."""
    policy, max_timeout = limits
    who = subject(k8s_api, configuration)
    name = str(webhook.get("name"))
    beta = str(configuration.get("apiVersion", "")).endswith("v1beta1")
    found = []
    failure = str(webhook.get("failurePolicy") or ("Ignore" if beta else "Fail"))
    if policy != "any" and failure != policy:
        found.append(Finding(who, None, f"webhooks[{name}].failurePolicy", failure, policy))
    timeout = int(webhook.get("timeoutSeconds") or (30 if beta else 10))
    if timeout > max_timeout:
        found.append(
            Finding(who, None, f"webhooks[{name}].timeoutSeconds", timeout, f"<= {max_timeout}")
        )
    client = webhook.get("clientConfig") or {}
    service = client.get("service")
    if not service and not client.get("url"):
        found.append(Finding(who, None, f"webhooks[{name}].clientConfig", None, "service or url"))
    if not service:
        return found
    annotations = _meta(configuration).get("annotations") or {}
    injected = not k8s_api.is_live and any(key in annotations for key in CERT_MANAGER_CA)
    if not client.get("caBundle") and not injected:
        found.append(
            Finding(who, None, f"webhooks[{name}].clientConfig.caBundle", None, "the serving CA")
        )
    if services is not None:
        key = (str(service.get("namespace")), str(service.get("name")))
        ready = services.get(key)
        if not ready:
            shown = f"{key[0]}/{key[1]}: " + (
                "not found" if ready is None else "no ready endpoints"
            )
            found.append(
                Finding(
                    who,
                    None,
                    f"webhooks[{name}].clientConfig.service",
                    shown,
                    "an existing Service with ready endpoints",
                )
            )
    return found


@pytest.mark.important(
    id="K8S-ADMISSION-WEBHOOKS",
    section=SECTION,
    remediation="Set each webhook's failurePolicy to webhook_failure_policy (Fail by default) and timeoutSeconds at most max_webhook_timeout_seconds, give service webhooks a clientConfig.caBundle (or a cert-manager CA injection annotation), and run the Service behind them with ready pods.",
    docs="https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
)
def test_k8s_admission_webhooks_are_sound(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Admission webhooks fail safe, answer in time and can be reached.

    Every webhook of every ValidatingWebhookConfiguration and MutatingWebhookConfiguration has
    failurePolicy ``webhook_failure_policy`` (default Fail: with Ignore a webhook that is down
    lets every object through unchecked; "any" accepts both) and timeoutSeconds at most
    ``max_webhook_timeout_seconds`` (unset is the API's default: 10 s in v1, 30 s in
    v1beta1); a webhook called through a Service has a clientConfig.caBundle (offline, a
    cert-manager CA injection annotation also counts, as the bundle is injected later). Live,
    that Service exists and has ready endpoints. Configurations named in
    ``required_webhooks`` must exist. Not applicable without webhooks when none is required.
    """
    thresholds = THRESHOLDS["K8S-ADMISSION-WEBHOOKS"]
    policy = str(
        readiness.threshold("webhook_failure_policy", thresholds["webhook_failure_policy"])
    )
    max_timeout = int(
        readiness.threshold(
            "max_webhook_timeout_seconds", thresholds["max_webhook_timeout_seconds"]
        )
    )
    required = list(readiness.threshold("required_webhooks", thresholds["required_webhooks"]) or [])
    configurations = [c for r in WEBHOOK_CONFIGURATIONS for c in listed_resource(k8s_api, r)]
    services: dict[tuple[str, str], int] | None = None
    if k8s_api.is_live:
        everywhere = listed_resource(k8s_api, RESOURCES["services"], every_namespace=True)
        services = dict.fromkeys(((object_namespace(s), object_name(s)) for s in everywhere), 0)
        services.update({k: v for k, v in _ready_endpoints(k8s_api).items() if k in services})
    findings = []
    checked = 0
    for configuration in configurations:
        for webhook in configuration.get("webhooks") or []:
            checked += 1
            findings += _webhook_findings(
                k8s_api, configuration, webhook, (policy, max_timeout), services
            )
    names = {object_name(c) for c in configurations}
    for name in required:
        checked += 1
        if str(name) not in names:
            missing = {"kind": "WebhookConfiguration", "metadata": {"name": str(name)}}
            findings.append(
                Finding(subject(k8s_api, missing), None, "configuration", "missing", "present")
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-ADMISSION-WEBHOOKS",
        findings,
        checked,
        "admission webhooks",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "admission webhook problems", "Fix the webhook configurations."
    )
