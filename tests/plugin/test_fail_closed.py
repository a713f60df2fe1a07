"""Nothing the run did not evaluate may pass the gate, and every fault ends in a decision."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from tests.plugin.conftest import DIST, suite

QUICK_THEN_HANGING = """
import pathlib
import threading
import pytest

@pytest.mark.critical
@pytest.mark.parametrize("n", range(4))
def test_quick(n):
    pass

@pytest.mark.important
def test_hangs():
    pathlib.Path({marker!r}).touch()
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
) -> tuple[int, dict[str, Any], set[str]]:
    """Start a run, wait until two quick checks passed and one hangs, then send ``signum``.
    Returns the exit status, the JSON result and the node ids the terminal showed as PASSED.

    Under xdist a quick check may wait behind the hanging one on its worker and never run;
    the assertion is that every check the run had seen pass is reported as passed.
    """
    marker = project.path / "hanging"
    project.makepyfile(test_checks=QUICK_THEN_HANGING.format(marker=str(marker)))
    args = ["--readiness=prod", "--readiness-json=r.json", "-v", "-p", "no:cacheprovider"]
    with subprocess.Popen(
        [sys.executable, "-m", "pytest", *args, *dist],
        cwd=project.path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each result line as soon as it is printed
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal or CI job has
    ) as run:
        # A watchdog, not a timing: if the run never gets there, end it so the test fails.
        watchdog = threading.Timer(120, os.killpg, (run.pid, signal.SIGKILL))
        watchdog.start()
        try:
            assert run.stdout is not None
            # The controller prints each result as it processes it; under xdist the line of
            # the last one ends only when the next begins, so count in raw chunks, not lines.
            output = b""
            while output.count(b"PASSED") < 2:
                chunk = os.read(run.stdout.fileno(), 4096)
                if not chunk:
                    break
                output += chunk
            passed = output.count(b"PASSED")
            while not marker.exists() and run.poll() is None:  # the hanging check has begun
                time.sleep(0.05)
            os.kill(run.pid, signum)  # pytest's own process, as a CI runner's stop does
            output += run.stdout.read()
            status = run.wait(timeout=120)
        finally:
            watchdog.cancel()
    assert passed >= 2
    lines = output.decode("utf-8", "replace").splitlines()
    shown = {
        m for line in lines if "PASSED" in line for m in re.findall(r"test_checks\.py::\S+", line)
    }
    return status, _json(project), shown


@DIST
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_is_incomplete_and_reports_what_had_passed(
    project: pytest.Pytester, dist: list[str], signum: int
) -> None:
    status, data, shown = _interrupt_run(project, dist, signum)
    assert status == pytest.ExitCode.INTERRUPTED
    assert data["decision"] == "INCOMPLETE"
    assert data["exit_status"] == status
    passed = {i["nodeid"] for i in data["items"] if i["outcome"] == "passed"}
    assert len(shown) >= 2
    assert passed == shown
