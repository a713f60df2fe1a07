"""Linked items and parents: their outcome is the combined outcome of what they depend on.

A checklist item linked to checks (``<!-- readiness: PG-SSL -->`` or the profile mapping) is
met when every run of those checks, on every target, is met; a parent item when all its
sub-items are. This is decided on the controller (or the single process) at the end of the
run, before the policy: each dependent item's call report is replaced by one carrying the
combined outcome, with the checks' evidence.

NOTE for the session code: this reads ``ReadinessSession.specs``, ``.reports``,
``.evidence.records`` and ``.profile``. A hook called in ``_decide`` before ``evaluate`` that
lets plugins replace raw results (``pytest_readiness_raw_results(raw, specs, config)``) would
make this independent of those attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from pytest_readiness.model import ItemSpec, Outcome
from pytest_readiness.outcomes import reduce_reports
from pytest_readiness.policy import evaluate

MAX_LISTED = 3


@dataclass(frozen=True)
class Part:
    """One thing a dependent item depends on, as the policy judged it."""

    label: str
    outcome: Outcome | None  # None: not in this run (deselected or never collected)
    message: str
    evidence: tuple[dict[str, Any], ...] = ()


def combine(parts: Iterable[Part]) -> tuple[str, str]:
    """(pytest outcome for the call report, message): met only when every part is met."""
    parts = list(parts)
    if not parts:
        return "failed", "linked to nothing in this run"
    missing = [p for p in parts if p.outcome is None]
    unmet = [
        p for p in parts if p.outcome is not None and p.outcome.applicable and not p.outcome.met
    ]
    if missing or unmet:
        notes = [f"{p.label} not in this run (deselected?)" for p in missing]
        notes += [f"{p.label} {p.outcome}: {p.message}".rstrip(": ") for p in unmet]
        more = len(notes) - MAX_LISTED
        text = "; ".join(notes[:MAX_LISTED]) + (f"; and {more} more" if more > 0 else "")
        return "failed", f"not met: {text}"
    applicable = [p for p in parts if p.outcome is not None and p.outcome.applicable]
    if not applicable:
        return "skipped", "every linked check was skipped as not applicable"
    return "passed", f"met: {', '.join(p.label for p in applicable[:MAX_LISTED])}" + (
        f" and {len(applicable) - MAX_LISTED} more" if len(applicable) > MAX_LISTED else ""
    )


class Resolver:
    """Works out dependent items bottom-up over a finished session's reports."""

    def __init__(self, session: Any, graph: Mapping[str, Mapping[str, Any]], today: date) -> None:
        self.session = session
        self.graph = graph
        self.today = today
        self.specs: dict[str, ItemSpec] = dict(session.specs)
        self.by_id: dict[str, list[str]] = {}
        for nodeid, spec in self.specs.items():
            for key in {spec.id, spec.base_id}:
                self.by_id.setdefault(key, []).append(nodeid)
        # nodeid -> phase -> report: the session's own, so a rewritten report is what it decides
        self.phases: dict[str, dict[str, Any]] = session.reports
        self.done: dict[str, Part] = {}
        self.active: set[str] = set()

    def resolve_all(self) -> None:
        for nodeid in self.graph:
            if nodeid in self.specs:
                self.part(nodeid, nodeid)

    def part(self, nodeid: str, label: str) -> Part:
        if nodeid in self.done:
            return self.done[nodeid]
        spec = self.specs.get(nodeid)
        if spec is None or nodeid not in self.phases:
            return Part(label, None, "")
        if nodeid in self.graph:
            if nodeid in self.active:
                return Part(label, Outcome.ERROR, "links form a loop")
            self.active.add(nodeid)
            self._rewrite(nodeid)
            self.active.discard(nodeid)
        evidence = self._evidence(nodeid)
        raw = reduce_reports(self.phases[nodeid], list(evidence))
        profile = self.session.profile
        result = evaluate(
            [spec],
            {nodeid: raw},
            profile.policy,
            waivers=profile.waivers,
            attestations=profile.attestations,
            today=self.today,
        ).items[0]
        part = Part(label, result.outcome, result.message, evidence)
        self.done[nodeid] = part
        return part

    def _rewrite(self, nodeid: str) -> None:
        node = self.graph[nodeid]
        parts: list[Part] = []
        for check in node.get("links", ()):
            targets = [n for n in self.by_id.get(check, []) if n != nodeid]
            if not targets:
                parts.append(Part(check, None, ""))
            for target in targets:
                parts.append(self.part(target, self.specs[target].id))
        for child in node.get("children", ()):
            parts.append(self.part(child, child.rsplit("::", 1)[-1]))
        outcome, message = combine(parts)
        call = self.phases[nodeid].get("call")
        if call is None:  # setup failed or it never ran: leave it to the policy
            return
        longrepr: Any = message
        if outcome == "skipped":
            longrepr = (str(call.location[0]), call.location[1], message)
        elif outcome == "passed":
            longrepr = None
        report = pytest.TestReport(
            nodeid=nodeid,
            location=call.location,
            keywords=dict(call.keywords),
            outcome=outcome,  # type: ignore[arg-type]
            longrepr=longrepr,
            when="call",
            duration=sum(getattr(r, "duration", 0.0) or 0.0 for r in self.phases[nodeid].values()),
        )
        self.phases[nodeid]["call"] = report
        records = [
            dict(r, details={**(r.get("details") or {}), "check": p.label})
            for p in parts
            for r in p.evidence
        ]
        if records:
            self.session.evidence.records[nodeid] = records

    def _evidence(self, nodeid: str) -> tuple[dict[str, Any], ...]:
        records = self.session.evidence.records.get(nodeid)
        if records is None and "teardown" in self.phases.get(nodeid, {}):
            records = getattr(self.phases[nodeid]["teardown"], "readiness_evidence", None)
        return tuple(records or ())
