"""The container and the in-cluster manifests (Dockerfile, deploy/kubernetes/).

Real: the project's own offline Kubernetes checks over the manifests (the profile and checks of
the ConfigMap, its target pointed at the files instead of the cluster), the Indexed Job's shell
wrapper run by /bin/sh, and the objects created in a real kube-apiserver v1.20.2 (kubectl
apply, then read back). Stand-ins: a fake ``pytest`` on PATH for the wrapper (it only exits);
no container runtime runs here, so the Dockerfile is checked statically, not built.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_readiness.connectors.k8s_cluster import RESOURCES
from tests.support.k8s_real import RealApiServer, real_apiserver

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
MERGE = DEPLOY / "merge"
DOCKERFILE = ROOT / "Dockerfile"
CONSTRAINTS = ROOT / "deploy" / "container" / "constraints.txt"


def _objects(*folders: Path) -> list[dict[str, Any]]:
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            found += [o for o in yaml.safe_load_all(path.read_text()) if o]
    return found


def _one(kind: str, name: str) -> dict[str, Any]:
    matches = [
        o for o in _objects(DEPLOY, MERGE) if o["kind"] == kind and o["metadata"]["name"] == name
    ]
    assert len(matches) == 1, (kind, name)
    return matches[0]


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


# -- the project's own checks over the manifests -------------------------------------------------


@pytest.fixture(scope="module")
def deploy_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One readiness run with the ConfigMap's profile and checks, over the manifests."""
    config = _one("ConfigMap", "readiness-config")["data"]
    work = tmp_path_factory.mktemp("deploy-checks")
    profile = yaml.safe_load(config["readiness.yaml"])
    (target,) = profile["profiles"]["cluster"]["kubernetes"]
    assert target.pop("in_cluster") is True
    target["manifests"] = [str(DEPLOY), str(MERGE)]
    (work / "readiness.yaml").write_text(yaml.safe_dump(profile))
    (work / "test_platform.py").write_text(config["test_platform.py"])
    (work / "pytest.ini").write_text(config["pytest.ini"])
    out = work / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness=cluster", f"--readiness-json={out}", "-q"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    data: dict[str, Any] = json.loads(out.read_text())
    data["_exit"] = done.returncode
    return data


def test_the_manifests_pass_every_critical_and_important_kubernetes_check(
    deploy_run: dict[str, Any],
) -> None:
    not_met = [
        (i["id"], i["outcome"], i["message"])
        for i in deploy_run["items"]
        if i["severity"] in ("critical", "important") and i["outcome"] in ("failed", "error")
    ]
    assert not_met == []
    assert deploy_run["decision"] == "GO"
    assert deploy_run["_exit"] == 0


def test_the_checks_saw_every_workload_and_object(deploy_run: dict[str, Any]) -> None:
    """4 workloads: the Job, the CronJob, the Indexed Job and the merge Job."""
    evidence = {i["id"].split("[")[0]: i["evidence"] for i in deploy_run["items"]}
    assert evidence["K8S-SA-AUTOMOUNT"][0]["observed"] == "0 of 4 not compliant"
    assert evidence["K8S-SEC-RO-ROOTFS"][0]["observed"] == "0 of 4 not compliant"
    objects = len(_objects(DEPLOY, MERGE))
    assert evidence["K8S-MANIFESTS-VALID"][0]["observed"] == f"0 of {objects} not compliant"


def test_the_configmap_checks_run_next_to_the_built_in_ones(deploy_run: dict[str, Any]) -> None:
    ours = [i for i in deploy_run["items"] if i["id"].startswith("PLATFORM-NO-DEFAULT-NS")]
    assert [(i["id"], i["outcome"]) for i in ours] == [
        ("PLATFORM-NO-DEFAULT-NS[this-cluster]", "passed")
    ]
    assert len(deploy_run["items"]) > 40


# -- least privilege -----------------------------------------------------------------------------


