"""Markdown -> checklist entries, with markdown-it-py (CommonMark + GFM tables + task lists).

An entry is exactly what GitHub renders as a task-list item (nested, wrapped, lazily continued,
in blockquotes, any bullet), plus each row of a status table (a column of boxes such as ⬜/☐/[ ]).
Nothing in code fences, HTML blocks or comments, front matter or plain bullets is an entry.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from pytest_readiness.checklist.inline import link_ids, render
from pytest_readiness.checklist.model import ROW, TASK, Checklist, Entry
from pytest_readiness.checklist.text import newline_of, repair
from pytest_readiness.errors import MissingExtra

EMPTY_BOXES = frozenset({"⬜", "☐", "[ ]", "◻", "◻️", "⬜️"})
TICKED_BOXES = frozenset({"✅", "☑", "☑️", "✔", "✔️", "✓", "[x]", "[X]"})
FAILED_BOXES = frozenset({"❌", "☒", "✗", "✘"})
_STATUS = EMPTY_BOXES | TICKED_BOXES | FAILED_BOXES

TASK_PREFIXES = ("[ ] ", "[x] ", "[X] ")
#: The box of a task item in its first line; ``prefix`` is the whole run of quote markers and
#: blanks before the first list marker (greedy: a shorter run cannot be followed by a marker).
_BOX_IN_LINE = re.compile(r"^(?P<prefix>[ \t>]*)(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*(?P<box>\[[ xX]\])")
_PREFIX = re.compile(r"^[ \t>]*")
_PSEUDO = re.compile(r"^(\*\*|__)(?P<label>[^*_\n]+?)(\1)\s*:?\s*$")
_NUMBERING = re.compile(
    r"^(?:(?:section|se[cç][aã]o|part|parte|phase|fase|step|passo|etapa)\s+\d+[:.]?\s+"
    r"|\d+(?:\.\d+)*[.):]?\s+|[IVXLC]+[.)]\s+)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_SHORTCODE = re.compile(r"(?<!\w):[a-z0-9_+-]+:(?!\w)")

_parser: Any = None


def _markdown() -> Any:
    global _parser
    if _parser is None:
        try:
            from markdown_it import MarkdownIt
            from mdit_py_plugins.front_matter import front_matter_plugin
        except ImportError as exc:
            raise MissingExtra("checklist", exc.name or "markdown-it-py") from None

        # Block structure only: item text comes from inline.render (see its docstring).
        _parser = (
            MarkdownIt("commonmark").enable("table").use(front_matter_plugin).disable("inline")
        )
    return _parser


def parse(original: str) -> Checklist:
    """Entries of a checklist text, in document order."""
    text, repaired = repair(original)
    tokens = _markdown().parse(text)
    lines = original.splitlines()
    walker = _Walker(tokens, lines)
    walker.run()
    return Checklist(
        entries=walker.entries,
        repaired=repaired,
        newline=newline_of(original),
        front_matter_end=walker.front_matter_end,
        tables=walker.tables,
    )


def is_task(tokens: Sequence[Any], at: int) -> bool:
    """GitHub's rule, as in mdit-py-plugins' tasklists: the first paragraph of a list item
    starts with ``[ ]``, ``[x]`` or ``[X]`` and a space."""
    return (
        at + 2 < len(tokens)
        and tokens[at + 1].type == "paragraph_open"
        and tokens[at + 2].type == "inline"
        and tokens[at + 2].content.startswith(TASK_PREFIXES)
    )


def clean_heading(text: str) -> str:
    """A heading for display: emoji, status marks after the title and numbering removed."""
    text = _SHORTCODE.sub("\u2b1c", text)  # ":white_check_mark:" is an emoji too
    kept: list[str] = []
    for char in text:
        if _is_symbol(char):
            if any(c.isalnum() for c in kept):
                break  # "Alerting ✅ COMPLETE": what follows a status mark is status
            kept.append(" ")
        else:
            kept.append(char)
    cleaned = _SPACES.sub(" ", "".join(kept)).strip(" -:–—")
    cleaned = _NUMBERING.sub("", cleaned).strip(" -:–—")
    return cleaned or _SPACES.sub(" ", text).strip()


def _is_symbol(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk", "Cs", "Co") or char in "\ufe0f\u200d"


class _Walker:
    """One pass over the token stream, keeping the heading path and the open list items."""

    def __init__(self, tokens: list[Any], lines: list[str]) -> None:
        self.tokens = tokens
        self.lines = lines
        self.entries: list[Entry] = []
        self.tables: list[tuple[int, int]] = []
        self.front_matter_end = 0
        self.headings: list[tuple[int, str, str]] = []  # (level, raw, display)
        self.pseudo: str | None = None
        self.quoted: list[tuple[list[tuple[int, str, str]], str | None]] = []
        self.items: list[int | None] = []  # open list items: entry index, None if plain
        self.path: tuple[tuple[str, ...], tuple[str, ...]] | None = (
            None  # _path(), until it changes
        )
        self.title_level = self._title_level()

    def _title_level(self) -> int | None:
        """A lone H1 that opens the document is its title, not a section."""
        levels = [t.tag for t in self.tokens if t.type == "heading_open"]
        if levels and levels[0] == "h1" and levels.count("h1") == 1:
            return 1
        return None

    def run(self) -> None:
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "front_matter" and token.map:
                self.front_matter_end = token.map[1]
            elif kind == "heading_open":
                self._heading(int(token.tag[1]), tokens[i + 1])
            elif kind == "list_item_open":
                self.items.append(self._task(i) if is_task(tokens, i) else None)
            elif kind == "list_item_close":
                self.items.pop()
            elif kind == "paragraph_open" and not self.items:
                self._maybe_pseudo(tokens[i + 1])
            elif kind == "html_block" and self.items and self.items[-1] is not None:
                entry = self.entries[self.items[-1]]
                found = link_ids(token.content)
                entry.links += found
                entry.link_lines += [(token.map[0] + 1) if token.map else entry.line] * len(found)
            elif kind == "table_open":
                i = self._table(i)
            elif kind == "blockquote_open":  # headings in a quote end with it
                self.quoted.append((list(self.headings), self.pseudo))
            elif kind == "blockquote_close":
                self.headings, self.pseudo = self.quoted.pop()
                self.path = None
            i += 1

    def _heading(self, level: int, inline: Any) -> None:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        raw = inline.content
        self.headings.append((level, raw, clean_heading(render(raw))))
        self.pseudo = None
        self.path = None

    def _maybe_pseudo(self, inline: Any) -> None:
        match = _PSEUDO.match(inline.content.strip())
        if match and (
            match.group("label").rstrip().endswith(":") or inline.content.rstrip().endswith(":")
        ):
            self.pseudo = clean_heading(match.group("label").strip().rstrip(":"))
            self.path = None

    def _path(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self.path is None:
            self.path = self._compute_path()
        return self.path

    def _compute_path(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        heads = [
            h for h in self.headings if not (h[0] == self.title_level and len(self.headings) > 1)
        ]
        display = [h[2] for h in heads]
        raws = [h[1] for h in heads]
        if self.pseudo:
            display.append(self.pseudo)
            raws.append(self.pseudo)
        return tuple(display), tuple(raws)

    def _parent(self) -> int | None:
        for index in reversed(self.items):
            if index is not None:
                return index
        return None

    def _task(self, at: int) -> int | None:
        inline = self.tokens[at + 2]
        first, last = inline.map
        source = self.lines[first] if first < len(self.lines) else ""
        match = _BOX_IN_LINE.match(source)
        if match is None:  # the box is not on the paragraph's first line: not a task item
            return None
        content = inline.content[4:]
        text, links = render(content), link_ids(content)
        checked = inline.content[1] in "xX"
        section, raws = self._path()
        marker_end = match.start("box")
        quote = match.group("prefix").rstrip(" \t")
        quote = quote + " " if quote else ""
        indent = quote + " " * max(0, marker_end - len(quote))
        entry = Entry(
            kind=TASK,
            line=first + 1,
            end_line=last,
            text=text,
            raw=content,
            section=section,
            heading_texts=raws,
            checked=checked,
            box=match.group("box"),
            box_col=marker_end,
            indent=indent,
            parent=self._parent(),
            links=links,
            link_lines=[first + 1] * len(links),
        )
        index = len(self.entries)
        self.entries.append(entry)
        if entry.parent is not None:
            self.entries[entry.parent].children.append(index)
        return index

    def _table(self, at: int) -> int:
        """Collect a table's rows; make items of them when one column holds boxes."""
        tokens = self.tokens
        rows: list[tuple[int, list[Any]]] = []  # body rows: (0-based line, cell tokens)
        in_body = False
        i = at
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tbody_open":
                in_body = True
            elif in_body and token.type == "tr_open":
                rows.append((token.map[0] if token.map else -1, []))
            elif in_body and token.type == "inline":
                rows[-1][1].append(token)
            i += 1
        table_map = tokens[at].map
        status = _status_column([[render(c.content) for c in cells] for _, cells in rows])
        if status is None or not table_map:
            return i
        self.tables.append((table_map[0] + 1, table_map[1]))
        section, raws = self._path()
        for line0, cells in rows:
            texts = [render(c.content) for c in cells]
            others = [t for n, t in enumerate(texts) if n != status and t]
            if not others or line0 < 0:
                continue
            span = _cell_span(self.lines[line0], status)
            if span is None:
                continue
            start, end = span
            raw_line = self.lines[line0]
            self.entries.append(
                Entry(
                    kind=ROW,
                    line=line0 + 1,
                    end_line=line0 + 1,
                    text=others[0],
                    raw=next(
                        c.content for n, c in enumerate(cells) if n != status and c.content.strip()
                    ),
                    section=section,
                    heading_texts=raws,
                    checked=texts[status] in TICKED_BOXES,
                    box=raw_line[start:end],
                    box_col=start,
                    indent="",
                    links=[x for c in cells for x in link_ids(c.content)],
                    link_lines=[],
                    detail=" — ".join(others[1:]),
                )
            )
            entry = self.entries[-1]
            entry.link_lines = [entry.line] * len(entry.links)
        return i


