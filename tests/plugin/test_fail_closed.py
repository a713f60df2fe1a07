"""Nothing the run did not evaluate may pass the gate, and every fault ends in a decision."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from tests.plugin.conftest import DIST, suite

QUICK_AND_HANGING = """
import threading
import pytest

@pytest.mark.critical
@pytest.mark.parametrize("n", range(4))
def test_quick(n):
    pass

@pytest.mark.important
def test_hangs():
    with open({fifo!r}, "w") as fifo:
        fifo.write("hanging\\n")
    threading.Event().wait(3600)
"""


def _json(project: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.path / "r.json").read_text(encoding="utf-8"))
    return data


@DIST
def test_a_module_skipped_at_collection_blocks_go(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makepyfile(
        test_db="import pytest\npytest.importorskip('no_such_driver')\n\n"
        "@pytest.mark.critical\ndef test_db():\n    assert False\n",
        test_ok=suite([True], [True]),
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *dist)
    data = _json(project)
    assert data["decision"] == "NO-GO"
    assert any(
        "test_db.py" in reason and "skipped at collection" in reason for reason in data["reasons"]
    )
    assert result.ret == 1


def test_a_module_skipped_as_not_applicable_does_not_block(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_db="import pytest\npytest.skip('N/A: no database here', allow_module_level=True)\n",
        test_ok=suite([True], [True]),
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json")
    assert _json(project)["decision"] == "GO"
    assert result.ret == 0


@DIST
def test_skip_inside_a_critical_check_or_its_fixture_is_not_evaluated(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.fixture
        def replica():
            pytest.skip("replica not reachable today")

        @pytest.mark.critical(id="C-1")
        def test_in_check():
            pytest.skip("too slow")

        @pytest.mark.critical(id="C-2")
        def test_in_fixture(replica):
            pass

        @pytest.mark.critical(id="C-3")
        def test_na():
            pytest.skip("N/A: single-node environment")
        """
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *dist)
    outcomes = {i["id"]: (i["outcome"], i["message"]) for i in _json(project)["items"]}
    assert outcomes["C-1"][0] == outcomes["C-2"][0] == "error"
    assert outcomes["C-1"][1].startswith("not evaluated: skipped (too slow)")
    assert outcomes["C-3"] == ("skipped", "N/A: single-node environment")
    assert result.ret == 1


@pytest.mark.parametrize(
    ("args", "decision", "status", "left_out"),
    [
        (["-m", "critical"], "GO", 0, 0),
        (["-m", "not critical"], "GO", 1, 2),
        (["-k", "important"], "GO", 1, 2),
    ],
    ids=["critical-only-may-pass", "not-critical-is-no-release", "keyword-is-no-release"],
)
def test_a_selection_leaving_critical_items_out_is_not_a_release_decision(
    project: pytest.Pytester, args: list[str], decision: str, status: int, left_out: int
) -> None:
    project.makepyfile(test_checks=suite([True, True], [True, True]))
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *args)
    data = _json(project)
    assert data["decision"] == decision
    assert result.ret == data["exit_status"] == status
    if left_out:
        result.stdout.fnmatch_lines(
            [f"readiness decision: GO *, {left_out} critical items not evaluated"]
        )
    else:
        assert "not evaluated" not in result.stdout.str()


def test_an_empty_profile_name_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=suite([True], []))
    result = project.runpytest("--readiness= ")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--readiness: the profile name is empty*"])


@DIST
def test_a_hanging_check_is_stopped_by_the_profiles_check_timeout(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {check_timeout: 1}\n")
    pytester.makepyfile(
        test_checks="""
        import threading
        import pytest

        @pytest.mark.critical(id="HANG")
        def test_hangs():
            threading.Event().wait(3600)

        @pytest.mark.critical(id="OK")
        def test_ok():
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "--readiness=prod", "--readiness-json=r.json", *dist, timeout=120
    )
    data = _json(pytester)
    outcomes = {i["id"]: i for i in data["items"]}
    assert outcomes["HANG"]["outcome"] == "failed"
    assert "Timeout" in outcomes["HANG"]["message"]
    assert outcomes["OK"]["outcome"] == "passed"
    assert data["decision"] == "NO-GO"
    assert result.ret == 1


def _interrupt_run(
    project: pytest.Pytester, dist: list[str], signum: int
) -> tuple[int, dict[str, Any]]:
    """Start a run, wait until four quick checks passed and one hangs, then send ``signum``."""
    fifo = project.path / "ready.fifo"
    os.mkfifo(fifo)
    project.makepyfile(test_checks=QUICK_AND_HANGING.format(fifo=str(fifo)))
    args = ["--readiness=prod", "--readiness-json=r.json", "-v", "-p", "no:cacheprovider", *dist]
    with subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=project.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal or CI job has
    ) as run:
        assert run.stdout is not None
        passed = 0
        for line in run.stdout:  # the controller prints each result as it processes it
            passed += "PASSED" in line
            if passed == 4:
                break
        with open(fifo, encoding="utf-8") as ready:  # returns once the hanging check runs
            assert ready.readline() == "hanging\n"
        os.killpg(run.pid, signum)
        run.stdout.read()
        status = run.wait(timeout=120)
    return status, _json(project)


@DIST
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_is_incomplete_and_reports_what_had_passed(
    project: pytest.Pytester, dist: list[str], signum: int
) -> None:
    status, data = _interrupt_run(project, dist, signum)
    assert status == pytest.ExitCode.INTERRUPTED
    assert data["decision"] == "INCOMPLETE"
    assert data["exit_status"] == status
    passed = sorted(i["nodeid"] for i in data["items"] if i["outcome"] == "passed")
    assert passed == [f"test_checks.py::test_quick[{n}]" for n in range(4)]