def test_the_cluster_role_only_reads_and_never_secrets() -> None:
    rules = _one("ClusterRole", "readiness-reader")["rules"]
    for rule in rules:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
        assert "secrets" not in rule["resources"], rule
        assert "*" not in rule["resources"] + rule["apiGroups"] + rule["verbs"], rule
        assert "resourceNames" not in rule


def test_the_cluster_role_covers_every_kind_the_connector_reads() -> None:
    """An in-cluster run must not end in 'forbidden' for a kind a check lists."""
    rules = _one("ClusterRole", "readiness-reader")["rules"]
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    wanted = {(res.group, res.plural) for res in RESOURCES.values()}
    assert wanted - granted == set()


def test_the_role_is_bound_to_the_jobs_service_account_alone() -> None:
    binding = _one("ClusterRoleBinding", "readiness-reader")
    assert binding["roleRef"]["name"] == "readiness-reader"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "readiness", "namespace": "readiness"}
    ]
    workloads = [o for o in _objects(DEPLOY, MERGE) if o["kind"] in ("Job", "CronJob")]
    assert len(workloads) == 4
    for obj in workloads:
        pod = _pod(obj)
        assert pod["serviceAccountName"] == "readiness"
        assert pod["automountServiceAccountToken"] is False
        tokens = [v for v in pod["volumes"] if "projected" in v]
        for volume in tokens:  # the one token mounted on purpose: bound and short-lived
            (source,) = [s for s in volume["projected"]["sources"] if "serviceAccountToken" in s]
            assert source["serviceAccountToken"]["expirationSeconds"] <= 3600


def test_every_run_writes_its_reports_to_the_reports_volume() -> None:
    for obj in (o for o in _objects(DEPLOY, MERGE) if o["kind"] in ("Job", "CronJob")):
        pod = _pod(obj)
        (container,) = pod["containers"]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts["reports"] == "/reports"
        claims = {v["name"]: v.get("persistentVolumeClaim") for v in pod["volumes"]}
        assert claims["reports"] == {"claimName": "readiness-reports"}
        command = " ".join(container.get("command", []) + container.get("args", []))
        outputs = re.findall(r"--(?:readiness-json|json)=\"?(\S+?)\"?(?:\s|$)", command)
        assert outputs, command
        assert all(path.startswith("/reports/") for path in outputs), outputs


# -- the Indexed Job and its merge -----------------------------------------------------------------


def test_the_indexed_job_runs_as_many_shards_as_the_merge_expects() -> None:
    shards = _one("Job", "readiness-shards")
    spec = shards["spec"]
    count = int(_env(_pod(shards)["containers"][0])["READINESS_SHARDS"])
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == count
    merge = _pod(_one("Job", "readiness-merge"))["containers"][0]
    inputs = [a for a in merge["args"] if a.endswith(".json") and not a.startswith("--")]
    assert merge["command"] == ["pytest-readiness"]
    assert inputs == [f"/reports/shard-{i}.json" for i in range(count)]


FAKE_PYTEST = """#!/bin/sh
echo "$@" > "$FAKE_OUT"
if [ -n "$FAKE_WAIT" ]; then
  trap 'echo TERM >> "$FAKE_OUT"; exit 1' TERM
  : > "$FAKE_WAIT"
  while :; do sleep 0.05; done
fi
exit "$FAKE_EXIT"
"""


def _wrapper(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    container = _pod(_one("Job", "readiness-shards"))["containers"][0]
    fake = tmp_path / "bin" / "pytest"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(FAKE_PYTEST)
    fake.chmod(0o755)
    environment = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "JOB_COMPLETION_INDEX": "2",
        "FAKE_OUT": str(tmp_path / "args"),
        **env,
    }
    return subprocess.Popen(container["command"] + container["args"], env=environment, text=True)


