"""docs/coverage.md is what the coverage tool writes from the seeds today (not stale).

The classification of the seed items lives next to them (../shared/seed-coverage), so it is
read here only, where ../shared exists.
"""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.checklist.coverage import (
    COMMAND,
    build,
    checklist_files,
    coverage_rows,
    precision,
    read_labels,
    verification,
)
from pytest_readiness.checklist.suggest import builtin_checks
from pytest_readiness.checklist.verified import read_classification, read_mapping
from tests.checklist_seeds.conftest import SEEDS

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "coverage.md"
LABELS = REPO / "tests" / "data" / "checklists" / "suggest-labels.csv"
MAPPING = REPO / "tests" / "data" / "checklists" / "catalogue-to-builtin.csv"
CLASSIFICATION = SEEDS.parent / "seed-coverage" / "seed-items.csv"


def test_coverage_map_is_up_to_date() -> None:
    expected = build([SEEDS], LABELS, COMMAND, CLASSIFICATION, MAPPING)
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


def test_every_checkbox_item_is_classified_and_every_mapping_row_is_used() -> None:
    items = read_classification(CLASSIFICATION)
    mapping = read_mapping(MAPPING)
    rows = coverage_rows(checklist_files([SEEDS]), builtin_checks())
    result = verification(rows, items, mapping)  # stops on an unclassified item or unmapped id
    assert result.totals["all"].items == 856
    named = {p for item in items for p in item.proposed}
    assert sorted(mapping.keys() - named) == [], "mapping rows no seed item names"


def test_most_decidable_seed_items_are_verified_by_a_builtin_check() -> None:
    rows = coverage_rows(checklist_files([SEEDS]), builtin_checks())
    result = verification(rows, read_classification(CLASSIFICATION), read_mapping(MAPPING))
    overall = result.totals["all"]
    assert overall.decidable == 309
    assert overall.verified >= 240, "a mapping or a check was lost"
