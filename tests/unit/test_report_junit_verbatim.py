"""The JUnit file copied around what is added is byte for byte what the element-by-element
path writes, and the copy is taken only for text in the form ElementTree writes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.reporters import junit
from tests.golden.verdicts import XSS_TITLE, big_verdict, sample_verdict
from tests.unit.test_report_hostile import HOSTILE
from tests.unit.test_report_junit import pytest_like_tree

DECL = junit.XML_DECLARATION
#: Before Python 3.11 (no possessive quantifiers) every file takes the element path.
COPIES = junit._CANONICAL is not None
SUITE = '<testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="0.1">'
CASES = (
    '<testcase classname="m" name="a" time="0.001" />'
    '<testcase classname="m" name="b" time="0.002"><failure message="x">E  1 &lt; 2'
    "\n\tdone &amp; &gt;</failure><system-out>out</system-out></testcase>"
)


def doc(
    inner: str = CASES, suite: str = SUITE, root: str = '<testsuites name="pytest tests">'
) -> str:
    return f"{DECL}{root}{suite}{inner}</testsuite></testsuites>"


#: (file, whether it is copied). Each is also checked against the element-by-element path.
FILES = [
    (doc(), True),
    (doc()[len(DECL) :], True),  # no declaration
    (doc(root="<testsuites>"), True),
    (doc(inner=""), False),  # <testsuite ...></testsuite>: ElementTree writes <testsuite />
    (DECL + '<testsuites><testsuite name="p" tests="0" /></testsuites>', True),
    (DECL + '<testsuites><testsuite name="p" tests="0" /><other a="1" />\n</testsuites>', True),
    (
        doc(
            inner='<properties><property name="build" value="42 &lt;&amp;&gt;" /></properties>'
            + CASES
        ),
        True,
    ),
    (doc(inner='<properties k="v" />' + CASES), True),
    (doc(inner="<properties></properties>" + CASES), False),
    (doc(inner=CASES + "<properties />"), False),  # suite properties not first: not streamable
    # a testcase property (record_property, or a tag to replace)
    (
        doc(
            inner='<testcase name="a"><properties><property name="k" value="v" /></properties></testcase>'
        ),
        False,
    ),
    (doc(inner='<testcase name="a" />\n<testcase name="b" />\n'), True),  # tails are copied
    (doc(inner='<testcase name="&quot;&amp;&lt;&gt;&#13;&#10;&#09;\'" />'), True),
    (doc(inner='<testcase name="caf\u00e9 \U0001f600 \u202e" />'), True),
    (doc(inner="<testcase name='a' />"), False),  # other quotes
    (doc(inner='<testcase  name="a" />'), False),  # other spacing
    (doc(inner='<testcase name="a"/>'), False),
    (doc(inner='<testcase name="a" ></testcase>'), False),
    (doc(inner='<testcase name="a"></testcase>'), False),  # empty, written long
    (
        doc(inner='<testcase name="a"><system-out>a\r\nb\rc</system-out></testcase>'),
        False,
    ),  # CR in text
    (doc(inner='<testcase name="a\tb\nc" />'), False),  # raw whitespace in a value
    (doc(inner='<testcase name="a>b" />'), False),
    (doc(inner="<testcase><system-out>a > b</system-out></testcase>"), False),
    (
        doc(inner="<testcase><system-out>&quot;&#65;&#x41;&apos;&#10;</system-out></testcase>"),
        False,
    ),
    (doc(inner="<testcase><system-out><![CDATA[<x>]]></system-out></testcase>"), False),
    (doc(inner="<!-- c --><testcase />"), False),
    (doc(inner="<?pi x?><testcase />"), False),
    (doc(inner='<testcase xmlns="urn:x" />'), False),
    (doc(inner='<testcase xmlns:a="urn:x" a:b="1" />'), False),
    (doc(inner="<testsuite><testcase /></testsuite>"), False),  # a nested suite
    (doc() + "\n", False),  # text after the root
    ('<?xml version="1.0"?>' + doc()[len(DECL) :], False),
    ("<!DOCTYPE testsuites>" + doc()[len(DECL) :], False),
    (doc(suite=SUITE + "\n"), False),  # text in the suite
    (doc(root="<testsuites>\n"), False),
    (DECL + '<testsuites><other /><testsuite name="p" /></testsuites>', False),
    (DECL + '<testsuite name="p" tests="0" />', False),
]


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
@pytest.mark.parametrize(("text", "copied"), FILES)
def test_copied_files_are_enriched_exactly_as_element_by_element(
    text: str, copied: bool, family: str
) -> None:
    verdict = sample_verdict()
    assert (junit._verbatim_layout(text) is not None) is (copied and COPIES)
    assert junit.is_streamable(text) is junit._tree_streamable(text)
    if junit.is_streamable(text):
        streamed = "".join(junit.enrich_chunks(text, verdict, family))
        assert streamed == "".join(junit._tree_chunks(text, verdict, family))


def test_a_file_as_pytest_writes_it_is_copied_and_matches_the_tree() -> None:
    verdict = big_verdict(700)
    pristine = DECL + ET.tostring(pytest_like_tree(verdict, "xunit2"), encoding="unicode")
    assert (junit._verbatim_layout(pristine) is not None) is COPIES
    chunks = list(junit.enrich_chunks(pristine, verdict, "xunit2"))
    assert max(map(len, chunks)) <= 1 << 16  # still streamed in pieces
    assert "".join(chunks) == junit.enrich_text(pristine, verdict, "xunit2")


def test_xunit1_tags_take_the_element_path() -> None:
    verdict = big_verdict(20)
    pristine = DECL + ET.tostring(pytest_like_tree(verdict, "xunit1"), encoding="unicode")
    assert junit._verbatim_layout(pristine) is None
    assert junit.is_streamable(pristine)


def test_a_file_that_is_not_xml_is_still_refused_with_the_parsers_error() -> None:
    text = doc(inner='<testcase name="a"><failure></testcase>')
    assert junit._verbatim_layout(text) is None
    with pytest.raises(ET.ParseError):
        junit.is_streamable(text)


# Characters XML 1.0 can carry (pytest writes the others as #xNN before ElementTree sees them).
xml_text = st.text(
    st.sampled_from(list("ab <>&\"'\r\n\t|`*_[]\\/=!?:;{}#@-\u00e9\u202e\u2028\x85\U0001f600")),
    max_size=12,
)
testcases = st.lists(
    st.tuples(xml_text, xml_text, st.sampled_from(["", "failure", "system-out", "skipped"])),
    max_size=6,
)


def _pytest_like(cases: list[tuple[str, str, str]], tail: str) -> str:
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(root, "testsuite", name="pytest", tests=str(len(cases)))
    for name, text, child in cases:
        case = ET.SubElement(suite, "testcase", classname="m", name=name, time="0.001")
        case.tail = tail or None
        if child:
            ET.SubElement(case, child, message=name).text = text or None
    return DECL + ET.tostring(root, encoding="unicode")


@settings(max_examples=300, deadline=None)
@given(cases=testcases, tail=st.sampled_from(["", "\n", "\n  "]))
def test_any_file_elementtree_writes_is_copied_unless_it_has_a_cr_in_text(
    cases: list[tuple[str, str, str]], tail: str
) -> None:
    pristine = _pytest_like(cases, tail)
    verdict = sample_verdict()
    has_cr_in_text = any("\r" in text and child for _, text, child in cases)
    assert (junit._verbatim_layout(pristine) is not None) is (COPIES and not has_cr_in_text)
    for family in ("xunit1", "xunit2"):
        streamed = "".join(junit.enrich_chunks(pristine, verdict, family))
        assert streamed == "".join(junit._tree_chunks(pristine, verdict, family))


HOSTILE_VALUES = [
    "",
    "plain",
    XSS_TITLE,
    HOSTILE,
    "a&b<c>d\"e'f",
    "tab\tline\ncr\r",
    "\x00\x08\x0b\x1f\x7f\x85\x9f",
    "\ufffe\uffff\ud800",
    "\u202e\u2066\u2028\u2029",
    "caf\u00e9 \U0001f600",
    "|pipe|`tick`",
]


@pytest.mark.parametrize("name", HOSTILE_VALUES)
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_property_written_directly_is_the_element_elementtree_writes(
    name: str, value: str
) -> None:
    expected = ET.tostring(junit._property(name, value), encoding="unicode")
    assert junit._property_text(name, value) == expected


def test_properties_are_elements_where_elementtree_escapes_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verdict = big_verdict(700)
    pristine = DECL + ET.tostring(pytest_like_tree(verdict, "xunit2"), encoding="unicode")
    direct = "".join(junit.enrich_chunks(pristine, verdict, "xunit2"))
    monkeypatch.setattr(junit, "_writes_as_expected", lambda: False)
    assert junit._verbatim_layout.__wrapped__(pristine) is None
    assert "".join(junit.enrich_chunks(pristine, verdict, "xunit2")) == direct
    assert "".join(junit._tree_chunks(pristine, verdict, "xunit2")) == direct
