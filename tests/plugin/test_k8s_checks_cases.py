"""The Kubernetes check fixtures: committed files match make_bad.py, and offline each bad case
breaks its own check (and only the few others its change must break) while the good app
passes every check that reads manifests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "k8s-checks"
sys.path.insert(0, str(DATA))
from make_bad import CASE_THRESHOLDS, CASES, namespace_of, render  # noqa: E402

#: checks a case's one change must break too
ALSO = {
    "K8S-HPA": {"K8S-REPLICAS"},  # minReplicas 1 is the workload's replica count
    "K8S-MANIFESTS-VALID": {"K8S-PROBE-READINESS"},  # the misspelt probe is no probe
    "K8S-NETPOL": {"K8S-NETPOL-DEFAULT-DENY"},  # the default-deny policy selects nothing
    "K8S-NETPOL-DEFAULT-DENY": {"K8S-NETPOL"},  # the CronJob's pods lose their only policy
    "K8S-SEC-PRIVILEGED": {"K8S-SEC-PRIV-ESCALATION"},  # the API server forbids both at once
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_committed_bad_case_is_what_make_bad_writes(check_id: str) -> None:
    assert (DATA / "bad" / f"{check_id}.yaml").read_text() == render(check_id)


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Target -> ids of the checks that failed, from one offline run over every case."""
    project = tmp_path_factory.mktemp("k8s-cases")
    targets = [{"name": "good", "manifests": [str(DATA / "good" / "app.yaml")]}]
    targets += [
        {
            "name": check_id,
            "manifests": [str(DATA / "bad" / f"{check_id}.yaml")],
            "namespaces": [namespace_of(check_id)],
        }
        for check_id in CASES
    ]
    profile = {"checks": ["kubernetes"], "kubernetes": targets, "thresholds": CASE_THRESHOLDS}
    (project / "readiness.yaml").write_text(yaml.safe_dump({"profiles": {"cases": profile}}))
    out = project / "r.json"
    command = [sys.executable, "-m", "pytest", "--readiness=cases", f"--readiness-json={out}"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", "-q"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, set[str]] = {str(t["name"]): set() for t in targets}
    items: list[dict[str, Any]] = json.loads(out.read_text())["items"]
    for item in items:
        check_id, _, target = item["id"].rstrip("]").partition("[")
        if item["outcome"] == "failed":
            result[target].add(check_id)
    return result


def test_the_good_app_passes_every_check_offline(failed: dict[str, set[str]]) -> None:
    assert failed["good"] == set()


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_a_bad_case_breaks_its_own_check_only(failed: dict[str, set[str]], check_id: str) -> None:
    assert failed[check_id] == {check_id} | ALSO.get(check_id, set())
