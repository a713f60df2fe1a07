"""pytest_readiness.merge as a pure function: results built by policy.evaluate and to_dict."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pytest_readiness.merge import Result, Rules, merge, result_of
from pytest_readiness.model import (
    Decision,
    ItemSpec,
    RawOutcome,
    RawResult,
    RunInfo,
    Scope,
    Severity,
    Shard,
    Waiver,
)
from pytest_readiness.policy import Policy, RunState, evaluate, policy_facts
from pytest_readiness.reporters.json_report import to_dict
from pytest_readiness.shards import shard_of

TODAY = date(2026, 12, 3)
P, F = RawOutcome.PASSED, RawOutcome.FAILED


def spec(n: int, severity: Severity = Severity.IMPORTANT) -> ItemSpec:
    return ItemSpec(f"C-{n}", f"test_c.py::test_{n}", f"check {n}", severity, "S", 3.0)


SUITE = [spec(0, Severity.CRITICAL), *(spec(n) for n in range(1, 10))]


def result(
    specs: list[ItemSpec],
    outcomes: dict[int, RawOutcome] | None = None,
    *,
    profile: str = "prod",
    shard: Shard | None = None,
    policy: Policy | None = None,
    waivers: tuple[Waiver, ...] = (),
    run_state: RunState | None = None,
    label: str | None = None,
) -> Result:
    policy = policy or Policy()
    raw = {s.nodeid: RawResult((outcomes or {}).get(SUITE.index(s), P)) for s in specs}
    verdict = evaluate(
        specs, raw, policy, waivers=waivers, today=TODAY, run_state=run_state or RunState(),
        scope=Scope(len(specs), len(SUITE), shard=shard),
        run=RunInfo(profile, started_at="2026-12-03T10:00:00+00:00", policy=policy_facts(policy)),
    )  # fmt: skip
    data: dict[str, Any] = to_dict(verdict)
    return result_of(data, f"{profile}-{shard.index if shard else 'all'}.json", label)


def shards(count: int, outcomes: dict[int, RawOutcome] | None = None, **kw: Any) -> list[Result]:
    suite = tuple(s.nodeid for s in SUITE)
    return [
        result(
            [s for s in SUITE if shard_of(s.nodeid, count) == i],
            outcomes,
            shard=Shard(i, count, suite),
            **kw,
        )
        for i in range(count)
    ]


def decide(results: list[Result], rules: Rules | None = None) -> Any:
    verdict, _ = merge(results, rules or Rules(), TODAY)
    return verdict


@pytest.mark.parametrize("outcomes", [{}, {3: F}, {0: F}], ids=["go", "delay", "no-go"])
def test_merged_shards_decide_like_one_run(outcomes: dict[int, RawOutcome]) -> None:
    whole = decide([result(SUITE, outcomes)])
    merged = decide(shards(3, outcomes))
    assert (merged.decision, merged.score, merged.reasons) == (
        whole.decision,
        whole.score,
        whole.reasons,
    )
    assert [i.spec.id for i in merged.items] == [s.id for s in SUITE]


def test_a_missing_shard_is_named_and_makes_it_incomplete() -> None:
    parts = shards(4)
    merged = decide([parts[0], parts[1], parts[3]])
    assert merged.decision is Decision.INCOMPLETE
    assert merged.reasons[0] == "prod: shard 2/4 missing (no result)"


def test_shards_of_different_counts_conflict() -> None:
    merged = decide([*shards(2), *shards(3)])
    assert merged.decision is Decision.INCOMPLETE
    assert "conflict in prod: the shards split the suite in different counts (2, 3)" in (
        merged.reasons
    )


def test_the_shards_claimed_go_does_not_count() -> None:
    parts = shards(2, {0: F})
    for part in parts:
        part.data["decision"] = "GO"  # type: ignore[index]
    assert decide(parts).decision is Decision.NO_GO


def test_a_crashed_worker_in_a_shard_is_passed_on() -> None:
    parts = shards(2, run_state=RunState(crashed_workers=("gw0: died",)))
    merged = decide(parts)
    assert merged.decision is Decision.NO_GO
    assert any("decided NO-GO: worker crashed: gw0: died" in r for r in merged.reasons)


def test_two_labels_keep_items_apart_even_with_the_same_ids() -> None:
    merged = decide(
        [result(SUITE, label="eu"), result(SUITE, {0: F}, label="us")],
    )
    assert len(merged.items) == 2 * len(SUITE)
    assert merged.decision is Decision.NO_GO
    assert merged.reasons == ("critical us:C-0 failed",)


def test_waivers_stay_with_their_environment() -> None:
    waiver = (Waiver("C-3", "known", "ops", date(2999, 1, 1)),)
    merged = decide(
        [result(SUITE, {3: F}, label="eu", waivers=waiver), result(SUITE, {3: F}, label="us")]
    )
    outcomes = {i.spec.id: i.outcome.value for i in merged.items}
    assert (outcomes["eu:C-3"], outcomes["us:C-3"]) == ("waived", "failed")


def test_a_wildcard_waiver_does_not_start_covering_criticals_in_the_merge() -> None:
    waiver = (Waiver("C-*", "known", "ops", date(2999, 1, 1)),)
    merged = decide(shards(2, {0: F, 3: F}, waivers=waiver))
    outcomes = {i.spec.id: i.outcome.value for i in merged.items}
    assert (outcomes["C-0"], outcomes["C-3"]) == ("failed", "waived")
    assert merged.decision is Decision.NO_GO


def test_different_policies_conflict_unless_the_merge_is_given_one() -> None:
    strict = Policy(important_min_percent=100.0)
    parts = [*shards(2)[:1], *shards(2, policy=strict)[1:]]
    assert decide(parts).decision is Decision.INCOMPLETE
    assert decide(parts, Rules(policy=Policy())).decision is Decision.GO


def test_the_merged_scope_adds_up_the_environments() -> None:
    merged = decide([*shards(3, label="eu"), result(SUITE, label="us")])
    assert merged.scope == Scope(20, 20, (), 0)
    assert merged.scope.describe() == "full, 20 items"


def test_a_retried_shard_with_the_same_outcomes_is_no_conflict() -> None:
    parts = shards(3)
    merged = decide([*parts, parts[1]])
    assert merged.decision is Decision.GO
    assert len(merged.items) == len(SUITE)


def test_a_result_without_a_policy_needs_the_profile() -> None:
    parts = shards(2)
    parts[0].data["run"]["policy"] = None
    merged = decide(parts)
    assert merged.decision is Decision.INCOMPLETE
    assert merged.reasons[0].startswith("prod shard 0/2 (prod-0.json) records no policy")
    assert decide(parts, Rules(policy=Policy())).decision is Decision.GO


def test_an_object_scoped_waiver_stays_scoped_and_does_not_waive_the_item() -> None:
    """A waiver for one object's findings must not become a waiver of the whole item."""
    waiver = (Waiver("C-3", "one pod", "ops", date(2999, 1, 1), object="shop/Deployment/api"),)
    merged = decide(shards(2, {3: F}, waivers=waiver))
    outcomes = {i.spec.id: i.outcome.value for i in merged.items}
    assert outcomes["C-3"] == "failed"
    assert [w.waiver.object for w in merged.waivers] == ["shop/Deployment/api"]
