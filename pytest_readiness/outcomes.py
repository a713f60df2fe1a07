"""Reduce an item's pytest reports (setup / call / teardown, or an xdist crash) to a RawResult.

Runs once per item at session end, never per report. Works on the report objects pytest and
xdist hand over (duck-typed: ``outcome``, ``when``, ``longrepr``, ``wasxfail``, ``duration``).
Messages are stored encodable and at most 64 KiB long (:func:`pytest_readiness.text.stored`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_readiness.model import EvidenceRecord, RawOutcome, RawResult
from pytest_readiness.text import stored

#: xdist's synthetic report for an item whose worker died uses this phase name.
CRASH_PHASE = "???"

#: Prefixes that add nothing for an operator: the assertion/fail/skip class names, and our own
#: error classes, whose messages already say what failed where.
_NOISE = re.compile(r"^(?:AssertionError|Failed|Skipped|pytest_readiness\.[\w.]+): ")
#: A dotted module path before another exception's class name: keep just the class.
_MODULE_PATH = re.compile(r"^(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*: )")

#: ``ConnectorError`` and the subclasses the plugin defines (a unit test keeps this complete):
#: raised in a check's body they make it ``error``, not ``failed`` - the target could not be
#: used (unreachable, timed out, a write refused), so the check said nothing about it.
#: Not here: ``MonitorNotConfigured`` (a NATS target without a monitoring URL), a finding about
#: the deployment that fails the checks needing it (docs/checks-defaults.md).
CONNECTOR_ERRORS = frozenset(
    {"ConnectorError", "Unreachable", "AuthFailed", "TimedOut", "WriteRefused"}
)
_RAISED_BY_PLUGIN = re.compile(r"^pytest_readiness\.(?:errors|connectors\.\w+)\.(\w+): ")


def reduce_reports(
    phases: Mapping[str, Any], evidence: list[dict[str, Any]] | None = None
) -> RawResult:
    """``phases`` maps a phase name to its last report; missing phases did not report."""
    records = tuple([EvidenceRecord.from_dict(e) for e in evidence]) if evidence else ()
    duration = 0.0
    for report in phases.values():  # a loop: no generator per item (runs for every item)
        duration += getattr(report, "duration", 0.0) or 0.0
    crash = phases.get(CRASH_PHASE)
    if crash is not None:
        return RawResult(RawOutcome.CRASHED, message_of(crash), duration, records)
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
    if setup is not None and setup.outcome == "failed":
        return RawResult(RawOutcome.ERROR, message_of(setup), duration, records)
    if setup is not None and setup.outcome == "skipped":
        if getattr(setup, "wasxfail", None) is not None:  # xfail(run=False) skips in setup
            return RawResult(RawOutcome.XFAILED, _reason(setup.wasxfail), duration, records)
        return RawResult(RawOutcome.SKIPPED, message_of(setup), duration, records)
    if call is None:
        return RawResult(RawOutcome.NOT_RUN, "", duration, records)
    result = _from_call(call, duration, records)
    if (
        teardown is not None
        and teardown.outcome == "failed"
        and result.outcome is RawOutcome.PASSED
    ):
        return RawResult(
            RawOutcome.ERROR, "teardown failed: " + message_of(teardown), duration, records
        )
    return result


def _from_call(call: Any, duration: float, records: tuple[EvidenceRecord, ...]) -> RawResult:
    wasxfail = getattr(call, "wasxfail", None)
    if call.outcome == "skipped":
        if wasxfail is not None:
            return RawResult(RawOutcome.XFAILED, _reason(wasxfail), duration, records)
        return RawResult(RawOutcome.SKIPPED, message_of(call), duration, records)
    if call.outcome == "passed":
        if wasxfail is not None:
            return RawResult(RawOutcome.XPASSED, "", duration, records)
        return RawResult(RawOutcome.PASSED, "", duration, records)
    if wasxfail is None and _raised_connector_error(call):
        return RawResult(RawOutcome.ERROR, message_of(call), duration, records)
    return RawResult(RawOutcome.FAILED, message_of(call), duration, records)


def _raised_connector_error(report: Any) -> bool:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    # The decision may read a copy whose longrepr is already the crash line (a string).
    line = str(crash.message) if crash is not None else longrepr
    match = _RAISED_BY_PLUGIN.match(line) if isinstance(line, str) else None
    return match is not None and match[1] in CONNECTOR_ERRORS


def message_of(report: Any) -> str:
    """The operator-facing first line of a report's failure or skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (path, lineno, reason)
        text = str(longrepr[2])
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(longrepr)
    return stored(clean_message(text))


def _reason(wasxfail: Any) -> str:
    return stored(str(wasxfail))


def clean_message(text: str) -> str:
    for line in text.strip().splitlines():
        line = line.strip()
        if line:
            return _MODULE_PATH.sub("", _NOISE.sub("", line, count=1), count=1)
    return ""
