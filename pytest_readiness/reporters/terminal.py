"""The terminal summary: section x severity matrix, what is not met and why, the decision line.

Pure: returns lines with pytest markup names; the plugin prints them through the terminal
reporter, which applies --color, NO_COLOR and friends. Verbosity: -qq only the decision,
-q adds what is not met, default adds the matrix, waivers and attestations, -v lists every item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_readiness.model import SEVERITIES, Decision, ItemResult, Outcome, Verdict

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
        lines.extend(_waivers(verdict))
        lines.extend(_attestations(verdict))
    if verbosity >= -1:
        lines.extend(_baseline(verdict, limit=None if verbosity >= 1 else 10))
    if verbosity >= 0 and verdict.decision is not Decision.GO and verdict.reasons:
        lines.append(Line("why: " + "; ".join(_first(verdict.reasons, 5))))
    lines.append(
        Line(f"readiness decision: {verdict.headline()}", DECISION_MARKUP[verdict.decision])
    )
    return lines


def _matrix(verdict: Verdict) -> list[Line]:
    if not verdict.sections:
        return []
    width = max(12, *(len(row.section) for row in verdict.sections)) + 2
    header = "section".ljust(width) + "".join(s.value.ljust(14) for s in SEVERITIES) + "completion"
    lines = [Line(header, {"bold": True})]
    for row in verdict.sections:
        cells = "".join(row.cells[s].fraction.ljust(14) for s in SEVERITIES)
        lines.append(Line(row.section.ljust(width) + cells + row.completion.percent_label))
    totals = "".join(verdict.totals[s].fraction.ljust(14) for s in SEVERITIES)
    lines.append(Line("all".ljust(width) + totals + f"score {verdict.score}/100", {"bold": True}))
    return lines


def _items(verdict: Verdict, everything: bool) -> list[Line]:
    shown = [i for i in verdict.items if everything or _needs_attention(i)]
    if not shown:
        return []
    lines = [Line("items" if everything else "not met", sep="-")]
    for item in shown:
        spec = item.spec
        head = f"{item.outcome.value.upper():<9}{spec.severity.value:<13}{spec.id}"
        if spec.title and spec.title != spec.id:
            head += f"  {spec.title}"
        lines.append(Line(head, OUTCOME_MARKUP[item.outcome]))
        if item.outcome is Outcome.PASSED and not everything:
            continue
        if item.message:
            lines.append(Line(f"    {item.message}"))
        for record in item.evidence:
            lines.append(Line(f"    evidence: {_shorten(record.summary())}"))
        if spec.remediation and not item.outcome.met:
            lines.append(Line(f"    remediation: {spec.remediation}"))
        if spec.docs and not item.outcome.met:
            lines.append(Line(f"    docs: {spec.docs}"))
    return lines


def _needs_attention(item: ItemResult) -> bool:
    return item.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.PENDING, Outcome.WAIVED)


def _waivers(verdict: Verdict) -> list[Line]:
    if not verdict.waivers:
        return []
    lines = [Line("waivers", sep="-")]
    for status in verdict.waivers:
        w = status.waiver
        text = f"{status.state.value:<8} {w.id} until {w.until.isoformat()} by {w.by}: {w.reason}"
        hint = {
            "stale": " (its items passed: remove the waiver)",
            "expired": " (ignored)",
            "unused": " (matched no failing item in this run)",
        }.get(status.state.value, "")
        lines.append(Line(text + hint, {"yellow": True} if status.state.value != "applied" else {}))
    return lines


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
            shown = list(ids) if limit is None else _first(ids, limit)
            lines.append(Line(f"{label} ({len(ids)}): " + ", ".join(shown), markup))
    return lines


def _shorten(text: str, limit: int = 200) -> str:
    """The terminal shows the gist; JSON and HTML keep the whole evidence."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first(reasons: tuple[str, ...], limit: int) -> list[str]:
    if len(reasons) <= limit:
        return list(reasons)
    return [*reasons[:limit], f"and {len(reasons) - limit} more"]
