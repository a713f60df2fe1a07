"""Every report states the exit status the process really ends with (one owner: reporting)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.plugin.conftest import DIST, LATE_BLOCKER, suite


def _reports(project: pytest.Pytester) -> tuple[dict[str, Any], ET.Element]:
    data = json.loads((project.path / "r.json").read_text(encoding="utf-8"))
    junit = ET.parse(project.path / "r.xml").getroot()
    return data, junit


def _decision_case_failed(junit: ET.Element) -> bool:
    case = next(c for c in junit.iter("testcase") if c.get("classname") == "readiness")
    return case.find("failure") is not None


@DIST
@pytest.mark.parametrize(("critical", "expected"), [([True], 0), ([False], 1)], ids=["go", "no-go"])
def test_reports_state_the_status_the_process_exits_with(
    project: pytest.Pytester, dist: list[str], critical: list[bool], expected: int
) -> None:
    project.makepyfile(test_checks=suite(critical, [True]))
    result = project.runpytest(
        "--readiness=prod", "--readiness-json=r.json", "--junitxml=r.xml", *dist
    )
    data, junit = _reports(project)
    assert result.ret == expected
    assert data["exit_status"] == expected
    assert _decision_case_failed(junit) is (expected != 0)


@DIST
def test_a_report_that_cannot_be_written_makes_every_other_report_say_4(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makepyfile(test_checks=suite([True], [True]) + LATE_BLOCKER)
    result = project.runpytest(
        "--readiness=prod",
        "--readiness-json=r.json",
        "--junitxml=r.xml",
        "--readiness-md=late/r.md",
        *dist,
    )
    data, junit = _reports(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert data["decision"] == "GO"
    assert data["exit_status"] == 4
    assert _decision_case_failed(junit)  # the CI job must not look green without its report
    result.stdout.fnmatch_lines(["readiness: cannot write --readiness-md=late/r.md: *"])


@DIST
def test_a_failing_conftest_sessionfinish_ends_incomplete_in_the_process_and_the_reports(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makeconftest(
        """
        def pytest_sessionfinish(session):
            raise RuntimeError("notifier down")
        """
    )
    project.makepyfile(test_checks=suite([True], [True]))
    result = project.runpytest(
        "--readiness=prod", "--readiness-json=r.json", "--junitxml=r.xml", *dist
    )
    data, junit = _reports(project)
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert data["decision"] == "INCOMPLETE"
    assert data["exit_status"] == pytest.ExitCode.INTERNAL_ERROR
    assert _decision_case_failed(junit)
    result.stdout.fnmatch_lines(
        ["readiness: a pytest_sessionfinish hook failed: RuntimeError: notifier down"]
    )


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("--readiness-json=readiness.yaml", "is not a report written by pytest-readiness"),
        ("--readiness-md=test_checks.py", "is not a report written by pytest-readiness"),
        ("--readiness-html=blocked/r.html", "is not a directory"),
        ("--readiness-json=.", "is a directory"),
    ],
    ids=["the-config", "a-test-file", "under-a-file", "a-directory"],
)
def test_a_report_path_that_cannot_or_must_not_be_written_is_exit_4_before_the_run(
    project: pytest.Pytester, option: str, problem: str
) -> None:
    project.makepyfile(test_checks=suite([True], [True]))
    (project.path / "blocked").write_text("a file, not a directory")
    before = {p.name: p.read_bytes() for p in project.path.iterdir() if p.is_file()}
    result = project.runpytest("--readiness=prod", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{option}: *{problem}*"])
    assert "passed" not in result.stdout.str()  # refused before anything ran
    assert {p.name: p.read_bytes() for p in project.path.iterdir() if p.is_file()} == before


def test_a_previous_report_is_overwritten(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=suite([True], [True]))
    for _ in range(2):
        result = project.runpytest(
            "--readiness=prod", "--readiness-json=r.json", "--readiness-md=r.md"
        )
        assert result.ret == 0
