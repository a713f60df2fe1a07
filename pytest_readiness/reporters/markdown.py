"""``--readiness-md``: the checklist written back as Markdown, boxes ticked from evidence.

Laid out like the hand-kept checklists it replaces: a header, one part per section with its
items and status, then "Overall Progress" with the "Completion by Section" table and the
score. Every value a check or a config produced is escaped, so a title cannot open a link,
an HTML tag or a new table cell; control characters are written as visible escapes and long
values are cut (:mod:`pytest_readiness.text`). With ``$GITHUB_STEP_SUMMARY`` set, a compact version is
appended to that file (GitHub shows it on the run's page).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from pytest_readiness.files import write_atomic
from pytest_readiness.model import (
    SEVERITIES,
    Decision,
    ItemResult,
    Outcome,
    SectionRow,
    Severity,
    Verdict,
    WaiverHealth,
    WaiverStatus,
)
from pytest_readiness.text import CONTROL_CLASS, EVIDENCE_LIMIT, MESSAGE_LIMIT, shown

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
_ALWAYS_ACTIVE = "\\`*_[]<>|~$"
_ACTIVE = re.compile(rf"([{re.escape(_ALWAYS_ACTIVE)}]|#(?=\d)|(?<!\w)@(?=\w)|&(?=#?\w+;))")
_SPACE = re.compile(r"\s+")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# A URL in a value: written as an autolink ``<url>``, whose text Markdown takes literally. An
# escape inside it would become part of the link (``nats\_admin`` -> ``nats%5C_admin``).
_URL = re.compile(r"https?://[^\s<>]+")
_URL_TRAILING = ".,;:!?'\""
# A value in which esc() only puts a backslash before each active character: words of other
# characters, one space apart (no control character, no '@' or '&', '#' not before a digit,
# no "://": nothing esc() cuts, collapses, links or escapes only in context).
_WORD = rf"(?:[^\s{CONTROL_CLASS}#@&:]|#(?!\d)|:(?!//))+"
_LITERAL = re.compile(rf"(?:{_WORD}(?: {_WORD})*)?")
_BACKSLASHED = str.maketrans({char: "\\" + char for char in _ALWAYS_ACTIVE})


def write(verdict: Verdict, path: str, config: object = None) -> None:
    write_atomic(path, render(verdict))


def append_step_summary(verdict: Verdict, environ: Mapping[str, str]) -> None:
    """Append (never overwrite: earlier steps wrote there too) in one write call."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if target:
        # A blank line first: the previous step's text may not even end its last line, and
        # our heading glued to it would not be a heading.
        lead = "\n" if _ends_a_line(target) else "\n\n"
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(lead + render_summary(verdict))


def _ends_a_line(path: str) -> bool:
    """True for an empty or missing file too: nothing to end."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return True
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
    except FileNotFoundError:
        return True


def render(verdict: Verdict) -> str:
    return "".join(chunks(verdict))


def chunks(verdict: Verdict) -> Iterator[str]:
    """:func:`render`'s text a part (a section) at a time, streamed to the report's file."""
    separator = ""
    for part in _parts(verdict):
        if part:
            yield separator + part
            separator = "\n\n"
    yield "\n"


def _parts(verdict: Verdict) -> Iterator[str]:
    yield from (_header(verdict), RULE, _decision(verdict))
    if verdict.baseline is not None:
        yield _baseline(verdict)
    yield RULE
    by_section: dict[str, list[ItemResult]] = {}
    for item in verdict.items:
        by_section.setdefault(item.spec.section, []).append(item)
    for number, row in enumerate(verdict.sections, 1):
        yield _section(number, row, by_section.get(row.section, []))
    if verdict.waivers or verdict.attestations:
        yield from (RULE, _waivers_and_attestations(verdict))
    yield from (RULE, _overall(verdict))


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
        parts.append(_not_met_summary(not_met))
    problems = [s for s in verdict.waivers if s.health is not WaiverHealth.ACTIVE]
    if problems:
        parts.append(_waiver_table(problems, "Waivers to look at"))
    return "\n\n".join(parts) + "\n\n"


def _not_met_summary(not_met: list[ItemResult]) -> str:
    """Most severe first (collection order within a severity), at most STEP_SUMMARY_ITEMS
    lines, but never without a critical item: each of those blocks the release."""
    ordered = sorted(not_met, key=lambda item: SEVERITY_RANK[item.spec.severity])
    critical = [i for i in ordered if i.spec.severity is Severity.CRITICAL]
    listed = ordered[: max(STEP_SUMMARY_ITEMS, len(critical))]
    lines = [_item_line(i, compact=True) for i in listed]
    left = ordered[len(listed) :]
    if left:
        counts = Counter(i.spec.severity for i in left)
        what = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_RANK if counts[s])
        lines.append(f"- and {len(left)} more not met ({what}): see the full report")
    head = f"**Not met ({len(not_met)})**, most severe first: critical items block GO"
    return head + "\n\n" + "\n".join(lines)


def esc(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """One line of inline text, safe in a list item and in a table cell, cut at ``limit``.
    URLs in it become autolinks, never escaped inside."""
    if isinstance(text, str) and len(text) <= limit and _LITERAL.fullmatch(text):
        return text.translate(_BACKSLASHED)  # most titles and ids: two steps instead of five
    return _escaped(text, limit)


def _escaped(text: object, limit: int) -> str:
    """:func:`esc`, every step."""
    line = _SPACE.sub(" ", shown(text, limit, keep_lines=True)).strip()
    parts: list[str] = []
    done = 0
    for match in _URL.finditer(line):
        url = _trim_url(match.group())
        parts.append(_ACTIVE.sub(r"\\\1", line[done : match.start()]))
        parts.append(f"<{url.replace('|', '%7C')}>")  # a raw | would end a table cell
        done = match.start() + len(url)
    parts.append(_ACTIVE.sub(r"\\\1", line[done:]))
    return "".join(parts)


def _trim_url(url: str) -> str:
    """Trailing punctuation and an unbalanced ``)`` end the sentence, not the URL."""
    while url and (
        url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))
    ):
        url = url[:-1]
    return url


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


def _waiver_table(statuses: Iterable[WaiverStatus], title: str = "") -> str:
    """Id, scope, state, until, days left, what it covers, who, why, and what to do."""
    lines = [f"**{title}**", ""] if title else []
    lines.append("| Waiver | Scope | State | Until | Days left | Covers | By | Reason | Note |")
    lines.append("|--------|-------|-------|-------|-----------|--------|----|--------|------|")
    for s in statuses:
        w = s.waiver
        covers = f"{s.covered_count}" + (f": {', '.join(s.covered)}" if s.covered else "")
        cells = [w.id, s.scope, s.health.value, w.until.isoformat(), str(s.days_left), covers]
        lines.append(_table_row([*cells, w.by, w.reason, s.note]))
    return "\n".join(lines)


def _waivers_and_attestations(verdict: Verdict) -> str:
    lines = ["## Waivers and Attestations"]
    if verdict.waivers:
        lines += ["", _waiver_table(verdict.waivers)]
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
