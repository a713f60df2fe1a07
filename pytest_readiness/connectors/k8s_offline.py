"""The offline Kubernetes backend: objects read from rendered manifests, not from a cluster.

``manifests`` lists files, directories (their ``*.yaml``, ``*.yml``, ``*.json``) and globs
(``**`` recurses) of ``helm template`` / ``kustomize build`` output: multi-document YAML,
``kind: List`` documents expanded, empty documents skipped. Objects are returned as written
(whatever ``apiVersion`` the file uses), except what ``kubectl apply`` would also do: a
namespaced object without a namespace gets ``default_namespace`` (default ``default``).
YAML timestamps stay strings, as they do once the API server has them.
"""

from __future__ import annotations

import copy
import glob
import os
from collections.abc import Iterator
from typing import Any, ClassVar

import yaml

from pytest_readiness.connectors.base import Target
from pytest_readiness.connectors.k8s_cluster import (
    RESOURCES,
    KubernetesCluster,
    Object,
    Resource,
    order,
)
from pytest_readiness.errors import ConfigError, ConnectorError

__all__ = ["OfflineCluster", "load"]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_EXTENSIONS = ("*.yaml", "*.yml", "*.json")

#: Scope of common kinds beyond the facade's own, to default namespaces like the API server.
_MORE_KINDS = {
    ("", "ConfigMap"): True,
    ("", "Secret"): True,
    ("", "PersistentVolumeClaim"): True,
    ("", "Namespace"): False,
    ("", "Node"): False,
    ("", "PersistentVolume"): False,
    ("apps", "ReplicaSet"): True,
    ("batch", "Job"): True,
    ("batch", "CronJob"): True,
    ("networking.k8s.io", "Ingress"): True,
    ("networking.k8s.io", "IngressClass"): False,
    ("storage.k8s.io", "StorageClass"): False,
    ("scheduling.k8s.io", "PriorityClass"): False,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): False,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): False,
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): False,
    # add-ons' custom resources the ecosystem checks read, when their CRDs are not rendered
    ("security.istio.io", "PeerAuthentication"): True,
    ("autoscaling.k8s.io", "VerticalPodAutoscaler"): True,
    ("flagger.app", "Canary"): True,
    ("argoproj.io", "Rollout"): True,
    ("external-secrets.io", "ExternalSecret"): True,
    ("monitoring.coreos.com", "ServiceMonitor"): True,
    ("monitoring.coreos.com", "PodMonitor"): True,
}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that leaves timestamps as strings."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class OfflineCluster(KubernetesCluster):
    """Objects from manifests; ``client`` is the tuple of every object loaded, ``files`` the
    files they came from."""

    is_live = False

    def __init__(
        self,
        target: Target,
        objects: list[Object],
        files: tuple[str, ...],
        namespace_scope: tuple[str, ...] | None,
        default_namespace: str = "default",
        sources: tuple[str, ...] = (),
    ) -> None:
        super().__init__(target, namespace_scope)
        self.files = files
        self._plurals: dict[tuple[str, str], str] = {}
        self._scopes: dict[tuple[str, str], bool] = dict(_MORE_KINDS)
        for resource in RESOURCES.values():
            self._plurals[(resource.group, resource.kind)] = resource.plural
            self._scopes[(resource.group, resource.kind)] = bool(resource.namespaced)
        for crd in objects:
            if crd.get("kind") == "CustomResourceDefinition":
                spec = crd.get("spec") or {}
                names = spec.get("names") or {}
                key = (str(spec.get("group", "")), str(names.get("kind", "")))
                self._plurals[key] = str(names.get("plural", ""))
                self._scopes[key] = spec.get("scope", "Namespaced") == "Namespaced"
        for obj in objects:
            metadata = obj.setdefault("metadata", {})
            if self._scopes.get(_group_kind(obj)) and not metadata.get("namespace"):
                metadata["namespace"] = default_namespace
        self.client: tuple[Object, ...] = tuple(objects)
        self._sources = {_key(obj): where for obj, where in zip(objects, sources, strict=False)}

    def server_version(self) -> Object | None:
        return None

    def close(self) -> None:
        """Nothing to release: the objects were read at connect."""

    def source_of(self, obj: Object) -> str | None:
        return self._sources.get(_key(obj))

    def objects(self, resource: Resource, *, every_namespace: bool = False) -> list[Object]:
        found = []
        for obj in self.client:
            group, kind = _group_kind(obj)
            plural = self._plurals.get((group, kind)) or _plural(kind)
            if group != resource.group or plural != resource.plural:
                continue
            namespace = (obj.get("metadata") or {}).get("namespace")
            if (
                namespace
                and not every_namespace
                and self.namespace_scope is not None
                and namespace not in self.namespace_scope
            ):
                continue
            found.append(copy.deepcopy(obj))
        return sorted(found, key=order)


