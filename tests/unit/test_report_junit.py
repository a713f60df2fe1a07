"""The JUnit enrichment as a pure transform: verdict + the tree pytest wrote -> enriched tree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.model import Decision, Verdict
from pytest_readiness.reporters import junit
from tests.golden import junit_schema
from tests.golden.verdicts import XSS_TITLE, sample_verdict

KEYS = [
    ("test_x.py::test_a", None, ("test_x", "test_a")),
    ("tests/db/test_pg.py::test_up", None, ("tests.db.test_pg", "test_up")),
    ("test_x.py::TestC::test_c", None, ("test_x.TestC", "test_c")),
    ("test_x.py::test_p[a::b-1]", None, ("test_x", "test_p[a::b-1]")),
    ("test_x.py::test_p[x.py]", None, ("test_x", "test_p[x.py]")),
    ("test_x.py::test_a", "pre", ("pre.test_x", "test_a")),
    ("test_x.py::test_p[\x1b]", None, ("test_x", "test_p[#x1B]")),
    ("checklist.md::Ops::rota", None, ("checklist.md.Ops", "rota")),
]


@pytest.mark.parametrize(("nodeid", "prefix", "key"), KEYS, ids=[k[0] for k in KEYS])
def test_junit_key_matches_pytest_junitxml(
    nodeid: str, prefix: str | None, key: tuple[str, str]
) -> None:
    assert junit.junit_key(nodeid, prefix) == key


def pytest_like_tree(verdict: Verdict, family: str) -> ET.Element:
    """What pytest's junitxml writes for the verdict's items (one passing testcase each)."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(
        root, "testsuite", name="pytest", errors="0", failures="0", skipped="0", time="1.0"
    )
    suite.set("tests", str(len(verdict.items)))
    for item in verdict.items:
        classname, name = junit.junit_key(item.spec.nodeid, None)
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0.001")
        if family == "xunit1":
            case.set("file", item.spec.nodeid.split("::")[0])
            case.set("line", "1")
    return root


def enriched(verdict: Verdict, family: str, tmp_path: Path) -> ET.Element:
    root = pytest_like_tree(verdict, family)
    junit.enrich(root, verdict, family)
    path = tmp_path / "junit.xml"
    path.write_text(ET.tostring(root, encoding="unicode"), encoding="utf-8")
    junit_schema.validate(path, family)
    return ET.parse(path).getroot()  # a round trip proves the escaping


def suite_props(root: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in root.iter("property")}


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_suite_carries_decision_score_and_every_item(family: str, tmp_path: Path) -> None:
    verdict = sample_verdict()
    suite = enriched(verdict, family, tmp_path).find("testsuite")
    assert suite is not None
    props_node = suite.find("properties")
    assert props_node is not None
    props = {p.get("name"): p.get("value") for p in props_node}
    assert props["readiness.decision"] == "NO-GO"
    assert props["readiness.score"] == "61"
    assert props["readiness.profile"] == "prod"
    assert props["readiness.scope"] == "full, 10 items"
    assert props["readiness.item.SEC-2"] == "critical|Security|5|failed"
    assert props["readiness.item.DB-2"] == "important|Database|3|waived"
    assert props["readiness.evidence.SEC-2"] == "expires: 2026-10-01 (expected > today)"
    assert props["readiness.baseline.score_change"] == "-30"
    assert props["readiness.baseline.newly_failing"] == "SEC-2 DB-3"
    assert sum(1 for name in props if str(name).startswith("readiness.item.")) == 10


def test_xunit1_testcases_carry_their_item_properties(tmp_path: Path) -> None:
    root = enriched(sample_verdict(), "xunit1", tmp_path)
    case = root.find(".//testcase[@name='test_sec_2']")
    assert case is not None
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert props == [
        ("readiness.id", "SEC-2"),
        ("readiness.severity", "critical"),
        ("readiness.section", "Security"),
        ("readiness.weight", "5"),
        ("readiness.outcome", "failed"),
        ("readiness.evidence", "expires: 2026-10-01 (expected > today)"),
    ]


