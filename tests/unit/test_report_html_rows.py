"""The HTML report's fast paths keep its guarantees: rows made in Python are escaped as the
template escaped them, and the precompiled template is the template."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.model import EvidenceRecord, ItemSpec, RawOutcome, RawResult, Severity
from pytest_readiness.policy import Policy, evaluate
from pytest_readiness.reporters import html
from pytest_readiness.text import EVIDENCE_LIMIT
from tests.golden import golden
from tests.golden.verdicts import sample_verdict

jinja2 = pytest.importorskip("jinja2")
markupsafe = pytest.importorskip("markupsafe")

HOSTILE = "<script>alert(1)</script>\x1b[2J\x07\u202e\x00 & 'q' \"d\""
#: HOSTILE as the page must show it: markup escaped, control characters as visible escapes.
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J\\x07\\u202e\\x00 &amp; &#39;q&#39; &#34;d&#34;"
)
#: Characters no part of the page may carry raw (newline and tab may appear).
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


@given(st.text())
def test_escape_is_markupsafes(text: str) -> None:
    assert html.escape(text) == str(markupsafe.escape(text))


def hostile_page(title: str = HOSTILE, message: str = HOSTILE) -> str:
    """One failing critical item (a blocker, and a row of the items table) with every shown
    field hostile."""
    spec = ItemSpec(
        id="X-1" + HOSTILE,
        nodeid="t.py::test_x",
        title="title " + title,
        severity=Severity.CRITICAL,
        section="sec " + HOSTILE,
        weight=5.0,
        remediation="fix " + HOSTILE,
        owner="owner " + HOSTILE,
        docs='https://docs.invalid/"><script>alert(3)</script>' + HOSTILE,
    )
    raw = RawResult(
        RawOutcome.FAILED,
        message="msg " + message,
        evidence=(EvidenceRecord("label " + HOSTILE, "seen " + HOSTILE, HOSTILE),),
    )
    verdict = evaluate([spec], {spec.nodeid: raw}, Policy(), today=date(2026, 11, 23))
    return html.render(verdict)


def table(page: str, table_id: str) -> str:
    start = page.index(f'<table id="{table_id}"')
    return page[start : page.index("</table>", start)]


@pytest.mark.parametrize(
    ("title", "message", "capped"),
    [(HOSTILE, HOSTILE, False), (HOSTILE + "t" * 400, HOSTILE + "m\n" * 9, True)],
    ids=["short", "long-cells-capped"],
)
def test_hostile_values_are_escaped_in_both_tables(title: str, message: str, capped: bool) -> None:
    page = hostile_page(title, message)
    assert page.count("<script") == 1  # the report's own, allowed by its CSP hash
    assert RAW_CONTROL.findall(page) == []
    for table_id in ("blockers-table", "items-table"):
        rows = table(page, table_id)
        for field in ("title", "msg", "seen", "fix", "owner", "sec"):
            if field == "sec" and table_id == "blockers-table":
                continue  # the blockers table has no section column
            assert f"{field} {ESCAPED}" in rows, field
        assert ('<td class="clip"><div class="cap">title ' in rows) is capped
        assert ('<td class="det clip"><div class="cap"><div class="msg">' in rows) is capped
        # a value cannot leave its attribute: the quote that would end href is an entity
        assert 'href="https://docs.invalid/&#34;&gt;&lt;script&gt;alert(3)' in rows


def test_long_values_are_cut() -> None:
    page = hostile_page(message="m" * 10_000)
    assert re.search(r"m… \[cut: \d+ more characters, full value in the JSON report\]", page)
    assert "m" * 2_001 not in page


def test_evidence_is_cut_to_its_own_limit_in_an_otherwise_plain_row() -> None:
    """Evidence has a lower limit than the other fields: a row whose other values pass as
    they are still has it cut."""
    spec = ItemSpec("E-1", "t.py::test_e", "plain", Severity.CRITICAL, "s", 5.0)
    raw = RawResult(RawOutcome.FAILED, "no", evidence=(EvidenceRecord(None, "e" * 1_000),))
    page = html.render(evaluate([spec], {spec.nodeid: raw}, Policy(), today=date(2026, 11, 23)))
    assert f"observed {'e' * (EVIDENCE_LIMIT - 9)}… [cut: 509 more characters" in page


@pytest.fixture
def fresh_template() -> Iterator[None]:
    """Each use loads the template again (a test may change what it is loaded from)."""
    html._template.cache_clear()
    yield
    html._template.cache_clear()


def _built_for_this_jinja2() -> bool:
    from pytest_readiness.reporters import report_template

    return bool(jinja2.__version__ == report_template.JINJA2_VERSION)


@pytest.mark.usefixtures("fresh_template")
def test_the_precompiled_template_is_used_with_the_jinja2_it_was_made_by() -> None:
    """With another jinja2 (a newer release installed), the template is compiled from its
    source instead: slower, never different."""
    template = html._template(jinja2)
    expected = "report_template.py" if _built_for_this_jinja2() else html.TEMPLATE
    assert Path(template.filename).name == expected
    assert html.render(sample_verdict()) == golden("sample.html", "")


def test_the_precompiled_template_was_made_from_the_template_as_it_is() -> None:
    from pytest_readiness.reporters import report_template

    assert html._template_sha256() == report_template.SOURCE_SHA256


def test_the_precompiled_template_is_up_to_date() -> None:
    """Fails after a change to the template, its environment or jinja2 until the module is
    made again: ``READINESS_UPDATE_GOLDEN=1 pytest tests/unit/test_report_html_rows.py``.
    Under another jinja2 than the one it was made by, the module is not used (see above), so
    only its source hash must hold there."""
    from pytest_readiness.reporters import report_template

    path = Path(report_template.__file__)
    compiled = html.compiled_template()
    if os.environ.get("READINESS_UPDATE_GOLDEN") == "1":
        path.write_text(compiled, encoding="utf-8")
    if _built_for_this_jinja2():
        assert path.read_text(encoding="utf-8") == compiled
    else:
        assert f"SOURCE_SHA256 = {report_template.SOURCE_SHA256!r}" in compiled


@pytest.mark.usefixtures("fresh_template")
@pytest.mark.parametrize("stale", ["JINJA2_VERSION", "SOURCE_SHA256"])
def test_a_stale_precompiled_template_is_compiled_from_its_source(
    stale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_readiness.reporters import report_template

    monkeypatch.setattr(report_template, stale, "other")
    template = html._template(jinja2)
    assert Path(template.filename).name == html.TEMPLATE
    assert html.render(sample_verdict()) == golden("sample.html", "")
