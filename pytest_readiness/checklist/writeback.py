"""The checklist written back: boxes ticked from evidence, a summary on top, reasons added.

Only three kinds of change are made to the original bytes: a box is replaced (``[ ]`` <->
``[x]``, ``⬜`` <-> ``✅``), a summary block is inserted at the top (after front matter), and
one line giving the reason is added after each unmet item (after its table for table rows).
Every other byte, line endings included, is unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.items import severity_rules
from pytest_readiness.checklist.model import ROW, Checklist, Entry
from pytest_readiness.model import ItemResult, Verdict

BEGIN = "<!-- readiness: result (generated; the checklist below is the original) -->"
END = "<!-- /readiness -->"
_TICK = {"[ ]": "[x]", "⬜": "✅", "☐": "☑", "◻": "✅"}
_UNTICK = {
    "[x]": "[ ]",
    "[X]": "[ ]",
    "✅": "⬜",
    "☑": "☐",
    "☑️": "☐",
    "✔": "⬜",
    "✔️": "⬜",
    "✓": "⬜",
}


def write_all(verdict: Verdict, config: pytest.Config, target: Path) -> None:
    """Write every checklist of the verdict into ``target`` under its path relative to the
    rootdir; never over the original (``RELEASE.readiness.md`` when they would coincide)."""
    by_file: dict[str, dict[str, ItemResult]] = {}
    for result in verdict.items:
        path, _, name = result.spec.nodeid.partition("::")
        by_file.setdefault(path, {})[name] = result
    target.mkdir(parents=True, exist_ok=True)
    for path, results in by_file.items():
        source = config.rootpath / path
        if path.endswith(".py") or not source.is_file():
            continue
        data = source.read_bytes()
        checklist = read_checklist(data, path, severity_rules(config))
        if not any(e.id in results for e in checklist.entries):
            continue
        text = write_back(data.decode("utf-8-sig"), checklist, results, verdict)
        prefix = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
        relative = Path(path)
        out = target / (
            relative if ".." not in relative.parts and not relative.is_absolute() else relative.name
        )
        if out.resolve() == source.resolve():
            out = out.with_name(f"{out.stem}.readiness{out.suffix}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes((prefix + text).encode("utf-8"))


def write_back(
    text: str, checklist: Checklist, results: Mapping[str, ItemResult], verdict: Verdict | None
) -> str:
    """The checklist text with boxes from ``results`` (by entry id), a summary and reasons."""
    lines = text.splitlines(keepends=True)
    nl = checklist.newline
    after: dict[int, list[str]] = {}  # 0-based line index -> lines added after it
    table_end = {first: last for first, last in checklist.tables}
    for entry in checklist.entries:
        result = results.get(entry.id)
        met = result is not None and result.outcome.met
        index = entry.line - 1
        lines[index] = _set_box(lines[index], entry, met)
        if result is None or met:
            continue
        reason = _reason(entry, result)
        if entry.kind == ROW:
            last = _table_last(entry.line, table_end)
            after.setdefault(last - 1, []).append(f"- {entry.text}: {reason}")
        else:
            after.setdefault(entry.end_line - 1, []).append(f"{entry.indent}*{reason}*")
    out: list[str] = []
    head = checklist.front_matter_end
    for n, line in enumerate(lines):
        if n == head:
            out += [s + nl for s in summary(checklist, results, verdict)] + [nl]
        out.append(line)
        added = after.get(n)
        if added:
            if not line.endswith(("\n", "\r")):
                out.append(nl)
            rows = added[0].startswith("- ")  # reasons for table rows: a list after the table
            if rows:
                out.append(nl)
            out += [a + nl for a in added]
            if rows and n + 1 < len(lines) and lines[n + 1].strip():
                out.append(nl)
    if head >= len(lines):
        out += [s + nl for s in summary(checklist, results, verdict)]
    return "".join(out)


def summary(
    checklist: Checklist, results: Mapping[str, ItemResult], verdict: Verdict | None
) -> list[str]:
    mine = [results[e.id] for e in checklist.entries if e.id in results]
    applicable = [r for r in mine if r.outcome.applicable]
    weight = sum(r.spec.weight for r in applicable)
    met_weight = sum(r.spec.weight for r in applicable if r.outcome.met)
    score = 0 if weight <= 0 else math.floor(100 * met_weight / weight + 1e-9)
    met = sum(1 for r in applicable if r.outcome.met)
    head = f"> **Readiness: {verdict.decision.value}**" if verdict else "> **Readiness**"
    out = [BEGIN, f"{head} · score {score}/100 · {met}/{len(applicable)} items met", ">"]
    out += ["> | Section | Met | Completion |", "> |---|---|---|"]
    sections: dict[str, list[ItemResult]] = {}
    for r in applicable:
        sections.setdefault(r.spec.section, []).append(r)
    for name, members in sections.items():
        done = sum(1 for r in members if r.outcome.met)
        cell = name.replace("|", "\\|")
        out.append(f"> | {cell} | {done}/{len(members)} | {100 * done // len(members)}% |")
    out.append(END)
    return out


def _set_box(line: str, entry: Entry, met: bool) -> str:
    start, end = entry.box_col, entry.box_col + len(entry.box)
    box = line[start:end]
    if box != entry.box:  # the file changed under us: leave the line alone
        return line
    table = _TICK if met else _UNTICK
    new = table.get(box, box)
    if entry.kind == ROW and not met and box not in _UNTICK:
        new = box
    return line[:start] + new + line[end:]


def _reason(entry: Entry, result: ItemResult) -> str:
    text = f"readiness: {result.outcome.value}"
    if result.message:
        text += f" - {result.message}"
    if entry.checked:
        text += " (ticked by hand, not verified)"
    return text.replace("*", "\\*")


def _table_last(line: int, tables: Mapping[int, int]) -> int:
    for first, last in tables.items():
        if first <= line <= last:
            return last
    return line
