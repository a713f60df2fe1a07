"""Validate JUnit files against this project's own schema (``tests/schemas``), per family.

``junit-xunit2.xsd`` is what pytest's default family writes; ``junit-xunit1.xsd`` adds exactly
xunit1's testcase extras (``file``/``line``/``url`` attributes and a leading ``<properties>``).
A schema alone is not what CI reads, so the plugin tests also feed every file to junitparser
and junit2html (``tests/golden/junit_consumers.py``).

The quirk this schema settles on purpose: Jenkins' widely used ``junit-10.xsd`` (the one pytest
validates its own output with) declares the testcase child for an error as ``<errors>``, while
writers and readers (pytest, the Jenkins JUnit plugin, GitLab, junitparser) use ``<error>``.
Validated against that XSD, every run with an error item (say, an unreachable target) would be
"invalid". Our schema follows the consumers: ``<error>`` is valid, ``<errors>`` is rejected.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import xmlschema

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
FAMILY_SCHEMA = {"xunit1": "junit-xunit1.xsd", "legacy": "junit-xunit1.xsd"}


def validate(path: Path, family: str) -> None:
    """Raise ``xmlschema.XMLSchemaValidationError`` if ``path`` is not valid for ``family``."""
    schema(family).validate(str(path))


def errors(path: Path, family: str) -> list[str]:
    """Why ``path`` is not valid for ``family`` (empty when it is)."""
    return [str(error.reason) for error in schema(family).iter_errors(str(path))]


@cache
def schema(family: str) -> Any:
    return xmlschema.XMLSchema(str(SCHEMAS / FAMILY_SCHEMA.get(family, "junit-xunit2.xsd")))
