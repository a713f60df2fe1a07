"""The Kubernetes connector: offline manifests, and live over real HTTP to a stand-in API server.

Real: the official ``kubernetes`` client (kubeconfig loading, urllib3, bearer tokens) talking
HTTP on loopback, and the YAML files under tests/data/manifests read by the offline backend.
Stand-in: the API server, tests/support/k8s_fake_apiserver.py, which serves discovery and list
endpoints from those same manifests (the real kube-apiserver is test_k8s_real_apiserver.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.connectors.base import Target
from pytest_readiness.connectors.k8s_offline import OfflineCluster
from pytest_readiness.connectors.kubernetes import KubernetesCluster, LiveCluster, connect
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support.http_servers import refusing_port, silent_port
from tests.support.k8s_fake_apiserver import OLD, FakeApiServer, load_manifests
from tests.support.targets import load_target, rejected_target

pytestmark = pytest.mark.integration

MANIFESTS = Path(__file__).resolve().parents[1] / "data" / "manifests"
SCOPE = ["shop", "payments"]
TOKEN = "s3cr3t-token-value"

LISTS = [
    "deployments",
    "statefulsets",
    "daemonsets",
    "pods",
    "services",
    "network_policies",
    "resource_quotas",
    "limit_ranges",
    "pod_disruption_budgets",
    "horizontal_pod_autoscalers",
    "roles",
    "role_bindings",
    "cluster_roles",
    "cluster_role_bindings",
    "service_accounts",
]


def _target(settings: dict[str, Any], timeout: float = 5.0) -> Target:
    return load_target("kubernetes", "prod", timeout=timeout, **settings)


def _names(objects: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApiServer]:
    with FakeApiServer(load_manifests(MANIFESTS)) as server:
        yield server


@pytest.fixture(scope="module")
def kubeconfig(fake: FakeApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake.kubeconfig(tmp_path_factory.mktemp("kube") / "config")


def _open(backend: str, kubeconfig: Path, **settings: Any) -> KubernetesCluster:
    source = (
        {"manifests": [str(MANIFESTS)]} if backend == "offline" else {"kubeconfig": str(kubeconfig)}
    )
    return connect(_target({**source, **settings}), Redactor())


@pytest.fixture(params=["offline", "live"])
def cluster(request: pytest.FixtureRequest, kubeconfig: Path) -> Iterator[KubernetesCluster]:
    opened = _open(request.param, kubeconfig, namespaces=SCOPE)
    yield opened
    opened.close()


# -- the same behaviour on both backends ----------------------------------------------------


def test_workloads_in_scope_with_api_shapes(cluster: KubernetesCluster) -> None:
    deployments = cluster.deployments()
    assert _names(deployments) == [("payments", "payments-api"), ("shop", "shop-web")]
    web = deployments[1]
    assert (web["apiVersion"], web["kind"]) == ("apps/v1", "Deployment")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert web["metadata"]["annotations"]["deployed-at"] == "2024-05-01T10:00:00Z"
    assert _names(cluster.pods()) == [("shop", "shop-web-test-connection")]
    assert _names(cluster.daemonsets()) == [("payments", "log-agent")]


def test_cluster_scoped_kinds_ignore_the_namespace_scope(cluster: KubernetesCluster) -> None:
    assert _names(cluster.cluster_role_bindings()) == [
        (None, "payments-api-admin"),
        (None, "readiness-viewer"),
    ]
    assert _names(cluster.custom_objects("cert-manager.io", "v1", "clusterissuers")) == [
        (None, "letsencrypt")
    ]
    assert _names(cluster.custom_objects("cert-manager.io", "v1", "certificates")) == [
        ("shop", "shop-web-tls")
    ]
    assert cluster.custom_objects("example.com", "v1", "widgets") == []


@pytest.mark.parametrize("scope", [None, ["shop"]], ids=["all-namespaces", "shop"])
@pytest.mark.parametrize("method", LISTS)
def test_both_backends_return_identical_objects(
    method: str, scope: list[str] | None, kubeconfig: Path
) -> None:
    offline = _open("offline", kubeconfig, namespaces=scope)
    live = _open("live", kubeconfig, namespaces=scope)
    try:
        assert getattr(offline, method)() == getattr(live, method)()
    finally:
        live.close()


# -- offline ---------------------------------------------------------------------------------


def test_offline_reads_lists_and_defaults_the_namespace(kubeconfig: Path) -> None:
    offline = _open("offline", kubeconfig)
    assert isinstance(offline, OfflineCluster)
    assert (offline.is_live, offline.server_version()) == (False, None)
    assert len(offline.files) == 7
    assert ("default", "legacy-worker") in _names(offline.deployments())  # from a kind: List
    first = offline.deployments()[0]
    first["spec"]["replicas"] = 99  # callers get copies
    assert offline.deployments()[0]["spec"]["replicas"] == 1


def test_offline_accepts_globs_and_single_files(tmp_path: Path) -> None:
    target = _target(
        {
            "manifests": [str(MANIFESTS / "2*.yaml"), str(MANIFESTS / "20-shop.yaml")],
            "default_namespace": "ci",
        }
    )
    offline = connect(target, Redactor())
    assert isinstance(offline, OfflineCluster)
    assert [Path(f).name for f in offline.files] == ["20-shop.yaml"]
    assert _names(offline.pod_disruption_budgets()) == [("shop", "shop-web")]


def test_offline_pattern_matching_nothing_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "rendered" / "*.yaml")
    with pytest.raises(
        ConnectorError,
        match=r"^Cannot read the manifests of kubernetes target "
        r"'prod': '.*/rendered/\*\.yaml' matches no file; check",
    ):
        connect(_target({"manifests": [str(MANIFESTS), missing]}), Redactor())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("apiVersion: v1\nkind: Service\nmetadata: {name: a\n", r"invalid YAML at line \d+"),
        ("---\n- just\n- a list\n", "document 1 is not a Kubernetes object"),
        ("apiVersion: v1\nkind: List\nitems:\n  - {name: no-kind}\n", "document 1 is not a"),
    ],
    ids=["syntax", "not-an-object", "list-item-without-kind"],
)
def test_offline_invalid_manifest_names_the_file(tmp_path: Path, text: str, problem: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConnectorError, match=rf"{bad}: {problem}"):
        connect(_target({"manifests": str(tmp_path)}), Redactor())


def test_settings_errors_are_config_errors(kubeconfig: Path) -> None:
    with pytest.raises(ConfigError, match="manifests: cannot be combined with kubeconfig"):
        connect(_target({"manifests": [str(MANIFESTS)], "kubeconfig": str(kubeconfig)}), Redactor())
    settings = {"manifests": [str(MANIFESTS)], "namespaces": {"shop": 1}}
    with pytest.raises(ConfigError, match="namespaces: expected a list"):
        connect(rejected_target("kubernetes", "prod", settings), Redactor())
    with pytest.raises(ConfigError, match=r"manifests: cannot be combined with .*in_cluster"):
        connect(_target({"manifests": [str(MANIFESTS)], "in_cluster": True}), Redactor())
    with pytest.raises(ConfigError, match="in_cluster: cannot be combined with kubeconfig"):
        connect(_target({"in_cluster": True, "kubeconfig": str(kubeconfig)}), Redactor())


# -- live ------------------------------------------------------------------------------------


def test_live_lists_per_namespace_and_reports_the_version(
    fake: FakeApiServer, kubeconfig: Path
) -> None:
    live = _open("live", kubeconfig, namespaces=["shop"])
    try:
        assert isinstance(live, LiveCluster)
        assert live.is_live
        assert (live.server_version() or {})["gitVersion"] == "v1.29.4"
        fake.requests.clear()
        assert _names(live.services()) == [("shop", "shop-db"), ("shop", "shop-web")]
        assert fake.requests == ["/api/v1/namespaces/shop/services"]  # discovery is cached
    finally:
        live.close()


def test_in_cluster_false_keeps_a_pod_on_the_default_kubeconfig(
    monkeypatch: pytest.MonkeyPatch, kubeconfig: Path
) -> None:
    with refusing_port() as port:  # what a pod's environment names as the API server
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(port))
        # the client reads $KUBECONFIG once, at import: point its default at the fake's file
        monkeypatch.setattr(
            "kubernetes.config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig)
        )
        with pytest.raises(ConnectorError):  # automatic: in a pod, the service account
            connect(_target({}, timeout=1), Redactor())
        live = connect(_target({"in_cluster": False}), Redactor())
    try:
        assert (live.server_version() or {})["gitVersion"] == "v1.29.4"  # the fake's
    finally:
        live.close()


def test_in_cluster_true_outside_a_pod_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(
        ConnectorError,
        match=r"^Cannot load the in-cluster config of kubernetes target 'prod': .*; run it in a "
        r"pod with a service account or set in_cluster: false$",
    ):
        connect(_target({"in_cluster": True}), Redactor())


def test_live_falls_back_to_older_api_versions(tmp_path: Path) -> None:
    with FakeApiServer(load_manifests(MANIFESTS), served=OLD, git_version="v1.20.2") as old:
        live = connect(_target({"kubeconfig": str(old.kubeconfig(tmp_path / "kc"))}), Redactor())
        try:
            pdbs = live.pod_disruption_budgets()
            hpas = live.horizontal_pod_autoscalers()
        finally:
            live.close()
    assert [p["apiVersion"] for p in pdbs] == ["policy/v1beta1"]
    assert [h["apiVersion"] for h in hpas] == ["autoscaling/v2beta2"]
    assert hpas[0]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


def test_live_silent_server_times_out_within_the_timeout(tmp_path: Path) -> None:
    with silent_port() as port:
        config = _kubeconfig(tmp_path, f"http://127.0.0.1:{port}")
        start = time.monotonic()
        with pytest.raises(
            TimedOut,
            match=r"^Cannot connect to kubernetes target 'prod': timed "
            r"out \(timeout 1s\)$",
        ):
            connect(_target({"kubeconfig": str(config)}, timeout=1), Redactor())
        assert time.monotonic() - start < 2.0


def test_live_refused_connection_is_unreachable(tmp_path: Path) -> None:
    with refusing_port() as port:
        config = _kubeconfig(tmp_path, f"http://127.0.0.1:{port}", token=TOKEN)
        with pytest.raises(Unreachable) as info:
            connect(_target({"kubeconfig": str(config)}, timeout=1), Redactor())
    assert str(info.value) == (
        "Cannot connect to kubernetes target 'prod': connection refused (timeout 1s)"
    )


def test_live_wrong_token_is_auth_failed_and_never_shown(tmp_path: Path) -> None:
    with FakeApiServer(load_manifests(MANIFESTS), token=TOKEN) as guarded:
        good = connect(
            _target({"kubeconfig": str(guarded.kubeconfig(tmp_path / "good", TOKEN))}), Redactor()
        )
        assert _names(good.roles()) == [("shop", "shop-web-config-reader")]
        good.close()
        wrong = "wr0ng-token-value"
        with pytest.raises(AuthFailed) as info:
            connect(
                _target({"kubeconfig": str(guarded.kubeconfig(tmp_path / "bad", wrong))}),
                Redactor(),
            )
    message = str(info.value)
    assert message == (
        "Cannot connect to kubernetes target 'prod': unauthorized (HTTP 401: "
        "invalid bearer token '***'); check the credentials of its "
        "kubeconfig context"
    )
    assert wrong not in message
    assert TOKEN not in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_live_forbidden_list_is_auth_failed_naming_the_target(tmp_path: Path) -> None:
    with FakeApiServer(load_manifests(MANIFESTS), forbidden=True) as strict:
        live = connect(_target({"kubeconfig": str(strict.kubeconfig(tmp_path / "kc"))}), Redactor())
        try:
            with pytest.raises(
                AuthFailed,
                match=r"^Cannot list deployments on kubernetes target "
                r"'prod': forbidden \(HTTP 403: deployments is forbidden: .*\); check",
            ):
                live.deployments()
        finally:
            live.close()


def test_live_kubeconfig_problems_are_connector_errors(
    tmp_path: Path, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(
        ConnectorError,
        match=r"^Cannot load the kubeconfig of kubernetes target "
        r"'prod': .*/nope does not exist; check",
    ):
        connect(_target({"kubeconfig": str(tmp_path / "nope")}), Redactor())
    with pytest.raises(ConnectorError, match=r"Cannot load the kubeconfig .*staging"):
        connect(_target({"kubeconfig": str(kubeconfig), "context": "staging"}), Redactor())
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    with pytest.raises(ConnectorError, match=r"Cannot load the in-cluster config .*token"):
        connect(_target({}), Redactor())  # in-cluster, but no service account token here


def _kubeconfig(tmp_path: Path, server: str, token: str | None = None) -> Path:
    import yaml

    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "x",
                "clusters": [{"name": "x", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": token} if token else {}}],
                "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}],
            }
        )
    )
    return path
