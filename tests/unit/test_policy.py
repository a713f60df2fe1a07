"""The decision rules of DESIGN.md section 2, one table row per rule. Pure: no pytest run inside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from pytest_readiness.model import (
    Attestation,
    AttestationState,
    Decision,
    EvidenceRecord,
    ItemSpec,
    Outcome,
    RawOutcome,
    RawResult,
    Scope,
    Severity,
    Verdict,
    Waiver,
    WaiverHealth,
    WaiverState,
)
from pytest_readiness.policy import (
    Policy,
    RunState,
    evaluate,
    exit_status,
    item_outcome,
    unmatched_waivers,
)

TODAY = date(2026, 11, 23)
C, I, N = Severity.CRITICAL, Severity.IMPORTANT, Severity.NICE_TO_HAVE
WEIGHT = {C: 5.0, I: 3.0, N: 1.0}
P, F, E, S = RawOutcome.PASSED, RawOutcome.FAILED, RawOutcome.ERROR, RawOutcome.SKIPPED


def spec(
    n: int,
    severity: Severity,
    section: str = "ops",
    *,
    manual: bool = False,
    weight: float | None = None,
) -> ItemSpec:
    return ItemSpec(
        id=f"X-{n}",
        nodeid=f"test_x.py::test_{n}",
        title=f"item {n}",
        severity=severity,
        section=section,
        weight=WEIGHT[severity] if weight is None else weight,
        manual=manual,
    )


def run(
    items: Sequence[tuple[Severity, RawOutcome | None]],
    raw_messages: Sequence[str] = (),
    **kwargs: Any,
) -> Verdict:
    specs = [spec(n, sev) for n, (sev, _) in enumerate(items)]
    messages = list(raw_messages) + [""] * len(items)
    raw = {
        s.nodeid: RawResult(out, messages[n])
        for n, (s, (_, out)) in enumerate(zip(specs, items, strict=True))
        if out is not None
    }
    return evaluate(specs, raw, kwargs.pop("policy", Policy()), today=TODAY, **kwargs)


DECISIONS = [
    # (name, items, expected decision)
    ("all met is GO", [(C, P), (I, P), (N, P)], Decision.GO),
    ("critical failed is NO-GO", [(C, F), (I, P)], Decision.NO_GO),
    ("critical error is NO-GO", [(C, E), (I, P)], Decision.NO_GO),
    ("critical xfail is NO-GO", [(C, RawOutcome.XFAILED), (I, P)], Decision.NO_GO),
    ("critical xpass is NO-GO", [(C, RawOutcome.XPASSED), (I, P)], Decision.NO_GO),
    ("critical crashed is NO-GO", [(C, RawOutcome.CRASHED), (I, P)], Decision.NO_GO),
    ("9 of 10 important is GO", [(C, P)] + [(I, P)] * 9 + [(I, F)], Decision.GO),
    ("8 of 10 important is DELAY", [(C, P)] + [(I, P)] * 8 + [(I, F)] * 2, Decision.DELAY),
    ("important error counts as not met", [(C, P)] + [(I, P)] * 8 + [(I, E)] * 2, Decision.DELAY),
    ("nice-to-have failures never block", [(C, P), (I, P), (N, F), (N, E)], Decision.GO),
    ("critical skipped without N/A is not evaluated", [(C, S), (C, P), (I, P)], Decision.NO_GO),
    ("everything skipped is NO DATA", [(I, S), (I, S)], Decision.NO_DATA),
    ("nothing selected is NO DATA", [], Decision.NO_DATA),
    ("critical only, no important: GO", [(C, P)], Decision.GO),
    ("a selected item that never ran is INCOMPLETE", [(C, P), (I, None)], Decision.INCOMPLETE),
]


@pytest.mark.parametrize(
    ("items", "expected"), [(i, d) for _, i, d in DECISIONS], ids=[n for n, _, _ in DECISIONS]
)
def test_decision_rules(items, expected) -> None:  # type: ignore[no-untyped-def]
    assert run(items).decision is expected


def test_interrupted_run_is_incomplete_even_if_everything_passed() -> None:
    verdict = run([(C, P), (I, P)], run_state=RunState(interrupted="stopping after 1 failures"))
    assert verdict.decision is Decision.INCOMPLETE
    assert "stopping after 1 failures" in verdict.reasons[0]


def test_crashed_worker_is_no_go_even_for_a_nice_to_have_item() -> None:
    verdict = run(
        [(C, P), (N, RawOutcome.CRASHED)], run_state=RunState(crashed_workers=("gw0: died",))
    )
    assert verdict.decision is Decision.NO_GO
    assert verdict.items[1].outcome is Outcome.ERROR


def test_items_not_run_after_a_crash_are_errors() -> None:
    verdict = run([(C, P), (I, None)], run_state=RunState(crashed_workers=("gw1: died",)))
    assert verdict.decision is Decision.NO_GO
    assert verdict.items[1].outcome is Outcome.ERROR
    assert "crashed" in verdict.items[1].message


SCORES = [
    ("all met", [(C, P), (I, P), (N, P)], 100),
    ("nothing met", [(C, F), (I, F)], 0),
    # 5 + 3 met of 5 + 3 + 1: floor(800/9) = 88
    ("weighted", [(C, P), (I, P), (N, F)], 88),
    ("skipped not counted", [(C, P), (I, S)], 100),
    # 99.9% must not round up to 100: 100 is reserved for everything met
    ("never rounds up to 100", [(I, P)] * 999 + [(I, F)], 99),
    ("nothing applicable", [(C, S)], 0),
]


@pytest.mark.parametrize(
    ("items", "expected"), [(i, s) for _, i, s in SCORES], ids=[n for n, _, _ in SCORES]
)
def test_score(items, expected) -> None:  # type: ignore[no-untyped-def]
    assert run(items).score == expected


def test_item_weight_overrides_severity_weight() -> None:
    specs = [spec(0, I, weight=9.0), spec(1, I, weight=1.0)]
    raw = {specs[0].nodeid: RawResult(P), specs[1].nodeid: RawResult(F)}
    verdict = evaluate(specs, raw, Policy(), today=TODAY)
    assert verdict.totals[I].weight_met == 9.0
    assert verdict.decision is Decision.GO  # 9/10 weighted = 90%


def test_threshold_is_configurable() -> None:
    items = [(C, P)] + [(I, P)] * 8 + [(I, F)] * 2
    assert run(items, policy=Policy(important_min_percent=80)).decision is Decision.GO
    assert run(items, policy=Policy(important_min_percent=81)).decision is Decision.DELAY


def test_completion_by_section() -> None:
    specs = [spec(0, C, "data"), spec(1, I, "data"), spec(2, N, "docs"), spec(3, I, "docs")]
    outcomes = [P, F, P, S]
    raw = {s.nodeid: RawResult(o) for s, o in zip(specs, outcomes, strict=True)}
    verdict = evaluate(specs, raw, Policy(), today=TODAY)
    rows = {row.section: row for row in verdict.sections}
    assert [row.section for row in verdict.sections] == ["data", "docs"]  # first-seen order
    assert rows["data"].completion.percent == pytest.approx(62.5)  # 5 of 8
    assert (rows["data"].cells[C].met, rows["data"].cells[C].total) == (1, 1)
    assert (rows["docs"].completion.met, rows["docs"].completion.total) == (
        1,
        1,
    )  # skipped not counted


# -- waivers -----------------------------------------------------------------------------------


def waived_run(outcome: RawOutcome, until: date, pattern: str = "X-0") -> Verdict:
    waiver = Waiver(pattern, "vendor fix due", "alice", until, covers_critical=True)
    return run([(C, outcome), (I, P)], waivers=[waiver])


def test_unexpired_waiver_turns_a_critical_failure_into_waived_and_met() -> None:
    verdict = waived_run(F, date(2026, 12, 31))
    assert verdict.items[0].outcome is Outcome.WAIVED
    assert verdict.decision is Decision.GO
    assert verdict.waivers[0].state is WaiverState.APPLIED
    assert "alice" in verdict.items[0].message


def test_waiver_is_valid_through_its_last_day() -> None:
    assert waived_run(F, TODAY).items[0].outcome is Outcome.WAIVED


def test_expired_waiver_is_ignored_and_reported() -> None:
    verdict = waived_run(F, date(2026, 11, 22))
    assert verdict.items[0].outcome is Outcome.FAILED
    assert verdict.decision is Decision.NO_GO
    assert verdict.waivers[0].state is WaiverState.EXPIRED
    assert "expired" in verdict.items[0].message


def test_waiver_on_a_passing_item_is_stale() -> None:
    verdict = waived_run(P, date(2026, 12, 31))
    assert verdict.items[0].outcome is Outcome.PASSED
    assert verdict.waivers[0].state is WaiverState.STALE


def test_waiver_does_not_cover_an_error() -> None:
    verdict = waived_run(E, date(2026, 12, 31))
    assert verdict.items[0].outcome is Outcome.ERROR
    assert verdict.decision is Decision.NO_GO
    assert verdict.waivers[0].state is WaiverState.UNUSED


def test_waiver_matching_nothing_is_unused() -> None:
    verdict = waived_run(F, date(2026, 12, 31), pattern="NOPE-1")
    assert verdict.waivers[0].state is WaiverState.UNUSED


@pytest.mark.parametrize(
    ("raw", "until", "health", "days_left"),
    [
        (F, date(2026, 12, 31), WaiverHealth.ACTIVE, 38),
        (F, date(2026, 12, 7), WaiverHealth.EXPIRING, 14),  # 14 days or fewer: expiring
        (F, TODAY, WaiverHealth.EXPIRING, 0),
        (F, date(2026, 11, 20), WaiverHealth.EXPIRED, -3),
        (P, date(2026, 12, 31), WaiverHealth.ACTIVE, 38),  # stale, but it names a real item
    ],
)
def test_waiver_health_and_days_left(
    raw: RawOutcome, until: date, health: WaiverHealth, days_left: int
) -> None:
    status = waived_run(raw, until).waivers[0]
    assert (status.health, status.days_left) == (health, days_left)


def test_waiver_naming_no_item_is_unmatched_and_says_so() -> None:
    status = waived_run(F, date(2026, 12, 31), pattern="NOPE-1").waivers[0]
    assert status.health is WaiverHealth.UNMATCHED
    assert status.covered_count == 0
    assert "typo" in status.note


def test_waiver_covered_lists_the_items_it_waived() -> None:
    status = waived_run(F, date(2026, 12, 31), pattern="X-*").waivers[0]
    assert status.covered == ("X-0",)  # X-1 passed: named, not covered
    assert status.scope == "item"


def test_unmatched_waivers_before_the_run() -> None:
    specs = [spec(0, C), spec(1, I)]
    waivers = [
        Waiver("X-1", "r", "a", TODAY),
        Waiver("X-*", "r", "a", TODAY),
        Waiver("X-9", "r", "a", TODAY),
        Waiver("test_x.py::test_0", "r", "a", TODAY),
    ]
    assert [w.id for w in unmatched_waivers(waivers, specs)] == ["X-9"]


def object_run(details: dict[str, Any], waiver: Waiver) -> Verdict:
    specs = [spec(0, C)]
    record = EvidenceRecord("finding", "writable", "read-only", details)
    raw = {specs[0].nodeid: RawResult(P, evidence=(record,))}
    return evaluate(specs, raw, Policy(), waivers=[waiver], today=TODAY)


def test_object_waiver_covers_the_findings_its_check_marked_and_never_the_item() -> None:
    waiver = Waiver("X-0", "vendor", "bob", date(2026, 12, 31), object="shop/Deployment/api")
    marked = {"object": "shop/Deployment/api", "container": "web", "profile_waiver": waiver.scope}
    status = object_run(marked, waiver).waivers[0]
    assert status.covered == ("X-0: shop/Deployment/api/container:web",)
    assert (status.state, status.health) == (WaiverState.APPLIED, WaiverHealth.ACTIVE)
    failed = evaluate(
        [spec(0, C)],
        {"test_x.py::test_0": RawResult(F)},
        Policy(),
        waivers=[waiver],
        today=TODAY,
    )
    assert failed.items[0].outcome is Outcome.FAILED  # an object waiver never waives the item


def test_object_waiver_that_covered_no_finding_is_unmatched() -> None:
    waiver = Waiver("X-0", "vendor", "bob", date(2026, 12, 31), object="shop/Deployment/gone")
    status = object_run({"object": "shop/Deployment/api"}, waiver).waivers[0]
    assert status.health is WaiverHealth.UNMATCHED
    assert "object" in status.note


def test_object_scope_matching() -> None:
    waiver = Waiver("K-1", "r", "a", TODAY, object="shop/Deployment/*", container="side*")
    assert waiver.scope == "shop/Deployment/*/container:side*"
    assert waiver.covers_object("shop/Deployment/api", "sidecar")
    assert not waiver.covers_object("shop/Deployment/api", "web")
    assert not waiver.covers_object("shop/Deployment/api", None)
    assert not waiver.covers_object("other/Deployment/api", "sidecar")


@pytest.mark.parametrize(
    ("raw", "manual", "waived", "outcome"),
    [
        (RawResult(P), False, False, Outcome.PASSED),
        (RawResult(F, "boom"), False, True, Outcome.WAIVED),
        (RawResult(F, "boom"), False, False, Outcome.FAILED),
        (RawResult(RawOutcome.XFAILED, "later"), False, False, Outcome.FAILED),
        (RawResult(P), True, False, Outcome.PENDING),
        (RawResult(S, "no target"), False, False, Outcome.ERROR),  # critical: not evaluated
        (RawResult(S, "N/A: none here"), False, False, Outcome.SKIPPED),
    ],
)
def test_item_outcome_follows_the_rules_of_evaluate(
    raw: RawResult, manual: bool, waived: bool, outcome: Outcome
) -> None:
    """What pytest's per-test views show is the outcome the verdict gives the item."""
    item = replace(spec(0, C), manual=manual)
    waivers = [Waiver("X-0", "vendor fix due", "alice", date(2026, 12, 31))] if waived else []
    result, waiver = item_outcome(item, raw, waivers=waivers, today=TODAY)
    whole = evaluate([item], {item.nodeid: raw}, Policy(), waivers=waivers, today=TODAY)
    assert result.outcome is outcome is whole.items[0].outcome
    assert (waiver is not None) == waived


