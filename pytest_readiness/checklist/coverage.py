"""Coverage map: which checklist items the built-in checks would verify, and how well we guess.

    python -m pytest_readiness.checklist.coverage ../shared/seeds \\
        --labels tests/data/checklists/suggest-labels.csv \\
        --classification ../shared/seed-coverage/seed-items.csv \\
        --mapping tests/data/checklists/catalogue-to-builtin.csv --output docs/coverage.md
    python -m pytest_readiness.checklist.coverage ... --check   # exit 1 when the file is stale

For every item of the given checklists (files, or the ``*.md``/``*.txt`` files of folders):
linked (a ``readiness:`` annotation in the file), suggested (the best built-in check that
``--readiness-suggest`` proposes, with its score) or manual. Items are named by file, line and
id only, so the map can be published without the checklists' text. With ``--labels`` (a CSV
of ``file,line,id,expected`` written by reading the items: the built-in check ids that verify
an item, space-separated, or empty for none) it also reports the suggestions' precision.
With ``--classification`` (each item's class and proposed checks, see ``verified``) and
``--mapping`` (proposed check -> built-in checks) it says which items a built-in check
verifies, with totals and the proposed checks we lack, ranked by the items they would verify.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.suggest import Check, builtin_checks, rank
from pytest_readiness.checklist.verified import (
    Builtin,
    Classified,
    Lacking,
    Tally,
    Verdict,
    lacking,
    read_classification,
    read_mapping,
    tally,
    unmapped,
    verdict,
)

SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class Row:
    """One checklist item in the map."""

    file: str
    line: int
    id: str
    kind: str
    severity: str
    linked: tuple[str, ...]
    suggested: tuple[tuple[str, float], ...]  # (check id, score), best first

    @property
    def status(self) -> str:
        return "linked" if self.linked else "suggested" if self.suggested else "manual"


@dataclass(frozen=True)
class Verification:
    """Each item's verdict by (file, line), the totals by file and the checks we lack."""

    verdicts: dict[tuple[str, int], Verdict]
    totals: dict[str, Tally]  # by file, then "all"
    lacking: tuple[Lacking, ...]


@dataclass(frozen=True)
class Label:
    """A hand-labelled item: the checks that verify it (empty: none does)."""

    file: str
    line: int
    id: str
    expected: frozenset[str]


@dataclass(frozen=True)
class Precision:
    labelled: int
    suggested: int  # labelled items that got a suggestion
    right: int  # ... whose best suggestion is one of the expected checks
    checkable: int  # labelled items some built-in check verifies
    found: int  # ... that got a right suggestion
    unmatched: tuple[str, ...] = ()  # labels whose file/line/id is not in the map (stale)


def checklist_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def coverage_rows(files: Sequence[Path], checks: Sequence[Check]) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        checklist = read_checklist(path.read_bytes(), path.name)
        for entry in checklist.entries:
            ranked = () if entry.links else rank(entry.text, " ".join(entry.section), checks)
            rows.append(
                Row(
                    file=path.name,
                    line=entry.line,
                    id=entry.id,
                    kind=entry.kind,
                    severity=entry.severity.value if entry.severity else "default",
                    linked=tuple(entry.links),
                    suggested=tuple((c.id, score) for score, c in ranked[:3]),
                )
            )
    return rows


def read_labels(path: Path) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Label(r["file"], int(r["line"]), r["id"], frozenset(r["expected"].split()))
            for r in csv.DictReader(handle)
        ]


def precision(rows: Sequence[Row], labels: Sequence[Label]) -> Precision:
    by_place = {(r.file, r.line): r for r in rows}
    suggested = right = checkable = found = 0
    unmatched = []
    for label in labels:
        row = by_place.get((label.file, label.line))
        if row is None or row.id != label.id:
            unmatched.append(f"{label.file}:{label.line} {label.id}")
            continue
        checkable += bool(label.expected)
        if row.suggested:
            suggested += 1
            hit = row.suggested[0][0] in label.expected
            right += hit
            found += hit
    return Precision(len(labels), suggested, right, checkable, found, tuple(unmatched))


