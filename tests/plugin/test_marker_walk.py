"""Severity marks are read once per item, yet a mark added after collection still counts."""

from __future__ import annotations

import json

import pytest

CONFTEST = """
import pytest

def pytest_itemcollected(item):
    if item.name == "test_promoted":
        item.add_marker(pytest.mark.critical(section="late"))
"""

CHECKS = """
import pytest

pytestmark = pytest.mark.nice_to_have(section="early")

def test_promoted():
    assert False

@pytest.mark.important(section="kept")
def test_kept():
    pass
"""


def test_a_severity_mark_added_after_the_collect_report_decides_the_severity(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(CONFTEST)
    project.makepyfile(test_checks=CHECKS)
    result = project.runpytest(
        "--readiness=prod", "--readiness-json=r.json", "-p", "no:cacheprovider"
    )
    data = json.loads((project.path / "r.json").read_text(encoding="utf-8"))
    by_name = {i["nodeid"].split("::")[-1]: i for i in data["items"]}
    assert (by_name["test_promoted"]["severity"], by_name["test_promoted"]["section"]) == (
        "critical",
        "late",
    )
    assert (by_name["test_kept"]["severity"], by_name["test_kept"]["section"]) == (
        "important",
        "kept",
    )
    assert data["decision"] == "NO-GO"
    assert result.ret == 1
