"""Built-in checks join a readiness run: chosen by the profile, named checks/<module>::<test>."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.builtin import discover

MANIFESTS = Path(__file__).resolve().parents[1] / "data" / "manifests"
WORKLOADS = "checks/test_k8s_workloads.py"

PROFILES = f"""
profiles:
  rendered:
    kubernetes:
      - {{name: ci, manifests: ["{MANIFESTS}"]}}
  no-targets:
    description: nothing to check
  by-id:
    extends: rendered
    checks: [K8S-REPLICAS, K8S-IMAGE-TAG]
  by-domain:
    checks: [kubernetes]
    kubernetes:
      - {{name: ci, manifests: ["{MANIFESTS}"]}}
  none:
    extends: rendered
    checks: []
  typo:
    extends: rendered
    checks: [K8S-REPLICA]
  lenient:
    extends: by-id
    thresholds: {{min_replicas: 1}}
    severity: {{K8S-IMAGE-TAG: nice_to_have}}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", readiness=PROFILES)
    pytester.makepyfile(test_own="def test_own_check():\n    assert True\n")
    return pytester


def run(project: pytest.Pytester, profile: str, *args: str) -> tuple[Any, dict[str, Any]]:
    out = project.path / "result.json"
    out.unlink(missing_ok=True)
    result = project.runpytest(
        f"--readiness={profile}", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
    )
    return result, json.loads(out.read_text()) if out.exists() else {}


def _workload_ids() -> set[str]:
    (module,) = [m for m in discover() if m.path.name == "test_k8s_workloads.py"]
    return {c.id for c in module.checks}


def test_builtins_for_the_profiles_target_kinds_run_beside_the_users_tests(
    project: pytest.Pytester,
) -> None:
    _, data = run(project, "rendered")
    nodeids = [item["nodeid"] for item in data["items"]]
    assert "test_own.py::test_own_check" in nodeids
    builtin = [n for n in nodeids if n.startswith(f"{WORKLOADS}::")]
    assert builtin
    assert all(n.endswith("[ci]") for n in builtin)
    ids = {item["id"].split("[")[0] for item in data["items"] if item["nodeid"] in builtin}
    assert ids == _workload_ids()
    assert data["scope"]["full"] is True


def test_a_profile_without_targets_of_the_kind_runs_no_builtins(project: pytest.Pytester) -> None:
    _, data = run(project, "no-targets")
    assert [item["nodeid"] for item in data["items"]] == ["test_own.py::test_own_check"]


def test_checks_by_id_select_single_checks_and_do_not_narrow_the_scope(
    project: pytest.Pytester,
) -> None:
    result, data = run(project, "by-id")
    ids = sorted(item["id"] for item in data["items"])
    assert ids == ["K8S-IMAGE-TAG[ci]", "K8S-REPLICAS[ci]", "test_own.py::test_own_check"]
    assert data["scope"] == {**data["scope"], "full": True, "selected": 3, "total": 3}
    outcomes = {item["id"]: item["outcome"] for item in data["items"]}
    assert outcomes["K8S-REPLICAS[ci]"] == "failed"  # payments-api runs 1 replica
    assert "deselected" not in result.stdout.str()


def test_checks_by_domain_select_every_module_of_the_domain(project: pytest.Pytester) -> None:
    _, data = run(project, "by-domain")
    modules = {item["nodeid"].split("::")[0] for item in data["items"]}
    expected = {m.nodeid for m in discover() if m.domain == "kubernetes"}
    assert modules == expected | {"test_own.py"}


def test_an_empty_checks_list_runs_no_builtins(project: pytest.Pytester) -> None:
    _, data = run(project, "none")
    assert [item["nodeid"] for item in data["items"]] == ["test_own.py::test_own_check"]


def test_an_unknown_check_name_is_a_usage_error_with_a_suggestion(
    project: pytest.Pytester,
) -> None:
    result, _ = run(project, "typo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*profiles.typo.checks: unknown built-in check or domain 'K8S-REPLICA'*K8S-REPLICAS*"]
    )


def test_thresholds_and_severities_of_builtins_come_from_the_profile(
    project: pytest.Pytester,
) -> None:
    _, data = run(project, "lenient")
    items = {item["id"]: item for item in data["items"]}
    assert items["K8S-REPLICAS[ci]"]["outcome"] == "passed"  # min_replicas: 1
    assert items["K8S-IMAGE-TAG[ci]"]["severity"] == "nice_to_have"


def test_under_xdist_each_builtin_runs_once(project: pytest.Pytester) -> None:
    _, serial = run(project, "by-id")
    _, parallel = run(project, "by-id", "-n", "2")
    pairs = sorted((i["nodeid"], i["outcome"]) for i in parallel["items"])
    assert pairs == sorted((i["nodeid"], i["outcome"]) for i in serial["items"])
    assert len(pairs) == 3


def test_builtins_are_found_whatever_the_projects_python_functions(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\npython_functions = check_*\n")
    project.makepyfile(test_own="def check_own():\n    assert True\n")
    _, data = run(project, "by-id")
    assert sorted(i["id"] for i in data["items"]) == [
        "K8S-IMAGE-TAG[ci]",
        "K8S-REPLICAS[ci]",
        "test_own.py::check_own",
    ]


def test_builtins_can_be_deselected_by_node_id(project: pytest.Pytester) -> None:
    nodeid = f"{WORKLOADS}::test_k8s_images_are_pinned[ci]"
    _, data = run(project, "by-id", f"--deselect={nodeid}")
    assert nodeid not in [i["nodeid"] for i in data["items"]]
    assert data["scope"]["full"] is False


def test_a_builtin_module_named_on_the_command_line_runs_alone_with_the_same_ids(
    project: pytest.Pytester,
) -> None:
    (module,) = [m for m in discover() if m.path.name == "test_k8s_workloads.py"]
    ini = project.makeini("[pytest]\n")
    _, data = run(
        project, "rendered", str(module.path), "-c", str(ini), f"--rootdir={project.path}"
    )
    nodeids = [item["nodeid"] for item in data["items"]]
    assert sorted(nodeids) == sorted(f"{WORKLOADS}::{c.function}[ci]" for c in module.checks)