def test_waiver_glob_and_nodeid_match() -> None:
    assert waived_run(F, date(2026, 12, 31), pattern="X-*").items[0].outcome is Outcome.WAIVED
    assert (
        waived_run(F, date(2026, 12, 31), pattern="test_x.py::test_0").items[0].outcome
        is Outcome.WAIVED
    )


# -- attestations -------------------------------------------------------------------------------


def manual_run(attestations: list[Attestation], severity: Severity = C):  # type: ignore[no-untyped-def]
    specs = [spec(0, severity, manual=True)]
    return evaluate(
        specs, {specs[0].nodeid: RawResult(P)}, Policy(), attestations=attestations, today=TODAY
    )


def test_manual_item_without_attestation_is_pending_and_blocks() -> None:
    verdict = manual_run([])
    assert verdict.items[0].outcome is Outcome.PENDING
    assert verdict.decision is Decision.NO_GO


def test_valid_attestation_attests() -> None:
    verdict = manual_run([Attestation("X-0", "bob", date(2026, 11, 1), 30, "https://wiki/oncall")])
    assert verdict.items[0].outcome is Outcome.ATTESTED
    assert verdict.decision is Decision.GO
    assert verdict.attestations[0].state is AttestationState.VALID


def test_expired_attestation_leaves_the_item_pending() -> None:
    verdict = manual_run([Attestation("X-0", "bob", date(2026, 1, 1), 30)])
    assert verdict.items[0].outcome is Outcome.PENDING
    assert verdict.attestations[0].state is AttestationState.EXPIRED
    assert "expired" in verdict.items[0].message


