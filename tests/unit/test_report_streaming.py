"""Reports written in pieces are the same text as rendered whole, byte for byte."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pytest_readiness.reporters import html, json_report, junit, markdown
from tests.golden.verdicts import big_verdict, sample_verdict
from tests.unit.test_report_junit import pytest_like_tree


@pytest.mark.parametrize("module", [json_report, html, markdown])
@pytest.mark.parametrize("verdict", [sample_verdict(), big_verdict(300)], ids=["sample", "big"])
def test_chunks_join_to_the_rendered_text(module: object, verdict: object) -> None:
    chunks = list(module.chunks(verdict))  # type: ignore[attr-defined]
    assert len(chunks) > 1
    assert "".join(chunks) == module.render(verdict)  # type: ignore[attr-defined]


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
@pytest.mark.parametrize("suite_property", [False, True], ids=["plain", "with-suite-property"])
def test_streamed_junit_enrichment_equals_the_tree_one(family: str, suite_property: bool) -> None:
    verdict = big_verdict(700)  # more testcases than one serialized batch
    root = pytest_like_tree(verdict, family)
    if suite_property:  # record_testsuite_property: pytest writes it as the suite's first child
        props = ET.Element("properties")
        ET.SubElement(props, "property", name="build", value="42 <&>")
        root[0].insert(0, props)
    pristine = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
    assert junit.is_streamable(pristine)
    streamed = "".join(junit.enrich_chunks(pristine, verdict, family))
    assert streamed == junit.enrich_text(pristine, verdict, family)


@pytest.mark.parametrize(
    "text",
    [
        "<testsuite name='pytest' tests='0'/>",  # a suite as the root
        "<testsuites><testsuite><testcase/><properties/></testsuite></testsuites>",
        "<testsuites>\n<testsuite/></testsuites>",  # text around the suite
        "<testsuites><other/><testsuite/></testsuites>",
    ],
)
def test_other_layouts_are_enriched_as_a_tree(text: str) -> None:
    assert not junit.is_streamable(text)


def test_a_file_that_is_not_xml_is_refused() -> None:
    with pytest.raises(ET.ParseError):
        junit.is_streamable("<testsuites><testsuite>")
