"""pytest nodes for checklists: a File per checklist, an Item per entry.

Each item carries a severity marker (``id``, ``section``, ``title``, ``manual``), so ``-m``,
the policy and the reports treat it like any readiness check. An item linked to checks, or a
parent of sub-items, is not manual: its outcome is set from those at the end of the run
(:mod:`pytest_readiness.checklist.linking`). Every other item is a human item: ``pending``
unless attested in the profile.
"""

from __future__ import annotations

import warnings
from fnmatch import fnmatchcase
from typing import Any

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.ids import without_id
from pytest_readiness.checklist.keys import GRAPH_KEY
from pytest_readiness.checklist.model import Checklist, Entry
from pytest_readiness.checklist.severity import SeverityRules, rules
from pytest_readiness.checklist.text import ChecklistFileError
from pytest_readiness.errors import MissingExtra
from pytest_readiness.model import Severity
from pytest_readiness.reporting import gc_paused

RULES_KEY = pytest.StashKey[SeverityRules]()
HAND_TICKED = "ticked by hand, not verified"


class ChecklistEncodingWarning(UserWarning):
    """A checklist was saved with mojibake; it was repaired for display and ids."""


class ChecklistFile(pytest.File):
    """A Markdown checklist given on the command line or matched by ``readiness_checklists``."""

    def collect(self) -> list[pytest.Item]:
        # Parsing and item creation allocate a few objects per line and per item, none in a
        # cycle: the full collections they would trigger walk the whole heap (a third of the
        # time of collecting 5,000 items, bench/checklist_collect.py).
        with gc_paused():
            return self._collect()

    def _collect(self) -> list[pytest.Item]:
        name = self.nodeid or self.path.name
        try:
            checklist = read_checklist(self.path.read_bytes(), name, severity_rules(self.config))
        except (ChecklistFileError, MissingExtra) as exc:
            raise self.CollectError(
                f"{name}: {exc}" if isinstance(exc, MissingExtra) else str(exc)
            ) from None
        except OSError as exc:
            raise self.CollectError(f"{name}: cannot read the file ({exc.strerror})") from None
        if checklist.repaired:
            warnings.warn(
                ChecklistEncodingWarning(
                    f"{name}: text was UTF-8 decoded as another encoding and saved again "
                    "(mojibake); repaired for display and ids, re-save the file as clean UTF-8"
                ),
                stacklevel=1,
            )
        return self._items(checklist)

    def _items(self, checklist: Checklist) -> list[pytest.Item]:
        add_profile_links(checklist, self.config)
        default = default_severity(self.config)
        graph = self.config.stash.setdefault(GRAPH_KEY, {})
        file_id = self.nodeid
        entries = checklist.entries
        marks = {s: getattr(pytest.mark, s.value) for s in Severity}  # looked up once, not per item
        sections: dict[tuple[str, ...], str] = {}  # many items share a heading path
        items: list[pytest.Item] = []
        for entry in entries:
            item = ChecklistItem.from_parent(self, name=entry.id, entry=entry)
            derived = bool(entry.links or entry.children)
            section = sections.get(entry.section)
            if section is None:
                section = sections[entry.section] = " > ".join(entry.section) or self.path.stem
            item.add_marker(
                marks[entry.severity or default](
                    id=entry.id,
                    section=section,
                    title=without_id(entry.title) if entry.explicit_id else entry.title,
                    manual=not derived,
                    docs=f"{file_id}:{entry.line}",
                    remediation=remediation(entry, derived),
                )
            )
            if derived:
                graph[item.nodeid] = {
                    "links": list(entry.links),
                    "link_lines": list(entry.link_lines),
                    "children": [f"{file_id}::{entries[c].id}" for c in entry.children],
                    "line": entry.line,
                }
            items.append(item)
        return items


class ChecklistItem(pytest.Item):
    """One checklist entry. Running it checks nothing: its outcome comes from attestations or
    from the checks and sub-items it is linked to."""

    def __init__(self, *, entry: Entry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = entry

    def runtest(self) -> None:
        """Nothing to run here; see the module docstring."""

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, self.entry.line - 1, f"{self.entry.id}: {self.entry.title}"


def remediation(entry: Entry, derived: bool) -> str:
    notes: list[str] = []
    if entry.checked:
        notes.append(HAND_TICKED)
    if entry.blank:
        notes.append("a fill-in line: complete it in the file and attest it")
    if not derived:
        notes.append(f"a human item: attest it in the profile (attestations: - id: {entry.id})")
    return "; ".join(notes)


def add_profile_links(checklist: Checklist, config: pytest.Config) -> None:
    """Links from the profile's ``checklist_links`` (item id or glob -> check ids)."""
    from pytest_readiness.fixtures import SESSION_KEY

    session = config.stash.get(SESSION_KEY, None)
    mapping = session.profile.checklist_links if session is not None else {}
    for pattern, checks in mapping.items():
        for entry in checklist.entries:
            if entry.id == pattern or fnmatchcase(entry.id, pattern):
                new = [c for c in checks if c not in entry.links]
                entry.links += new
                entry.link_lines += [entry.line] * len(new)


def severity_rules(config: pytest.Config) -> SeverityRules:
    if RULES_KEY not in config.stash:
        try:
            config.stash[RULES_KEY] = rules(config.getini("readiness_checklist_severity"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[RULES_KEY]


def default_severity(config: pytest.Config) -> Severity:
    from pytest_readiness.fixtures import SESSION_KEY

    session = config.stash.get(SESSION_KEY, None)
    return session.profile.policy.default_severity if session is not None else Severity.IMPORTANT
