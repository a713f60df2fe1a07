"""Kubernetes workload security: pod security context, host isolation, identity, network, secrets.

The pod security checks follow the Pod Security Standard "restricted" profile; init containers
are checked too (they run with the same privileges). Same evidence and waivers as
``test_k8s_workloads.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ._k8s import (
    Finding,
    Workload,
    listed,
    message,
    per_container,
    record,
    security_context,
    selects,
    subject,
    workloads,
)

DOMAIN = "kubernetes"
TARGET_KIND = "kubernetes"
THRESHOLDS: dict[str, dict[str, Any]] = {}
SECTION = "Kubernetes security"
PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


@pytest.mark.critical(
    id="K8S-SEC-NONROOT",
    section=SECTION,
    remediation="Set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser; build the image with a USER.",
    docs=PSS,
)
def test_k8s_containers_run_as_non_root(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Containers must run as a non-root user.

    runAsNonRoot is true for every container (its own securityContext or the pod's), and no
    runAsUser is 0.
    """

    def non_root(w: Workload, c: dict[str, Any]) -> tuple[bool, Any]:
        flag, user = security_context(w, c, "runAsNonRoot"), security_context(w, c, "runAsUser")
        return flag is True and user != 0, f"runAsNonRoot={flag}, runAsUser={user}"

    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.runAsNonRoot",
        "true (runAsUser not 0)",
        non_root,
        init=True,
    )
    offenders = record(
        evidence, k8s_api, "K8S-SEC-NONROOT", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "containers may run as root", "Set runAsNonRoot: true."
    )


