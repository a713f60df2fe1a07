"""The policy with weights that markers reject but the API could still be handed."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.model import Decision, ItemSpec, RawOutcome, RawResult, Severity
from pytest_readiness.policy import DEFAULT_WEIGHTS, Policy, evaluate

TODAY = date(2026, 12, 1)


def _spec(name: str, severity: Severity, weight: float) -> ItemSpec:
    return ItemSpec(name, f"t.py::test_{name}", name, severity, "s", weight)


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf, -1.0])
def test_a_bad_weight_on_a_failing_important_item_counts_as_its_severity_and_delays(
    weight: float,
) -> None:
    bad = _spec("bad", Severity.IMPORTANT, weight)
    good = _spec("good", Severity.IMPORTANT, 3.0)
    verdict = evaluate(
        [bad, good],
        {bad.nodeid: RawResult(RawOutcome.FAILED), good.nodeid: RawResult(RawOutcome.PASSED)},
        Policy(),
        today=TODAY,
    )
    assert verdict.decision is Decision.DELAY
    assert verdict.score == 50
    assert verdict.items[0].spec.weight == DEFAULT_WEIGHTS[Severity.IMPORTANT]


@given(
    weights=st.lists(
        st.floats(allow_nan=True, allow_infinity=True) | st.just(math.inf), min_size=1, max_size=5
    ),
    passed=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_any_float_weight_gives_a_score_from_0_to_100_and_finite_tallies(
    weights: list[float], passed: list[bool]
) -> None:
    specs = [_spec(f"i{n}", Severity.IMPORTANT, w) for n, w in enumerate(weights)]
    raw = {
        s.nodeid: RawResult(RawOutcome.PASSED if ok else RawOutcome.FAILED)
        for s, ok in zip(specs, passed, strict=False)
    }
    verdict = evaluate(specs, raw, Policy(), today=TODAY)
    assert 0 <= verdict.score <= 100
    tally = verdict.totals[Severity.IMPORTANT]
    assert math.isfinite(tally.weight_total)
    assert math.isfinite(tally.weight_met)
