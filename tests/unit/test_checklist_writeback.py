"""Write-back: boxes from evidence, a summary on top, reasons added; every other byte kept."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.model import Checklist
from pytest_readiness.checklist.writeback import BEGIN, END, write_back
from pytest_readiness.model import ItemResult, ItemSpec, Outcome, Severity

DATA = Path(__file__).parent.parent / "data" / "checklists"
MET = (Outcome.PASSED, Outcome.ATTESTED)


def results(checklist: Checklist, pattern: list[Outcome]) -> dict[str, ItemResult]:
    out = {}
    for n, entry in enumerate(checklist.entries):
        outcome = pattern[n % len(pattern)]
        spec = ItemSpec(entry.id, f"f::{entry.id}", entry.title, Severity.CRITICAL, "S", 5.0)
        message = "" if outcome in MET else f"why-{n}"
        out[entry.id] = ItemResult(spec, outcome, message, 0.0)
    return out


def changes(before: str, after: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(replaced line pairs, inserted lines) between two texts, line endings included."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    replaced: list[tuple[str, str]] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        assert tag != "delete", old[i1:i2]
        if tag == "insert":
            inserted += new[j1:j2]
        elif tag == "replace":  # each old line reappears in order, boxes aside
            pending = old[i1:i2]
            for line in new[j1:j2]:
                if pending and only_boxes_differ(pending[0], line):
                    replaced.append((pending.pop(0), line))
                else:
                    inserted.append(line)
            assert not pending, pending
    return replaced, inserted


def only_boxes_differ(old: str, new: str) -> bool:
    boxes = ("[ ]", "[x]", "[X]", "⬜", "✅", "☐", "☑")
    for box in boxes:
        old, new = old.replace(box, "#"), new.replace(box, "#")
    return old == new


@pytest.mark.parametrize("name", ["release-en.md", "implantacao-pt.md", "mojibake-pt.md"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_round_trip_changes_only_boxes_and_adds_lines(name: str, newline: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8").replace("\n", newline)
    checklist = read_checklist(text.encode(), name)
    out = write_back(
        text, checklist, results(checklist, [Outcome.PASSED, Outcome.PENDING, Outcome.FAILED]), None
    )
    replaced, inserted = changes(text, out)
    assert all(a.endswith(newline) == b.endswith(newline) for a, b in replaced)
    assert all(line.endswith(newline) for line in inserted)
    unmet = [e for n, e in enumerate(checklist.entries) if n % 3]
    reasons = [line for line in inserted if "readiness: " in line and "why-" in line]
    assert len(reasons) == len(unmet)


def test_boxes_follow_evidence_not_hand_ticks() -> None:
    text = "## A\n- [x] ticked by hand\n- [ ] verified\n\n| C | S |\n|---|---|\n| r | ✅ |\n| q | ⬜ |\n"
    checklist = read_checklist(text.encode(), "t.md")
    out = write_back(text, checklist, results(checklist, [Outcome.PENDING, Outcome.PASSED]), None)
    assert (
        "- [ ] ticked by hand\n  *readiness: pending - why-0 (ticked by hand, not verified)*\n"
        in out
    )
    assert "- [x] verified\n" in out
    assert "| r | ⬜ |" in out
    assert "| q | ✅ |" in out
    assert "- r: readiness: pending - why-2 (ticked by hand, not verified)\n" in out


def test_summary_gives_score_and_completion_by_section_after_front_matter() -> None:
    text = "---\nt: 1\n---\n# T\n## A\n- [ ] a\n- [ ] b\n## B\n- [ ] c\n"
    checklist = read_checklist(text.encode(), "t.md")
    res = results(checklist, [Outcome.PASSED, Outcome.PENDING])
    res = {
        k: ItemResult(
            ItemSpec(v.spec.id, v.spec.nodeid, v.spec.title, v.spec.severity, k.split(".")[0], 5.0),
            v.outcome,
            v.message,
            0.0,
        )
        for k, v in res.items()
    }
    out = write_back(text, checklist, res, None).splitlines()
    assert out[:3] == ["---", "t: 1", "---"]
    assert out[3] == BEGIN
    assert "score 66/100 · 2/3 items met" in out[4]
    assert out[8:11] == ["> | a | 1/2 | 50% |", "> | b | 1/1 | 100% |", END]


def test_items_without_a_result_keep_their_box() -> None:
    text = "- [x] a\n"
    checklist = read_checklist(text.encode(), "t.md")
    assert write_back(text, checklist, {}, None).endswith("- [ ] a\n")
