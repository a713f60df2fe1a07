"""The pytest side of the JUnit report: tags testcases while pytest's junitxml writes them
(``reporting`` adds the verdict to the written file; the XML itself is ``reporters.junit``'s job).

Testcases are matched to readiness items without re-deriving junitxml's ``classname``/``name``
from node ids: for ``xunit1`` (the family with per-testcase properties) each report carries one
extra user property, ``readiness.nodeid``, while junitxml handles it, so pytest itself writes
the node id into the testcase it made for that report. The enrichment replaces it with the
item's properties (or drops it). xunit2 testcases get nothing, so nothing is added for it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, cast

import pytest

from pytest_readiness.model import ItemResult, Outcome, Waiver
from pytest_readiness.policy import waived_text


def tags_testcases(config: pytest.Config) -> bool:
    """Whether junitxml writes a family with per-testcase properties (xunit1): only then is
    :class:`JunitNodeTagger` registered, so an xunit2 run pays no hook per report."""
    from pytest_readiness.reporters.junit import LEGACY_FAMILIES

    return str(config.getini("junit_family")) in LEGACY_FAMILIES


class JunitNodeTagger:
    """Controller-side plugin (xunit1 only): tags testcases with their node ids."""

    def __init__(self) -> None:
        from pytest_readiness.reporters.junit import NODEID_PROPERTY

        self.property = NODEID_PROPERTY

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        """Give the report its node id as a user property while this hook runs, so junitxml
        writes it into the testcase. It is gone once the hook returns, except on a failed call:
        junitxml finishes that testcase (reading the call report's properties) only when the
        teardown report arrives."""
        tag = (self.property, report.nodeid)
        report.user_properties.append(tag)
        try:
            return (yield)
        finally:
            if tag in report.user_properties and not (report.when == "call" and report.failed):
                report.user_properties.remove(tag)


# -- pytest's per-test views agree with the readiness outcome -------------------------------
#
# The terminal's letters and short summary, junitxml's testcases and pytest-html's rows are all
# made from the reports pytest_runtest_logreport hands around. The session rewrites the report
# that decides an item (setup when it did not pass, otherwise call) before any of them sees it,
# on the process that decides (single process or xdist controller), from the item's outcome.


class ReadinessRepr:
    """A failure text pytest's views read like their own: the short summary and junitxml take
    ``reprcrash.message`` (the first line), the terminal calls ``toterminal``."""

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def reprcrash(self) -> ReadinessRepr:
        return self

    @property
    def message(self) -> str:
        return self.text.split("\n", 1)[0]

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def blocker_line(result: ItemResult) -> str:
    """``critical PG-1: <why>``: what a testcase of an unmet item says first, so that an xunit2
    file (no per-testcase properties) still says what blocks."""
    why = result.message or str(result.outcome)
    return f"{result.spec.severity.value} {result.spec.id}: {why}"


def agree(
    report: pytest.TestReport,
    result: ItemResult,
    waiver: Waiver | None,
    was: str,
    clean: Callable[[str], str],
) -> bool:
    """Make ``report`` (the one deciding its item, ``was`` its outcome before any rewrite)
    show ``result``: met items pass (waived ones are skipped with who, until and why),
    not applicable ones are skipped, everything else fails with severity, id and reason.
    Whether its outcome, phase or failure text changed (an attestation only adds a section)."""
    outcome = result.outcome
    if outcome is Outcome.ATTESTED:  # -rP and junitxml's system-out (junit_logging) show it
        report.sections.append(("readiness", clean(result.message)))
        return False
    if outcome is Outcome.PASSED:
        return False
    if outcome is Outcome.SKIPPED:
        return False  # pytest skipped it too: not applicable, with its own reason
    _drop_xfail(report)
    if outcome is Outcome.WAIVED:
        path, line = report.location[0], (report.location[1] or 0) + 1
        text = waived_text(waiver) if waiver is not None else result.message
        report.outcome = "skipped"
        report.longrepr = (path, line, clean(text))
        return True
    head = clean(blocker_line(result))
    if was == "failed":  # keep pytest's traceback, lead with what blocks
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None and hasattr(crash, "message"):
            object.__setattr__(crash, "message", head)  # frozen in some pytest versions
        elif str(report.longrepr).startswith(head):  # a worker rewrote it already
            report.longrepr = cast(Any, ReadinessRepr(str(report.longrepr)))
        else:
            report.longrepr = cast(
                Any, ReadinessRepr(f"{head}\n{report.longrepr}")
            )  # a TerminalRepr by duck typing
        return True
    # Passed (a human item without attestation), skipped (not evaluated) or xfail: a failure
    # of the test itself, not an error of its setup, whichever phase decided it.
    report.outcome = "failed"
    report.when = "call"
    report.longrepr = cast(Any, ReadinessRepr(head))  # a TerminalRepr by duck typing
    return True


def _drop_xfail(report: pytest.TestReport) -> None:
    """pytest shows a report with ``wasxfail`` as xfailed/xpassed whatever its outcome."""
    if hasattr(report, "wasxfail"):
        del report.wasxfail
