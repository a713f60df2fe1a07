"""What the parser finds in a checklist: entries (task-list items and status-table rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pytest_readiness.model import Severity

TASK: Literal["task"] = "task"
ROW: Literal["row"] = "row"


@dataclass
class Entry:
    """One checklist item, before ids and severities are assigned.

    ``line`` is the 1-based line holding the box; ``end_line`` the last line of the item's own
    paragraph (or the row), after which write-back may add an annotation.
    """

    kind: Literal["task", "row"]
    line: int
    end_line: int
    text: str  # display text: markup stripped, repaired, whitespace collapsed
    raw: str  # the item's Markdown source (inline content), for explicit ids and tags
    section: tuple[str, ...]  # display heading path (plus a bold pseudo-heading)
    heading_texts: tuple[str, ...]  # raw heading texts, innermost last, for severity words
    checked: bool  # ticked by hand in the file: never evidence
    box: str  # the box as written in the line: "[ ]", "[x]", "⬜", ...
    box_col: int  # character offset of the box in its line of the original text
    indent: str  # prefix of an annotation line added after the item (blockquote + indent)
    parent: int | None = None  # index of the enclosing task item
    links: list[str] = field(default_factory=list)
    link_lines: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    id: str = ""
    explicit_id: bool = False
    severity: Severity | None = None  # None: the profile's default
    detail: str = ""  # a status-table row's other cells

    @property
    def title(self) -> str:
        return f"{self.text} — {self.detail}" if self.detail else self.text

    @property
    def blank(self) -> bool:
        """A fill-in form line (``Signature: ____``): only a person can complete it."""
        return "___" in self.text


@dataclass
class Checklist:
    """A parsed checklist file."""

    entries: list[Entry]
    repaired: bool = False  # mojibake was repaired for display and ids
    newline: str = "\n"
    front_matter_end: int = 0  # number of lines the front matter occupies (0: none)
    tables: list[tuple[int, int]] = field(default_factory=list)  # (first, last) line of item tables
