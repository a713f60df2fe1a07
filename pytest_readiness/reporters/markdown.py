"""``--readiness-md``: the checklist written back as Markdown, boxes ticked from evidence.

Laid out like the hand-kept checklists it replaces: a header, one part per section with its
items and status, then "Overall Progress" with the "Completion by Section" table and the
score. Every value a check or a config produced is escaped, so a title cannot open a link,
an HTML tag or a new table cell; control characters are written as visible escapes and long
values are cut (:mod:`pytest_readiness.text`). With ``$GITHUB_STEP_SUMMARY`` set, a compact version is
appended to that file (GitHub shows it on the run's page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pytest_readiness.files import write_atomic
from pytest_readiness.model import (
    Decision,
    ItemResult,
    Outcome,
    SectionRow,
    Severity,
    Verdict,
)
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, shown

RULE = "_" * 70
STEP_SUMMARY_ITEMS = 50  # GitHub caps a step summary at 1 MiB; long lists add little there.

MARK: dict[Outcome, str] = {
    Outcome.PASSED: "[x] ✅",
    Outcome.ATTESTED: "[x] ✅",
    Outcome.WAIVED: "[x] ⚠️",
    Outcome.PENDING: "[ ] ⚠️",
    Outcome.FAILED: "[ ] ❌",
    Outcome.ERROR: "[ ] ❌",
    Outcome.SKIPPED: "[ ] ➖",
}
DECISION_ICON: dict[Decision, str] = {
    Decision.GO: "✅",
    Decision.DELAY: "⚠️",
    Decision.NO_GO: "❌",
    Decision.NO_DATA: "❌",
    Decision.INCOMPLETE: "❌",
}
# Backslash-escape what is active inline in GitHub Markdown (values never start a line, so
# list and heading markers are inert): emphasis, code, links, HTML, cells, strikethrough,
# math; '#', '@' and '&' only where they would start an issue link, a mention, an entity.
_ACTIVE = re.compile(r"([\\`*_\[\]<>|~$]|#(?=\d)|(?<!\w)@(?=\w)|&(?=#?\w+;))")
_SPACE = re.compile(r"\s+")


def write(verdict: Verdict, path: str, config: object = None) -> None:
    write_atomic(path, render(verdict))


def append_step_summary(verdict: Verdict, environ: Mapping[str, str]) -> None:
    """Append (never overwrite: earlier steps wrote there too) in one write call."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(render_summary(verdict))


def render(verdict: Verdict) -> str:
    parts = [_header(verdict), RULE, _decision(verdict)]
    if verdict.baseline is not None:
        parts.append(_baseline(verdict))
    parts.append(RULE)
    by_section: dict[str, list[ItemResult]] = {}
    for item in verdict.items:
        by_section.setdefault(item.spec.section, []).append(item)
    for number, row in enumerate(verdict.sections, 1):
        parts.append(_section(number, row, by_section.get(row.section, [])))
    if verdict.waivers or verdict.attestations:
        parts += [RULE, _waivers_and_attestations(verdict)]
    parts += [RULE, _overall(verdict)]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_summary(verdict: Verdict) -> str:
    """The compact version: decision, completion table, what is not met, the baseline."""
    not_met = [i for i in verdict.items if i.outcome.applicable and not i.outcome.met]
    parts = [
        f"## {DECISION_ICON[verdict.decision]} Readiness {esc(verdict.run.profile)}: "
        f"**{verdict.decision.value}**, score {verdict.score}/100",
        f"Scope: {esc(verdict.scope.describe())}",
    ]
    if verdict.baseline is not None:
        parts.append(_baseline(verdict))
    parts.append(_completion_table(verdict))
    if not_met:
        shown = [_item_line(i, compact=True) for i in not_met[:STEP_SUMMARY_ITEMS]]
        if len(not_met) > STEP_SUMMARY_ITEMS:
            shown.append(f"- and {len(not_met) - STEP_SUMMARY_ITEMS} more not met")
        parts.append(f"**Not met ({len(not_met)})**\n\n" + "\n".join(shown))
    return "\n\n".join(parts) + "\n\n"


