"""Every reporter against hostile text: escape sequences, BEL, NUL, bidi overrides, a newline
in a section, lone surrogates, a 1 MB message and a 10 MB evidence value.

The verdict is built through the real entry points (the evidence recorder, the message
reduction and the policy), as a run builds it; the spec fields are left raw on purpose, so each
reporter must neutralise on its own.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from pytest_readiness.evidence import EvidenceStore
from pytest_readiness.model import (
    EvidenceRecord,
    ItemSpec,
    RawOutcome,
    RawResult,
    RunInfo,
    Severity,
    Verdict,
    Waiver,
)
from pytest_readiness.outcomes import message_of
from pytest_readiness.policy import Policy, evaluate
from pytest_readiness.redaction import Redactor
from pytest_readiness.reporters import json_report, junit, markdown, terminal
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, STORED_LIMIT

OSC8_LINK = "\x1b]8;;https://evil.invalid\x07click me\x1b]8;;\x07"
HOSTILE = f"\x1b[2J\x1b[31mred\x07 {OSC8_LINK} \u202eevil\x00nul \x9b31m c1 \udc80surrogate"
BIG_MESSAGE = 1_000_000
BIG_EVIDENCE = 10_000_000
CUT_NOTE = "more characters, full value in the JSON report]"

#: Characters no report may carry raw (newline and tab are checked separately per format).
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def raw_controls(text: str) -> list[str]:
    return sorted({repr(c) for c in RAW_CONTROL.findall(text)})


def hostile_verdict() -> Verdict:
    store = EvidenceStore(Redactor())
    evidence = store.recorder("checks/test_h.py::test_h")
    evidence("label " + HOSTILE, "observed " + HOSTILE, expected=HOSTILE, note=HOSTILE)
    evidence("lag", math.nan, expected=math.inf, low=-math.inf)
    evidence("dump", "x" * BIG_EVIDENCE)
    records = tuple(EvidenceRecord.from_dict(r) for r in store.records["checks/test_h.py::test_h"])
    crash = SimpleNamespace(message="AssertionError: boom " + HOSTILE + "m" * BIG_MESSAGE)
    message = message_of(SimpleNamespace(longrepr=SimpleNamespace(reprcrash=crash)))
    spec = ItemSpec(
        id="H-1" + HOSTILE,
        nodeid="checks/test_h.py::test_h",
        title="title " + HOSTILE,
        severity=Severity.CRITICAL,
        section="sec\nond " + HOSTILE,
        weight=5.0,
        owner="owner " + HOSTILE,
        docs="https://docs.invalid/" + HOSTILE,
        remediation="fix " + HOSTILE,
    )
    fine = ItemSpec("OK-1", "checks/test_ok.py::test_ok", "fine", Severity.IMPORTANT, "plain", 3.0)
    verdict = evaluate(
        [spec, fine],
        {
            spec.nodeid: RawResult(RawOutcome.FAILED, message, 0.1, records),
            fine.nodeid: RawResult(RawOutcome.PASSED),
        },
        Policy(),
        waivers=[Waiver("NOPE-" + HOSTILE, "reason " + HOSTILE, "by " + HOSTILE, date(2099, 1, 1))],
        today=date(2026, 12, 1),
        run=RunInfo(profile="prod" + HOSTILE, hostname="host" + HOSTILE),
    )
    return replace(verdict, exit_status=1)


@pytest.fixture(scope="module")
def verdict() -> Verdict:
    return hostile_verdict()


def test_entry_points_store_bounded_encodable_values(verdict: Verdict) -> None:
    item = verdict.items[0]
    assert len(item.message) < STORED_LIMIT + 100
    assert item.message.endswith("more characters]")
    dump = item.evidence[2]
    assert isinstance(dump.observed, str)
    assert len(dump.observed) < STORED_LIMIT + 100
    lag = item.evidence[1]
    assert (lag.observed, lag.expected, lag.details) == ("nan", "inf", {"low": "-inf"})
    assert "\udc80" not in item.message
    assert "\udc80" not in str(item.evidence[0].to_dict())


@pytest.mark.parametrize("verbosity", [-2, -1, 0, 1])
def test_terminal_lines_carry_no_control_character_and_stay_one_line(
    verdict: Verdict, verbosity: int
) -> None:
    lines = terminal.render(verdict, verbosity)
    for line in lines:
        assert raw_controls(line.text) == [], line.text[:200]
        assert "\n" not in line.text
        assert "\t" not in line.text
    text = "\n".join(line.text for line in lines)
    assert len(text) < 3 * (MESSAGE_LIMIT + 6 * EVIDENCE_LIMIT) + 20_000
    if verbosity >= 0:
        assert "sec\\nond" in text
    if verbosity >= -1:
        assert "\\x1b[2J\\x1b[31mred\\x07" in text
        assert "\\u202eevil\\x00nul \\x9b31m c1 \ufffdsurrogate" in text
        assert CUT_NOTE in text


def test_terminal_cuts_the_message_and_each_evidence_record(verdict: Verdict) -> None:
    lines = [line.text for line in terminal.render(verdict, 0)]
    message = next(line for line in lines if "boom" in line)
    assert len(message) < 4 + MESSAGE_LIMIT * 6 + 100
    assert re.search(r"… \[cut: \d+ more characters, full value in the JSON report\]$", message)
    dump = next(line for line in lines if "evidence: dump" in line)
    assert len(dump) < EVIDENCE_LIMIT + 120


def test_terminal_matrix_rows_keep_their_columns_with_a_newline_in_a_section(
    verdict: Verdict,
) -> None:
    lines = [line.text for line in terminal.render(verdict, 0)]
    header = next(line for line in lines if line.startswith("section"))
    start = header.index("critical")
    rows = [line for line in lines if line.startswith(("sec\\nond", "plain", "all "))]
    assert len(rows) == 3
    for row in rows:
        assert row[start - 2 : start] == "  "
        assert row[start] in "-0123456789"


def test_html_has_no_control_character_and_cuts_big_values(verdict: Verdict) -> None:
    jinja2 = pytest.importorskip("jinja2")
    assert jinja2
    from pytest_readiness.reporters import html

    page = html.render(verdict)
    assert raw_controls(page) == []
    assert len(page.encode("utf-8")) < 200_000
    assert "\\x1b[2J" in page
    assert "\\u202eevil" in page
    assert "\\x00nul" in page
    assert page.count(CUT_NOTE) >= 2
    page.encode("utf-8")


def test_html_renders_non_string_marker_fields_as_text() -> None:
    pytest.importorskip("jinja2")
    from pytest_readiness.reporters import html

    spec = ItemSpec("X-1", "t.py::test_x", "x", Severity.CRITICAL, "s", 5.0)
    weird = replace(spec, docs=123, remediation={"x": 1}, owner=7)  # type: ignore[arg-type]
    verdict = evaluate(
        [weird], {spec.nodeid: RawResult(RawOutcome.FAILED, "no")}, Policy(), today=date.today()
    )
    page = html.render(verdict)
    assert "123" in page
    assert "{&#39;x&#39;: 1}" in page


def test_markdown_has_no_control_character_and_cuts_big_values(verdict: Verdict) -> None:
    for text in (markdown.render(verdict), markdown.render_summary(verdict)):
        assert raw_controls(text) == []
        assert "\t" not in text
        assert len(text.encode("utf-8")) < 100_000
        assert "\\\\x1b\\[2J" in text  # the escape, its backslash and bracket escaped for Markdown
        assert "more characters, full value in the JSON report\\]" in text
        text.encode("utf-8")
    page = markdown.render(verdict)
    assert "## Section 1: sec ond \\\\x1b" in page  # whitespace is one space, as before


def test_junit_has_no_control_character_and_cuts_big_values(verdict: Verdict) -> None:
    pristine = (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="0"'
        ' failures="0" errors="0"/></testsuites>'
    )
    text = junit.enrich_text(pristine, verdict, "xunit1")
    root = ET.fromstring(text)
    assert raw_controls(text) == []
    values = [p.get("value", "") for p in root.iter("property")]
    values += [f.text or "" for f in root.iter("failure")]
    for value in values:
        assert raw_controls(value) == []
    assert len(text.encode("utf-8")) < 100_000
    assert CUT_NOTE in text
    assert "#x1B" not in text
    assert "\\x1b[2J" in text


def _no_constants(name: str) -> object:
    raise AssertionError(f"invalid JSON number {name}")


def test_json_is_strict_json_keeps_values_up_to_the_limit_and_escapes_controls(
    verdict: Verdict,
) -> None:
    text = json_report.render(verdict)
    text.encode("utf-8")
    data = json.loads(text, parse_constant=_no_constants)
    assert raw_controls(text) == []  # JSON escapes them: \u001b, \u202e, \u009b
    item = data["items"][0]
    assert item["title"] == "title " + HOSTILE.replace("\udc80", "\ufffd")
    assert "\x1b[2J" in item["remediation"]
    assert "\u202e" in item["message"]
    evidence = item["evidence"]
    assert evidence[1]["observed"] == "nan"
    assert evidence[1]["expected"] == "inf"
    dump = evidence[2]["observed"]
    assert dump.startswith("x" * STORED_LIMIT)
    assert dump.endswith(f"… [cut: {BIG_EVIDENCE - STORED_LIMIT} more characters]")
    assert item["message"].startswith("boom ")
    assert len(item["message"]) < STORED_LIMIT + 100


def test_json_refuses_a_nan_that_slipped_past_the_entry_points() -> None:
    spec = ItemSpec("X-1", "t.py::test_x", "x", Severity.CRITICAL, "s", 5.0)
    record = EvidenceRecord(label="lag", observed=math.nan)
    verdict = evaluate(
        [spec],
        {spec.nodeid: RawResult(RawOutcome.PASSED, "", 0, (record,))},
        Policy(),
        today=date.today(),
    )
    with pytest.raises(ValueError, match="not JSON compliant"):
        json_report.render(verdict)


def test_pytest_reports_are_masked_before_they_are_cut_and_made_printable() -> None:
    from pytest_readiness.redaction import ReportRedactor

    secret = "s3cr3t-token-value"
    cleaner = ReportRedactor(Redactor([secret]))
    text = "a" * (STORED_LIMIT - 5) + secret + "\x1b[2J\udc80" + "b" * 1000
    out = cleaner.clean(text)
    assert "s3cr" not in out
    assert raw_controls(out) == []
    assert out.endswith("more characters]")
    assert cleaner.clean("line 1\n\tline 2\r") == "line 1\n\tline 2\\r"


def test_json_escapes_del_in_an_otherwise_ascii_report() -> None:
    spec = ItemSpec("X-1", "t.py::test_x", "x", Severity.CRITICAL, "s", 5.0)
    verdict = evaluate(
        [spec], {spec.nodeid: RawResult(RawOutcome.FAILED, "del\x7f")}, Policy(), today=date.today()
    )
    text = json_report.render(verdict)
    assert "\x7f" not in text
    assert '"message": "del\\u007f"' in text
    assert json.loads(text)["items"][0]["message"] == "del\x7f"
