"""The live Kubernetes backend against a real kube-apiserver (v1.20.2) and etcd.

Real: kube-apiserver and etcd started by the project's tools/kube-apiserver.sh (TLS, token
authentication, RBAC, validation, defaulting, API version conversion), kubectl to seed them,
and the official client inside the connector. Stand-ins: none on the wire; but no controller,
scheduler or kubelet runs, so objects are stored and never reconciled (no status, no real pods).

The server runs from a private state directory on free ports, so it cannot collide with one
started by hand; it is stopped at the end of the module. Needs the cached kube-apiserver build:
without it the tests fail (they do not skip) and say how to build it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.connectors.base import Target
from pytest_readiness.connectors.kubernetes import KubernetesCluster, connect
from pytest_readiness.errors import AuthFailed, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support.k8s_fake_apiserver import load_manifests
from tests.support.k8s_real import BINARY, SCRIPT, _free_ports, _run
from tests.support.targets import load_target

pytestmark = [pytest.mark.k8s_real, pytest.mark.integration]

MANIFESTS = Path(__file__).resolve().parents[1] / "data" / "manifests"
SCOPE = ["shop", "payments"]
#: API versions the manifests use that 1.20 does not serve, and what it serves instead
#: (what `helm template --kube-version 1.20` would render).
FOR_1_20 = {"policy/v1": "policy/v1beta1", "autoscaling/v2": "autoscaling/v2beta2"}


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Start etcd + kube-apiserver, seed the manifests, yield the kubeconfig directory."""
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        pytest.fail(
            f"the real kube-apiserver is not built: {BINARY} is missing; run "
            f"`bash {SCRIPT} build` once (about 7 minutes), then run these tests again",
            pytrace=False,
        )
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not on PATH; it seeds the real API server", pytrace=False)
    state = tmp_path_factory.mktemp("k8s-real")
    env = {
        **os.environ,
        "K8S_STATE": str(state),
        "K8S_PORT": str(_free_ports(1)),
        "ETCD_PORT": str(_free_ports(3)),
    }
    up = _run(["bash", str(SCRIPT), "up"], env, timeout=300)
    try:
        if up.returncode != 0:
            pytest.fail(
                f"`{SCRIPT} up` failed ({up.returncode}):\n{up.stdout}{up.stderr}", pytrace=False
            )
        kube = state / "k8s"
        _seed(kube / "admin.kubeconfig", state, env)
        yield kube
    finally:
        down = _run(["bash", str(SCRIPT), "down"], env, timeout=60)
        assert down.returncode == 0, down.stderr


def _seed(kubeconfig: Path, state: Path, env: dict[str, str]) -> None:
    """kubectl-apply the manifests as 1.20 objects: namespaces and CRDs first, then the rest."""
    objects = load_manifests(MANIFESTS)
    for obj in objects:
        obj["apiVersion"] = FOR_1_20.get(obj["apiVersion"], obj["apiVersion"])
    first = [o for o in objects if o["kind"] in ("Namespace", "CustomResourceDefinition")]
    rest = [o for o in objects if o not in first]
    kubectl = ["kubectl", f"--kubeconfig={kubeconfig}", "--request-timeout=30s"]
    for name, batch in (("first.yaml", first), ("rest.yaml", rest)):
        path = state / name
        path.write_text(yaml.safe_dump_all(batch))
        applied = _run([*kubectl, "apply", "-f", str(path)], env, timeout=90)
        if applied.returncode != 0:
            pytest.fail(
                f"kubectl apply {name} failed:\n{applied.stdout}{applied.stderr}", pytrace=False
            )
        if name == "first.yaml":
            waited = _run(
                [*kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"],
                env,
                timeout=60,
            )
            assert waited.returncode == 0, waited.stderr


def _target(kubeconfig: Path, **settings: Any) -> Target:
    return load_target("kubernetes", "real", timeout=5, kubeconfig=str(kubeconfig), **settings)


@pytest.fixture(scope="module")
def live(apiserver: Path) -> Iterator[KubernetesCluster]:
    cluster = connect(_target(apiserver / "admin.kubeconfig", namespaces=SCOPE), Redactor())
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def offline() -> KubernetesCluster:
    return connect(
        load_target("kubernetes", "ci", manifests=[str(MANIFESTS)], namespaces=SCOPE), Redactor()
    )


def _names(objects: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]


def test_server_version_is_the_real_one(live: KubernetesCluster) -> None:
    version = live.server_version()
    assert version is not None
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "20", "v1.20.2")
    assert live.is_live


