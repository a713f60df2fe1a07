"""The README's first command stays honest: the shipped quickstart runs and decides.

``examples/quickstart/run.sh`` runs the built-in checks against the example inputs beside it
(rendered manifests, pipeline artifacts) plus the local services that answer. Two runs of the
real script: with the service ports pointed at ports that refuse connections (a fresh machine)
and with this machine's PostgreSQL, Redis and NATS on loopback. The profiles themselves are
checked in-process: every kind a built-in domain needs is either a target or declared absent.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import builtin
from pytest_readiness.config import load_profile

REPO = Path(__file__).parents[2]
EXAMPLE = REPO / "examples" / "quickstart"
SERVICE_KINDS = ("postgres", "redis", "nats")
RUN_TIMEOUT = 300


@contextmanager
def refusing_ports(count: int) -> Iterator[list[int]]:
    """Loopback ports bound but never listened on: connections are refused for as long as held."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        yield ports


def run_quickstart(reports: Path, *args: str, **ports: int) -> tuple[int, str, dict[str, Any]]:
    """``bash run.sh ARGS`` as a user runs it, with this interpreter and reports in ``reports``."""
    env = {
        **os.environ,
        "QUICKSTART_PYTHON": sys.executable,
        "QUICKSTART_REPORTS": str(reports),
        "PYTHONPATH": str(REPO),
        "PYTHONDONTWRITEBYTECODE": "1",
        **{f"QUICKSTART_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    done = subprocess.run(
        ["bash", str(EXAMPLE / "run.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    output = done.stdout + done.stderr
    result_file = reports / "readiness.json"
    assert result_file.is_file(), output[-3000:]
    return done.returncode, output, json.loads(result_file.read_text())


def outcomes_by_kind(result: dict[str, Any]) -> dict[str, set[str]]:
    """Outcomes of the built-in items, by the module they come from (``test_redis`` ...)."""
    by_module: dict[str, set[str]] = {}
    for item in result["items"]:
        nodeid = item.get("nodeid", "")
        if nodeid.startswith("checks/"):
            module = nodeid.split("/")[1].split(".py")[0]
            by_module.setdefault(module, set()).add(item["outcome"])
    return by_module


def test_fresh_machine_declares_silent_services_absent_and_reaches_go(tmp_path: Path) -> None:
    with refusing_ports(3) as (pg, redis, nats):
        status, output, result = run_quickstart(tmp_path, pg=pg, redis=redis, nats=nats)
    assert "quickstart: profile examples" in output
    assert output.count("is declared absent (not applicable)") == 3
    assert "readiness decision: GO" in output, output[-4000:]
    assert status == 0
    assert result["decision"] == "GO"
    by_module = outcomes_by_kind(result)
    for module in ("test_postgres", "test_redis", "test_nats", "test_http", "test_repository"):
        assert by_module[module] == {"skipped"}, module
    skipped = [i for i in result["items"] if i["nodeid"].startswith("checks/test_postgres.py")]
    assert all(
        i["message"].startswith("N/A: profile 'examples' declares no postgres") for i in skipped
    )
    # the example inputs were evaluated: manifests and artifacts, none of them skipped wholesale
    assert "passed" in by_module["test_k8s_security"]
    assert "passed" in by_module["test_artifacts"]
    # the matrix is printed and the HTML report written
    assert "PostgreSQL            -             -             -             n/a" in output
    assert "Kubernetes security   8/8" in output
    html = (tmp_path / "readiness.html").read_text(encoding="utf-8")
    assert "<html" in html
    assert "GO" in html


@pytest.mark.integration
def test_local_services_are_checked_and_their_defaults_decide(tmp_path: Path) -> None:
    """This machine's development services answer: every one of their checks is evaluated."""
    status, output, result = run_quickstart(tmp_path)
    assert "quickstart: profile local" in output, output[-3000:]
    by_module = outcomes_by_kind(result)
    for module in ("test_postgres", "test_redis", "test_nats"):
        assert "passed" in by_module[module], module
        assert "error" not in by_module[module], module
    items = {i["id"]: i for i in result["items"]}
    assert items["PG-CONNECT[local-pg]"]["outcome"] == "passed"
    assert items["REDIS-PING[local-redis]"]["outcome"] == "passed"
    assert items["NATS-JETSTREAM[local-nats]"]["outcome"] == "passed"
    # development defaults (no Redis password, plaintext PostgreSQL) deserve a NO-GO
    assert items["REDIS-AUTH-REQUIRED[local-redis]"]["outcome"] == "failed"
    assert items["PG-SSL-REQUIRED[local-pg]"]["outcome"] == "failed"
    assert result["decision"] == "NO-GO"
    assert status == 1
    not_met_critical = {
        i["nodeid"].split("/")[1].split(".py")[0]
        for i in result["items"]
        if i["severity"] == "critical" and i["outcome"] in ("failed", "error")
    }
    assert not_met_critical <= {"test_postgres", "test_redis", "test_nats"}


@pytest.mark.integration
def test_only_the_services_that_answer_join_the_run(tmp_path: Path) -> None:
    with refusing_ports(2) as (pg, nats):
        status, output, result = run_quickstart(tmp_path, pg=pg, nats=nats)
    assert "quickstart: profile with-redis" in output, output[-3000:]
    by_module = outcomes_by_kind(result)
    assert by_module["test_postgres"] == by_module["test_nats"] == {"skipped"}
    assert "passed" in by_module["test_redis"]
    assert status == 1  # the local Redis has no password


def test_broken_profile_names_a_silent_redis_and_is_no_go(tmp_path: Path) -> None:
    status, output, result = run_quickstart(tmp_path, "broken")
    assert "quickstart: profile broken" in output
    assert "answers on" not in output
    assert "declared absent" not in output
    items = {i["id"]: i for i in result["items"]}
    assert items["REDIS-PING[cache]"]["outcome"] == "error"
    assert result["decision"] == "NO-GO"
    assert status == 1


@pytest.mark.parametrize(
    "profile",
    [
        "examples",
        "local",
        "with-postgres",
        "with-redis",
        "with-nats",
        "with-postgres-redis",
        "with-postgres-nats",
        "with-redis-nats",
        "broken",
    ],
)
def test_every_profile_states_each_kind_it_checks(profile: str) -> None:
    """No silent skip: each selected domain's kind has targets or is declared absent, not both."""
    loaded = load_profile(EXAMPLE / "readiness.yaml", profile, {})
    assert loaded.checks is not None
    kinds = {m.target_kind for m in builtin.discover() if m.domain in loaded.checks}
    assert {m.domain for m in builtin.discover()} <= set(loaded.checks)
    for kind in kinds:
        has_targets = bool(loaded.targets_of(kind))
        assert has_targets != (kind in loaded.absent), f"{profile}: {kind}"
    present = {k for k in SERVICE_KINDS if loaded.targets_of(k)}
    if profile.startswith("with-"):
        assert present == set(profile.removeprefix("with-").split("-"))
    assert loaded.targets_of("kubernetes")
    assert loaded.targets_of("artifacts")


def test_run_sh_names_a_profile_for_every_probe_outcome() -> None:
    """run.sh builds ``with-<found services>`` in probe order; each such name exists."""
    text = (EXAMPLE / "readiness.yaml").read_text(encoding="utf-8")
    order = list(SERVICE_KINDS)
    for mask in range(1, 7):
        found = [k for i, k in enumerate(order) if mask & (1 << i)]
        if len(found) < 3:
            assert f"\n  with-{'-'.join(found)}:\n" in text, found


@pytest.fixture
def quickstart(pytester: pytest.Pytester) -> pytest.Pytester:
    for path in EXAMPLE.iterdir():
        if path.is_dir():
            shutil.copytree(path, pytester.path / path.name)
        elif path.suffix in (".py", ".yaml", ".ini"):
            shutil.copy(path, pytester.path / path.name)
    return pytester


def test_example_inputs_give_their_documented_outcomes(quickstart: pytest.Pytester) -> None:
    """What the README says the example shows: a waiver, a nice-to-have miss, an attestation."""
    out = quickstart.path / "r.json"
    result = quickstart.runpytest("--readiness=examples", f"--readiness-json={out}")
    data = json.loads(out.read_text())
    assert data["decision"] == "GO", result.stdout.str()[-3000:]
    outcomes = {item["id"]: item["outcome"] for item in data["items"]}
    assert outcomes["OPS-1"] == "attested"
    assert outcomes["ART-COVERAGE-MIN[orders-ci]"] == "waived"
    assert outcomes["K8S-PRIORITY-CLASS[orders]"] == "failed"  # nice-to-have: never blocks
    assert outcomes["ART-LOADTEST-SUMMARY[orders-ci]"] == "passed"
    assert outcomes["ART-LICENSE-ALLOWLIST[orders-ci]"] == "passed"  # the profile's allow-list
    not_met = {k for k, v in outcomes.items() if v in ("failed", "error")}
    assert not_met == {"K8S-PRIORITY-CLASS[orders]"}
