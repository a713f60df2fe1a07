"""A small Kubernetes API server stand-in, over real HTTP(S) on loopback.

It serves what the read-only client of the connector asks for, from a list of objects (usually
the manifests under tests/data/manifests): ``/version``, discovery (``/api``, ``/api/v1``,
``/apis``, ``/apis/<group>``, ``/apis/<group>/<version>``) and list endpoints, cluster-wide
and per namespace, as JSON ``<Kind>List`` documents whose items carry no apiVersion/kind, like
the real thing. Optional: a required bearer token (401 otherwise), a forbidden mode (403 on
lists), and the set of versions served per group, to look like an older cluster.

Not served: writes, watches, field/label selectors, paging (``limit`` is ignored).
"""

from __future__ import annotations

import copy
import http.server
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.support.http_servers import ServedHttp, send_json

Object = dict[str, Any]

#: kind -> (group, plural, namespaced) of the built-in kinds the stand-in knows.
BUILTIN = {
    "Namespace": ("", "namespaces", False),
    "Pod": ("", "pods", True),
    "Service": ("", "services", True),
    "ServiceAccount": ("", "serviceaccounts", True),
    "ResourceQuota": ("", "resourcequotas", True),
    "LimitRange": ("", "limitranges", True),
    "ConfigMap": ("", "configmaps", True),
    "Deployment": ("apps", "deployments", True),
    "StatefulSet": ("apps", "statefulsets", True),
    "DaemonSet": ("apps", "daemonsets", True),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies", True),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets", True),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers", True),
    "Role": ("rbac.authorization.k8s.io", "roles", True),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings", True),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings", False),
    "CustomResourceDefinition": ("apiextensions.k8s.io", "customresourcedefinitions", False),
}

#: Versions served per group, like a current cluster; pass ``served=`` to look older.
CURRENT = {
    "": ("v1",),
    "apps": ("v1",),
    "networking.k8s.io": ("v1",),
    "policy": ("v1",),
    "autoscaling": ("v2", "v1"),
    "rbac.authorization.k8s.io": ("v1",),
    "apiextensions.k8s.io": ("v1",),
}
#: A 1.20 cluster: no policy/v1, no autoscaling/v2.
OLD = {**CURRENT, "policy": ("v1beta1",), "autoscaling": ("v1", "v2beta1", "v2beta2")}


