"""--junitxml in a readiness run: valid for both families, serially and under xdist, with the
decision as a testcase of its own and the readiness data where each family allows it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.golden import junit_schema
from tests.plugin.conftest import DIST

FAMILIES = pytest.mark.parametrize("family", ["xunit1", "xunit2"])

CHECKS = '''
import pytest

@pytest.mark.critical(id="SEC-1", section="security", remediation="rotate it")
def test_token(evidence):
    """Token <b> & "quotes" stay text."""
    evidence("days_left", -3, expected=">= 30")
    assert False, "token expired 3 days ago"

@pytest.mark.important(id="DB-1", section="database")
def test_db(evidence):
    evidence(observed=1, expected=1)

class TestOps:
    @pytest.mark.nice_to_have(section="ops")
    @pytest.mark.parametrize("zone", ["a", "b::c"])
    def test_zone(self, zone):
        pass
'''


def run_junit(
    pytester: pytest.Pytester, family: str, *args: str
) -> tuple[pytest.RunResult, ET.Element]:
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest(
        "--readiness=prod", f"--junitxml={xml}", "-o", f"junit_family={family}",
        "-p", "no:cacheprovider", *args,
    )  # fmt: skip
    junit_schema.validate(xml, family)
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
    return result, suite


def properties(suite: ET.Element) -> dict[str, str]:
    node = suite.find("properties")
    assert node is not None
    return {p.get("name", ""): p.get("value", "") for p in node}


def decision_case(suite: ET.Element) -> ET.Element:
    cases = suite.findall("testcase[@classname='readiness'][@name='decision']")
    assert len(cases) == 1
    return cases[0]


@FAMILIES
@DIST
def test_no_go_run_is_valid_and_carries_the_verdict(
    project: pytest.Pytester, family: str, dist: list[str]
) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, suite = run_junit(project, family, *dist)
    assert result.ret == 1
    props = properties(suite)
    assert props["readiness.decision"] == "NO-GO"
    assert props["readiness.score"] == "50"
    assert props["readiness.profile"] == "prod"
    assert props["readiness.scope"] == "full, 4 items"
    assert props["readiness.item.SEC-1"] == "critical|security|5|failed"
    assert props["readiness.item.DB-1"] == "important|database|3|passed"
    assert props["readiness.evidence.SEC-1"] == "days_left: -3 (expected >= 30)"
    zone = "readiness.item.test_checks.py::TestOps::test_zone[b::c]"
    assert props[zone] == "nice_to_have|ops|1|passed"
    failure = decision_case(suite).find("failure")
    assert failure is not None
    assert failure.get("message") == "NO-GO - score 50/100 - scope: full, 4 items - exit status 1"
    assert "critical SEC-1 failed" in (failure.text or "")
    assert "remediation: rotate it" in (failure.text or "")
    assert len(suite.findall("testcase")) == 5


@FAMILIES
@DIST
def test_testcase_properties_only_where_the_family_allows_them(
    project: pytest.Pytester, family: str, dist: list[str]
) -> None:
    project.makepyfile(test_checks=CHECKS)
    _, suite = run_junit(project, family, *dist)
    case = suite.find("testcase[@name='test_zone[b::c]']")
    assert case is not None
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    if family == "xunit2":
        assert props == []
    else:
        assert props == [
            ("readiness.id", "test_checks.py::TestOps::test_zone[b::c]"),
            ("readiness.severity", "nice_to_have"),
            ("readiness.section", "ops"),
            ("readiness.weight", "1"),
            ("readiness.outcome", "passed"),
        ]


@DIST
def test_go_decision_testcase_passes(project: pytest.Pytester, dist: list[str]) -> None:
    project.makepyfile(test_ok="import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n")
    result, suite = run_junit(project, "xunit2", *dist)
    assert result.ret == 0
    case = decision_case(suite)
    assert case.find("failure") is None
    assert "readiness decision: GO" in (case.findtext("system-out") or "")
    assert suite.get("failures") == "0"


DELAY = "import pytest\n\n@pytest.mark.important\ndef test_a():\n    assert False\n"


@pytest.mark.parametrize(
    ("policy", "fails"), [("", True), ("policy: {delay_exit_zero: true}\n", False)],
    ids=["delay fails", "delay_exit_zero passes"],
)  # fmt: skip
def test_delay_follows_the_exit_policy(pytester: pytest.Pytester, policy: str, fails: bool) -> None:
    pytester.makefile(".yaml", readiness=policy + "profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_ok="import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n"
    )
    pytester.makepyfile(test_delay=DELAY)
    result, suite = run_junit(pytester, "xunit2")
    assert properties(suite)["readiness.decision"] == "DELAY"
    assert (decision_case(suite).find("failure") is not None) is fails
    assert (result.ret != 0) is fails


@FAMILIES
def test_interrupted_run_is_incomplete_and_still_valid(
    project: pytest.Pytester, family: str
) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, suite = run_junit(project, family, "-x")
    assert result.ret != 0
    assert properties(suite)["readiness.decision"] == "INCOMPLETE"
    failure = decision_case(suite).find("failure")
    assert failure is not None
    assert failure.get("type") == "INCOMPLETE"


def test_junit_prefix_still_maps_testcases(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=CHECKS)
    _, suite = run_junit(project, "xunit1", "--junit-prefix=pre")
    case = suite.find("testcase[@classname='pre.test_checks'][@name='test_token']")
    assert case is not None
    assert ("readiness.id", "SEC-1") in [
        (p.get("name"), p.get("value")) for p in case.iter("property")
    ]


def test_without_readiness_the_file_is_pytests_own(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=CHECKS)
    xml = project.path / "junit.xml"
    project.runpytest(f"--junitxml={xml}", "-p", "no:cacheprovider")
    text = Path(xml).read_text(encoding="utf-8")
    assert "<property" not in text
    assert 'classname="readiness"' not in text
    junit_schema.validate(xml, "xunit2")