@pytest.mark.parametrize(
    "method",
    [
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
        "service_accounts",
    ],
)
def test_namespaced_objects_are_those_of_the_manifests(
    live: KubernetesCluster, offline: KubernetesCluster, method: str
) -> None:
    from_server = getattr(live, method)()
    assert _names(from_server) == _names(getattr(offline, method)())
    for obj in from_server:  # the API server's shape: apiVersion/kind filled in, uid added
        assert obj["apiVersion"]
        assert obj["kind"]
        assert obj["metadata"]["uid"]


def test_workload_specs_survive_the_round_trip(
    live: KubernetesCluster, offline: KubernetesCluster
) -> None:
    for real, rendered in zip(live.deployments(), offline.deployments(), strict=True):
        assert real["spec"]["replicas"] == rendered["spec"]["replicas"]
        real_pod, rendered_pod = (
            real["spec"]["template"]["spec"],
            rendered["spec"]["template"]["spec"],
        )
        for got, want in zip(real_pod["containers"], rendered_pod["containers"], strict=True):
            assert got["image"] == want["image"]
            assert got.get("resources", {}) == want.get("resources", {})
            assert got.get("readinessProbe", {}).get("httpGet", {}).get("path") == want.get(
                "readinessProbe", {}
            ).get("httpGet", {}).get("path")
    web = live.deployments()[-1]
    assert web["metadata"]["annotations"]["deployed-at"] == "2024-05-01T10:00:00Z"


def test_old_api_versions_are_found_by_fallback(live: KubernetesCluster) -> None:
    (pdb,) = live.pod_disruption_budgets()
    assert (pdb["apiVersion"], pdb["spec"]["minAvailable"]) == ("policy/v1beta1", 2)
    (hpa,) = live.horizontal_pod_autoscalers()
    assert hpa["apiVersion"] == "autoscaling/v2beta2"
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


def test_cluster_scoped_and_custom_objects(live: KubernetesCluster) -> None:
    cluster_roles = {name for _, name in _names(live.cluster_roles())}
    assert {"readiness-viewer", "cluster-admin", "view"} <= cluster_roles  # ours + bootstrap
    bindings = {name for _, name in _names(live.cluster_role_bindings())}
    assert {"readiness-viewer", "payments-api-admin"} <= bindings
    (cert,) = live.custom_objects("cert-manager.io", "v1", "certificates")
    assert (cert["kind"], cert["spec"]["dnsNames"][0]) == ("Certificate", "shop.example.com")
    assert _names(live.custom_objects("cert-manager.io", "v1", "clusterissuers")) == [
        (None, "letsencrypt")
    ]
    assert live.custom_objects("example.com", "v1", "widgets") == []


def test_all_namespaces_includes_the_default_one(apiserver: Path) -> None:
    cluster = connect(_target(apiserver / "admin.kubeconfig"), Redactor())
    try:
        assert ("default", "legacy-worker") in _names(cluster.deployments())
    finally:
        cluster.close()


def test_viewer_without_rbac_bindings_is_auth_failed(apiserver: Path) -> None:
    viewer = connect(_target(apiserver / "viewer.kubeconfig"), Redactor())  # /version is public
    try:
        with pytest.raises(
            AuthFailed,
            match=r"^Cannot list deployments on kubernetes target "
            r"'real': forbidden \(HTTP 403: .*User \"viewer\" cannot list",
        ):
            viewer.deployments()
    finally:
        viewer.close()


def test_wrong_token_is_auth_failed_at_connect_and_hidden(apiserver: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((apiserver / "admin.kubeconfig").read_text())
    config["users"][0]["user"]["token"] = "n0t-the-admin-token"
    path = tmp_path / "wrong.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(
        AuthFailed,
        match=r"^Cannot connect to kubernetes target 'real': "
        r"unauthorized \(HTTP 401",
    ) as info:
        connect(_target(path), Redactor())
    assert "n0t-the-admin-token" not in str(info.value)


def test_unknown_certificate_authority_is_unreachable(apiserver: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((apiserver / "admin.kubeconfig").read_text())
    del config["clusters"][0]["cluster"]["certificate-authority"]
    path = tmp_path / "no-ca.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(
        Unreachable,
        match=r"^Cannot connect to kubernetes target 'real': TLS "
        r"certificate verify failed: ",
    ):
        connect(_target(path), Redactor())
