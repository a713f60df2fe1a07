"""Checklist ids: explicit ids win; derived ids are stable under edits elsewhere."""

from __future__ import annotations

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.ids import explicit_id, slug, without_id


def ids(text: str) -> list[str]:
    return [e.id for e in read_checklist(text.encode(), "t.md").entries]


def test_explicit_ids_in_bold_brackets_or_before_a_colon_win() -> None:
    assert explicit_id("**PRC-27-001** — audit done") == "PRC-27-001"
    assert explicit_id("[OPS-3] pager set up") == "OPS-3"
    assert explicit_id("SEC-12: keys rotated") == "SEC-12"
    assert explicit_id("**CI-CD** pipeline green") is None  # no digit: a word, not an id
    assert explicit_id("TLS-1.2 enforced") is None


def test_a_bracketed_id_closing_the_first_line_wins_and_leaves_the_title() -> None:
    assert explicit_id("Enable backups [OPS-3]") == "OPS-3"
    assert explicit_id("Enable backups [OPS-3] <!-- readiness: PG-BACKUP-RECENT -->") == "OPS-3"
    assert explicit_id("Enable backups [OPS-3]\nwrapped second line") == "OPS-3"
    assert explicit_id("See [OPS-3] for backups") is None  # mid-sentence: a reference, not an id
    assert explicit_id("Enable backups [CI-CD]") is None  # no digit
    entries = read_checklist(b"## Ops\n- [ ] Enable backups [OPS-3]\n", "t.md").entries
    assert [e.id for e in entries] == ["OPS-3"]
    assert without_id(entries[0].title) == "Enable backups"


def test_derived_ids_combine_section_and_normalised_text() -> None:
    assert ids("## Segurança 🔒\n- [ ] **TLS** obrigatório!\n") == ["seguranca.tls-obrigatorio"]


def test_sub_items_are_scoped_by_their_parent_item() -> None:
    text = "## Infra\n- [ ] Redis\n  - [ ] TLS on\n- [ ] NATS\n  - [ ] TLS on\n"
    assert ids(text) == ["infra.redis", "redis.tls-on", "infra.nats", "nats.tls-on"]


def test_ids_do_not_change_when_other_items_or_sections_are_edited() -> None:
    before = ids("# T\n## A\n- [ ] one\n- [ ] two\n## B\n- [ ] three\n")
    after = ids(
        "# T\n## New\n- [ ] zero\n## A\n- [ ] two\n- [ ] inserted\n- [ ] one\n## B\n- [x] three\n"
    )
    assert set(before) <= set(after)


def test_duplicates_get_numbered_suffixes_in_document_order() -> None:
    assert ids("## A\n- [ ] x\n- [ ] x\n- [ ] x\n") == ["a.x", "a.x-2", "a.x-3"]
    assert ids("- [ ] **OPS-1** a\n- [ ] **OPS-1** b\n") == ["OPS-1", "OPS-1-2"]


def test_long_texts_are_cut_with_a_hash_so_they_stay_distinct() -> None:
    long_a = slug("word " * 30 + "alpha", 60)
    long_b = slug("word " * 30 + "beta", 60)
    assert len(long_a) <= 60
    assert long_a != long_b
