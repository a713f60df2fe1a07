"""The terminal summary: section x severity matrix, what is not met and why, the decision line.

Pure: returns lines with pytest markup names; the plugin prints them through the terminal
reporter, which applies --color, NO_COLOR and friends. Verbosity: -qq only the decision,
-q adds what is not met, default adds the matrix, waivers and attestations, -v lists every item.
No text reaches the terminal raw: every line is one line with control characters written as
visible escapes, and messages and evidence are cut (:mod:`pytest_readiness.text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_readiness.model import (
    SEVERITIES,
    Decision,
    ItemResult,
    Outcome,
    Verdict,
    WaiverHealth,
    WaiverStatus,
)
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, printable, shown

DECISION_MARKUP: dict[Decision, dict[str, bool]] = {
    Decision.GO: {"green": True, "bold": True},
    Decision.NO_GO: {"red": True, "bold": True},
    Decision.DELAY: {"yellow": True, "bold": True},
    Decision.NO_DATA: {"red": True, "bold": True},
    Decision.INCOMPLETE: {"red": True, "bold": True},
}
OUTCOME_MARKUP: dict[Outcome, dict[str, bool]] = {
    Outcome.PASSED: {"green": True},
    Outcome.ATTESTED: {"green": True},
    Outcome.WAIVED: {"yellow": True},
    Outcome.FAILED: {"red": True},
    Outcome.ERROR: {"red": True},
    Outcome.PENDING: {"yellow": True},
    Outcome.SKIPPED: {},
}

WAIVER_MARKUP: dict[WaiverHealth, dict[str, bool]] = {
    WaiverHealth.ACTIVE: {},
    WaiverHealth.EXPIRING: {"yellow": True},
    WaiverHealth.EXPIRED: {"red": True},
    WaiverHealth.UNMATCHED: {"yellow": True},
}


@dataclass(frozen=True)
class Line:
    text: str
    markup: dict[str, bool] = field(default_factory=dict)
    sep: str = ""  # a separator character makes this a ``write_sep`` title


def render(verdict: Verdict, verbosity: int = 0) -> list[Line]:
    lines: list[Line] = []
    if verbosity >= -1:
        lines.append(Line(f"readiness [{verdict.run.profile}]", sep="="))
    if verbosity >= 0:
        lines.extend(_matrix(verdict))
    if verbosity >= -1:
        lines.extend(_items(verdict, everything=verbosity >= 1))
    if verbosity >= 0:
        lines.extend(_waivers(verdict, verdict.waivers))
        lines.extend(_attestations(verdict))
    elif verbosity == -1:  # -q: only the waivers someone must act on
        lines.extend(_waivers(verdict, [s for s in verdict.waivers if s.health in _ACT_ON]))
    if verbosity >= -1:
        lines.extend(_baseline(verdict, limit=None if verbosity >= 1 else 10))
    if verbosity >= 0 and verdict.decision is not Decision.GO and verdict.reasons:
        reasons = [shown(reason, MESSAGE_LIMIT) for reason in verdict.reasons]
        lines.append(Line("why: " + "; ".join(_first(tuple(reasons), 5))))
    lines.append(
        Line(f"readiness decision: {verdict.headline()}", DECISION_MARKUP[verdict.decision])
    )
    # Fields were made printable where they were cut or aligned; this pass catches the rest.
    return [_printable(line) for line in lines]


def _printable(line: Line) -> Line:
    text = printable(line.text)
    return line if text is line.text else Line(text, line.markup, line.sep)


def _matrix(verdict: Verdict) -> list[Line]:
    if not verdict.sections:
        return []
    names = [shown(row.section, MESSAGE_LIMIT) for row in verdict.sections]
    width = max(12, *(len(name) for name in names)) + 2
    header = "section".ljust(width) + "".join(s.value.ljust(14) for s in SEVERITIES) + "completion"
    lines = [Line(header, {"bold": True})]
    for name, row in zip(names, verdict.sections, strict=True):
        cells = "".join(row.cells[s].fraction.ljust(14) for s in SEVERITIES)
        lines.append(Line(name.ljust(width) + cells + row.completion.percent_label))
    totals = "".join(verdict.totals[s].fraction.ljust(14) for s in SEVERITIES)
    lines.append(Line("all".ljust(width) + totals + f"score {verdict.score}/100", {"bold": True}))
    return lines


def _items(verdict: Verdict, everything: bool) -> list[Line]:
    listed = [i for i in verdict.items if everything or _needs_attention(i)]
    if not listed:
        return []
    lines = [Line("items" if everything else "not met", sep="-")]
    for item in listed:
        spec = item.spec
        head = f"{item.outcome.value.upper():<9}{spec.severity.value:<13}{shown(spec.id, MESSAGE_LIMIT)}"
        if spec.title and spec.title != spec.id:
            head += f"  {shown(spec.title, MESSAGE_LIMIT)}"
        lines.append(Line(head, OUTCOME_MARKUP[item.outcome]))
        if item.outcome is Outcome.PASSED and not everything:
            continue
        if item.message:
            lines.append(Line(f"    {shown(item.message, MESSAGE_LIMIT)}"))
        for record in item.evidence:
            lines.append(Line(f"    evidence: {shown(record.summary(), EVIDENCE_LIMIT)}"))
        if spec.remediation and not item.outcome.met:
            lines.append(Line(f"    remediation: {shown(spec.remediation, MESSAGE_LIMIT)}"))
        if spec.docs and not item.outcome.met:
            lines.append(Line(f"    docs: {shown(spec.docs, MESSAGE_LIMIT)}"))
    return lines


def _needs_attention(item: ItemResult) -> bool:
    return item.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.PENDING, Outcome.WAIVED)


_ACT_ON = (WaiverHealth.EXPIRED, WaiverHealth.UNMATCHED)


def _waivers(verdict: Verdict, statuses: Sequence[WaiverStatus]) -> list[Line]:
    if not statuses:
        return []
    lines = [Line("waivers", sep="-")]
    for status in statuses:
        lines.append(Line(waiver_line(status), WAIVER_MARKUP[status.health]))
    return lines


def waiver_line(status: WaiverStatus) -> str:
    """``expiring SEC-1 [item] until 2026-12-10 (7 days left), covers 1 (SEC-1), by alice:
    reason - note``, cut to one terminal line's worth."""
    w = status.waiver
    covered = f" ({', '.join(status.covered)})" if status.covered else ""
    text = (
        f"{status.health.value:<9} {w.id} [{status.scope}] until {w.until.isoformat()} "
        f"({_days(status.days_left)}), covers {status.covered_count}{covered}, "
        f"by {w.by}: {w.reason}"
    )
    if status.note:
        text += f" - {status.note}"
    return shown(text, MESSAGE_LIMIT)


