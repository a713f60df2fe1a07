"""pytest-xdist: the same decision and items as a serial run; a dying worker is never a GO."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("xdist")

MIXED = """
import os
import pytest

pytestmark = pytest.mark.important(section="platform")

@pytest.fixture(scope="session")
def cluster():
    raise ConnectionError("api server unreachable")

@pytest.mark.critical(id="K8S-1", remediation="upgrade the cluster")
def test_version(evidence):
    evidence("server_version", "1.20", expected=">= 1.28")
    assert False, "cluster 1.20 is below 1.28"

@pytest.mark.critical(id="K8S-2")
def test_nodes(cluster):
    pass

@pytest.mark.parametrize("zone", ["a", "b", "c"])
def test_zones(zone, evidence):
    evidence(observed=zone, expected="any")
    assert zone != "c"

@pytest.mark.nice_to_have(section="docs")
def test_runbook():
    pytest.skip("no docs target")

@pytest.mark.xfail(reason="known")
def test_known():
    assert False

class TestMore:
    @pytest.mark.critical(id="K8S-3", title="Quota set")
    def test_quota(self):
        pass
"""

TIMING = ("duration", "run")
RESULT_SCHEMA = Path(__file__).parents[2] / "pytest_readiness" / "schemas" / "result.schema.json"


def validate_result(data: dict[str, Any]) -> None:
    """The JSON result matches the schema we publish in docs/json-report.md."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(RESULT_SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        data
    )


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in TIMING}
    data["items"] = [{k: v for k, v in item.items() if k != "duration"} for item in data["items"]]
    return data


def test_xdist_gives_the_same_json_as_a_serial_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(test_mixed=MIXED)
    results = {}
    for name, dist in (("serial", ["-n", "0"]), ("xdist", ["-n", "2"])):
        out = pytester.path / f"{name}.json"
        run = pytester.runpytest(
            "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *dist
        )
        assert run.ret == 1
        results[name] = json.loads(out.read_text())
    assert results["serial"]["decision"] == "NO-GO"
    for data in results.values():
        validate_result(data)
    assert _comparable(results["serial"]) == _comparable(results["xdist"])
    evidence = {i["id"]: i["evidence"] for i in results["xdist"]["items"]}
    assert evidence["K8S-1"] == [
        {"label": "server_version", "observed": "1.20", "expected": ">= 1.28"}
    ]
    assert evidence["test_mixed.py::test_zones[c]"] == [{"observed": "c", "expected": "any"}]


def test_only_the_controller_writes_reports(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.critical
        @pytest.mark.parametrize("n", range(6))
        def test_n(n):
            pass
        """
    )
    result = pytester.runpytest(
        "--readiness=prod", "--readiness-json=out/r.json", "-n", "2", "-p", "no:cacheprovider"
    )
    assert result.ret == 0
    assert [p.name for p in (pytester.path / "out").iterdir()] == [
        "r.json"
    ]  # no temp files left behind
    assert result.stdout.str().count("readiness decision:") == 1


def test_target_group_marks_reach_loadgroup_workers_only(pytester: pytest.Pytester) -> None:
    # --dist loadgroup schedules by these marks; a run that does not distribute so is spared them
    # (the scheduling itself is xdist's: with pytest 9.2 and xdist 3.8 it ignores the groups)
    pytester.makefile(
        ".yaml",
        readiness="profiles:\n  prod:\n    checks: []\n    hosts: [{name: a, spec: 'local://'}, "
        "{name: b, spec: 'local://'}]\n",
    )
    pytester.makepyfile(
        test_hosts="""
        import pytest

        @pytest.mark.critical
        @pytest.mark.parametrize("n", range(4))
        def test_n(target_host, n, evidence, request):
            evidence(observed=[m.args[0] for m in request.node.iter_markers("xdist_group")])
        """
    )
    marks: dict[str, dict[str, list[str]]] = {}
    for name, dist in (
        ("serial", []),
        ("load", ["-n", "2"]),
        ("loadgroup", ["-n", "2", "--dist", "loadgroup"]),
    ):
        out = pytester.path / f"{name}.json"
        run = pytester.runpytest(
            "test_hosts.py",
            "--readiness=prod",
            f"--readiness-json={out}",
            "-p",
            "no:cacheprovider",
            *dist,
        )
        assert run.ret == 0, run.stdout.str()
        items = json.loads(out.read_text())["items"]
        marks[name] = {item["id"]: item["evidence"][0]["observed"] for item in items}
    assert len(marks["loadgroup"]) == 8
    for item_id, observed in marks["loadgroup"].items():
        target = item_id.split("[")[1][0]
        assert observed == [f"hosts:{target}"], item_id
    assert set(map(str, marks["serial"].values())) == {"[]"}
    assert marks["load"] == marks["serial"]
