"""The JUnit enrichment as a pure transform: verdict + the tree pytest wrote -> enriched tree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.model import Decision, Verdict
from pytest_readiness.reporters import junit
from tests.golden import junit_consumers, junit_schema
from tests.golden.verdicts import XSS_TITLE, sample_verdict


def pytest_like_tree(verdict: Verdict, family: str) -> ET.Element:
    """What pytest's junitxml writes for the verdict's items (one passing testcase each), with
    the ``readiness.nodeid`` tag that junit_plugin has it write in xunit1."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(
        root, "testsuite", name="pytest", errors="0", failures="0", skipped="0", time="1.0"
    )
    suite.set("tests", str(len(verdict.items)))
    for item in verdict.items:
        path, _, name = item.spec.nodeid.rpartition("::")
        case = ET.SubElement(suite, "testcase", classname=path, name=name, time="0.001")
        if family == "xunit1":
            case.set("file", path)
            case.set("line", "1")
            tag(case, item.spec.nodeid)
    return root


def tag(case: ET.Element, nodeid: str) -> None:
    props = case.find("properties")
    if props is None:
        props = ET.Element("properties")
        case.insert(0, props)
    ET.SubElement(props, "property", name=junit.NODEID_PROPERTY, value=nodeid)


def props_of(case: ET.Element) -> list[tuple[str | None, str | None]]:
    return [(p.get("name"), p.get("value")) for p in case.iter("property")]


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
        ("readiness.message", "token <b>expired</b> & not rotated"),
        ("readiness.evidence", "expires: 2026-10-01 (expected > today)"),
    ]


def test_xunit2_testcases_have_no_properties_even_if_tagged(tmp_path: Path) -> None:
    verdict = sample_verdict()
    root = pytest_like_tree(verdict, "xunit2")
    for case, item in zip(root.iter("testcase"), verdict.items, strict=True):
        tag(case, item.spec.nodeid)
    junit.enrich(root, verdict, "xunit2")
    assert all(case.find("properties") is None for case in root.iter("testcase"))


def test_tags_are_removed_and_user_properties_kept() -> None:
    """A tag of a non-readiness test leaves nothing; a record_property entry stays put."""
    verdict = sample_verdict()
    root = pytest_like_tree(verdict, "xunit1")
    suite = root.find("testsuite")
    assert suite is not None
    plain = ET.SubElement(suite, "testcase", classname="test_plain", name="test_plain")
    tag(plain, "test_plain.py::test_plain")
    recorded = suite.findall("testcase")[0]
    recorded_props = recorded.find("properties")
    assert recorded_props is not None
    recorded_props.insert(0, ET.Element("property", name="owner", value="db-team"))
    junit.enrich(root, verdict, "xunit1")
    assert plain.find("properties") is None
    props = props_of(recorded)
    assert props[0] == ("owner", "db-team")
    assert ("readiness.id", verdict.items[0].spec.id) in props
    assert junit.NODEID_PROPERTY not in ET.tostring(root, encoding="unicode")


def test_every_testcase_of_an_item_gets_its_properties() -> None:
    """A failed call plus a teardown error: junitxml writes two testcases for one item."""
    verdict = sample_verdict()
    root = pytest_like_tree(verdict, "xunit1")
    suite = root.find("testsuite")
    assert suite is not None
    first = suite.findall("testcase")[0]
    second = ET.SubElement(suite, "testcase", classname="c", name=first.get("name", ""))
    tag(second, verdict.items[0].spec.nodeid)
    junit.enrich(root, verdict, "xunit1")
    assert props_of(first) == props_of(second) != []


def test_a_tag_written_with_pytests_escaping_still_matches() -> None:
    """pytest writes a node id's illegal XML characters as #xNN; the match must survive that."""
    verdict = sample_verdict()
    item = verdict.items[0]
    odd = replace(item, spec=replace(item.spec, nodeid="test_x.py::test_p[\x1b]"))
    verdict = replace(verdict, items=(odd,))
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="pytest", tests="1", failures="0", errors="0")
    case = ET.SubElement(suite, "testcase", classname="test_x", name="test_p[#x1B]")
    tag(case, "test_x.py::test_p[#x1B]")
    junit.enrich(root, verdict, "xunit1")
    assert ("readiness.id", item.spec.id) in props_of(case)


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


def test_values_are_escaped_and_control_characters_made_visible(tmp_path: Path) -> None:
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
    assert 'bell \\x07 & <tag> "quoted" ]]>' in (failure.text or "")


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


# The project's schema (tests/schemas) and its one deliberate difference from Jenkins'
# junit-10.xsd: that XSD names the testcase child ``<errors>``, pytest and every consumer
# write and read ``<error>``. The schema follows the consumers.
ERROR_CASE = (
    '<testsuites><testsuite name="pytest" tests="1" failures="0" errors="1">'
    '<testcase classname="test_x" name="test_up"><{tag} message="failed on setup">refused'
    "</{tag}></testcase></testsuite></testsuites>"
)


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_schema_takes_error_as_consumers_do_and_rejects_errors(family: str, tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(ERROR_CASE.format(tag="error"), encoding="utf-8")
    assert junit_schema.errors(path, family) == []
    assert junit_consumers.junitparser_counts(path)[1].errors == 1
    path.write_text(ERROR_CASE.format(tag="errors"), encoding="utf-8")
    assert junit_schema.errors(path, family) == [
        "Unexpected child with tag 'errors' at position 1."
    ]
    assert junit_consumers.junitparser_counts(path)[1].errors == 0  # junitparser ignores it


XUNIT1_CASE = (
    '<testsuite name="pytest" tests="1" failures="0" errors="0"><testcase classname="test_x" '
    'name="test_up" file="test_x.py" line="3"><properties><property name="k" value="v"/>'
    "</properties></testcase></testsuite>"
)


def test_xunit1_extras_are_valid_only_in_the_xunit1_schema(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(XUNIT1_CASE, encoding="utf-8")
    assert junit_schema.errors(path, "xunit1") == []
    assert sorted(junit_schema.errors(path, "xunit2")) == [
        "'file' attribute not allowed for element",
        "'line' attribute not allowed for element",
        "Unexpected child with tag 'properties' at position 1.",
    ]


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_junitparser_reads_the_enriched_counters(family: str, tmp_path: Path) -> None:
    verdict = sample_verdict()  # NO-GO: the decision testcase fails
    root = pytest_like_tree(verdict, family)
    junit.enrich(root, verdict, family)
    path = tmp_path / "junit.xml"
    path.write_text(ET.tostring(root, encoding="unicode"), encoding="utf-8")
    declared, found = junit_consumers.junitparser_counts(path)
    assert declared == found == junit_consumers.Counts(len(verdict.items) + 1, 1, 0, 0)
