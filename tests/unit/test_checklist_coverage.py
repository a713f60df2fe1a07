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
from pytest_readiness.checklist.verified import (
    Builtin,
    Classified,
    classified,
    lacking,
    read_mapping,
    tally,
    verdict,
)

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


# --- which items a built-in check verifies (--classification, --mapping) ---

MAPPING = DATA / "catalogue-to-builtin.csv"
SAMPLE_MAPPING = {
    "P-FULL": Builtin(("PG-BACKUP-RECENT",), True, "same rule"),
    "P-TWO": Builtin(("K8S-NETPOL", "K8S-NETPOL-DEFAULT-DENY"), True, "one each"),
    "P-PART": Builtin(("PG-SSL-REQUIRED",), False, "half of it"),
    "P-NONE": Builtin((), True, "nothing reads it"),
    "P-RARE": Builtin((), True, "nothing reads it either"),
    "P-UNUSED": Builtin((), True, "no item names it"),
}


def item(cls: str, check_id: str = "", line: int = 1) -> Classified:
    return classified("a.md", line, cls, check_id)


def test_an_item_whose_every_proposed_check_we_have_is_verified_by_all_their_checks() -> None:
    seen = verdict(item("OFFLINE-MANIFEST", "P-FULL+P-TWO"), SAMPLE_MAPPING)
    assert seen.kind == "verified"
    assert seen.text() == "verified by: PG-BACKUP-RECENT, K8S-NETPOL, K8S-NETPOL-DEFAULT-DENY"


def test_a_check_that_decides_part_of_the_claim_leaves_an_attestation() -> None:
    seen = verdict(item("LIVE-PG", "P-PART"), SAMPLE_MAPPING)
    assert (seen.kind, seen.text()) == (
        "partly",
        "partly: PG-SSL-REQUIRED (attestation still needed)",
    )


def test_an_item_with_one_proposed_check_missing_is_only_partly_verified() -> None:
    seen = verdict(item("LIVE-PG", "P-FULL+P-NONE"), SAMPLE_MAPPING)
    assert seen.kind == "partly"
    assert seen.text().endswith("; no built-in check yet (proposed: P-NONE)")


def test_an_item_no_builtin_check_decides_names_the_proposed_one() -> None:
    seen = verdict(item("LIVE-OBS", "P-NONE"), SAMPLE_MAPPING)
    assert (seen.kind, seen.text()) == ("missing", "no built-in check yet (proposed: P-NONE)")


def test_human_items_stay_human_unless_a_builtin_check_covers_part_of_them() -> None:
    assert verdict(item("HUMAN"), SAMPLE_MAPPING).text() == "human"
    assert verdict(item("HUMAN", "~P-PART"), SAMPLE_MAPPING).kind == "partly"
    assert verdict(item("HUMAN", "~P-FULL"), SAMPLE_MAPPING).text() == (
        "partly: PG-BACKUP-RECENT (attestation still needed)"
    )
    assert "proposed P-NONE" in verdict(item("HUMAN", "~P-NONE"), SAMPLE_MAPPING).text()
    outside = verdict(item("HUMAN", "x:AWS-S3"), SAMPLE_MAPPING)
    assert (outside.kind, outside.text()) == (
        "human",
        "human (checkable only outside the built-in domains: AWS-S3)",
    )
    assert verdict(item("GROUP"), SAMPLE_MAPPING).kind == "group"


def test_totals_count_decidable_items_apart_from_human_ones_and_groups() -> None:
    items = [
        item("LIVE-PG", "P-FULL", 1),
        item("LIVE-PG", "P-PART", 2),
        item("LIVE-OBS", "P-NONE", 3),
        item("HUMAN", "~P-FULL", 4),
        item("HUMAN", "", 5),
        item("GROUP", "", 6),
    ]
    counted = tally((i, verdict(i, SAMPLE_MAPPING)) for i in items)
    assert (counted.items, counted.human, counted.group, counted.decidable) == (6, 2, 1, 3)
    assert (counted.verified, counted.partly, counted.missing) == (1, 1, 1)


def test_missing_checks_are_ranked_by_the_decidable_items_they_would_verify() -> None:
    items = [
        item("LIVE-OBS", "P-RARE", 1),
        item("LIVE-OBS", "P-NONE", 2),
        item("LIVE-OBS", "P-FULL+P-NONE", 3),
        item("HUMAN", "~P-RARE", 4),
        item("HUMAN", "~P-RARE", 5),
    ]
    ranked = [(x.proposed, x.decidable, x.human) for x in lacking(items, SAMPLE_MAPPING)]
    assert ranked == [("P-NONE", 2, 0), ("P-RARE", 1, 2)]


