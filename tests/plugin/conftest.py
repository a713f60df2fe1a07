"""Helpers for end-to-end runs of the plugin inside pytester."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

RunJson = Callable[..., tuple[pytest.RunResult, dict[str, Any]]]

DIST = pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])

PROFILE = """
profiles:
  prod:
    thresholds: {min_replicas: 2}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester dir with a readiness.yaml holding profile ``prod``."""
    pytester.makefile(".yaml", readiness=PROFILE)
    return pytester


@pytest.fixture
def run_json(project: pytest.Pytester) -> RunJson:
    """Run a readiness check and return the result and its parsed --readiness-json file."""

    def run(*args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
        out = project.path / "result.json"
        out.unlink(missing_ok=True)
        result = project.runpytest(
            "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
        )
        data = json.loads(out.read_text()) if out.exists() else {}
        return result, data

    return run


def suite(critical: list[bool], important: list[bool], nice: list[bool] = ()) -> str:  # type: ignore[assignment]
    """A test module with the given pass (True) / fail (False) pattern per severity."""
    lines = ["import pytest", ""]
    for severity, outcomes in (
        ("critical", critical),
        ("important", important),
        ("nice_to_have", nice),
    ):
        for n, ok in enumerate(outcomes):
            lines += [
                f"@pytest.mark.{severity}(section='s{n % 3}')",
                f"def test_{severity}_{n}():",
                f"    assert {ok}",
                "",
            ]
    return "\n".join(lines)


#: Appended to a test module: during the run a file takes the place of the directory ``late``,
#: so a report under ``late/`` passes the checks before the run and fails to be written after.
LATE_BLOCKER = """

def test_the_report_directory_becomes_a_file():
    open("late", "w").close()
"""