def _status_column(rows: list[list[str]]) -> int | None:
    """The first column whose body cells are all boxes, at least one of them empty."""
    if not rows:
        return None
    width = max(len(r) for r in rows)
    for col in range(width):
        cells = [r[col] if col < len(r) else "" for r in rows]
        if all(c in _STATUS for c in cells) and any(c in EMPTY_BOXES for c in cells):
            return col
    return None


def _cell_span(line: str, column: int) -> tuple[int, int] | None:
    """Start and end offsets of a table cell's trimmed content in its source line."""
    prefix = _PREFIX.match(line)
    skip = prefix.end() if prefix else 0  # a table inside a block quote or a list item
    pipes = [
        n for n in range(skip, len(line)) if line[n] == "|" and (n == 0 or line[n - 1] != "\\")
    ]
    stripped = line[skip:].strip()
    bounds = [skip - 1, *pipes, len(line)]
    cells = list(itertools.pairwise(bounds))
    if stripped.startswith("|"):
        cells = cells[1:]
    if stripped.endswith("|") and cells:
        cells = cells[:-1]
    if column >= len(cells):
        return None
    left, right = cells[column]
    start, end = left + 1, right
    while start < end and line[start] in " \t":
        start += 1
    while end > start and line[end - 1] in " \t":
        end -= 1
    return start, end
