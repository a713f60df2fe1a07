"""docs/coverage.md is what the coverage tool writes from the seeds today (not stale)."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.checklist.coverage import (
    COMMAND,
    build,
    checklist_files,
    coverage_rows,
    precision,
    read_labels,
)
from pytest_readiness.checklist.suggest import builtin_checks
from tests.checklist_seeds.conftest import SEEDS

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "coverage.md"
LABELS = REPO / "tests" / "data" / "checklists" / "suggest-labels.csv"


def test_coverage_map_is_up_to_date() -> None:
    expected = build([SEEDS], LABELS, COMMAND)
    assert DOC.read_text(encoding="utf-8") == expected, f"docs/coverage.md is stale: run {COMMAND}"


def test_every_label_names_a_seed_item_and_every_suggestion_is_labelled() -> None:
    rows = coverage_rows(checklist_files([SEEDS]), builtin_checks())
    labels = read_labels(LABELS)
    result = precision(rows, labels)
    assert result.unmatched == ()
    labelled = {(label.file, label.line) for label in labels}
    unlabelled = [
        f"{r.file}:{r.line}" for r in rows if r.suggested and (r.file, r.line) not in labelled
    ]
    assert unlabelled == [], "label these suggestions by reading the items"


def test_suggestions_stay_mostly_right() -> None:
    rows = coverage_rows(checklist_files([SEEDS]), builtin_checks())
    result = precision(rows, read_labels(LABELS))
    assert result.suggested >= 90
    assert result.right / result.suggested >= 0.7