def verification(
    rows: Sequence[Row], items: Sequence[Classified], mapping: dict[str, Builtin]
) -> Verification:
    """Match the classification to the map's items; stop on any mismatch (fail closed)."""
    tasks = {(r.file, r.line) for r in rows if r.kind == "task"}  # table rows are not classified
    by_place = {(i.file, i.line): i for i in items}
    problems = [f"not classified: {f}:{n}" for f, n in sorted(tasks - by_place.keys())]
    problems += [f"no such item: {f}:{n}" for f, n in sorted(by_place.keys() - tasks)]
    problems += [f"proposed check not in the mapping: {p}" for p in unmapped(items, mapping)]
    if problems:
        raise SystemExit("classification does not fit the checklists: " + "; ".join(problems))
    verdicts = {place: verdict(item, mapping) for place, item in by_place.items()}
    files = list(dict.fromkeys(r.file for r in rows))
    totals = {
        name: tally((by_place[p], verdicts[p]) for p in by_place if name in ("all", p[0]))
        for name in [*files, "all"]
    }
    return Verification(verdicts, totals, tuple(lacking(items, mapping)))


def render(
    rows: Sequence[Row],
    result: Precision | None,
    command: str,
    verified: Verification | None = None,
) -> str:
    out = [
        "# Coverage map of the seed checklists",
        "",
        f"Generated by `{command}`; a test",
        "(`tests/checklist_seeds/test_coverage_map.py`, run where `../shared/seeds` exists) fails",
        "when it is stale. Items are named by file, line and id only: the checklists' text is not",
        "reproduced here.",
        "",
        "For each checkbox item and status-table row: **linked** (a `readiness:` annotation in the",
        "file), **suggested** (the built-in check `--readiness-suggest` ranks first, with its score",
        "and the runners-up) or **manual** (no suggestion: a human item to attest, or a check",
        "nobody has written). A suggestion is a guess; see its precision below before trusting it.",
        "",
        "## Totals",
        "",
        "| file | items | linked | suggested | manual |",
        "|---|---|---|---|---|",
    ]
    files = list(dict.fromkeys(r.file for r in rows))
    for name in [*files, None]:
        chosen = [r for r in rows if name is None or r.file == name]
        counts = {s: sum(r.status == s for r in chosen) for s in ("linked", "suggested", "manual")}
        label = name or "all"
        out.append(
            f"| {label} | {len(chosen)} | {counts['linked']} | {counts['suggested']} "
            f"| {counts['manual']} |"
        )
    checks = sorted({c for r in rows for c, _ in r.suggested[:1]})
    out += ["", f"Distinct checks suggested first: {len(checks)}.", ""]
    if verified is not None:
        out += _verification_section(verified)
    if result is not None:
        out += _precision_section(result)
    head = "| line | id | severity | coverage |"
    if verified is not None:
        head += " built-in check |"
    for name in files:
        out += ["", f"## {name}", "", head, "|---" * head.count(" |") + "|"]
        for row in (r for r in rows if r.file == name):
            line = f"| {row.line} | `{row.id}` | {row.severity} | {_coverage(row)} |"
            if verified is not None:
                found = verified.verdicts.get((row.file, row.line))
                line += f" {found.text() if found else 'status-table row (not classified)'} |"
            out.append(line)
    return "\n".join(out) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "n/a"


