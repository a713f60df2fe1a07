"""Stable ids for checklist entries.

An explicit id at the start of an item wins (``**PRC-27-001** — ...``, ``[OPS-3] ...``,
``SEC-12: ...``). Otherwise the id is derived from the item's section (its parent item for a
sub-item, else its nearest heading) and its normalised text, ``<section>.<text>`` in lower-case
ASCII: editing other items, adding sections or moving the item within its section leaves it
unchanged. Equal derived ids in one file get ``-2``, ``-3``... in document order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pytest_readiness.checklist.model import Entry

_EXPLICIT = re.compile(
    r"^\s*(?:(?P<bold>\*\*|__)\s*)?(?P<open>\[)?(?P<id>[A-Z][A-Z0-9]*(?:[-_.][A-Z0-9]+)+)"
    r"(?(open)\])\s*(?(bold)(?:\*\*|__))(?P<after>\s*[:—–]|\s+-\s|\s|$)"
)
# "Enable backups [OPS-3]": a bracketed id closing the item's first line (comments aside)
_TRAILING = re.compile(r"\s\[(?P<id>[A-Z][A-Z0-9]*(?:[-_.][A-Z0-9]+)+)\](?=\s*(?:<!--.*?-->\s*)*$)")
_STRIP_TRAILING = re.compile(r"\s*\[[A-Z][A-Z0-9]*(?:[-_.][A-Z0-9]+)+\]\s*$")
_STRIP_ID = re.compile(r"^\s*\[?[A-Z][A-Z0-9]*(?:[-_.][A-Z0-9]+)+\]?\s*[:—–-]*\s*")
_WORDS = re.compile(r"[a-z0-9]+")
TEXT_LIMIT = 60
SECTION_LIMIT = 32


def explicit_id(raw: str) -> str | None:
    """An id the author wrote at the start of the item, or bracketed at the end of its first
    line; it needs a digit (``OPS-3``)."""
    match = _EXPLICIT.match(raw)
    if match is None or not any(ch.isdigit() for ch in match.group("id")):
        trailing = _TRAILING.search(raw.split("\n", 1)[0])
        if trailing and any(ch.isdigit() for ch in trailing.group("id")):
            return trailing.group("id")
        return None
    marked = match.group("bold") or match.group("open")
    if not marked and not match.group("after").strip(" \t"):  # plain: needs "ID:" or "ID —"
        return None
    return match.group("id")


def without_id(text: str) -> str:
    stripped = _STRIP_ID.sub("", text, count=1) or text
    return _STRIP_TRAILING.sub("", stripped) or stripped


def slug(text: str, limit: int) -> str:
    """Lower-case ASCII words joined by ``-``; cut at a word with a short hash of the rest."""
    if text.isascii():
        ascii_text = text.lower()
    else:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _WORDS.findall(ascii_text)
    joined = "-".join(words)
    if len(joined) <= limit:
        return joined
    digest = hashlib.sha1(joined.encode()).hexdigest()[:6]
    cut = (
        joined[: limit - 7].rsplit("-", 1)[0] if "-" in joined[: limit - 7] else joined[: limit - 7]
    )
    return f"{cut}-{digest}"


def assign_ids(entries: list[Entry]) -> None:
    """Set ``id`` (and ``explicit_id``) on every entry, deterministically."""
    used: set[str] = set()
    derived: list[tuple[Entry, str]] = []
    scopes: dict[tuple[int | None, str], str] = {}  # many items share a parent or a section
    for entry in entries:
        found = explicit_id(entry.raw)
        if found:
            entry.explicit_id = True
            entry.id = _unique(found, used)
            continue
        key = (
            entry.parent,
            "" if entry.parent is not None or not entry.section else entry.section[-1],
        )
        scope = scopes.get(key)
        if scope is None:
            if entry.parent is not None:
                scope = slug(without_id(entries[entry.parent].text), SECTION_LIMIT)
            else:
                scope = slug(key[1], SECTION_LIMIT) if key[1] else ""
            scopes[key] = scope
        derived.append((entry, f"{scope or 'checklist'}.{slug(entry.text, TEXT_LIMIT) or 'item'}"))
    for entry, base in derived:
        entry.id = _unique(base, used)


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate
