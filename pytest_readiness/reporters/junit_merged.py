"""JUnit XML for a merged verdict: no pytest run wrote a file to enrich, so this writes one.

One ``<testcase>`` per item (classname and name from its node id, as pytest's junitxml names
them), failed or errored items with their message, skipped ones skipped; then
:func:`junit.enrich` adds the same readiness properties and decision testcase as after a run.
xunit2 family: suite properties only, valid against the schema pytest's default follows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pytest_readiness.model import ItemResult, Outcome, Verdict
from pytest_readiness.reporters import junit
from pytest_readiness.text import MESSAGE_LIMIT, shown

SUITE_NAME = "readiness-merge"


def render(verdict: Verdict) -> str:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=SUITE_NAME)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for item in verdict.items:
        suite.append(_testcase(item, counts))
    time = sum(item.duration for item in verdict.items)
    for node in (suite, root):
        for name, value in counts.items():
            node.set(name, str(value))
        node.set("time", f"{time:.3f}")
    junit.enrich(root, verdict, "xunit2")
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")


def _testcase(item: ItemResult, counts: dict[str, int]) -> ET.Element:
    path, _, name = item.spec.nodeid.rpartition("::")
    classname = path.replace("::", ".").removesuffix(".py").replace("/", ".") or "readiness"
    case = ET.Element("testcase", classname=_safe(classname), name=_safe(name or item.spec.id))
    case.set("time", f"{item.duration:.3f}")
    counts["tests"] += 1
    message = _safe(f"{item.spec.id}: {shown(item.message, MESSAGE_LIMIT)}")
    if item.outcome is Outcome.FAILED or item.outcome is Outcome.PENDING:
        counts["failures"] += 1
        ET.SubElement(case, "failure", message=message).text = message
    elif item.outcome is Outcome.ERROR:
        counts["errors"] += 1
        ET.SubElement(case, "error", message=message).text = message
    elif item.outcome is Outcome.SKIPPED:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=message)
    return case


def _safe(text: str) -> str:
    return junit._xml_safe(shown(text))