def test_xunit2_testcases_have_no_properties(tmp_path: Path) -> None:
    root = enriched(sample_verdict(), "xunit2", tmp_path)
    assert all(case.find("properties") is None for case in root.iter("testcase"))


DECISIONS = [
    # (name, decision, exit status, decision testcase fails)
    ("GO passes", Decision.GO, 0, False),
    ("NO-GO fails", Decision.NO_GO, 1, True),
    ("DELAY fails by default", Decision.DELAY, 1, True),
    ("DELAY passes with delay_exit_zero", Decision.DELAY, 0, False),
    ("NO DATA fails", Decision.NO_DATA, 1, True),
    ("INCOMPLETE fails", Decision.INCOMPLETE, 2, True),
    ("GO whose report could not be written fails", Decision.GO, 4, True),
]


@pytest.mark.parametrize(
    ("decision", "status", "fails"), [d[1:] for d in DECISIONS], ids=[d[0] for d in DECISIONS]
)
@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_decision_testcase_and_counters(
    decision: Decision, status: int, fails: bool, family: str, tmp_path: Path
) -> None:
    verdict = replace(sample_verdict(), decision=decision, exit_status=status)
    suite = enriched(verdict, family, tmp_path).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    decision_cases = [c for c in cases if c.get("classname") == "readiness"]
    assert [c.get("name") for c in decision_cases] == ["decision"]
    failure = decision_cases[0].find("failure")
    assert (failure is not None) is fails
    assert suite.get("tests") == str(len(cases)) == str(len(verdict.items) + 1)
    assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
    if failure is not None:
        assert failure.get("message") == f"{verdict.headline()} - exit status {status}"
        assert "readiness decision: " + verdict.headline() in (failure.text or "")
        assert (failure.text or "").endswith(f"exit status {status}\n")
        if decision is not Decision.GO:
            assert "critical SEC-2 failed" in (failure.text or "")  # the reasons
        assert "Security" in (failure.text or "")  # the matrix
    else:
        assert verdict.headline() in (decision_cases[0].findtext("system-out") or "")


def test_values_are_escaped_and_illegal_characters_made_visible(tmp_path: Path) -> None:
    verdict = sample_verdict()
    item = verdict.items[1]
    assert item.spec.title == XSS_TITLE
    odd = replace(item, message='bell \x07 & <tag> "quoted" ]]>')
    verdict = replace(verdict, items=(verdict.items[0], odd, *verdict.items[2:]))
    raw = ET.tostring(pytest_like_tree(verdict, "xunit2"), encoding="unicode")
    root = ET.fromstring(raw)
    junit.enrich(root, verdict, "xunit2")
    text = ET.tostring(root, encoding="unicode")
    assert "\x07" not in text
    failure = ET.fromstring(text).find(".//testcase[@classname='readiness']/failure")
    assert failure is not None
    assert 'bell #x07 & <tag> "quoted" ]]>' in (failure.text or "")


def test_existing_suite_properties_are_kept(tmp_path: Path) -> None:
    verdict = sample_verdict()
    root = pytest_like_tree(verdict, "xunit2")
    suite = root.find("testsuite")
    assert suite is not None
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="mine", value="1")
    junit.enrich(root, verdict, "xunit2")
    assert len(suite.findall("properties")) == 1
    assert suite_props(root)["mine"] == "1"


def test_enrich_text_keeps_pytests_file_and_adds_the_decision() -> None:
    verdict = sample_verdict()
    pristine = ET.tostring(pytest_like_tree(verdict, "xunit2"), encoding="unicode")
    text = junit.enrich_text(pristine, verdict, "xunit2")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(text)
    assert suite_props(root)["readiness.decision"] == "NO-GO"
    names = [case.get("name") for case in root.iter("testcase")]
    assert names[-1] == "decision"
    assert len(names) == len(list(ET.fromstring(pristine).iter("testcase"))) + 1