def test_attestation_dated_in_the_future_is_not_valid() -> None:
    verdict = manual_run([Attestation("X-0", "bob", date(2027, 1, 1), 30)])
    assert verdict.items[0].outcome is Outcome.PENDING
    assert verdict.attestations[0].state is AttestationState.FUTURE


def test_attestation_cannot_make_an_automated_check_pass() -> None:
    verdict = run([(C, F)], attestations=[Attestation("X-0", "bob", date(2026, 11, 1), 30)])
    assert verdict.items[0].outcome is Outcome.FAILED
    assert verdict.attestations[0].state is AttestationState.UNUSED


def test_manual_item_whose_body_fails_stays_failed() -> None:
    specs = [spec(0, C, manual=True)]
    verdict = evaluate(
        specs,
        {specs[0].nodeid: RawResult(F, "broken")},
        Policy(),
        attestations=[Attestation("X-0", "bob", date(2026, 11, 1), 30)],
        today=TODAY,
    )
    assert verdict.items[0].outcome is Outcome.FAILED


# -- exit status ----------------------------------------------------------------------------------

EXITS = [
    (Decision.GO, 0, Policy(), 0),
    (Decision.GO, 1, Policy(), 0),  # a nice-to-have failed: pytest says 1, GO lowers it
    (Decision.NO_GO, 0, Policy(), 1),
    (Decision.NO_GO, 1, Policy(), 1),
    (Decision.DELAY, 1, Policy(), 1),
    (Decision.DELAY, 1, Policy(delay_exit_zero=True), 0),
    (Decision.NO_DATA, 0, Policy(), 1),
    (Decision.NO_DATA, 5, Policy(), 5),
    (Decision.INCOMPLETE, 2, Policy(), 2),  # pytest's 2-6 are never lowered
    (Decision.GO, 2, Policy(), 2),
    (Decision.GO, 3, Policy(), 3),
    (Decision.GO, 6, Policy(), 6),
]


