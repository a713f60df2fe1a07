"""Links must name a check of this collection: else a collection error naming file and line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pytest_readiness.markers import SEVERITY_NAMES
from pytest_readiness.policy import Policy


def known_ids(items: list[pytest.Item]) -> set[str]:
    """Every id an item answers to: its declared ``id`` (with and without the target suffix)
    and its nodeid."""
    from pytest_readiness.markers import spec_of

    found: set[str] = set()
    policy = Policy()
    for item in items:
        if not any(m.name in SEVERITY_NAMES for m in item.iter_markers()):
            found.add(item.nodeid)
            continue
        spec, _ = spec_of(item, policy)
        found.update((spec.id, spec.base_id, item.nodeid))
    return found


def check_links(
    session: pytest.Session, items: list[pytest.Item], graph: Mapping[str, Mapping[str, Any]]
) -> None:
    """Report each file with unknown links as a failed collection of that file."""
    if not any(node.get("links") for node in graph.values()):
        return
    ids = known_ids(items)
    problems: dict[str, list[str]] = {}
    for nodeid, node in graph.items():
        path = nodeid.split("::", 1)[0]
        for check, line in zip(node.get("links", ()), node.get("link_lines", ()), strict=False):
            if check not in ids:
                problems.setdefault(path, []).append(
                    f"{path}:{line}: link to unknown check {check!r}; "
                    "use the id of a collected check (see --collect-only)"
                )
    for path, lines in problems.items():
        report = pytest.CollectReport(path, "failed", "\n".join(lines), [])
        session.config.hook.pytest_collectreport(report=report)
