"""Parsing Markdown checklists: exactly GitHub's task-list items plus status-table rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.model import Checklist
from pytest_readiness.checklist.parse import clean_heading
from pytest_readiness.checklist.text import MAX_ITEMS, ChecklistFileError

DATA = Path(__file__).parent.parent / "data" / "checklists"


def load(name: str) -> Checklist:
    return read_checklist((DATA / name).read_bytes(), name)


def md(text: str) -> Checklist:
    return read_checklist(text.encode(), "t.md")


def titles(text: str) -> list[str]:
    return [e.title for e in md(text).entries]


def test_sample_collects_every_task_item_and_status_row_and_nothing_else() -> None:
    entries = load("release-en.md").entries
    assert [e.kind for e in entries].count("task") == 24
    assert [e.kind for e in entries].count("row") == 3
    assert [e.line for e in entries][:5] == [19, 20, 21, 22, 25]


def test_nothing_in_front_matter_comments_fences_indented_code_or_plain_bullets() -> None:
    text = " ".join(e.title for e in load("release-en.md").entries)
    for absent in (
        "front matter",
        "commented-out",
        "kubectl",
        "indented code",
        "Plain bullet",
        "no space",
    ):
        assert absent not in text


def test_wrapped_and_lazily_continued_items_are_one_item_each() -> None:
    assert titles("- [ ] one\n  two\nthree\n- [ ] four\n") == ["one two three", "four"]


def test_loose_lists_ordered_and_all_bullets_count() -> None:
    text = "1. [ ] a\n\n2) [ ] b\n\n* [ ] c\n+ [X] d\n- [x] e\n"
    entries = md(text).entries
    assert [e.title for e in entries] == ["a", "b", "c", "d", "e"]
    assert [e.checked for e in entries] == [False, False, False, True, True]


def test_items_inside_blockquotes_count_and_their_headings_end_with_the_quote() -> None:
    entries = md("## Ops\n\n> ### Quoted\n> - [ ] in quote\n\n- [ ] after\n").entries
    assert [(e.title, e.section) for e in entries] == [
        ("in quote", ("Ops", "Quoted")),
        ("after", ("Ops",)),
    ]
    assert entries[0].box_col == 4


def test_boxes_in_fences_html_comments_and_front_matter_are_not_items() -> None:
    text = "---\nx: '- [ ] no'\n---\n```\n- [ ] no\n```\n<!--\n- [ ] no\n-->\n- [ ] yes\n"
    assert titles(text) == ["yes"]


def test_nested_items_know_their_parent_and_children() -> None:
    entries = md("- [ ] group\n  - [ ] a\n  - plain\n    - [ ] b\n- [ ] next\n").entries
    assert [e.parent for e in entries] == [None, 0, 0, None]
    assert entries[0].children == [1, 2]


def test_sections_strip_emoji_numbering_and_trailing_status_and_drop_the_title() -> None:
    entries = load("release-en.md").entries
    assert entries[0].section == ("Critical: Platform (Must Pass)", "Database")
    assert (
        clean_heading("🚀 Section 4: Performance & Scalability ⬜") == "Performance & Scalability"
    )
    assert clean_heading("2.3 Alerting ✅ COMPLETE") == "Alerting"
    assert clean_heading(":lock: Security :white_check_mark: done") == "Security"


def test_bold_pseudo_headings_are_subsections_until_the_next_heading() -> None:
    entries = md(
        "## Follow-up\n\n**Day 1:**\n- [ ] a\n\n**Week 1**:\n- [ ] b\n\n## Next\n- [ ] c\n"
    ).entries
    assert [e.section for e in entries] == [
        ("Follow-up", "Day 1"),
        ("Follow-up", "Week 1"),
        ("Next",),
    ]


def test_status_table_rows_are_items_with_escaped_pipes_kept_in_cells() -> None:
    rows = [e for e in load("release-en.md").entries if e.kind == "row"]
    assert [r.title for r in rows] == [
        "Error budget healthy — burn rate | alerts",
        "Security scan clean — no high findings",
        "Rollback rehearsed — last week",
    ]
    assert [r.box for r in rows] == ["⬜", "☐", "✅"]
    assert [r.checked for r in rows] == [False, False, True]


def test_tables_without_an_empty_box_column_are_not_checklists() -> None:
    assert titles("| A | Status |\n|---|---|\n| x | ⚠️ |\n| y | ✅ |\n") == []
    assert titles("| A | B |\n|---|---|\n| x | [ ] |\n") == ["x"]


def test_readiness_comments_link_items_to_checks_with_their_line() -> None:
    entries = md(
        "- [ ] TLS <!-- readiness: PG-SSL, PG-VERSION -->\n- [ ] b\n  <!-- readiness: K8S-1 -->\n"
    ).entries
    assert [(e.links, e.link_lines) for e in entries] == [
        (["PG-SSL", "PG-VERSION"], [1, 1]),
        (["K8S-1"], [3]),
    ]
    assert entries[0].title == "TLS"


def test_fill_in_blanks_are_marked() -> None:
    entries = load("release-en.md").entries
    assert [e.blank for e in entries[-2:]] == [True, True]


def test_mojibake_is_repaired_for_display_and_ids() -> None:
    clean, broken = load("implantacao-pt.md"), load("mojibake-pt.md")
    assert broken.repaired
    assert not clean.repaired
    assert [e.id for e in broken.entries] == [e.id for e in clean.entries]
    assert broken.entries[0].section == ("Requisitos Obrigatórios", "Banco de Dados PostgreSQL")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"- [ ] a\n\xff\xfe broken",
            "t.md: not UTF-8 text (byte 0xff at offset 8); save it as UTF-8",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "t.md: a binary file, not a Markdown checklist"),
        (
            b"- [ ] x\n" * (MAX_ITEMS + 1),
            f"t.md: {MAX_ITEMS + 1} checklist items, more than the {MAX_ITEMS} one file may hold; split the file",
        ),
    ],
    ids=["invalid-utf8", "binary", "too-many-items"],
)
def test_files_that_are_not_checklists_fail_with_one_line_naming_the_file(
    data: bytes, message: str
) -> None:
    with pytest.raises(ChecklistFileError) as info:
        read_checklist(data, "t.md")
    assert str(info.value) == message


def test_crlf_files_parse_like_lf_files_and_keep_their_line_ending() -> None:
    text = (DATA / "release-en.md").read_text(encoding="utf-8")
    crlf = read_checklist(text.replace("\n", "\r\n").encode(), "t.md")
    assert crlf.newline == "\r\n"
    assert [e.id for e in crlf.entries] == [e.id for e in load("release-en.md").entries]


def test_status_tables_in_block_quotes_find_their_box_cell() -> None:
    entries = md("> | Check | Status |\n> |---|---|\n> | backups | ⬜ |\n").entries
    assert [(e.title, e.box, e.box_col) for e in entries] == [("backups", "⬜", 14)]


def test_items_inside_details_blocks_and_deep_nesting_count() -> None:
    text = (
        "<details>\n<summary>More</summary>\n\n- [ ] a\n  - [ ] b\n    - [ ] c\n"
        "      - [ ] d\n\n</details>\n"
    )
    entries = md(text).entries
    assert [e.title for e in entries] == ["a", "b", "c", "d"]
    assert [e.parent for e in entries] == [None, 0, 1, 2]
