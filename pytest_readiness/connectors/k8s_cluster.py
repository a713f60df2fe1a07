"""The Kubernetes facade both backends implement, and the kinds of object it lists.

:mod:`~pytest_readiness.connectors.kubernetes` serves it from an API server,
:mod:`~pytest_readiness.connectors.k8s_offline` from rendered manifests; both import it from
here, so neither imports the other's module for it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from pytest_readiness.connectors.base import Target

__all__ = ["RESOURCES", "SECRETS", "KubernetesCluster", "Object", "Resource", "order"]

Object = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A kind of object: API group, versions in order of preference, plural, scope."""

    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str = ""
    namespaced: bool | None = None  # None: not known up front (custom resources)


RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource("apps", ("v1",), "deployments", "Deployment", True),
        Resource("apps", ("v1",), "statefulsets", "StatefulSet", True),
        Resource("apps", ("v1",), "daemonsets", "DaemonSet", True),
        Resource("", ("v1",), "pods", "Pod", True),
        Resource("", ("v1",), "services", "Service", True),
        Resource("", ("v1",), "configmaps", "ConfigMap", True),
        Resource("", ("v1",), "serviceaccounts", "ServiceAccount", True),
        Resource("", ("v1",), "resourcequotas", "ResourceQuota", True),
        Resource("", ("v1",), "limitranges", "LimitRange", True),
        Resource("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy", True),
        Resource("policy", ("v1", "v1beta1"), "poddisruptionbudgets", "PodDisruptionBudget", True),
        Resource(
            "autoscaling",
            ("v2", "v2beta2", "v1"),
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            True,
        ),
        Resource("apps", ("v1",), "replicasets", "ReplicaSet", True),
        Resource("batch", ("v1",), "jobs", "Job", True),
        Resource("batch", ("v1", "v1beta1"), "cronjobs", "CronJob", True),
        Resource("", ("v1",), "namespaces", "Namespace", False),
        Resource("", ("v1",), "nodes", "Node", False),
        Resource("", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim", True),
        Resource("storage.k8s.io", ("v1",), "storageclasses", "StorageClass", False),
        Resource("networking.k8s.io", ("v1", "v1beta1"), "ingressclasses", "IngressClass", False),
        Resource("networking.k8s.io", ("v1", "v1beta1"), "ingresses", "Ingress", True),
        Resource("scheduling.k8s.io", ("v1",), "priorityclasses", "PriorityClass", False),
        Resource("rbac.authorization.k8s.io", ("v1",), "roles", "Role", True),
        Resource("rbac.authorization.k8s.io", ("v1",), "rolebindings", "RoleBinding", True),
        Resource("rbac.authorization.k8s.io", ("v1",), "clusterroles", "ClusterRole", False),
        Resource(
            "rbac.authorization.k8s.io", ("v1",), "clusterrolebindings", "ClusterRoleBinding", False
        ),
    )
}
#: Not in RESOURCES: checks never list Secrets whole, only through ``secrets_without_data``.
SECRETS = Resource("", ("v1",), "secrets", "Secret", True)


class KubernetesCluster(ABC):
    """What checks use; ``is_live`` tells an API server from manifests, nothing else should.

    Namespaced kinds are limited to ``namespace_scope`` (None: every namespace).
    """

    is_live: bool
    client: Any

    def __init__(self, target: Target, namespace_scope: tuple[str, ...] | None) -> None:
        self.target = target
        self.namespace_scope = namespace_scope

    @abstractmethod
    def objects(self, resource: Resource, *, every_namespace: bool = False) -> list[Object]:
        """Every object of ``resource`` in scope, sorted by (namespace, name).

        ``every_namespace`` lifts the namespace scope, for what lives outside the application's
        namespaces (e.g. an ingress controller's pods); it needs the right to list them all.
        """

    @abstractmethod
    def server_version(self) -> Object | None:
        """The API server's ``/version`` document; None offline."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def deployments(self) -> list[Object]:
        return self.objects(RESOURCES["deployments"])

    def statefulsets(self) -> list[Object]:
        return self.objects(RESOURCES["statefulsets"])

    def daemonsets(self) -> list[Object]:
        return self.objects(RESOURCES["daemonsets"])

    def pods(self) -> list[Object]:
        return self.objects(RESOURCES["pods"])

    def services(self) -> list[Object]:
        return self.objects(RESOURCES["services"])

    def service_accounts(self) -> list[Object]:
        return self.objects(RESOURCES["serviceaccounts"])

    def network_policies(self) -> list[Object]:
        return self.objects(RESOURCES["networkpolicies"])

    def resource_quotas(self) -> list[Object]:
        return self.objects(RESOURCES["resourcequotas"])

    def limit_ranges(self) -> list[Object]:
        return self.objects(RESOURCES["limitranges"])

    def pod_disruption_budgets(self) -> list[Object]:
        """policy/v1, or policy/v1beta1 on servers older than 1.21."""
        return self.objects(RESOURCES["poddisruptionbudgets"])

    def horizontal_pod_autoscalers(self) -> list[Object]:
        """autoscaling/v2, else v2beta2, else v1 (whose spec has no ``metrics``)."""
        return self.objects(RESOURCES["horizontalpodautoscalers"])

    def roles(self) -> list[Object]:
        return self.objects(RESOURCES["roles"])

    def role_bindings(self) -> list[Object]:
        return self.objects(RESOURCES["rolebindings"])

    def cluster_roles(self) -> list[Object]:
        return self.objects(RESOURCES["clusterroles"])

    def cluster_role_bindings(self) -> list[Object]:
        return self.objects(RESOURCES["clusterrolebindings"])

    def secrets_without_data(self) -> list[Object]:
        """Every Secret in scope as ``apiVersion``, ``kind``, ``metadata`` and ``type`` only.

        Its data never reaches a check. Live, it is listed as a server-side table, so the data
        is not even sent (it still needs ``list`` on secrets); offline, the manifests' data is
        dropped here.
        """
        return [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": secret.get("metadata") or {},
                "type": str(secret.get("type") or "Opaque"),
            }
            for secret in self.objects(SECRETS)
        ]

    def source_of(self, obj: Object) -> str | None:
        """``file:line`` of an object read from manifests; None for a live object."""
        return None

    def custom_objects(self, group: str, version: str, plural: str) -> list[Object]:
        """Objects of a custom resource, e.g. ``("cert-manager.io", "v1", "certificates")``.

        An API group or resource the cluster does not serve yields ``[]``, as does an offline
        target whose manifests hold none (offline, any version of the group matches).
        """
        return self.objects(Resource(group, (version,), plural))

    def serves(self, group: str, version: str, plural: str) -> bool:
        """Whether the API serves a resource (e.g. a custom resource whose CRD is installed).

        Offline: the manifests define its CustomResourceDefinition or hold objects of it.
        """
        crds = self.objects(Resource("apiextensions.k8s.io", ("v1",), "customresourcedefinitions"))
        names = {(c.get("metadata") or {}).get("name") for c in crds}
        return f"{plural}.{group}" in names or bool(self.custom_objects(group, version, plural))


def order(obj: Object) -> tuple[str, str]:
    """Sort key of objects: namespace, then name (the API server's own listing order)."""
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")