def _days(days_left: int) -> str:
    if days_left < 0:
        return f"{-days_left} days ago"
    return f"{days_left} day left" if days_left == 1 else f"{days_left} days left"


def _attestations(verdict: Verdict) -> list[Line]:
    if not verdict.attestations:
        return []
    lines = [Line("attestations", sep="-")]
    for status in verdict.attestations:
        a = status.attestation
        text = f"{status.state.value:<8} {a.id} by {a.by} on {a.on.isoformat()}, valid until {a.expires.isoformat()}"
        lines.append(Line(text, {"yellow": True} if status.state.value != "valid" else {}))
    return lines


def _baseline(verdict: Verdict, limit: int | None) -> list[Line]:
    diff = verdict.baseline
    if diff is None:
        return []
    lines = [Line("baseline", sep="-")]
    lines.append(
        Line(
            f"score {verdict.score}/100, {diff.score_change:+d} since {diff.source} "
            f"({diff.previous_decision}, {diff.previous_score}/100)",
            {"bold": True},
        )
    )
    for label, ids, markup in (
        ("newly failing", diff.newly_failing, {"red": True}),
        ("fixed", diff.fixed, {"green": True}),
        ("added", diff.added, {}),
        ("removed", diff.removed, {}),
    ):
        if ids:
            listed = [
                shown(i, MESSAGE_LIMIT) for i in (ids if limit is None else _first(ids, limit))
            ]
            lines.append(Line(f"{label} ({len(ids)}): " + ", ".join(listed), markup))
    return lines


def _first(reasons: tuple[str, ...], limit: int) -> list[str]:
    if len(reasons) <= limit:
        return list(reasons)
    return [*reasons[:limit], f"and {len(reasons) - limit} more"]