@pytest.mark.important(
    id="K8S-SEC-RO-ROOTFS",
    section=SECTION,
    remediation="Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the app must write.",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
)
def test_k8s_containers_have_read_only_root_filesystems(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers have a read-only root filesystem.

    readOnlyRootFilesystem is true in every container's securityContext, so an intruder cannot
    drop tools or change the code inside the container.
    """
    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.readOnlyRootFilesystem",
        True,
        lambda w, c: (
            (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is True,
            (c.get("securityContext") or {}).get("readOnlyRootFilesystem"),
        ),
        init=True,
    )
    offenders = record(
        evidence, k8s_api, "K8S-SEC-RO-ROOTFS", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "containers have a writable root filesystem", "Set readOnlyRootFilesystem: true."
    )


@pytest.mark.critical(
    id="K8S-SEC-PRIVILEGED",
    section=SECTION,
    remediation="Remove securityContext.privileged: true (or set it to false); grant single capabilities instead.",
    docs=PSS,
)
def test_k8s_containers_are_not_privileged(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """No container is privileged.

    A privileged container has every capability and the host's devices: it is root on the
    node. privileged must be unset or false everywhere.
    """
    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.privileged",
        False,
        lambda w, c: (
            (c.get("securityContext") or {}).get("privileged") is not True,
            (c.get("securityContext") or {}).get("privileged"),
        ),
        init=True,
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SEC-PRIVILEGED",
        findings,
        checked,
        "containers",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "containers are privileged", "Set privileged: false.")


@pytest.mark.critical(
    id="K8S-SEC-PRIV-ESCALATION",
    section=SECTION,
    remediation="Set securityContext.allowPrivilegeEscalation: false on every container.",
    docs=PSS,
)
def test_k8s_containers_forbid_privilege_escalation(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers forbid privilege escalation.

    allowPrivilegeEscalation is explicitly false in every container (unset means allowed), so
    setuid binaries cannot gain more privileges than the process started with.
    """
    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.allowPrivilegeEscalation",
        False,
        lambda w, c: (
            (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is False,
            (c.get("securityContext") or {}).get("allowPrivilegeEscalation"),
        ),
        init=True,
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SEC-PRIV-ESCALATION",
        findings,
        checked,
        "containers",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers allow privilege escalation", "Set allowPrivilegeEscalation: false."
    )


ALLOWED_ADDS = frozenset({"NET_BIND_SERVICE"})


@pytest.mark.critical(
    id="K8S-SEC-CAPABILITIES",
    section=SECTION,
    remediation="Set securityContext.capabilities.drop: [ALL] and add back at most NET_BIND_SERVICE.",
    docs=PSS,
)
def test_k8s_containers_drop_all_capabilities(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Containers drop all capabilities and add no dangerous ones.

    capabilities.drop contains ALL, and capabilities.add holds nothing but NET_BIND_SERVICE
    (the restricted Pod Security Standard).
    """

    def dropped(_: Workload, c: dict[str, Any]) -> tuple[bool, Any]:
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        drop = {str(x).upper() for x in caps.get("drop") or []}
        add = sorted(
            {str(x).upper().removeprefix("CAP_") for x in caps.get("add") or []} - ALLOWED_ADDS
        )
        return "ALL" in drop and not add, f"drop={sorted(drop)}, add={add}"

    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.capabilities",
        "drop [ALL], add at most NET_BIND_SERVICE",
        dropped,
        init=True,
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SEC-CAPABILITIES",
        findings,
        checked,
        "containers",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers keep or add capabilities", "Drop ALL capabilities."
    )


_SECCOMP_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"


@pytest.mark.important(
    id="K8S-SEC-SECCOMP",
    section=SECTION,
    remediation="Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec.",
    docs="https://kubernetes.io/docs/tutorials/security/seccomp/",
)
def test_k8s_containers_use_a_seccomp_profile(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Containers run with the RuntimeDefault (or a Localhost) seccomp profile.

    The seccompProfile type of each container (its own or the pod's; the pre-1.19 pod
    annotation counts too) is RuntimeDefault or Localhost, never Unconfined or unset.
    """

    def confined(w: Workload, c: dict[str, Any]) -> tuple[bool, Any]:
        kind = (security_context(w, c, "seccompProfile") or {}).get("type")
        if kind is None:
            annotation = ((w.pod.get("metadata") or {}).get("annotations") or {}).get(
                _SECCOMP_ANNOTATION
            )
            if annotation in ("runtime/default", "docker/default") or str(annotation).startswith(
                "localhost/"
            ):
                kind = "RuntimeDefault (annotation)"
        return kind is not None and kind != "Unconfined", kind

    findings, checked = per_container(
        workloads(k8s_api),
        "securityContext.seccompProfile.type",
        "RuntimeDefault",
        confined,
        init=True,
    )
    offenders = record(
        evidence, k8s_api, "K8S-SEC-SECCOMP", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(
        offenders, "containers run without seccomp", "Set seccompProfile RuntimeDefault."
    )


@pytest.mark.critical(
    id="K8S-SEC-HOST-NAMESPACES",
    section=SECTION,
    remediation="Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
    docs=PSS,
)
def test_k8s_pods_do_not_share_host_namespaces(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Pods do not share the host's network, PID or IPC namespace.

    hostNetwork, hostPID and hostIPC are unset or false in every pod spec.
    """
    items = workloads(k8s_api)
    findings = [
        Finding(w, None, key, True, False)
        for w in items
        for key in ("hostNetwork", "hostPID", "hostIPC")
        if w.pod_spec.get(key) is True
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SEC-HOST-NAMESPACES",
        findings,
        len(items),
        "workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "pods share host namespaces", "Remove hostNetwork/hostPID/hostIPC."
    )


@pytest.mark.critical(
    id="K8S-SEC-HOSTPATH",
    section=SECTION,
    remediation="Replace hostPath volumes with emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume.",
    docs="https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
)
def test_k8s_pods_mount_no_host_paths(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Pods mount no hostPath volume.

    A hostPath volume exposes the node's filesystem to the container; no pod spec declares one.
    """
    items = workloads(k8s_api)
    findings = [
        Finding(
            w, None, f"volumes[{v.get('name')}].hostPath", v["hostPath"].get("path"), "no hostPath"
        )
        for w in items
        for v in w.pod_spec.get("volumes") or []
        if v.get("hostPath")
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SEC-HOSTPATH",
        findings,
        len(items),
        "workloads",
        readiness=readiness,
    )
    assert not offenders, message(offenders, "pods mount host paths", "Use another volume type.")


@pytest.mark.important(
    id="K8S-SEC-HOSTPORT",
    section=SECTION,
    remediation="Remove ports[].hostPort and expose the container through a Service.",
    docs="https://kubernetes.io/docs/concepts/configuration/overview/#services",
)
def test_k8s_containers_bind_no_host_ports(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Containers bind no host port.

    No container port sets hostPort, and no pod with hostNetwork declares container ports
    (they are host ports then): a host port ties the pod to nodes with that port free and
    bypasses NetworkPolicies on some network plugins.
    """

    def no_host_port(w: Workload, c: dict[str, Any]) -> tuple[bool, Any]:
        # with hostNetwork every container port is a host port (the API server defaults
        # hostPort to containerPort then), so both forms are the same finding
        host_network = w.pod_spec.get("hostNetwork") is True
        ports = [
            p.get("hostPort") or p.get("containerPort")
            for p in c.get("ports") or []
            if p.get("hostPort") or host_network
        ]
        return not ports, ports or None

    findings, checked = per_container(
        workloads(k8s_api), "ports[].hostPort", "none", no_host_port, init=True
    )
    offenders = record(
        evidence, k8s_api, "K8S-SEC-HOSTPORT", findings, checked, "containers", readiness=readiness
    )
    assert not offenders, message(offenders, "containers bind host ports", "Remove hostPort.")


def _service_account(workload: Workload) -> str:
    spec = workload.pod_spec
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


@pytest.mark.important(
    id="K8S-SA-DEDICATED",
    section=SECTION,
    remediation="Create a ServiceAccount per application and set serviceAccountName in the pod spec.",
    docs="https://kubernetes.io/docs/concepts/security/service-accounts/",
)
def test_k8s_workloads_use_a_dedicated_service_account(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Workloads run under their own service account.

    Every pod spec names a serviceAccountName other than ``default``, so permissions granted
    to one application do not leak to every pod of the namespace.
    """
    items = workloads(k8s_api)
    findings = [
        Finding(w, None, "serviceAccountName", _service_account(w), "a dedicated ServiceAccount")
        for w in items
        if _service_account(w) == "default"
    ]
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SA-DEDICATED",
        findings,
        len(items),
        "workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "workloads use the default service account", "Set serviceAccountName."
    )


@pytest.mark.important(
    id="K8S-SA-AUTOMOUNT",
    section=SECTION,
    remediation="Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount) unless the app calls the Kubernetes API.",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
)
def test_k8s_pods_do_not_mount_api_tokens(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Pods do not mount a Kubernetes API token they do not need.

    automountServiceAccountToken is false in the pod spec, or unset there and false on the
    pod's ServiceAccount; a ServiceAccount that is not found counts as mounting (the default).
    """
    accounts = {
        ((a.get("metadata") or {}).get("namespace"), (a.get("metadata") or {}).get("name")): a
        for a in listed(k8s_api, "serviceaccounts")
    }
    items = workloads(k8s_api)
    findings = []
    for workload in items:
        mount = workload.pod_spec.get("automountServiceAccountToken")
        where = "pod spec"
        if mount is None:
            account = accounts.get((workload.namespace, _service_account(workload)))
            mount = (account or {}).get("automountServiceAccountToken")
            where = f"ServiceAccount {_service_account(workload)}" + (
                "" if account else " (not found)"
            )
        if mount is not False:
            findings.append(
                Finding(workload, None, "automountServiceAccountToken", f"{mount} ({where})", False)
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-SA-AUTOMOUNT",
        findings,
        len(items),
        "workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "pods mount an API token", "Set automountServiceAccountToken: false."
    )


def _namespace_policies(k8s_api: Any, namespace: str) -> list[dict[str, Any]]:
    return [
        p
        for p in listed(k8s_api, "networkpolicies")
        if (p.get("metadata") or {}).get("namespace") == namespace
    ]


@pytest.mark.critical(
    id="K8S-NETPOL",
    section=SECTION,
    remediation="Add a NetworkPolicy whose podSelector selects the workload's pods (a default-deny policy with podSelector: {} selects all).",
    docs="https://kubernetes.io/docs/concepts/services-networking/network-policies/",
)
def test_k8s_every_pod_is_selected_by_a_network_policy(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Every workload's pods are selected by a NetworkPolicy.

    A pod no NetworkPolicy selects accepts traffic from anywhere in the cluster; each
    workload's pod labels must match the podSelector of at least one policy of its namespace.
    """
    items = workloads(k8s_api)
    findings = [
        Finding(w, None, "NetworkPolicy", "none selects its pods", "at least one")
        for w in items
        if not any(
            selects((p.get("spec") or {}).get("podSelector"), w.pod_labels)
            for p in _namespace_policies(k8s_api, w.namespace)
        )
    ]
    offenders = record(
        evidence, k8s_api, "K8S-NETPOL", findings, len(items), "workloads", readiness=readiness
    )
    assert not offenders, message(
        offenders, "workloads are open to the whole cluster", "Add a NetworkPolicy."
    )


def _denies_ingress(policy: dict[str, Any]) -> bool:
    spec = policy.get("spec") or {}
    types = spec.get("policyTypes") or ["Ingress"]
    return spec.get("podSelector") in (None, {}) and "Ingress" in types and not spec.get("ingress")


@pytest.mark.important(
    id="K8S-NETPOL-DEFAULT-DENY",
    section=SECTION,
    remediation="Add to each namespace a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] and no ingress rules; allow traffic per app on top.",
    docs="https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
)
def test_k8s_namespaces_deny_ingress_by_default(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Namespaces with workloads deny ingress by default.

    Each namespace that runs a workload has a NetworkPolicy selecting all its pods
    (podSelector {}) with policy type Ingress and no ingress rule.
    """
    namespaces: dict[str, Workload] = {}
    for workload in workloads(k8s_api):
        namespaces.setdefault(workload.namespace, workload)
    findings = []
    for namespace in sorted(namespaces):
        if not any(_denies_ingress(p) for p in _namespace_policies(k8s_api, namespace)):
            pseudo = subject(k8s_api, {"kind": "Namespace", "metadata": {"name": namespace}})
            findings.append(
                Finding(
                    pseudo,
                    None,
                    "default-deny NetworkPolicy",
                    "none",
                    "podSelector {} denying ingress",
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-NETPOL-DEFAULT-DENY",
        findings,
        len(namespaces),
        "namespaces with workloads",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "namespaces allow ingress by default", "Add a default-deny policy."
    )


_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I
)


@pytest.mark.critical(
    id="K8S-NO-PLAINTEXT-SECRETS",
    section=SECTION,
    remediation="Move the value into a Secret and reference it with env[].valueFrom.secretKeyRef (or envFrom.secretRef).",
    docs="https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
)
def test_k8s_secrets_are_not_literal_env_values(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Secret-like environment variables come from Secrets, not literals.

    No env variable whose name looks like a credential (PASSWORD, SECRET, TOKEN, API_KEY,
    PRIVATE_KEY, ACCESS_KEY, CREDENTIAL) has a literal non-empty value. The value itself is
    never recorded.
    """

    def literal(_: Workload, c: dict[str, Any]) -> tuple[bool, Any]:
        names = [
            e.get("name")
            for e in c.get("env") or []
            if e.get("value") and _SECRET_NAME.search(str(e.get("name")))
        ]
        return not names, [f"{n}=<literal value>" for n in names] or None

    findings, checked = per_container(
        workloads(k8s_api), "env[].value", "valueFrom.secretKeyRef", literal, init=True
    )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-NO-PLAINTEXT-SECRETS",
        findings,
        checked,
        "containers",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers hold secrets in plain env values", "Use secretKeyRef."
    )