def classification_of(path: Path, tmp_path: Path, classes: dict[int, tuple[str, str]]) -> Path:
    """Every task item of the sample HUMAN unless ``classes`` says otherwise; a marker text."""
    out = tmp_path / "classes.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "section", "class", "check_id", "text"])
        for row in coverage_rows([path], builtin_checks()):
            if row.kind == "task":
                cls, check_id = classes.get(row.line, ("HUMAN", ""))
                writer.writerow(
                    [row.file, row.line, "SECTION-MARKER", cls, check_id, "TEXT-MARKER"]
                )
    return out


def mapping_file(tmp_path: Path) -> Path:
    out = tmp_path / "mapping.csv"
    out.write_text(
        "proposed,builtin,reason\n"
        "P-FULL,PG-BACKUP-RECENT,same rule\n"
        "P-PART,~PG-SSL-REQUIRED,half of it\n"
        "P-NONE,-,nothing reads it\n",
        encoding="utf-8",
    )
    return out


def test_the_page_says_per_item_which_builtin_check_verifies_it(tmp_path: Path) -> None:
    classes = {21: ("LIVE-PG", "P-FULL"), 20: ("LIVE-PG", "P-PART"), 61: ("LIVE-OBS", "P-NONE")}
    page = build(
        [SAMPLE], None, "cmd", classification_of(SAMPLE, tmp_path, classes), mapping_file(tmp_path)
    )
    assert (
        "| 21 | `database.nightly-backups-configured` | critical | manual | verified by: PG-BACKUP-RECENT |"
        in page
    )
    assert "partly: PG-SSL-REQUIRED (attestation still needed) |" in page
    assert "no built-in check yet (proposed: P-NONE) |" in page
    assert (
        "| 77 | `go-no-go.error-budget-healthy` | default | manual | status-table row (not classified) |"
        in page
    )
    assert "| release-en.md | 24 | 21 | 0 | 3 | 1/3 (33%) | 1 | 1 |" in page
    assert "| `P-NONE` | 1 | 0 | nothing reads it |" in page


def test_the_page_never_carries_the_classifications_text_or_sections(tmp_path: Path) -> None:
    page = build(
        [SAMPLE], None, "cmd", classification_of(SAMPLE, tmp_path, {}), mapping_file(tmp_path)
    )
    assert "TEXT-MARKER" not in page
    assert "SECTION-MARKER" not in page


def test_an_unclassified_item_stops_the_build(tmp_path: Path) -> None:
    classes = classification_of(SAMPLE, tmp_path, {})
    lines = classes.read_text(encoding="utf-8").splitlines()
    classes.write_text("\n".join(line for line in lines if ",21," not in line) + "\n")
    with pytest.raises(SystemExit, match=r"not classified: release-en\.md:21"):
        build([SAMPLE], None, "cmd", classes, mapping_file(tmp_path))


def test_a_proposed_check_missing_from_the_mapping_stops_the_build(tmp_path: Path) -> None:
    classes = classification_of(SAMPLE, tmp_path, {21: ("LIVE-PG", "P-FULL+P-NEW")})
    with pytest.raises(SystemExit, match="proposed check not in the mapping: P-NEW"):
        build([SAMPLE], None, "cmd", classes, mapping_file(tmp_path))


def test_classification_and_mapping_are_given_together(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([str(SAMPLE), "--mapping", str(mapping_file(tmp_path))])
    assert stopped.value.code == 2


def test_the_mapping_file_names_builtin_check_ids_and_a_reason_only() -> None:
    known = {c.id for m in builtin.discover() for c in m.checks}
    with MAPPING.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["proposed", "builtin", "reason"]
        entries = list(reader)
    assert len({e["proposed"] for e in entries}) == len(entries) >= 100
    for entry in entries:
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", entry["proposed"]), entry
        ids = entry["builtin"].split()
        assert ids == ["-"] or {i.removeprefix("~") for i in ids} <= known, entry
        assert entry["reason"].strip(), entry
    mapped = read_mapping(MAPPING)
    assert mapped["PG-SSL-REQUIRED"] == Builtin(
        ("PG-SSL-REQUIRED",), False, mapped["PG-SSL-REQUIRED"].reason
    )
    assert mapped["LOGS-STRUCTURED"].checks == ()  # a proposal without a built-in check
