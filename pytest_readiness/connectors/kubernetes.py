"""Kubernetes targets behind one facade, live (an API server) or offline (rendered manifests).

Profile settings of a ``kubernetes`` target::

    kubernetes:
      - name: prod
        kubeconfig: ~/.kube/prod.yaml     # optional; with neither kubeconfig nor context,
        context: prod-admin               # in-cluster config when KUBERNETES_SERVICE_HOST is set,
        namespaces: [shop, payments]      # else the default kubeconfig. Default: all namespaces
      - name: ci
        manifests: [build/rendered/*.yaml]   # offline: `helm template` / `kustomize build` output

Both backends return plain dicts in the API's JSON form (camelCase keys, ``apiVersion`` and
``kind`` on every object), sorted by namespace and name, so checks do not care which one runs.
Live calls are read-only GETs with the target's timeout and no retries.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from pytest_readiness.connectors.base import Target, fail
from pytest_readiness.connectors.http import describe_error
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, MissingExtra
from pytest_readiness.redaction import Redactor

__all__ = ["RESOURCES", "KubernetesCluster", "LiveCluster", "Resource", "connect"]

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
        Resource("scheduling.k8s.io", ("v1",), "priorityclasses", "PriorityClass", False),
        Resource("rbac.authorization.k8s.io", ("v1",), "roles", "Role", True),
        Resource("rbac.authorization.k8s.io", ("v1",), "rolebindings", "RoleBinding", True),
        Resource("rbac.authorization.k8s.io", ("v1",), "clusterroles", "ClusterRole", False),
        Resource(
            "rbac.authorization.k8s.io", ("v1",), "clusterrolebindings", "ClusterRoleBinding", False
        ),
    )
}


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
    def objects(self, resource: Resource) -> list[Object]:
        """Every object of ``resource`` in scope, sorted by (namespace, name)."""

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

    def source_of(self, obj: Object) -> str | None:
        """``file:line`` of an object read from manifests; None for a live object."""
        return None

    def custom_objects(self, group: str, version: str, plural: str) -> list[Object]:
        """Objects of a custom resource, e.g. ``("cert-manager.io", "v1", "certificates")``.

        An API group or resource the cluster does not serve yields ``[]``, as does an offline
        target whose manifests hold none (offline, any version of the group matches).
        """
        return self.objects(Resource(group, (version,), plural))


class LiveCluster(KubernetesCluster):
    """An API server reached through the official client; ``client`` is its ``ApiClient``."""

    is_live = True

    def __init__(
        self,
        target: Target,
        redactor: Redactor,
        client: Any,
        namespace_scope: tuple[str, ...] | None,
    ) -> None:
        super().__init__(target, namespace_scope)
        self.client = client
        self._redactor = redactor
        self._discovery: dict[str, dict[str, Object]] = {}
        self._register_credentials()

    def server_version(self) -> Object | None:
        return self._get("/version", action="read the version of")

    def objects(self, resource: Resource) -> list[Object]:
        found = self._resolve(resource)
        if found is None:
            return []
        prefix, entry = found
        group_version = prefix.split("/", 2)[2]
        kind = str(entry.get("kind") or resource.kind)
        scopes = self.namespace_scope if entry.get("namespaced") else None
        items: list[Object] = []
        for namespace in scopes or (None,):
            path = (
                f"{prefix}/namespaces/{namespace}/{resource.plural}"
                if namespace
                else f"{prefix}/{resource.plural}"
            )
            cont = ""
            while True:
                query = [("limit", 500)] + ([("continue", cont)] if cont else [])
                body = self._get(path, query, action=f"list {resource.plural} on") or {}
                for item in body.get("items") or []:
                    items.append({"apiVersion": group_version, "kind": kind, **item})
                cont = (body.get("metadata") or {}).get("continue") or ""
                if not cont:
                    break
        return sorted(items, key=order)

    def close(self) -> None:
        self.client.close()

    def _resolve(self, resource: Resource) -> tuple[str, Object] | None:
        """The first served version of ``resource``: its URL prefix and discovery entry."""
        for version in resource.versions:
            prefix = f"/apis/{resource.group}/{version}" if resource.group else f"/api/{version}"
            if prefix not in self._discovery:
                body = self._get(prefix, action="discover the API of", missing_ok=True) or {}
                self._discovery[prefix] = {
                    str(r["name"]): r for r in body.get("resources") or [] if "/" not in r["name"]
                }
            entry = self._discovery[prefix].get(resource.plural)
            if entry is not None:
                return prefix, entry
        return None

    def _get(
        self,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        *,
        action: str,
        missing_ok: bool = False,
    ) -> Object | None:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            response = self.client.call_api(
                method, url, headers, _request_timeout=self.target.timeout
            )
            try:
                status, data = response.status, response.read()
            finally:
                response.response.release_conn()
        except (OSError, urllib3.exceptions.HTTPError, ApiException) as exc:
            kind, cause = describe_error(exc)
            raise fail(self.target, self._redactor, cause, kind=kind, action=action) from None
        self._register_credentials()  # exec plugins and token files may have refreshed it
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            raise self._http_error(status, data, action)
        result: Object = json.loads(data)
        return result

    def _http_error(self, status: int, data: bytes, action: str) -> ConnectorError:
        try:
            message = str(json.loads(data).get("message") or "")
        except (ValueError, AttributeError):
            message = ""
        detail = f"HTTP {status}{': ' + message if message else ''}"
        where = f"Cannot {action} {self.target}"
        if status in (401, 403):
            label = "unauthorized" if status == 401 else "forbidden"
            return AuthFailed(
                self._redactor.redact(
                    f"{where}: {label} ({detail}); check the credentials of its kubeconfig context"
                )
            )
        return ConnectorError(self._redactor.redact(f"{where}: {detail}"))

    def _register_credentials(self) -> None:
        config = self.client.configuration
        for name, value in dict(config.api_key).items():
            self._redactor.add(str(value))
            self._redactor.add(str(value).partition(" ")[2].strip() or None)
            prefix = config.api_key_prefix.get(name)
            if prefix:
                self._redactor.add(f"{prefix} {value}")
        self._redactor.add(config.password)
        self._redactor.add_from_url(config.host)


def order(obj: Object) -> tuple[str, str]:
    """Sort key of objects: namespace, then name (the API server's own listing order)."""
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def connect(target: Target, redactor: Redactor) -> KubernetesCluster:
    """A live cluster (after one /version and one discovery call) or the offline manifests."""
    settings = target.settings
    scope = _namespace_scope(target)
    if settings.get("manifests") is not None:
        if settings.get("kubeconfig") or settings.get("context"):
            raise ConfigError(
                str(target),
                "manifests",
                "cannot be combined with kubeconfig or context",
                "use one target for the manifests and one for the cluster",
            )
        from pytest_readiness.connectors.k8s_offline import load

        return load(target, scope)
    cluster = LiveCluster(target, redactor, _client(target, redactor), scope)
    try:
        cluster._get("/version", action="connect to")
        cluster._resolve(RESOURCES["pods"])  # discovery needs an authenticated user
    except BaseException:
        cluster.close()
        raise
    return cluster


def _namespace_scope(target: Target) -> tuple[str, ...] | None:
    namespaces = target.settings.get("namespaces")
    if namespaces is None:
        return None
    if isinstance(namespaces, str):
        namespaces = [namespaces]
    if not isinstance(namespaces, list | tuple) or not all(isinstance(n, str) for n in namespaces):
        raise ConfigError(str(target), "namespaces", "expected a list of namespace names")
    return tuple(namespaces)


def _client(target: Target, redactor: Redactor) -> Any:
    try:
        from kubernetes import client, config
    except ImportError:
        raise MissingExtra("k8s", "kubernetes") from None
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    configuration.retries = False  # one attempt per call: the timeout is the whole budget
    kubeconfig, context = target.settings.get("kubeconfig"), target.settings.get("context")
    try:
        if not kubeconfig and not context and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        else:
            path = os.path.expanduser(str(kubeconfig)) if kubeconfig else None
            if path is not None and not os.path.isfile(path):
                raise ConfigException(f"{path} does not exist")
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path,
                context=context,
                persist_config=False,
                client_configuration=configuration,
            )
    except ConfigException as exc:
        raise ConnectorError(
            redactor.redact(
                f"Cannot load the kubeconfig of {target}: {exc}; check its kubeconfig and context "
                "settings"
            )
        ) from None
    return client.ApiClient(configuration)
