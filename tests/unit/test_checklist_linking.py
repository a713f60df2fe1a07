"""How a linked item or a parent combines the outcomes it depends on."""

from __future__ import annotations

from pytest_readiness.checklist.linking import Part, combine
from pytest_readiness.model import Outcome


def test_met_only_when_every_part_is_met() -> None:
    parts = [Part("PG-SSL[a]", Outcome.PASSED, ""), Part("child", Outcome.ATTESTED, "")]
    assert combine(parts) == ("passed", "met: PG-SSL[a], child")


def test_one_failure_or_pending_part_fails_the_item_and_is_named() -> None:
    parts = [
        Part("PG-SSL[a]", Outcome.PASSED, ""),
        Part("PG-SSL[b]", Outcome.FAILED, "sslmode=disable"),
        Part("child", Outcome.PENDING, "human item"),
    ]
    assert combine(parts) == (
        "failed",
        "not met: PG-SSL[b] failed: sslmode=disable; child pending: human item",
    )


def test_a_part_missing_from_the_run_fails_closed() -> None:
    outcome, message = combine([Part("PG-SSL", None, "")])
    assert outcome == "failed"
    assert "PG-SSL not in this run" in message


def test_all_skipped_is_not_applicable_and_nothing_linked_is_not_met() -> None:
    assert combine([Part("X", Outcome.SKIPPED, "no target")])[0] == "skipped"
    assert combine([])[0] == "failed"


def test_long_lists_are_cut_after_three() -> None:
    parts = [Part(f"C{n}", Outcome.FAILED, "") for n in range(5)]
    assert combine(parts)[1].endswith("; and 2 more")