@pytest.mark.parametrize(("pytest_exit", "pod_exit"), [(0, 0), (1, 0), (3, 1), (4, 1)])
def test_the_shard_pod_completes_on_a_decision_and_fails_on_anything_else(
    tmp_path: Path, pytest_exit: int, pod_exit: int
) -> None:
    proc = _wrapper(tmp_path, FAKE_EXIT=str(pytest_exit))
    assert proc.wait(timeout=30) == pod_exit
    args = shlex.split((tmp_path / "args").read_text())
    assert "--readiness-json=/reports/shard-2.json" in args
    assert "--readiness=cluster" in args


def test_the_shard_pod_passes_sigterm_on_to_pytest(tmp_path: Path) -> None:
    """Kubernetes stops a pod with SIGTERM to PID 1 (the shell): pytest must get it to end
    INCOMPLETE with its reports written."""
    ready = tmp_path / "ready"
    proc = _wrapper(tmp_path, FAKE_EXIT="0", FAKE_WAIT=str(ready))
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():  # the fake pytest says when its trap is set
            assert proc.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0  # pytest's exit 1 after the TERM: a decision
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "args").read_text().splitlines()[-1] == "TERM"


# -- the container ---------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_every_base_image_is_a_slim_python_pinned_to_a_patch_version() -> None:
    bases = [args.split()[0] for word, args in _instructions() if word == "FROM"]
    assert len(bases) == 2
    for base in bases:
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+", base), base


