"""A checklist file read whole: decoded, parsed, ids and severities assigned."""

from __future__ import annotations

from pytest_readiness.checklist.ids import assign_ids
from pytest_readiness.checklist.model import Checklist
from pytest_readiness.checklist.parse import parse
from pytest_readiness.checklist.severity import SeverityRules, rules, severity_of
from pytest_readiness.checklist.text import decode
from pytest_readiness.model import Severity


def read_checklist(
    data: bytes, name: str, severity_rules: SeverityRules | None = None
) -> Checklist:
    """Raises ChecklistFileError (one line naming ``name``) for a file that is not a checklist."""
    checklist = parse(decode(data, name))
    entries = checklist.entries
    assign_ids(entries)
    found_rules = severity_rules or rules()
    by_headings: dict[tuple[str, ...], Severity | None] = {}  # many items share a heading path
    for entry in entries:
        own = [entry.raw]
        parent = entry.parent
        while parent is not None:
            own.append(entries[parent].raw)
            parent = entries[parent].parent
        severity = severity_of(found_rules, own, ())
        if severity is None:
            if entry.heading_texts not in by_headings:
                by_headings[entry.heading_texts] = severity_of(found_rules, (), entry.heading_texts)
            severity = by_headings[entry.heading_texts]
        entry.severity = severity
    return checklist
