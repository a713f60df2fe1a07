"""The coverage map: rows, precision against labels, the rendered page and the label file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pytest_readiness import builtin
from pytest_readiness.checklist.coverage import (
    Label,
    Row,
    build,
    checklist_files,
    coverage_rows,
    main,
    precision,
    read_labels,
    render,
)
from pytest_readiness.checklist.suggest import builtin_checks

DATA = Path(__file__).parents[1] / "data" / "checklists"
SAMPLE = DATA / "release-en.md"
LABELS = DATA / "suggest-labels.csv"


def rows_of(path: Path) -> dict[int, Row]:
    return {r.line: r for r in coverage_rows([path], builtin_checks())}


def test_a_linked_item_is_linked_and_never_gets_a_suggestion() -> None:
    row = rows_of(SAMPLE)[19]
    assert row.linked == ("PG-VERSION",)
    assert row.suggested == ()
    assert row.status == "linked"


def test_an_unlinked_item_gets_the_builtin_check_that_verifies_it() -> None:
    row = next(r for r in rows_of(SAMPLE).values() if r.id == "PAY-102")
    assert row.suggested[0][0] == "PG-SSL-REQUIRED"
    assert row.status == "suggested"


def test_precision_counts_the_first_suggestion_against_the_labels() -> None:
    rows = [
        Row("a.md", 1, "x.one", "task", "critical", (), (("PG-SSL-REQUIRED", 0.9),)),
        Row("a.md", 2, "x.two", "task", "critical", (), (("K8S-RESOURCES", 0.4),)),
        Row("a.md", 3, "x.three", "task", "critical", (), ()),
    ]
    labels = [
        Label("a.md", 1, "x.one", frozenset({"PG-SSL-REQUIRED"})),
        Label("a.md", 2, "x.two", frozenset()),
        Label("a.md", 3, "x.three", frozenset({"PG-BACKUP-RECENT"})),
        Label("a.md", 9, "x.gone", frozenset()),
    ]
    result = precision(rows, labels)
    assert (result.labelled, result.suggested, result.right) == (4, 2, 1)
    assert (result.checkable, result.found) == (2, 1)
    assert result.unmatched == ("a.md:9 x.gone",)


def test_the_page_names_items_by_file_line_and_id_only() -> None:
    rows = coverage_rows([SAMPLE], builtin_checks())
    page = render(rows, None, "the command")
    assert "Connections use TLS" not in page
    assert "Nightly backups" not in page
    assert "| 20 | `PAY-102` |" in page
    assert f"| release-en.md | {len(rows)} |" in page


def test_a_label_that_names_no_item_stops_the_build(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,line,id,expected,sample\nrelease-en.md,999,nope,,every-20th\n")
    with pytest.raises(SystemExit, match=r"release-en\.md:999 nope"):
        build([SAMPLE], labels, "cmd")


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "coverage.md"
    assert main([str(DATA), "--output", str(out)]) == 0
    assert main([str(DATA), "--output", str(out), "--check"]) == 0
    out.write_text(out.read_text() + "edited\n")
    assert main([str(DATA), "--output", str(out), "--check"]) == 1


def test_folders_give_their_markdown_and_text_files_in_name_order() -> None:
    names = [p.name for p in checklist_files([DATA])]
    assert names == sorted(names)
    assert "suggest-labels.csv" not in names
    assert "release-en.md" in names


def test_the_label_file_holds_references_and_check_ids_only() -> None:
    known = {c.id for m in builtin.discover() for c in m.checks}
    with LABELS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["file", "line", "id", "expected", "sample"]
        entries = list(reader)
    assert len(entries) == len(read_labels(LABELS)) >= 150
    for entry in entries:
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", entry["file"]), entry
        assert re.fullmatch(r"[a-z0-9.-]+", entry["id"]), entry
        assert set(entry["expected"].split()) <= known, entry
        assert entry["sample"] in ("suggested", "every-20th"), entry
