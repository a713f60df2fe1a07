"""Each seed checklist collects exactly its checkbox items plus its status-table rows."""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.model import Checklist
from pytest_readiness.model import Outcome, Severity
from tests.checklist_seeds.conftest import SEEDS

#: (task items, status-table rows, mojibake) per seed, files 000..004 in name order.
EXPECTED = [(182, 16, True), (123, 0, True), (186, 0, True), (173, 5, False), (192, 0, False)]


def seed(n: int) -> Checklist:
    path = sorted(SEEDS.glob("*.txt"))[n]
    return read_checklist(path.read_bytes(), path.name)


@pytest.mark.parametrize("n", range(5), ids=[f"seed-00{n}" for n in range(5)])
def test_seed_collects_exactly_its_checkboxes_and_table_rows(n: int) -> None:
    checklist = seed(n)
    kinds = Counter(e.kind for e in checklist.entries)
    assert (kinds["task"], kinds["row"], checklist.repaired) == EXPECTED[n]
    assert len({e.id for e in checklist.entries}) == len(checklist.entries)


def test_seeds_hold_856_checkbox_items_and_47_ticked_by_hand() -> None:
    tasks = [e for n in range(5) for e in seed(n).entries if e.kind == "task"]
    assert len(tasks) == 856
    assert sum(e.checked for e in tasks) == 47


def test_go_no_go_tables_take_the_severity_of_their_headings() -> None:
    rows = [e for e in seed(0).entries if e.kind == "row"]
    assert Counter(r.severity for r in rows) == {
        Severity.CRITICAL: 6,
        Severity.IMPORTANT: 6,
        Severity.NICE_TO_HAVE: 4,
    }


def test_bold_lead_ins_are_subsections() -> None:
    sections = {e.section[-1] for e in seed(2).entries}
    assert {"Day 1", "Week 1", "Week 2", "Stakeholder Sign-offs"} <= sections


def test_mojibake_seeds_show_repaired_portuguese() -> None:
    assert any("Governança" in e.section[-2] for e in seed(1).entries if len(e.section) > 1)


@pytest.mark.parametrize("n", range(5), ids=[f"seed-00{n}" for n in range(5)])
def test_seed_write_back_changes_only_boxes_and_adds_lines(n: int) -> None:
    from pytest_readiness.checklist.writeback import write_back
    from tests.unit.test_checklist_writeback import changes, results

    path = sorted(SEEDS.glob("*.txt"))[n]
    text = path.read_text(encoding="utf-8")
    checklist = read_checklist(path.read_bytes(), path.name)
    pattern = [Outcome.PASSED, Outcome.PENDING]
    out = write_back(text, checklist, results(checklist, pattern), None)
    replaced, inserted = changes(text, out)
    assert len(replaced) <= len(checklist.entries)
    assert sum("why-" in line for line in inserted) == len(checklist.entries) // 2
