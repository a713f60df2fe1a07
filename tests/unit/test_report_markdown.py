"""The Markdown checklist and the GitHub step summary: golden files, ticks, escaping."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.model import Outcome, SectionRow, Severity, Tally, Verdict
from pytest_readiness.reporters import markdown
from tests.golden import golden
from tests.golden.verdicts import big_verdict, sample_verdict


def test_checklist_matches_the_golden_file() -> None:
    text = markdown.render(sample_verdict())
    assert text == golden("sample.md", text)


def test_step_summary_matches_the_golden_file() -> None:
    text = markdown.render_summary(sample_verdict())
    assert text == golden("sample-summary.md", text)


TICKS = [
    (Outcome.PASSED, "- [x] ✅"),
    (Outcome.ATTESTED, "- [x] ✅"),
    (Outcome.WAIVED, "- [x] ⚠️"),
    (Outcome.PENDING, "- [ ] ⚠️"),
    (Outcome.FAILED, "- [ ] ❌"),
    (Outcome.ERROR, "- [ ] ❌"),
    (Outcome.SKIPPED, "- [ ] ➖"),
]


@pytest.mark.parametrize(("outcome", "box"), TICKS, ids=[t[0].value for t in TICKS])
def test_boxes_are_ticked_from_the_outcome(outcome: Outcome, box: str) -> None:
    verdict = sample_verdict()
    item = replace(verdict.items[0], outcome=outcome)
    text = markdown.render(replace(verdict, items=(item,)))
    assert f"{box} **TLS certificates are valid for 30 more days** (SEC-1" in text


ESCAPES = [
    ("a | b", r"a \| b"),
    ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
    ("[link](https://x.invalid)", r"\[link\](<https://x.invalid>)"),
    ("user https://db.invalid/nats_admin/*x*.", r"user <https://db.invalid/nats_admin/*x*>."),
    ("see (https://x.invalid/a_(b)), ok", r"see (<https://x.invalid/a_(b)>), ok"),
    ("cell https://x.invalid/a|b", "cell <https://x.invalid/a%7Cb>"),
    ("*bold* _it_ `code` ~~s~~", r"\*bold\* \_it\_ \`code\` \~\~s\~\~"),
    ("back\\slash", r"back\\slash"),
    ("fixes #12, see #lag", r"fixes \#12, see #lag"),
    ("ping @team, mail a@b.c", r"ping \@team, mail a@b.c"),
    ("&amp; & &#60;", r"\&amp; & \&\#60;"),
    ("$x$", r"\$x\$"),
    ("two\nlines\t and  spaces", "two lines and spaces"),
    ("1. 2026-11-23 (ok) + more!", "1. 2026-11-23 (ok) + more!"),
]


@pytest.mark.parametrize(("raw", "escaped"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escaping(raw: str, escaped: str) -> None:
    assert markdown.esc(raw) == escaped


def test_a_pipe_never_opens_a_table_cell() -> None:
    verdict = sample_verdict()
    row = verdict.sections[0]
    odd = SectionRow("A | B", row.cells, row.completion)
    text = markdown.render(replace(verdict, sections=(odd, *verdict.sections[1:])))
    table = [line for line in text.splitlines() if line.startswith("| 1. ")]
    assert table == [r"| 1. A \| B | ❌ | 1/2 | - | - | 50% |"]
    assert r"## Section 1: A \| B ❌" in text


STATUSES = [
    ("all met", Tally(2, 2, 8, 8), Tally(1, 1, 5, 5), "✅"),
    ("critical not met", Tally(1, 2, 3, 8), Tally(0, 1, 0, 5), "❌"),
    ("nothing met", Tally(0, 2, 0, 4), Tally(0, 0, 0, 0), "❌"),
    ("partly met", Tally(1, 2, 3, 6), Tally(0, 0, 0, 0), "⚠️"),
    ("nothing applicable", Tally(0, 0, 0, 0), Tally(0, 0, 0, 0), "➖"),
]


@pytest.mark.parametrize(
    ("completion", "critical", "icon"), [s[1:] for s in STATUSES], ids=[s[0] for s in STATUSES]
)
def test_section_status(completion: Tally, critical: Tally, icon: str) -> None:
    cells = dict.fromkeys(Severity, Tally())
    cells[Severity.CRITICAL] = critical
    assert markdown._status(SectionRow("s", cells, completion)) == icon


@pytest.fixture
def summary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "step_summary.md"
    path.write_text("# Earlier step\n\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def test_step_summary_is_appended_never_overwritten(summary_file: Path) -> None:
    verdict = sample_verdict()
    markdown.append_step_summary(verdict, os.environ)
    markdown.append_step_summary(verdict, os.environ)
    text = summary_file.read_text(encoding="utf-8")
    assert text.startswith("# Earlier step\n\n\n## ❌ Readiness prod: **NO-GO**, score 61/100")
    assert text.count("## ❌ Readiness prod") == 2


def test_step_summary_starts_with_a_blank_line(summary_file: Path) -> None:
    """The previous step may not end its text with a newline: our heading must stay one."""
    summary_file.write_text("last line of the previous step", encoding="utf-8")
    markdown.append_step_summary(sample_verdict(), os.environ)
    text = summary_file.read_text(encoding="utf-8")
    assert text.startswith("last line of the previous step\n\n## ❌ Readiness prod")


def test_step_summary_lists_blockers_first_and_never_drops_one() -> None:
    """60 failing nice-to-have items collected before the one failing critical item: the
    critical one is listed first and nothing blocking is capped away."""
    verdict = sample_verdict()
    critical = next(i for i in verdict.items if i.spec.severity is Severity.CRITICAL)
    nice = next(i for i in verdict.items if i.spec.severity is Severity.NICE_TO_HAVE)
    noise = [
        replace(nice, spec=replace(nice.spec, id=f"NICE-{n}"), outcome=Outcome.FAILED)
        for n in range(60)
    ]
    blockers = [
        replace(critical, spec=replace(critical.spec, id=f"CRIT-{n}"), outcome=Outcome.FAILED)
        for n in range(55)
    ]
    text = markdown.render_summary(replace(verdict, items=(*noise, *blockers)))
    listed = re.findall(r"^- \[.\] \S+ \*\*.*?\*\* \(([A-Z]+-\d+)", text, re.MULTILINE)
    assert listed == [f"CRIT-{n}" for n in range(55)]  # all 55 critical, over the cap of 50
    assert "most severe first: critical items block GO" in text
    assert "- and 60 more not met (60 nice_to_have): see the full report" in text


def test_step_summary_orders_by_severity_within_the_cap() -> None:
    verdict = sample_verdict()
    critical = next(i for i in verdict.items if i.spec.severity is Severity.CRITICAL)
    nice = next(i for i in verdict.items if i.spec.severity is Severity.NICE_TO_HAVE)
    noise = [
        replace(nice, spec=replace(nice.spec, id=f"NICE-{n}"), outcome=Outcome.FAILED)
        for n in range(60)
    ]
    blocker = replace(critical, outcome=Outcome.FAILED)
    text = markdown.render_summary(replace(verdict, items=(*noise, blocker)))
    listed = re.findall(r"^- \[.\] \S+ \*\*.*?\*\* \(([A-Z]+-[\w-]+)", text, re.MULTILINE)
    assert listed[0] == critical.spec.id
    assert len(listed) == markdown.STEP_SUMMARY_ITEMS
    assert "- and 11 more not met (11 nice_to_have)" in text


def test_without_github_nothing_else_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    markdown.write(sample_verdict(), str(tmp_path / "report.md"))
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_step_summary_lists_at_most_fifty_items() -> None:
    verdict: Verdict = big_verdict(1_000)
    text = markdown.render_summary(verdict)
    assert text.count("\n- [ ] ❌") == markdown.STEP_SUMMARY_ITEMS
    assert "- and 75 more not met" in text