def verdict_of(decision: Decision, critical_left_out: int = 0) -> Verdict:
    scope = Scope(selected=1, total=1 + critical_left_out, critical_left_out=critical_left_out)
    return replace(run([(Severity.CRITICAL, RawOutcome.PASSED)]), decision=decision, scope=scope)


@pytest.mark.parametrize(("decision", "pytest_status", "policy", "expected"), EXITS)
def test_exit_status(decision: Decision, pytest_status: int, policy: Policy, expected: int) -> None:
    assert exit_status(verdict_of(decision), pytest_status, policy) == expected


@pytest.mark.parametrize(
    ("left_out", "reports_failed", "expected"), [(0, False, 0), (3, False, 1), (0, True, 4)]
)
def test_go_exits_zero_only_for_a_release_decision_with_its_reports(
    left_out: int, reports_failed: bool, expected: int
) -> None:
    verdict = verdict_of(Decision.GO, critical_left_out=left_out)
    assert exit_status(verdict, 0, Policy(), reports_failed=reports_failed) == expected


def test_a_selection_leaving_critical_items_out_says_so_in_the_headline() -> None:
    scope = Scope(selected=4, total=9, narrowed_by=("-m 'not critical'",), critical_left_out=5)
    verdict = run([(Severity.IMPORTANT, RawOutcome.PASSED)], scope=scope)
    assert verdict.headline().endswith(
        "-m 'not critical', 4 of 9 items, 5 critical items not evaluated"
    )
    assert "5 critical items of the suite were not selected" in verdict.reasons[-1]


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("N/A: no replica in this environment", Outcome.SKIPPED),
        ("n/a: lower case counts too", Outcome.SKIPPED),
        ("could not import 'psycopg'", Outcome.ERROR),
        ("", Outcome.ERROR),
    ],
)
def test_a_critical_item_leaves_the_count_only_by_an_explicit_na(
    reason: str, outcome: Outcome
) -> None:
    verdict = run(
        [(Severity.CRITICAL, RawOutcome.SKIPPED), (Severity.CRITICAL, RawOutcome.PASSED)],
        raw_messages=[reason, ""],
    )
    assert verdict.items[0].outcome is outcome
    assert verdict.decision is (Decision.GO if outcome is Outcome.SKIPPED else Decision.NO_GO)


