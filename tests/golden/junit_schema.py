"""Validate JUnit files against junit-10.xsd, honestly for both ``junit_family`` values.

The XSD (Jenkins xunit-plugin's, the one pytest validates its own xunit2 output with) lives
in the steering repo (``../shared/schemas``), not in this tree. It *is* the xunit2 schema:
pytest's xunit1 output adds ``file``/``line`` (and ``url``) attributes and ``<properties>`` to
``<testcase>``, which it rejects. So xunit1 files are validated against the same XSD
extended by exactly those three attributes and that one child element, and the test also
checks that the unmodified XSD finds nothing *but* those known differences.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

XS = "{http://www.w3.org/2001/XMLSchema}"
XSD = Path(
    os.environ.get("READINESS_JUNIT_XSD")
    or Path(__file__).resolve().parents[3] / "shared" / "schemas" / "junit-10.xsd"
)
XUNIT1_ATTRIBUTES = ("file", "line", "url")
# The only complaints the xunit2 schema may have about an xunit1 file.
XUNIT1_DIFFERENCES = (
    *(f"'{name}' attribute not allowed for element" for name in XUNIT1_ATTRIBUTES),
    "Unexpected child with tag 'properties'",
)


def validate(path: Path, family: str) -> None:
    """Raise if ``path`` is not valid JUnit XML for ``family``."""
    if family == "xunit2":
        _schema(extended=False).validate(str(path))
        return
    _schema(extended=True).validate(str(path))
    for error in _schema(extended=False).iter_errors(str(path)):
        reason = str(error.reason)
        assert reason.startswith(XUNIT1_DIFFERENCES), f"not an xunit1 extension: {reason}"


@cache
def _schema(extended: bool) -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    if not XSD.is_file():
        pytest.skip(f"JUnit XSD not found at {XSD}; set READINESS_JUNIT_XSD")
    if not extended:
        return xmlschema.XMLSchema(str(XSD))
    ET.register_namespace("xs", XS[1:-1])  # type="xs:string" below must resolve
    tree = ET.parse(XSD)
    testcase = tree.getroot().find(f"{XS}element[@name='testcase']/{XS}complexType")
    assert testcase is not None, "unexpected XSD layout: no testcase type"
    choice = testcase.find(f"{XS}sequence/{XS}choice")
    assert choice is not None, "unexpected XSD layout: no testcase children"
    ET.SubElement(choice, f"{XS}element", ref="properties")
    for name in XUNIT1_ATTRIBUTES:
        ET.SubElement(testcase, f"{XS}attribute", name=name, type="xs:string")
    return xmlschema.XMLSchema(ET.tostring(tree.getroot(), encoding="unicode"))
