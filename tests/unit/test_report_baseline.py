"""--readiness-baseline: loading a previous JSON result, comparing by id, showing the diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.baseline import compare, load_baseline
from pytest_readiness.errors import ConfigError
from pytest_readiness.model import Verdict
from pytest_readiness.reporters import json_report
from pytest_readiness.reporters.terminal import render
from tests.golden.verdicts import sample_verdict


def previous(**outcomes: str) -> dict[str, Any]:
    """A previous result holding items with the given outcomes (and its own score)."""
    data = json_report.to_dict(sample_verdict(baseline=False))
    data["score"] = 80
    data["decision"] = "GO"
    data["items"] = [
        {"id": i.replace("_", "-"), "outcome": o, "met": o in ("passed", "waived", "attested")}
        for i, o in outcomes.items()
    ]
    return data


def test_a_json_report_loads_as_a_baseline(tmp_path: Path) -> None:
    path = tmp_path / "prev.json"
    path.write_text(json_report.render(sample_verdict(baseline=False)), encoding="utf-8")
    data = load_baseline(path)
    assert data["score"] == 61
    assert len(data["items"]) == 10


def test_the_diff_matches_items_by_id() -> None:
    diff = compare(
        sample_verdict(baseline=False),
        previous(
            SEC_1="passed",  # still met
            SEC_2="passed",  # now failed: newly failing
            DB_1="failed",  # now passed: fixed
            DB_2="failed",  # now waived (met): fixed
            DB_3="skipped",  # now error: newly failing (skipped was not a failure)
            OBS_2="failed",  # still failing: neither
            OPS_3="passed",  # now skipped: neither
            GONE_1="passed",  # not in this run: removed
        ),
        "prev.json",
    )
    assert diff.source == "prev.json"
    assert (diff.previous_decision, diff.previous_score, diff.score_change) == ("GO", 80, -19)
    assert diff.newly_failing == ("SEC-2", "DB-3")
    assert diff.fixed == ("DB-1", "DB-2")
    assert diff.added == ("OBS-1", "OPS-1", "OPS-2")
    assert diff.removed == ("GONE-1",)


def test_an_identical_run_has_no_changes(tmp_path: Path) -> None:
    verdict = sample_verdict(baseline=False)
    diff = compare(verdict, json_report.to_dict(verdict), "same.json")
    assert diff.score_change == 0
    assert diff.newly_failing == diff.fixed == diff.added == diff.removed == ()


def broken(change: Callable[[dict[str, Any]], object]) -> str:
    """A real JSON result with one part broken by ``change``."""
    data = json_report.to_dict(sample_verdict(baseline=False))
    change(data)
    return json.dumps(data)


BAD = [
    ("missing", None, "baseline file not found"),
    ("not JSON", "{not json", "the baseline is not JSON"),
    ("not an object", "[1, 2]", "expected a mapping"),
    ("no schema version", '{"decision": "GO"}', "schema_version: expected 1, got None"),
    ("future schema", '{"schema_version": 2}', "schema_version: expected 1, got 2"),
    (
        "bad decision",
        broken(lambda d: d.update(decision="MAYBE")),
        "decision: 'MAYBE' is not allowed",
    ),
    ("bad score", broken(lambda d: d.update(score="high")), "score: expected an integer"),
    ("score out of range", broken(lambda d: d.update(score=101)), "score:"),
    ("no items", broken(lambda d: d.pop("items")), "items"),
    ("bad outcome", broken(lambda d: d["items"][0].update(outcome="meh")), "items[0].outcome"),
    (
        "weight of the wrong type",
        broken(lambda d: d["items"][0].update(weight="heavy")),
        "items[0].weight",
    ),
    (
        "evidence of the wrong type",
        broken(lambda d: d["items"][0].update(evidence=7)),
        "items[0].evidence",
    ),
    ("reasons of the wrong type", broken(lambda d: d.update(reasons="all good")), "reasons"),
]


@pytest.mark.parametrize(("content", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_unusable_baseline_is_a_config_error(
    content: str | None, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "prev.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_baseline(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert problem in message
    assert message.endswith("pass a file written by --readiness-json")


def with_many_failures(count: int) -> Verdict:
    verdict = sample_verdict()
    assert verdict.baseline is not None
    ids = tuple(f"N-{n}" for n in range(count))
    return replace(verdict, baseline=replace(verdict.baseline, newly_failing=ids))


def texts(verdict: Verdict, verbosity: int) -> list[str]:
    return [line.text for line in render(verdict, verbosity)]


def test_the_terminal_shows_the_baseline() -> None:
    lines = texts(sample_verdict(), 0)
    start = lines.index("baseline")
    assert lines[start + 1 : start + 6] == [
        "score 61/100, -30 since previous.json (GO, 91/100)",
        "newly failing (2): SEC-2, DB-3",
        "fixed (1): OBS-1",
        "added (1): OPS-3",
        "removed (1): LEGACY-1",
    ]


@pytest.mark.parametrize(
    ("verbosity", "expected"),
    [
        (-2, None),
        (0, "newly failing (12): " + ", ".join(f"N-{n}" for n in range(10)) + ", and 2 more"),
        (1, "newly failing (12): " + ", ".join(f"N-{n}" for n in range(12))),
    ],
    ids=["-qq hides it", "default lists ten", "-v lists all"],
)
def test_terminal_baseline_follows_verbosity(verbosity: int, expected: str | None) -> None:
    found = [t for t in texts(with_many_failures(12), verbosity) if t.startswith("newly failing")]
    assert found == ([] if expected is None else [expected])


def test_no_baseline_no_section() -> None:
    assert "baseline" not in texts(sample_verdict(baseline=False), 1)