def test_the_runtime_installs_the_wheel_built_in_the_first_stage_with_pinned_versions() -> None:
    steps = _instructions()
    runtime = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    build_stage = steps[: len(steps) - len(runtime)]
    assert any(w == "RUN" and "python -m build --wheel" in a for w, a in build_stage)
    assert ("COPY", "--from=build /wheels/ /wheels/") in runtime
    installs = [a for w, a in runtime if w == "RUN" and "pip install" in a]
    assert len(installs) == 1
    assert '"${wheel}[${READINESS_EXTRAS}]"' in installs[0]
    assert "--constraint /wheels/constraints.txt" in installs[0]
    assert not [a for w, a in runtime if w == "COPY" and "--from" not in a and ".whl" not in a
                and "constraints.txt" not in a]  # fmt: skip
    pins = [
        line
        for line in CONSTRAINTS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert pins
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", pin) for pin in pins), pins
    pinned = {pin.split("==")[0].lower().replace("_", "-") for pin in pins}
    assert {"pytest", "pytest-xdist", "kubernetes", "pyyaml", "jinja2"} <= pinned


def test_the_container_runs_as_a_non_root_user_and_fetches_nothing_by_url() -> None:
    steps = _instructions()
    users = [a for w, a in steps if w == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    assert int(users[-1].split(":")[0]) >= 10000
    last_user = max(i for i, (w, _) in enumerate(steps) if w == "USER")
    assert [w for w, _ in steps[last_user:]] == ["USER", "ENTRYPOINT", "CMD"]
    assert not [a for w, a in steps if w == "ADD"]  # COPY only: no URLs, no auto-extraction
    assert not [a for w, a in steps if w == "RUN" and re.search(r"\b(curl|wget)\b", a)]


def test_the_container_runs_pytest_with_reports_on_a_volume() -> None:
    steps = dict(_instructions()[::-1])  # the last of each instruction
    assert json.loads(steps["ENTRYPOINT"])[0] == "pytest"
    assert json.loads(steps["VOLUME"]) == ["/reports"]
    assert "PYTHONDONTWRITEBYTECODE=1" in steps["ENV"]  # the mounted checks are read-only


def test_everything_the_dockerfile_copies_exists_and_passes_the_dockerignore() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore
    for word, args in _instructions():
        if word == "COPY" and "--from" not in args:
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") in allowed or source.startswith(tuple(allowed)), source


# -- the real kube-apiserver -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    with real_apiserver(tmp_path_factory.mktemp("deploy-api")) as api:
        yield api


def _indexed(obj: dict[str, Any]) -> bool:
    return bool(obj["kind"] == "Job" and obj["spec"].get("completionMode") == "Indexed")


@pytest.mark.k8s_real
def test_the_real_api_server_stores_every_object(server: RealApiServer) -> None:
    objects = [o for o in _objects(DEPLOY, MERGE) if not _indexed(o)]
    server.apply(objects, "deploy")  # fails the test with kubectl's output if one is refused
    for obj in objects:
        namespace = obj["metadata"].get("namespace")
        stored = _stored(server, obj["kind"], obj["metadata"]["name"], namespace)
        assert stored["metadata"]["name"] == obj["metadata"]["name"]
    role = _stored(server, "clusterrole", "readiness-reader")
    assert role["rules"] == _one("ClusterRole", "readiness-reader")["rules"]
    job = _stored(server, "job", "readiness-check", "readiness")
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert sorted(volumes) == ["api-token", "config", "reports", "tmp"]
    sources = volumes["api-token"]["projected"]["sources"]
    assert sources[0]["serviceAccountToken"] == {"path": "token", "expirationSeconds": 3600}


@pytest.mark.k8s_real
def test_the_real_api_server_accepts_the_indexed_job_but_1_20_drops_its_mode(
    server: RealApiServer,
) -> None:
    """Indexed Jobs came with Kubernetes 1.21; this server is 1.20, so kubectl's schema check
    is off for this one object and the server prunes ``completionMode``: what this proves is
    the rest (pod template, the index from the annotation, volumes). K8S-MANIFESTS-VALID checks
    the whole object against the 1.30 schemas (test_the_manifests_pass_every_...)."""
    server.apply(_objects(DEPLOY)[:1], "deploy-namespace")
    (job,) = [o for o in _objects(DEPLOY) if _indexed(o)]
    path = server.state / "indexed-job.yaml"
    path.write_text(yaml.safe_dump(job))
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={server.kubeconfig}", "create", "--dry-run=server",
         "--validate=false", "-o", "json", "-f", str(path)],
        env=server.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    stored = json.loads(done.stdout)
    assert "completionMode" not in stored["spec"]  # 1.20 does not know it (see above)
    assert stored["spec"]["completions"] == stored["spec"]["parallelism"] == 3
    (container,) = stored["spec"]["template"]["spec"]["containers"]
    assert _env(container)["JOB_COMPLETION_INDEX"] == {
        "fieldRef": {
            "apiVersion": "v1",
            "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']",
        }
    }


@pytest.mark.k8s_real
def test_the_service_account_may_read_but_not_secrets_in_the_real_api_server(
    server: RealApiServer,
) -> None:
    server.apply([o for o in _objects(DEPLOY) if o["kind"] != "Job"], "deploy-rbac")
    who = "--as=system:serviceaccount:readiness:readiness"
    kubectl = ["kubectl", f"--kubeconfig={server.kubeconfig}", "auth", "can-i", who]
    answers = {}
    for verb, resource in [
        ("list", "pods"), ("watch", "deployments.apps"), ("get", "clusterroles.rbac.authorization.k8s.io"),
        ("get", "secrets"), ("list", "secrets"), ("create", "pods"), ("delete", "jobs.batch"),
    ]:  # fmt: skip
        done = subprocess.run(
            [*kubectl, verb, resource, "--all-namespaces"],
            env=server.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        answers[verb, resource] = done.stdout.strip()
    assert answers == {
        ("list", "pods"): "yes",
        ("watch", "deployments.apps"): "yes",
        ("get", "clusterroles.rbac.authorization.k8s.io"): "yes",
        ("get", "secrets"): "no",
        ("list", "secrets"): "no",
        ("create", "pods"): "no",
        ("delete", "jobs.batch"): "no",
    }


def _stored(
    server: RealApiServer, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any]:
    got = subprocess.run(
        ["kubectl", f"--kubeconfig={server.kubeconfig}", "get", kind, name, "-o", "json"]
        + (["-n", namespace] if namespace else []),
        env=server.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    stored: dict[str, Any] = json.loads(got.stdout)
    return stored