def _verification_section(v: Verification) -> list[str]:
    out = [
        "## Verified by a built-in check",
        "",
        "Each item's class and the checks that would decide it come from the classification",
        "(`--classification`); which built-in checks decide a proposed check's claim, fully or",
        "in part, from the mapping (`--mapping`). An item is **verified** when built-in checks",
        "decide all of its claim, **partly** when they decide some of it (an attestation is",
        "still needed), and has **no built-in check yet** when none applies. **Decidable** items",
        "are all but the human ones and the groups (parents whose nested items carry the",
        "checks); a human item a check covers in part says so in its row but counts as human.",
        "",
        "| file | items | human | group | decidable | verified | partly | no built-in check yet |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in v.totals.items():
        out.append(
            f"| {name} | {t.items} | {t.human} | {t.group} | {t.decidable} "
            f"| {_share(t.verified, t.decidable)} | {t.partly} | {t.missing} |"
        )
    out += ["", "### Proposed checks we lack", ""]
    if not v.lacking:
        return [*out, "None: every proposed check has a built-in check, fully or in part.", ""]
    out += [
        "Ranked by the decidable items each is (one of) the checks for; human items it would",
        "partly cover break ties.",
        "",
        "| proposed check | decidable items | human items in part | why we have none |",
        "|---|---|---|---|",
    ]
    out += [f"| `{x.proposed}` | {x.decidable} | {x.human} | {x.reason} |" for x in v.lacking]
    return [*out, ""]


def _precision_section(p: Precision) -> list[str]:
    return [
        "## Suggestion precision",
        "",
        f"Against {p.labelled} items labelled by hand "
        "(`tests/data/checklists/suggest-labels.csv`: for each",
        "item, by reading it, the built-in checks that would verify it, or none). The sample is",
        "every item some version of the suggester proposed a check for while it was tuned, plus",
        "every 20th item of each file; the staleness test fails when a suggestion is not",
        "labelled. The first version, plain word overlap, was right for 32 of its 56",
        "suggestions (57%). Recall is measured on the same sample, which favours suggested",
        "items: read it as an upper bound.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| precision: the first suggestion is a right check | {_share(p.right, p.suggested)} |",
        f"| recall: items a check verifies that get a right first suggestion "
        f"| {_share(p.found, p.checkable)} |",
        f"| labelled items no built-in check verifies | {p.labelled - p.checkable} |",
    ]


def _coverage(row: Row) -> str:
    if row.linked:
        return "linked: " + ", ".join(row.linked)
    if not row.suggested:
        return "manual"
    best, *others = row.suggested
    text = f"suggested: {best[0]} ({best[1]:.2f})"
    if others:
        text += "; also " + ", ".join(f"{c} ({s:.2f})" for c, s in others)
    return text


def build(
    paths: Sequence[Path],
    labels: Path | None,
    command: str,
    classification: Path | None = None,
    mapping: Path | None = None,
) -> str:
    rows = coverage_rows(checklist_files(paths), builtin_checks())
    verified = None
    if classification is not None and mapping is not None:
        verified = verification(rows, read_classification(classification), read_mapping(mapping))
    result = precision(rows, read_labels(labels)) if labels else None
    if result is not None and result.unmatched:
        raise SystemExit(
            "labels that name no item of the checklists (file, line and id must match): "
            + "; ".join(result.unmatched)
        )
    return render(rows, result, command, verified)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_readiness.checklist.coverage")
    parser.add_argument("paths", nargs="+", type=Path, help="checklist files or folders")
    parser.add_argument("--labels", type=Path, help="CSV of hand-labelled items (precision)")
    parser.add_argument("--classification", type=Path, help="CSV of each item's class")
    parser.add_argument("--mapping", type=Path, help="CSV of proposed -> built-in checks")
    parser.add_argument("--output", type=Path, help="write here (default: stdout)")
    parser.add_argument("--check", action="store_true", help="exit 1 when --output is stale")
    args = parser.parse_args(argv)
    if (args.classification is None) != (args.mapping is None):
        parser.error("--classification and --mapping go together")
    text = build(args.paths, args.labels, COMMAND, args.classification, args.mapping)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


#: How docs/coverage.md is made (stated in the file; the staleness test runs the same).
COMMAND = (
    "python -m pytest_readiness.checklist.coverage ../shared/seeds "
    "--labels tests/data/checklists/suggest-labels.csv "
    "--classification ../shared/seed-coverage/seed-items.csv "
    "--mapping tests/data/checklists/catalogue-to-builtin.csv --output docs/coverage.md"
)

if __name__ == "__main__":
    raise SystemExit(main())
