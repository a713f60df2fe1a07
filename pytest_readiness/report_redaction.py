"""Mask secrets in pytest's own reports before anything prints or ships them.

Failure tracebacks (also with ``--showlocals``), the short summary, captured output and
collection errors pass through here on the process that made the report (single process or
xdist worker), so the terminal, JUnit, pytest-html and the xdist controller only ever see
``***``. Costs nothing for passing tests without captured output.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.redaction import Redactor


class ReportRedactor:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.redactor.secrets and (report.longrepr is not None or report.sections):
            self.scrub(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self.redactor.secrets and report.longrepr is not None:
            self.scrub(report)

    def scrub(self, report: Any) -> None:
        report.longrepr = _scrub(report.longrepr, self.redactor, set())
        report.sections = [(name, self.redactor.redact(text)) for name, text in report.sections]


def _scrub(value: Any, redactor: Redactor, seen: set[int]) -> Any:
    """Redact every string inside pytest's failure representation objects, in place where possible."""
    if isinstance(value, str):
        return redactor.redact(value)
    if value is None or isinstance(value, int | float | bool) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        value[:] = [_scrub(v, redactor, seen) for v in value]
        return value
    if isinstance(value, tuple):
        return tuple(_scrub(v, redactor, seen) for v in value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _scrub(value[key], redactor, seen)
        return value
    if type(value).__module__.startswith("_pytest") and hasattr(value, "__dict__"):
        for key, item in list(vars(value).items()):
            object.__setattr__(value, key, _scrub(item, redactor, seen))
    return value
