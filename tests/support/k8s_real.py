"""A real kube-apiserver (tools/kube-apiserver.sh) for the Kubernetes check tests.

Started from a private state directory on free ports and stopped by the script's own pid files;
without the cached build the tests fail (never skip) and say how to build it. The script path
can be overridden with K8S_REAL_APISERVER_SCRIPT, the build cache with K8S_BIN_CACHE.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(os.environ.get("K8S_REAL_APISERVER_SCRIPT", ROOT / "tools" / "kube-apiserver.sh"))
BINARY = (
    Path(os.environ.get("K8S_BIN_CACHE", "/var/cache/k8s-apiserver")) / "kube-apiserver-v1.20.2"
)
#: API versions 1.20 serves instead of the current ones (what `helm template --kube-version 1.20`
#: renders); the objects' fields are the same.
FOR_1_20 = {
    ("policy/v1", "PodDisruptionBudget"): "policy/v1beta1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "autoscaling/v2beta2",
    ("batch/v1", "CronJob"): "batch/v1beta1",
}


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first: int = probe.getsockname()[1]
        if first + count < 65536 and all(_free(first + i) for i in range(count)):
            return first
    raise RuntimeError("no run of free loopback ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


class RealApiServer:
    """A running server: its kubeconfig and a small admin client for seeding."""

    def __init__(self, state: Path, env: dict[str, str]) -> None:
        self.state = state
        self.env = env
        self.kubeconfig = state / "k8s" / "admin.kubeconfig"
        config = yaml.safe_load(self.kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.url = str(cluster["server"])
        self.session = requests.Session()
        self.session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the server's CA
        self.session.verify = str(cluster["certificate-authority"])
        self.session.headers["Authorization"] = f"Bearer {config['users'][0]['user']['token']}"

    def apply(self, objects: list[dict[str, Any]], name: str) -> None:
        """kubectl-apply ``objects`` as 1.20 objects: namespaces and CRDs first, then the rest."""
        for obj in objects:
            obj["apiVersion"] = FOR_1_20.get((obj["apiVersion"], obj["kind"]), obj["apiVersion"])
        first = [o for o in objects if o["kind"] in ("Namespace", "CustomResourceDefinition")]
        rest = [o for o in objects if o not in first]
        kubectl = ["kubectl", f"--kubeconfig={self.kubeconfig}", "--request-timeout=60s"]
        for part, batch in (("first", first), ("rest", rest)):
            if not batch:
                continue
            path = self.state / f"{name}-{part}.yaml"
            path.write_text(yaml.safe_dump_all(batch))
            applied = _run([*kubectl, "apply", "-f", str(path)], self.env, timeout=180)
            if applied.returncode != 0:
                pytest.fail(
                    f"kubectl apply {path.name} failed:\n{applied.stdout}{applied.stderr}",
                    pytrace=False,
                )
            if part == "first" and any(o["kind"] == "CustomResourceDefinition" for o in batch):
                waited = _run(
                    [
                        *kubectl,
                        "wait",
                        "--for=condition=Established",
                        "crd",
                        "--all",
                        "--timeout=60s",
                    ],
                    self.env,
                    timeout=90,
                )
                assert waited.returncode == 0, waited.stderr

    def put_status(self, path: str, status: dict[str, Any]) -> None:
        """Set an object's status through its status subresource (no controller runs here)."""
        current = self.session.get(f"{self.url}{path}", timeout=30)
        current.raise_for_status()
        body = current.json()
        body["status"] = status
        done = self.session.put(f"{self.url}{path}/status", json=body, timeout=30)
        assert done.status_code == 200, done.text

    def update(self, path: str, change: Callable[[dict[str, Any]], Any]) -> None:
        """GET the object at ``path``, apply ``change`` to it, PUT it back."""
        current = self.session.get(f"{self.url}{path}", timeout=30)
        current.raise_for_status()
        body = current.json()
        change(body)
        done = self.session.put(f"{self.url}{path}", json=body, timeout=30)
        assert done.status_code == 200, done.text

    def delete(self, path: str) -> None:
        done = self.session.delete(f"{self.url}{path}", timeout=30)
        assert done.status_code in (200, 202, 404), done.text


@contextmanager
def real_apiserver(state: Path) -> Iterator[RealApiServer]:
    """Start etcd + kube-apiserver in ``state`` on free ports; stop them at the end."""
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        pytest.fail(
            f"the real kube-apiserver is not built: {BINARY} is missing; run "
            f"`bash {SCRIPT} build` once (about 7 minutes), then run these tests again",
            pytrace=False,
        )
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not on PATH; it seeds the real API server", pytrace=False)
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
        yield RealApiServer(state, env)
    finally:
        down = _run(["bash", str(SCRIPT), "down"], env, timeout=60)
        assert down.returncode == 0, down.stderr