def load(target: Target, namespace_scope: tuple[str, ...] | None) -> OfflineCluster:
    """Read every manifest of an offline ``kubernetes`` target."""
    patterns = target.settings.get("manifests")
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(str(target), "manifests", "expected a list of paths or globs")
    default_namespace = str(target.settings.get("default_namespace") or "default")
    files: list[str] = []
    for pattern in patterns:
        for path in _expand(target, pattern):
            if path not in files:
                files.append(path)
    read = [(obj, f"{path}:{line}") for path in files for obj, line in _read(target, path)]
    return OfflineCluster(
        target,
        [obj for obj, _ in read],
        tuple(files),
        namespace_scope,
        default_namespace,
        tuple(where for _, where in read),
    )


def _expand(target: Target, pattern: str) -> list[str]:
    path = os.path.expanduser(pattern)
    if os.path.isdir(path):
        matches = sorted(m for ext in _EXTENSIONS for m in glob.glob(os.path.join(path, ext)))
    else:
        matches = sorted(m for m in glob.glob(path, recursive=True) if os.path.isfile(m))
    if not matches:
        raise ConnectorError(
            f"Cannot read the manifests of {target}: {pattern!r} matches no "
            "file; check its manifests setting"
        )
    return matches


def _read(target: Target, path: str) -> Iterator[tuple[Object, int]]:
    """Each object of the file with the line it starts on."""
    where = f"Cannot read the manifests of {target}: {path}"
    try:
        with open(path, encoding="utf-8") as stream:
            documents = list(_documents(stream))
    except OSError as exc:
        raise ConnectorError(f"{where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConnectorError(f"{where}: not UTF-8 text; render it again") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConnectorError(
            f"{where}: invalid YAML{line} ({problem}); fix the file or render it again"
        ) from None
    for number, (node, document) in enumerate(documents, start=1):
        if document is None:
            continue
        is_list = (
            isinstance(document, dict)
            and str(document.get("kind", "")).endswith("List")
            and isinstance(document.get("items"), list)
        )
        lines = _item_lines(node) if is_list else [node.start_mark.line + 1]
        for index, item in enumerate(document["items"] if is_list else [document]):
            if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
                raise ConnectorError(
                    f"{where}: document {number} is not a Kubernetes object "
                    "(it needs apiVersion and kind); fix the file"
                )
            yield item, lines[index] if index < len(lines) else lines[0]


def _documents(stream: Any) -> Iterator[tuple[yaml.Node, Any]]:
    """(node, data) per YAML document; the node gives line numbers."""
    loader = _Loader(stream)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield node, loader.construct_document(node)
    finally:
        loader.dispose()


def _item_lines(node: yaml.Node) -> list[int]:
    """Start lines of the entries of a ``List`` document's ``items``."""
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        if key.value == "items" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return [node.start_mark.line + 1]


def _key(obj: Object) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group, kind = _group_kind(obj)
    return group, kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _group_kind(obj: Object) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0]
    return group, str(obj.get("kind", ""))


def _plural(kind: str) -> str:
    """English plural of a kind, the way CRDs name theirs (Policy -> policies)."""
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + "s"
