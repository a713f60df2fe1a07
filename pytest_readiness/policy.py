"""The Go / No-Go policy: a pure function from declared items and raw results to a Verdict.

Rules (DESIGN.md section 2), in the order they are applied:

1. Each item's raw pytest result becomes an outcome. Fail closed: errors, crashes, items that
   never ran, xfail and xpass are not met; ``skipped`` means "not applicable" and is not counted.
2. Manual items are met only by a valid attestation (``attested``), otherwise ``pending``.
3. A failed item covered by an unexpired waiver is ``waived`` (met). Expired waivers are ignored
   and reported; waivers whose items passed are reported as stale, waivers naming no item as
   unmatched. A waiver limited to one object (``object:``) never waives its item: the check
   honours it per finding, and it covers the findings the check marked with its scope.
4. Decision: INCOMPLETE if the run was interrupted; NO-GO if a worker crashed or any critical
   item is not met; NO DATA if nothing applicable was evaluated; DELAY if the weighted share of
   important items met is below the threshold; otherwise GO.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from pytest_readiness.model import (
    EXPIRING_DAYS,
    OBJECT_WAIVER_DETAIL,
    SEVERITIES,
    Attestation,
    AttestationState,
    AttestationStatus,
    Decision,
    ItemResult,
    ItemSpec,
    Outcome,
    RawOutcome,
    RawResult,
    RunInfo,
    Scope,
    SectionRow,
    Severity,
    Tally,
    Verdict,
    Waiver,
    WaiverHealth,
    WaiverState,
    WaiverStatus,
    is_not_applicable,
)

#: Item weights outside 0..MAX_WEIGHT (NaN, infinities) could only make NaN scores.
MAX_WEIGHT = 1_000_000.0
DEFAULT_WEIGHTS: Mapping[Severity, float] = {
    Severity.CRITICAL: 5.0,
    Severity.IMPORTANT: 3.0,
    Severity.NICE_TO_HAVE: 1.0,
}


DEFAULT_MAX_WAIVER_DAYS = 90


@dataclass(frozen=True)
class Policy:
    """The configurable knobs of the decision (``policy:`` in readiness.yaml)."""

    weights: Mapping[Severity, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    important_min_percent: float = 90.0
    default_severity: Severity = Severity.IMPORTANT
    delay_exit_zero: bool = False
    max_waiver_days: int = DEFAULT_MAX_WAIVER_DAYS  # a waiver's `until` at most this far ahead
    strict_waivers: bool = False  # expired or unmatched waivers stop the run (exit 4)


def policy_facts(policy: Policy) -> dict[str, Any]:
    """The policy as JSON values (the result's ``run.policy``): what a merge must find equal."""
    return {
        "weights": {sev.value: float(policy.weights.get(sev, 0.0)) for sev in SEVERITIES},
        "important_min_percent": float(policy.important_min_percent),
        "default_severity": policy.default_severity.value,
        "delay_exit_zero": bool(policy.delay_exit_zero),
    }


def policy_from_facts(facts: Mapping[str, Any]) -> Policy:
    """The inverse of :func:`policy_facts` (for a result checked against the result schema)."""
    weights = facts.get("weights") or {}
    return Policy(
        weights={sev: float(weights.get(sev.value, DEFAULT_WEIGHTS[sev])) for sev in SEVERITIES},
        important_min_percent=float(facts.get("important_min_percent", 90.0)),
        default_severity=Severity(facts.get("default_severity", Severity.IMPORTANT.value)),
        delay_exit_zero=bool(facts.get("delay_exit_zero", False)),
    )


@dataclass(frozen=True)
class RunState:
    """How the run ended, as far as the decision cares."""

    interrupted: str | None = None  # why, e.g. "stopping after 1 failures"
    crashed_workers: tuple[str, ...] = ()  # "gw0: <error>"
    # "<module nodeid>: <reason>" of modules skipped at collection without an explicit N/A:
    # their checks were never evaluated, whatever their severity.
    skipped_modules: tuple[str, ...] = ()


def matches(pattern: str, spec: ItemSpec) -> bool:
    """Does a waiver/attestation/override key name this item (id, base id, nodeid or glob)?"""
    if pattern in (spec.id, spec.base_id, spec.nodeid):
        return True
    if any(ch in pattern for ch in "*?["):
        return fnmatchcase(spec.id, pattern) or fnmatchcase(spec.nodeid, pattern)
    return False


def evaluate(
    specs: Sequence[ItemSpec],
    raw: Mapping[str, RawResult],
    policy: Policy,
    *,
    waivers: Sequence[Waiver] = (),
    attestations: Sequence[Attestation] = (),
    today: date,
    run_state: RunState = RunState(),
    scope: Scope | None = None,
    run: RunInfo | None = None,
) -> Verdict:
    """Decide. ``raw`` is keyed by nodeid; a spec without a raw result never ran."""
    specs = [_usable_weight(spec, policy) for spec in specs]
    crashed = bool(run_state.crashed_workers)
    results = [_base_result(spec, raw.get(spec.nodeid), crashed) for spec in specs]
    results, attestation_states = _apply_attestations(results, attestations, today)
    results, waiver_states = _apply_waivers(results, waivers, today)

    totals, sections, overall = _tallies(results)
    score = (
        0
        if overall.weight_total <= 0
        else math.floor(100 * overall.weight_met / overall.weight_total + 1e-9)
    )

    decision, reasons = _decide(results, totals, policy, run_state)
    scope = scope or Scope(selected=len(specs), total=len(specs))
    if scope.critical_left_out:
        reasons.append(
            f"{scope.critical_left_out} critical items of the suite were not selected: "
            "this run is not a release decision"
        )
    reasons.extend(
        f"critical {r.spec.id} not applicable: {r.message}"
        for r in results
        if r.spec.severity is Severity.CRITICAL and r.outcome is Outcome.SKIPPED
    )
    return Verdict(
        decision=decision,
        score=score,
        reasons=tuple(reasons),
        items=tuple(results),
        sections=tuple(sections),
        totals=totals,
        waivers=tuple(waiver_states),
        attestations=tuple(attestation_states),
        scope=scope,
        run=run or RunInfo(profile=""),
    )


def exit_status(
    verdict: Verdict, pytest_status: int, policy: Policy, reports_failed: bool = False
) -> int:
    """The one rule for the process exit status (the session applies nothing else).

    pytest's 2-6 are never lowered. A report that could not be written is 4: a CI job must not
    pass without its reports. Otherwise 0 only for GO (or DELAY when the policy says so) of a
    selection that left no critical item out (``-m critical`` may pass, ``-m "not critical"``
    is not a release decision), and 1 for everything else, also when pytest itself saw no
    failure (NO DATA, INCOMPLETE).
    """
    decision = verdict.decision
    if pytest_status not in (0, 1):
        return pytest_status
    if reports_failed:
        return 4
    if verdict.scope.critical_left_out:
        return 1
    if decision is Decision.GO:
        return 0
    if decision is Decision.DELAY and policy.delay_exit_zero:
        return 0
    return 1


def item_outcome(
    spec: ItemSpec,
    raw: RawResult,
    *,
    waivers: Sequence[Waiver] = (),
    attestations: Sequence[Attestation] = (),
    today: date,
) -> tuple[ItemResult, Waiver | None]:
    """One item's outcome by the rules of :func:`evaluate`, as soon as its reports are in
    (what pytest's own per-test views show for it), and the waiver that waived it if any."""
    results = [_base_result(spec, raw, crashed=False)]
    results, _ = _apply_attestations(results, attestations, today)
    results, statuses = _apply_waivers(results, waivers, today)
    applied = [
        s.waiver for s in statuses if s.state is WaiverState.APPLIED and s.waiver.object is None
    ]
    return results[0], applied[0] if applied else None


def waiver_problems(waivers: Sequence[Waiver], today: date) -> list[str]:
    """Expired waivers, one line each (``policy.strict_waivers`` stops the run on them)."""
    return [
        f"waiver {w.id!r} ({w.scope}) by {w.by} expired on {w.until.isoformat()}"
        for w in waivers
        if w.until < today
    ]


def unmatched_waivers(waivers: Sequence[Waiver], specs: Sequence[ItemSpec]) -> list[Waiver]:
    """Waivers naming no item of ``specs`` (a renamed id, a typo)."""
    return [w for w in waivers if not any(matches(w.id, spec) for spec in specs)]


_RAW_TO_OUTCOME = {
    RawOutcome.PASSED: Outcome.PASSED,
    RawOutcome.FAILED: Outcome.FAILED,
    RawOutcome.XFAILED: Outcome.FAILED,
    RawOutcome.XPASSED: Outcome.FAILED,
    RawOutcome.ERROR: Outcome.ERROR,
    RawOutcome.SKIPPED: Outcome.SKIPPED,
    RawOutcome.CRASHED: Outcome.ERROR,
    RawOutcome.NOT_RUN: Outcome.ERROR,
}


def _base_result(spec: ItemSpec, raw: RawResult | None, crashed: bool) -> ItemResult:
    if raw is None:
        raw = RawResult(RawOutcome.NOT_RUN)
    message = raw.message
    if raw.outcome is RawOutcome.NOT_RUN and not message:
        message = "not run: a worker crashed before reaching it" if crashed else "not run"
    elif raw.outcome is RawOutcome.CRASHED and not message:
        message = "the worker running this check crashed"
    elif raw.outcome is RawOutcome.XFAILED:
        message = f"expected to fail (xfail), so not met: {message}".rstrip(": ")
    elif raw.outcome is RawOutcome.XPASSED:
        message = message or "passed while marked xfail; remove the xfail marker so it counts"
    outcome = _RAW_TO_OUTCOME[raw.outcome]
    if (
        outcome is Outcome.SKIPPED
        and spec.severity is Severity.CRITICAL
        and not is_not_applicable(message)
    ):
        outcome = Outcome.ERROR
        message = (
            f"not evaluated: skipped ({message or 'no reason given'}); only an explicit "
            "'N/A: <reason>' skip or a kind declared under `absent:` in the profile may take "
            "a critical item out"
        )
    if spec.manual and outcome is Outcome.PASSED:
        outcome, message = Outcome.PENDING, "human item: no attestation in this profile"
    return ItemResult(spec, outcome, message, raw.duration, raw.evidence, raw.outcome)


def _apply_attestations(
    results: list[ItemResult], attestations: Sequence[Attestation], today: date
) -> tuple[list[ItemResult], list[AttestationStatus]]:
    statuses: list[AttestationStatus] = []
    attested: dict[int, Attestation] = {}
    for att in attestations:
        hits = [i for i, r in enumerate(results) if r.spec.manual and matches(att.id, r.spec)]
        names = tuple(results[i].spec.id for i in hits)
        if att.on > today:
            state = AttestationState.FUTURE
        elif att.expires < today:
            state = AttestationState.EXPIRED
        elif not hits:
            state = AttestationState.UNUSED
        else:
            state = AttestationState.VALID
        statuses.append(AttestationStatus(att, state, names))
        for i in hits:
            if results[i].outcome is not Outcome.PENDING:
                continue
            if state is AttestationState.VALID:
                attested.setdefault(i, att)
            elif i not in attested:
                note = (
                    f"attestation by {att.by} expired on {att.expires.isoformat()}"
                    if state is AttestationState.EXPIRED
                    else f"attestation by {att.by} is dated in the future ({att.on.isoformat()})"
                )
                results[i] = _with(results[i], message=f"human item: {note}")
    for i, att in attested.items():
        text = (
            f"attested by {att.by} on {att.on.isoformat()}, valid until {att.expires.isoformat()}"
        )
        if att.evidence:
            text += f" ({att.evidence})"
        results[i] = _with(results[i], outcome=Outcome.ATTESTED, message=text)
    return results, statuses


def _apply_waivers(
    results: list[ItemResult], waivers: Sequence[Waiver], today: date
) -> tuple[list[ItemResult], list[WaiverStatus]]:
    statuses: list[WaiverStatus] = []
    for waiver in waivers:
        hits = [i for i, r in enumerate(results) if matches(waiver.id, r.spec)]
        names = tuple(results[i].spec.id for i in hits)
        days_left = (waiver.until - today).days
        if waiver.until < today:
            statuses.append(
                WaiverStatus(waiver, WaiverState.EXPIRED, names, WaiverHealth.EXPIRED, days_left)
            )
            for i in hits:
                if results[i].outcome is Outcome.FAILED:
                    note = f"waiver by {waiver.by} expired on {waiver.until.isoformat()}"
                    results[i] = _with(results[i], message=f"{results[i].message} ({note})".strip())
            continue
        if waiver.object is not None:
            statuses.append(_object_waiver_status(waiver, [results[i] for i in hits], days_left))
            continue
        if waiver.is_wildcard and not waiver.covers_critical:
            spared = [i for i in hits if results[i].spec.severity is Severity.CRITICAL]
            for i in spared:
                if results[i].outcome is Outcome.FAILED:
                    note = (
                        f"wildcard waiver {waiver.id!r} does not cover critical items "
                        "(set covers_critical: true on the waiver to allow it)"
                    )
                    results[i] = _with(results[i], message=f"{results[i].message} ({note})".strip())
            hits = [i for i in hits if i not in spared]
        applied: list[int] = []
        for i in hits:
            if results[i].outcome is Outcome.FAILED:
                was = results[i].message
                text = f"waived until {waiver.until.isoformat()} by {waiver.by}: {waiver.reason}"
                results[i] = _with(
                    results[i],
                    outcome=Outcome.WAIVED,
                    message=f"{text} (failure: {was})" if was else text,
                )
                applied.append(i)
        covered = tuple(results[i].spec.id for i in applied)
        if applied:  # the items it covered; otherwise the items it names
            names = covered
            state = WaiverState.APPLIED
        elif any(results[i].outcome is Outcome.PASSED for i in hits):
            state = WaiverState.STALE
        else:
            state = WaiverState.UNUSED
        health = _health(days_left) if names else WaiverHealth.UNMATCHED
        statuses.append(WaiverStatus(waiver, state, names, health, days_left, covered))
    return results, statuses


def waived_text(waiver: Waiver) -> str:
    """``waived by alice until 2026-12-31: reason``, what pytest's per-test views show."""
    return f"waived by {waiver.by} until {waiver.until.isoformat()}: {waiver.reason}"


def _object_waiver_status(
    waiver: Waiver, hits: Sequence[ItemResult], days_left: int
) -> WaiverStatus:
    """An object-scoped waiver covers the findings its check marked with its scope."""
    covered: list[str] = []
    for result in hits:
        for record in result.evidence:
            details = record.details
            if details.get(OBJECT_WAIVER_DETAIL) != waiver.scope:
                continue
            where = str(details.get("object", waiver.object))
            if details.get("container"):
                where += f"/container:{details['container']}"
            entry = f"{result.spec.id}: {where}"
            if entry not in covered:
                covered.append(entry)
    names = tuple(covered) or tuple(r.spec.id for r in hits)
    state = WaiverState.APPLIED if covered else WaiverState.UNUSED
    health = _health(days_left) if covered else WaiverHealth.UNMATCHED
    return WaiverStatus(waiver, state, names, health, days_left, tuple(covered))


def _health(days_left: int) -> WaiverHealth:
    return WaiverHealth.EXPIRING if days_left <= EXPIRING_DAYS else WaiverHealth.ACTIVE


def _with(
    result: ItemResult, *, outcome: Outcome | None = None, message: str | None = None
) -> ItemResult:
    return ItemResult(
        result.spec,
        outcome if outcome is not None else result.outcome,
        message if message is not None else result.message,
        result.duration,
        result.evidence,
        result.raw,
    )


def _tallies(
    results: Sequence[ItemResult],
) -> tuple[dict[Severity, Tally], list[SectionRow], Tally]:
    """The severity totals, a row per section (in order of first appearance) and the overall
    tally, in one pass over the results. Each sum adds its items' weights in item order, as
    summing each subset on its own would, so the score is the same to the last bit."""
    # [met, total, weight_met, weight_total] per accumulator
    totals: dict[Severity, list[Any]] = {severity: [0, 0, 0.0, 0.0] for severity in SEVERITIES}
    overall: list[Any] = [0, 0, 0.0, 0.0]
    sections: dict[str, tuple[dict[Severity, list[Any]], list[Any]]] = {}
    for r in results:
        spec = r.spec
        section = sections.get(spec.section)
        if section is None:  # a section of skipped items only still has its row
            section = sections[spec.section] = (
                {severity: [0, 0, 0.0, 0.0] for severity in SEVERITIES},
                [0, 0, 0.0, 0.0],
            )
        outcome = r.outcome
        if not outcome.applicable:  # not counted
            continue
        weight = spec.weight
        met = outcome.met
        for acc in (totals[spec.severity], section[0][spec.severity], section[1], overall):
            acc[1] += 1
            acc[3] += weight
            if met:
                acc[0] += 1
                acc[2] += weight
    return (
        {severity: Tally(*acc) for severity, acc in totals.items()},
        [
            SectionRow(name, {sev: Tally(*acc) for sev, acc in cells.items()}, Tally(*completion))
            for name, (cells, completion) in sections.items()
        ],
        Tally(*overall),
    )


def _decide(
    results: Sequence[ItemResult],
    totals: Mapping[Severity, Tally],
    policy: Policy,
    run_state: RunState,
) -> tuple[Decision, list[str]]:
    if run_state.crashed_workers:
        return Decision.NO_GO, [f"worker crashed: {w}" for w in run_state.crashed_workers]
    if run_state.interrupted:
        return Decision.INCOMPLETE, [f"the run did not finish: {run_state.interrupted}"]
    if run_state.skipped_modules:
        return Decision.NO_GO, [
            f"not evaluated: {module} was skipped at collection (skip it with 'N/A: <reason>' "
            "if it does not apply here)"
            for module in run_state.skipped_modules
        ]
    never_ran = [r for r in results if r.raw is RawOutcome.NOT_RUN]
    if never_ran:
        return Decision.INCOMPLETE, [f"{len(never_ran)} selected items never ran"]
    if not any(r.outcome.applicable for r in results):
        why = (
            "no checklist item was selected"
            if not results
            else "every selected item was skipped as not applicable"
        )
        return Decision.NO_DATA, [why]
    blockers = [
        r
        for r in results
        if r.spec.severity is Severity.CRITICAL and r.outcome.applicable and not r.outcome.met
    ]
    if blockers:
        return Decision.NO_GO, [f"critical {r.spec.id} {r.outcome}" for r in blockers]
    important = totals[Severity.IMPORTANT]
    share = important.percent
    if share is not None and share + 1e-9 < policy.important_min_percent:
        return Decision.DELAY, [
            f"important items met {share:.1f}% (weighted) < {policy.important_min_percent:g}% required"
        ]
    return Decision.GO, ["every critical item met"]


def _usable_weight(spec: ItemSpec, policy: Policy) -> ItemSpec:
    """Markers reject bad weights; one that reaches the API anyway counts as its severity's."""
    if 0 <= spec.weight <= MAX_WEIGHT:  # false for NaN
        return spec
    weight = policy.weights.get(spec.severity, 0.0)
    usable = weight if 0 <= weight <= MAX_WEIGHT else DEFAULT_WEIGHTS[spec.severity]
    return replace(spec, weight=usable)
