"""A Python test module with one marked stub per checklist item.

Each stub carries the item's id, severity, section and title, and ``manual=True``: in a
readiness run it is ``pending`` (never met) until someone writes the check and removes
``manual=True``; an unwritten stub can only become met through an explicit attestation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_readiness.markers import SEVERITY_NAMES

HEADER = '''"""Checks for {source}, scaffolded by pytest-readiness.

Each stub is pending (manual=True) until its body verifies the item and manual=True is removed.
"""

import pytest
'''
STUB = '''

@pytest.mark.{severity}(id={id!r}, section={section!r}, title={title!r}, manual=True)
def test_{name}() -> None:
    """{doc}"""
    # Not written yet: write the check here, then remove manual=True.
'''


def render(items: Sequence[pytest.Item]) -> str:
    sources = sorted({str(i.nodeid.split("::", 1)[0]) for i in items})
    parts = [HEADER.format(source=", ".join(sources) or "no checklist")]
    used: set[str] = set()
    for item in items:
        mark = next(m for m in item.iter_markers() if m.name in SEVERITY_NAMES)
        kwargs = mark.kwargs
        name = _name(str(kwargs["id"]), used)
        parts.append(
            STUB.format(
                severity=mark.name,
                id=str(kwargs["id"]),
                section=str(kwargs["section"]),
                title=str(kwargs["title"]),
                name=name,
                doc=str(kwargs["title"]).replace("\\", "\\\\").replace('"""', "'''"),
            )
        )
    return "".join(parts)


def write_scaffold(path: Path, items: Sequence[pytest.Item]) -> None:
    if path.exists():
        raise pytest.UsageError(f"--readiness-scaffold: {path} exists; choose a new file")
    path.write_text(render(items), encoding="utf-8")


def _name(item_id: str, used: set[str]) -> str:
    base = re.sub(r"\W+", "_", item_id.lower()).strip("_") or "item"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name