def load_manifests(directory: Path) -> list[Object]:
    """Every object of every YAML file in ``directory``, ``kind: List`` expanded."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.yaml_implicit_resolvers = {  # type: ignore[attr-defined]
        k: [(tag, rx) for tag, rx in v if not tag.endswith(":timestamp")]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    objects: list[Object] = []
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.load_all(path.read_text(), Loader=loader):
            if doc:
                objects.extend(doc["items"] if doc["kind"] == "List" else [doc])
    return objects


@dataclass
class FakeApiServer:
    """State of the stand-in; ``start()`` serves it, ``stop()`` ends it."""

    objects: Iterable[Object]
    token: str | None = None
    forbidden: bool = False
    served: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(CURRENT))
    git_version: str = "v1.29.4"
    default_namespace: str = "default"
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kinds: dict[tuple[str, str], tuple[str, bool]] = {}  # (group, plural) -> kind, ns
        self.served = {g: tuple(v) for g, v in self.served.items()}
        self.store: dict[tuple[str, str], list[Object]] = {}
        for kind, (group, plural, namespaced) in BUILTIN.items():
            self.kinds[(group, plural)] = (kind, namespaced)
        objects = [copy.deepcopy(o) for o in self.objects]
        for crd in (o for o in objects if o["kind"] == "CustomResourceDefinition"):
            spec = crd["spec"]
            self.kinds[(spec["group"], spec["names"]["plural"])] = (
                spec["names"]["kind"],
                spec["scope"] == "Namespaced",
            )
            versions = tuple(v["name"] for v in spec["versions"] if v.get("served", True))
            self.served[spec["group"]] = versions
        plural_of = {(g, kind): p for (g, p), (kind, _) in self.kinds.items()}
        for obj in objects:
            group = obj["apiVersion"].rpartition("/")[0]
            plural = plural_of[(group, obj["kind"])]
            if self.kinds[(group, plural)][1]:
                obj["metadata"].setdefault("namespace", self.default_namespace)
            self.store.setdefault((group, plural), []).append(obj)
        self._http: ServedHttp | None = None

    @property
    def url(self) -> str:
        assert self._http is not None, "start() the server first"
        return self._http.url

    def start(self) -> FakeApiServer:
        state = self

        class Handler(_Handler):
            server_state = state

        self._http = ServedHttp(Handler).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def kubeconfig(self, path: Path, token: str | None = None) -> Path:
        """Write a kubeconfig for this server (with ``token`` as the user's bearer token)."""
        user = {"token": token} if token else {}
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "tester", "user": user}],
                    "contexts": [
                        {"name": "fake", "context": {"cluster": "fake", "user": "tester"}}
                    ],
                }
            )
        )
        return path

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing ------------------------------------------------------------------------

    def answer(self, path: str, authorization: str | None) -> tuple[int, Object]:
        self.requests.append(path)
        if self.token is not None and authorization != f"Bearer {self.token}":
            # Echo what was presented, as a careless proxy might: the client must redact it.
            return 401, _status(401, "Unauthorized", f"invalid bearer token {authorization!r}")
        parts = [p for p in path.split("/") if p]
        if parts == ["version"]:
            return 200, {
                "major": "1",
                "minor": self.git_version.split(".")[1],
                "gitVersion": self.git_version,
                "platform": "linux/amd64",
            }
        if parts == ["api"]:
            return 200, {"kind": "APIVersions", "versions": list(self.served[""])}
        if parts == ["apis"]:
            return 200, {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [self._group(g) for g in sorted(self.served) if g],
            }
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in self.served:
            return 200, self._group(parts[1])
        if parts[:1] == ["api"] and len(parts) >= 2:
            return self._under("", parts[1], parts[2:])
        if parts[:1] == ["apis"] and len(parts) >= 3:
            return self._under(parts[1], parts[2], parts[3:])
        return 404, _status(404, "NotFound", "the server could not find the requested resource")

    def _group(self, group: str) -> Object:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self.served[group]]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": versions,
            "preferredVersion": versions[0],
        }

    def _under(self, group: str, version: str, rest: list[str]) -> tuple[int, Object]:
        group_version = f"{group}/{version}" if group else version
        if version not in self.served.get(group, ()):
            return 404, _status(404, "NotFound", f"{group_version} is not served")
        if not rest:
            resources = [
                {
                    "name": plural,
                    "singularName": "",
                    "namespaced": namespaced,
                    "kind": kind,
                    "verbs": ["get", "list"],
                }
                for (g, plural), (kind, namespaced) in sorted(self.kinds.items())
                if g == group
            ]
            return 200, {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": resources,
            }
        namespace = None
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) != 1 or (group, rest[0]) not in self.kinds:
            return 404, _status(404, "NotFound", f"no resource {'/'.join(rest)}")
        plural = rest[0]
        kind, namespaced = self.kinds[(group, plural)]
        if namespace is not None and not namespaced:
            return 404, _status(404, "NotFound", f"{plural} is not namespaced")
        if self.forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            return 403, _status(
                403,
                "Forbidden",
                f'{plural} is forbidden: User "tester" cannot '
                f'list resource "{plural}" in API group "{group}" {scope}',
            )
        items = []
        for obj in self.store.get((group, plural), []):
            if namespace is None or obj["metadata"].get("namespace") == namespace:
                item = {
                    k: v for k, v in copy.deepcopy(obj).items() if k not in ("apiVersion", "kind")
                }
                items.append(item)
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return 200, {
            "kind": f"{kind}List",
            "apiVersion": group_version,
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }


def _status(code: int, reason: str, message: str) -> Object:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_state: FakeApiServer

    def do_GET(self) -> None:
        code, body = self.server_state.answer(
            urlsplit(self.path).path, self.headers.get("Authorization")
        )
        send_json(self, code, body)

    def log_message(self, format: str, *args: object) -> None:
        pass
