"""Properties of the Go / No-Go policy over generated runs (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.model import (
    Decision,
    ItemSpec,
    Outcome,
    RawOutcome,
    RawResult,
    Severity,
    Verdict,
    Waiver,
)
from pytest_readiness.policy import Policy, evaluate

TODAY = date(2026, 12, 3)
#: How good a decision is for shipping; adding a met item may only keep or raise it.
RANK = {
    Decision.INCOMPLETE: 0,
    Decision.NO_GO: 0,
    Decision.NO_DATA: 0,
    Decision.DELAY: 1,
    Decision.GO: 2,
}

raw_outcomes = st.sampled_from(list(RawOutcome))
severities = st.sampled_from(list(Severity))
reasons = st.sampled_from(["", "N/A: not here", "driver missing", "n/a: none"])
items = st.lists(st.tuples(severities, raw_outcomes, reasons, st.booleans()), max_size=12)
policies = st.builds(
    Policy,
    important_min_percent=st.floats(min_value=0, max_value=100, allow_nan=False),
    delay_exit_zero=st.booleans(),
)
waivers = st.lists(
    st.builds(
        Waiver,
        id=st.sampled_from(["*", "X-0", "X-1", "X-?", "test_x.py::test_2"]),
        reason=st.just("known"),
        by=st.just("alice"),
        until=st.sampled_from([date(2026, 1, 1), date(2099, 1, 1)]),
        covers_critical=st.booleans(),
    ),
    max_size=3,
)


def decide(
    generated: list[tuple[Severity, RawOutcome, str, bool]],
    policy: Policy,
    waiver_list: list[Waiver] = (),  # type: ignore[assignment]
) -> Verdict:
    specs = [
        ItemSpec(
            f"X-{n}", f"test_x.py::test_{n}", f"item {n}", sev, "s", 1.0 + n % 3, manual=manual
        )
        for n, (sev, _, _, manual) in enumerate(generated)
    ]
    raw = {
        spec.nodeid: RawResult(outcome, reason)
        for spec, (_, outcome, reason, _) in zip(specs, generated, strict=True)
    }
    return evaluate(specs, raw, policy, waivers=waiver_list, today=TODAY)


@settings(max_examples=150, deadline=None)
@given(items, policies, waivers)
def test_a_critical_item_not_met_never_yields_go(
    generated: list[tuple[Severity, RawOutcome, str, bool]],
    policy: Policy,
    waiver_list: list[Waiver],
) -> None:
    verdict = decide(generated, policy, waiver_list)
    blocking = [
        i
        for i in verdict.items
        if i.spec.severity is Severity.CRITICAL and i.outcome.applicable and not i.outcome.met
    ]
    if blocking:
        assert verdict.decision is not Decision.GO
    if verdict.decision is Decision.GO:
        assert all(
            i.outcome.met or i.outcome is Outcome.SKIPPED
            for i in verdict.items
            if i.spec.severity is Severity.CRITICAL
        )


@settings(max_examples=150, deadline=None)
@given(items, policies, severities)
def test_adding_a_met_item_never_lowers_the_decision(
    generated: list[tuple[Severity, RawOutcome, str, bool]], policy: Policy, severity: Severity
) -> None:
    before = decide(generated, policy)
    after = decide([*generated, (severity, RawOutcome.PASSED, "", False)], policy)
    assert RANK[after.decision] >= RANK[before.decision]
    assert after.decision is not Decision.NO_DATA


@settings(max_examples=150, deadline=None)
@given(items, policies, st.randoms(use_true_random=False))
def test_the_order_of_items_does_not_matter(
    generated: list[tuple[Severity, RawOutcome, str, bool]], policy: Policy, rng: object
) -> None:
    shuffled = list(enumerate(generated))
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    before = decide(generated, policy)
    specs = [
        ItemSpec(
            f"X-{n}", f"test_x.py::test_{n}", f"item {n}", sev, "s", 1.0 + n % 3, manual=manual
        )
        for n, (sev, _, _, manual) in shuffled
    ]
    raw = {
        f"test_x.py::test_{n}": RawResult(outcome, reason)
        for n, (_, outcome, reason, _) in shuffled
    }
    after = evaluate(specs, raw, policy, today=TODAY)
    assert (after.decision, after.score) == (before.decision, before.score)
    assert sorted(after.reasons) == sorted(before.reasons)