def test_an_important_item_skipped_without_na_is_still_not_applicable() -> None:
    verdict = run(
        [(Severity.IMPORTANT, RawOutcome.SKIPPED), (Severity.CRITICAL, RawOutcome.PASSED)]
    )
    assert verdict.items[0].outcome is Outcome.SKIPPED


def test_a_module_skipped_at_collection_blocks_go() -> None:
    verdict = run(
        [(Severity.CRITICAL, RawOutcome.PASSED)],
        run_state=RunState(skipped_modules=("test_db.py: could not import 'psycopg'",)),
    )
    assert verdict.decision is Decision.NO_GO
    assert "test_db.py" in verdict.reasons[0]


@pytest.mark.parametrize(("covers", "outcome"), [(False, Outcome.FAILED), (True, Outcome.WAIVED)])
def test_a_wildcard_waiver_covers_critical_items_only_when_it_says_so(
    covers: bool, outcome: Outcome
) -> None:
    waiver = Waiver("*", "known", "alice", date(2099, 1, 1), covers_critical=covers)
    verdict = run(
        [(Severity.CRITICAL, RawOutcome.FAILED), (Severity.IMPORTANT, RawOutcome.FAILED)],
        waivers=[waiver],
    )
    assert verdict.items[0].outcome is outcome
    assert verdict.items[1].outcome is Outcome.WAIVED
    assert verdict.waivers[0].items == tuple(
        i.spec.id for i in verdict.items if i.outcome is Outcome.WAIVED
    )


@pytest.mark.parametrize(
    ("scope", "text"),
    [
        (Scope(selected=1, total=1), "full, 1 item"),
        (Scope(selected=12, total=12), "full, 12 items"),
        (Scope(selected=1, total=1, narrowed_by=("-k 'x'",)), "-k 'x', 1 of 1 item"),
        (Scope(selected=2, total=9, narrowed_by=("critical only",)), "critical only, 2 of 9 items"),
    ],
)
def test_scope_counts_items_in_plain_english(scope: Scope, text: str) -> None:
    assert scope.describe() == text
