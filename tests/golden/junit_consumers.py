"""What CI tools make of a JUnit file: junitparser's counts and junit2html's rendering."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import junitparser
from junit2htmlreport import parser as junit2html  # type: ignore[import-untyped]


@dataclass(frozen=True)
class Counts:
    tests: int
    failures: int
    errors: int
    skipped: int


def junitparser_counts(path: Path) -> tuple[Counts, Counts]:
    """(what the suite attributes say, what the testcases are), both as junitparser reads them."""
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    declared = Counts(
        tests=sum(s.tests for s in suites),
        failures=sum(s.failures for s in suites),
        errors=sum(s.errors for s in suites),
        skipped=sum(s.skipped for s in suites),
    )
    kinds: Counter[str] = Counter()
    for suite in suites:
        for case in suite:
            kinds["tests"] += 1
            for result in case.result:
                if isinstance(result, junitparser.Failure):
                    kinds["failures"] += 1
                elif isinstance(result, junitparser.Error):
                    kinds["errors"] += 1
                elif isinstance(result, junitparser.Skipped):
                    kinds["skipped"] += 1
    found = Counts(kinds["tests"], kinds["failures"], kinds["errors"], kinds["skipped"])
    return declared, found


def junit2html_render(path: Path) -> str:
    """The HTML report junit2html makes of ``path`` (raises if it cannot read the file)."""
    return str(junit2html.Junit(filename=str(path)).html())


def junitparser_statuses(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(classname, name) -> (status, message) of every testcase as junitparser reads it:
    ``passed``, ``failure``, ``error`` or ``skipped`` (a testcase with two results, as pytest
    writes for a call failure plus a teardown error, gives its first)."""
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    kinds = (
        (junitparser.Failure, "failure"),
        (junitparser.Error, "error"),
        (junitparser.Skipped, "skipped"),
    )
    statuses: dict[tuple[str, str], tuple[str, str]] = {}
    for suite in suites:
        for case in suite:
            status, message = "passed", ""
            for result in case.result[:1]:
                status = next(name for kind, name in kinds if isinstance(result, kind))
                message = result.message or ""
            statuses[str(case.classname), str(case.name)] = (status, message)
    return statuses
