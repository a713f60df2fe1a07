"""Kubernetes targets behind one facade, live (an API server) or offline (rendered manifests).

A target with ``manifests`` is read offline (:mod:`~pytest_readiness.connectors.k8s_offline`);
any other reaches an API server through its kubeconfig, or the pod's service account
(``in_cluster``). Its settings are declared in :mod:`~pytest_readiness.registry`.

Both backends return plain dicts in the API's JSON form (camelCase keys, ``apiVersion`` and
``kind`` on every object), sorted by namespace and name, so checks do not care which one runs.
Live calls are read-only GETs with the target's timeout and no retries.
"""

from __future__ import annotations

import json
import os
from typing import Any

from pytest_readiness.connectors.base import Target, describe_error, fail
from pytest_readiness.connectors.k8s_cluster import (
    RESOURCES,
    SECRETS,
    KubernetesCluster,
    Object,
    Resource,
    order,
)
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, MissingExtra
from pytest_readiness.redaction import Redactor

__all__ = ["RESOURCES", "KubernetesCluster", "LiveCluster", "Resource", "connect"]

#: A server-side table of the rows' metadata: what ``kubectl get`` prints, without the data.
_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


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

    def objects(self, resource: Resource, *, every_namespace: bool = False) -> list[Object]:
        found = self._resolve(resource)
        if found is None:
            return []
        prefix, entry = found
        group_version = prefix.split("/", 2)[2]
        kind = str(entry.get("kind") or resource.kind)
        scopes = self.namespace_scope if entry.get("namespaced") and not every_namespace else None
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

    def secrets_without_data(self) -> list[Object]:
        """Secrets as a server-side table: name, type and metadata per row, never the data."""
        found = self._resolve(SECRETS)
        if found is None:
            return []
        prefix, _ = found
        items: list[Object] = []
        for namespace in self.namespace_scope or (None,):
            path = f"{prefix}/namespaces/{namespace}/secrets" if namespace else f"{prefix}/secrets"
            cont = ""
            while True:
                query = [("limit", 500), ("includeObject", "Metadata")]
                query += [("continue", cont)] if cont else []
                body = self._get(path, query, action="list secrets (metadata) on", accept=_TABLE)
                items += self._secret_rows(body or {})
                cont = ((body or {}).get("metadata") or {}).get("continue") or ""
                if not cont:
                    break
        return sorted(items, key=order)

    def _secret_rows(self, table: Object) -> list[Object]:
        names = [str(c.get("name")) for c in table.get("columnDefinitions") or []]
        if "Type" not in names:  # a table without types would pass every type check: refuse it
            raise ConnectorError(f"Cannot list secrets on {self.target}: no Type column")
        column = names.index("Type")
        return [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": (row.get("object") or {}).get("metadata") or {},
                "type": str(row["cells"][column]),
            }
            for row in table.get("rows") or []
        ]

    def serves(self, group: str, version: str, plural: str) -> bool:
        return self._resolve(Resource(group, (version,), plural)) is not None

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
        accept: str = "application/json",
    ) -> Object | None:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=query,
                header_params={"Accept": accept},
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
            self._redactor.add_credential(str(value))
            prefix = config.api_key_prefix.get(name)
            if prefix:
                self._redactor.add(f"{prefix} {value}")
        self._redactor.add(config.password)
        self._redactor.add_from_url(config.host)


def connect(target: Target, redactor: Redactor) -> KubernetesCluster:
    """A live cluster (after one /version and one discovery call) or the offline manifests."""
    settings = target.settings
    scope = _namespace_scope(target)
    if settings.get("manifests") is not None:
        if settings.get("kubeconfig") or settings.get("context") or settings.get("in_cluster"):
            raise ConfigError(
                str(target),
                "manifests",
                "cannot be combined with kubeconfig, context or in_cluster",
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
    in_cluster = target.settings.get("in_cluster")
    if in_cluster and (kubeconfig or context):
        raise ConfigError(
            str(target),
            "in_cluster",
            "cannot be combined with kubeconfig or context",
            "remove in_cluster, or kubeconfig and context",
        )
    if in_cluster is None:  # automatic: in a pod, unless the profile names a kubeconfig
        in_cluster = (
            not kubeconfig and not context and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        )
    try:
        if in_cluster:
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
        what, fix = (
            (
                "the in-cluster config",
                "run it in a pod with a service account or set in_cluster: false",
            )
            if in_cluster
            else ("the kubeconfig", "check its kubeconfig and context settings")
        )
        raise ConnectorError(
            redactor.redact(f"Cannot load {what} of {target}: {exc}; {fix}")
        ) from None
    return client.ApiClient(configuration)