def esc(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """One line of inline text, safe in a list item and in a table cell, cut at ``limit``."""
    return _ACTIVE.sub(r"\\\1", _SPACE.sub(" ", shown(text, limit, keep_lines=True)).strip())


def _header(verdict: Verdict) -> str:
    run = verdict.run
    lines = [f"# Production Readiness Checklist: {esc(run.profile)}", ""]
    facts = [
        ("Decision", f"{DECISION_ICON[verdict.decision]} **{verdict.decision.value}**"),
        ("Score", f"{verdict.score}/100"),
        ("Scope", esc(verdict.scope.describe())),
        ("Date", esc(run.started_at or "")),
        ("Duration", f"{run.duration:.1f} s"),
        ("Host", esc(run.hostname or "")),
        ("Commit", esc(run.git_commit or "")),
        ("Config", esc(run.config_path or "")),
        ("Versions", _versions(verdict)),
    ]
    lines += [f"**{label}**: {value}  " for label, value in facts if value]
    return "\n".join(lines).rstrip()


def _versions(verdict: Verdict) -> str:
    run = verdict.run
    pairs = [
        ("pytest", run.pytest_version),
        ("pytest-readiness", run.plugin_version),
        ("Python", run.python_version),
    ]
    return esc(", ".join(f"{name} {version}" for name, version in pairs if version))


def _decision(verdict: Verdict) -> str:
    lines = ["## Go/No-Go Decision", ""]
    lines.append(
        f"**{verdict.decision.value}** {DECISION_ICON[verdict.decision]} with an overall score "
        f"of **{verdict.score}/100**."
    )
    if verdict.reasons:
        lines.append("")
        lines += [f"- {esc(reason)}" for reason in verdict.reasons]
    return "\n".join(lines)


def _baseline(verdict: Verdict) -> str:
    diff = verdict.baseline
    assert diff is not None
    lines = [
        "### Changes Since Baseline",
        "",
        f"Compared with {esc(diff.source)} ({esc(diff.previous_decision)}, "
        f"{diff.previous_score}/100): score **{diff.score_change:+d}**.",
        "",
        "| Change | Count | Items |",
        "|--------|-------|-------|",
    ]
    for label, ids in (
        ("Newly failing", diff.newly_failing),
        ("Fixed", diff.fixed),
        ("Added", diff.added),
        ("Removed", diff.removed),
    ):
        lines.append(f"| {label} | {len(ids)} | {esc(', '.join(ids)) or '-'} |")
    return "\n".join(lines)


def _section(number: int, row: SectionRow, items: Iterable[ItemResult]) -> str:
    lines = [f"## Section {number}: {esc(row.section)} {_status(row)}", ""]
    lines += [_item_line(item) for item in items]
    lines += ["", f"**Status**: {row.completion.percent_label} complete"]
    return "\n".join(lines)


def _item_line(item: ItemResult, compact: bool = False) -> str:
    spec = item.spec
    head = (
        f"- {MARK[item.outcome]} **{esc(spec.title or spec.id)}** "
        f"({esc(spec.id)}, {spec.severity.value}, weight {spec.weight:g}): {item.outcome.value}"
    )
    notes: list[str] = []
    if item.message:
        notes.append(esc(item.message))
    notes += [f"Evidence: {esc(r.summary(), EVIDENCE_LIMIT)}" for r in item.evidence]
    if spec.remediation and not item.outcome.met:
        notes.append(f"Remediation: {esc(spec.remediation)}")
    if not compact:
        if spec.owner:
            notes.append(f"Owner: {esc(spec.owner)}")
        if spec.docs:
            notes.append(f"Docs: {esc(spec.docs)}")
    return "\n".join([head, *(f"  - {note}" for note in notes)])


def _waivers_and_attestations(verdict: Verdict) -> str:
    lines = ["## Waivers and Attestations"]
    if verdict.waivers:
        lines += ["", "| Waiver | State | Until | By | Reason | Covers |"]
        lines.append("|--------|-------|-------|----|--------|--------|")
        for s in verdict.waivers:
            w = s.waiver
            cells = [w.id, s.state.value, w.until.isoformat(), w.by, w.reason, ", ".join(s.items)]
            lines.append(_table_row(cells))
    if verdict.attestations:
        lines += ["", "| Attestation | State | By | On | Valid until | Evidence |"]
        lines.append("|-------------|-------|----|----|-------------|----------|")
        for t in verdict.attestations:
            a = t.attestation
            cells = [
                a.id,
                t.state.value,
                a.by,
                a.on.isoformat(),
                a.expires.isoformat(),
                a.evidence or "",
            ]
            lines.append(_table_row(cells))
    return "\n".join(lines)


def _overall(verdict: Verdict) -> str:
    return "\n".join(
        [
            "## Overall Progress",
            "",
            "### Completion by Section",
            "",
            _completion_table(verdict),
            "",
            f"### Overall Score: **{verdict.score}/100** ({verdict.decision.value})",
        ]
    )


def _completion_table(verdict: Verdict) -> str:
    lines = ["| Section | Status | Critical | Important | Nice to have | Completion |"]
    lines.append("|---------|--------|----------|-----------|--------------|------------|")
    for number, row in enumerate(verdict.sections, 1):
        cells = [row.cells[s].fraction for s in Severity]
        lines.append(
            f"| {number}. {esc(row.section)} | {_status(row)} | "
            + " | ".join(cells)
            + f" | {row.completion.percent_label} |"
        )
    return "\n".join(lines)


def _status(row: SectionRow) -> str:
    """✅ all met, ❌ a critical item not met or nothing met, ⚠️ in between, ➖ not applicable."""
    done = row.completion
    if done.total == 0:
        return "➖"
    if done.met == done.total:
        return "✅"
    critical = row.cells[Severity.CRITICAL]
    return "❌" if critical.met < critical.total or done.met == 0 else "⚠️"


def _table_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(esc(cell) or "-" for cell in cells) + " |"
