"""Severity markers: registration, and the checklist-item spec of a collected test.

Effective severity is the closest severity marker (function over class over module); the
keyword arguments of every severity marker in the chain merge outer to inner, so a module can
set ``section=`` and a test override the severity. Two different severities on the same node
are an error naming the test. Keyword values are checked when the item is collected (strings,
a finite positive weight, a boolean ``manual``) and its text fields stored encodable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest

from pytest_readiness.errors import MarkerError
from pytest_readiness.model import ItemSpec, Severity
from pytest_readiness.policy import MAX_WEIGHT, Policy, matches
from pytest_readiness.text import STORED_LIMIT, stored

SEVERITY_NAMES = frozenset(s.value for s in Severity)
_SEVERITIES = {s.value: s for s in Severity}
ITEM_KEYWORDS = ("id", "section", "weight", "title", "owner", "docs", "remediation", "manual")
TEXT_KEYWORDS = ("id", "section", "title", "owner", "docs", "remediation")

_SIGNATURE = "(id=None, section=None, weight=None, title=None, owner=None, docs=None, remediation=None, manual=False)"
MARKER_HELP = {
    Severity.CRITICAL: "readiness item that blocks the launch when not met (NO-GO).",
    Severity.IMPORTANT: "readiness item that delays the launch when too many are not met (DELAY).",
    Severity.NICE_TO_HAVE: "readiness item that never blocks; it lowers the score.",
}


def register(config: pytest.Config) -> None:
    """Register the three markers with their signature; always, so -m and --strict-markers work."""
    for severity, text in MARKER_HELP.items():
        config.addinivalue_line("markers", f"{severity.value}{_SIGNATURE}: {text}")


#: The severity marks :func:`severity_marks` found, kept for :func:`spec_of` with the number of
#: marks on the item's chain then, so that the chain of every item is walked once per run
#: unless a mark was added since (it is most of the cost of collecting 10,000 items).
_FOUND = pytest.StashKey[tuple[int, list[tuple[pytest.Mark, Any]]]]()

#: Per collector, within one pass over many items: the severity marks of its chain (closest
#: first) and the number of marks on the chain. Items share few collectors (their module,
#: class, package), so each is read once per pass instead of once per item.
ChainMemo = dict[int, tuple[int, list[tuple[pytest.Mark, Any]]]]


def severity_marks(
    item: pytest.Item, memo: ChainMemo | None = None
) -> list[tuple[pytest.Mark, Any]]:
    """The severity marks on an item's chain with the node carrying each, closest first.

    Raises MarkerError for two severities on one node or a malformed mark. ``memo`` (one per
    pass over items collected together) saves reading and checking a collector's marks again.
    """
    own = _node_marks(item, item, check=True)
    count, chain = _chain_of(item, item.parent, {} if memo is None else memo, check=True)
    found = own + chain if chain else own
    item.stash[_FOUND] = (count + len(item.own_markers), found)
    return found


def _chain_of(
    item: pytest.Item, node: Any, memo: ChainMemo, check: bool
) -> tuple[int, list[tuple[pytest.Mark, Any]]]:
    """The marks count and severity marks of ``node`` and its parents, through ``memo``."""
    if node is None:
        return 0, []
    known = memo.get(id(node))
    if known is not None:
        return known
    count, chain = _chain_of(item, node.parent, memo, check)
    own = _node_marks(item, node, check)
    if own:
        chain = own + chain
    known = memo[id(node)] = (count + len(node.own_markers), chain)
    return known


def _node_marks(item: pytest.Item, node: Any, check: bool) -> list[tuple[pytest.Mark, Any]]:
    """The severity marks ``node`` carries itself; with ``check``, validated for ``item``."""
    own = [(m, node) for m in node.own_markers if m.name in SEVERITY_NAMES]
    if own and check:
        _reject_conflicts(item, own)
        for mark, _ in own:
            _check_mark(item, mark)
    return own


def _found_marks(item: pytest.Item, memo: ChainMemo) -> list[tuple[pytest.Mark, Any]]:
    """The marks :func:`severity_marks` found, unless a mark was added to the chain since."""
    count, chain = _chain_of(item, item.parent, memo, check=False)
    cached = item.stash.get(_FOUND, None)
    if cached is not None:
        del item.stash[_FOUND]
        if cached[0] == count + len(item.own_markers):
            return cached[1]
    own = _node_marks(item, item, check=False)
    return own + chain if chain else own


def spec_of(
    item: pytest.Item,
    policy: Policy,
    overrides: Iterable[tuple[str, Severity]] = (),
    memo: ChainMemo | None = None,
) -> tuple[ItemSpec, dict[str, Any]]:
    """The item's spec, and its severity marks' keyword arguments merged outer to inner.

    The marks were validated when the item's collector reported (see :func:`severity_marks`).
    ``memo``: as for :func:`severity_marks`, one per pass over the items.
    """
    found = _found_marks(item, {} if memo is None else memo)
    if not found:
        kwargs: dict[str, Any] = {}
        severity = policy.default_severity
    else:
        severity = _SEVERITIES[found[0][0].name]
        if len(found) == 1:  # most items: one mark, on the test or its module
            kwargs = dict(found[0][0].kwargs)
        else:
            kwargs = {}
            for mark, _ in reversed(found):
                kwargs.update(mark.kwargs)
    get = kwargs.get
    declared_weight = get("weight")
    title = get("title") or _title(item)
    section = get("section") or _section(item)
    owner, docs, remediation = get("owner"), get("docs"), get("remediation")
    spec = ItemSpec(
        id=_item_id(item, get("id")),
        nodeid=item.nodeid,
        title=_stored(str(title)),
        severity=severity,
        section=_stored(str(section)),
        weight=policy.weights[severity] if declared_weight is None else float(declared_weight),
        owner=None if owner is None else stored(str(owner)),
        docs=None if docs is None else stored(str(docs)),
        remediation=None if remediation is None else stored(str(remediation)),
        manual=bool(get("manual", False)),
    )
    for pattern, override in overrides:
        if matches(pattern, spec):
            weight = spec.weight if declared_weight is not None else policy.weights[override]
            spec = _replace(spec, severity=override, weight=weight)
            break
    return spec, kwargs


def _reject_conflicts(item: pytest.Item, found: list[tuple[pytest.Mark, Any]]) -> None:
    if len(found) == 1:
        return
    by_node: dict[int, set[str]] = {}
    for mark, node in found:
        by_node.setdefault(id(node), set()).add(mark.name)
    for names in by_node.values():
        if len(names) > 1:
            both = " and ".join(sorted(names))
            raise MarkerError(f"{item.nodeid}: two severities ({both}) on the same node; keep one")


def _check_mark(item: pytest.Item, mark: pytest.Mark) -> None:
    if not mark.args and not mark.kwargs:  # most marks on single checks: nothing to check
        return
    if mark.args:
        raise MarkerError(
            f"{item.nodeid}: @pytest.mark.{mark.name} takes keyword arguments only, got {mark.args!r}; "
            f"write e.g. @pytest.mark.{mark.name}(id=..., section=...)"
        )
    unknown = sorted(set(mark.kwargs) - set(ITEM_KEYWORDS))
    if unknown:
        raise MarkerError(
            f"{item.nodeid}: unknown keyword {', '.join(unknown)} in @pytest.mark.{mark.name}; "
            f"use {', '.join(ITEM_KEYWORDS)}"
        )
    where = f"in @pytest.mark.{mark.name}"
    weight = mark.kwargs.get("weight")
    if weight is not None and (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not 0 < weight <= MAX_WEIGHT  # also false for NaN and the infinities
    ):
        raise MarkerError(
            f"{item.nodeid}: weight={_short_repr(weight)} {where}; "
            f"use a number > 0 and <= {MAX_WEIGHT:,.0f}"
        )
    for name in TEXT_KEYWORDS:
        value = mark.kwargs.get(name)
        if value is not None and not isinstance(value, str):
            raise MarkerError(f"{item.nodeid}: {name}={_short_repr(value)} {where}; use a string")
    manual = mark.kwargs.get("manual", False)
    if not isinstance(manual, bool):
        raise MarkerError(f"{item.nodeid}: manual={_short_repr(manual)} {where}; use True or False")


def _short_repr(value: Any) -> str:
    """repr() escapes control characters; cut so a huge value cannot flood the error."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _stored(text: str) -> str:
    """:func:`stored`, which leaves a short ASCII text (most titles and sections) as it is."""
    return text if text.isascii() and len(text) <= STORED_LIMIT else stored(text)


def _item_id(item: pytest.Item, declared: Any) -> str:
    if not declared:
        return item.nodeid
    callspec = getattr(item, "callspec", None)
    text = stored(str(declared))
    return f"{text}[{callspec.id}]" if callspec is not None else text


def _title(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "obj", None), "__doc__", None)
    if isinstance(doc, str) and doc.strip():
        return doc.strip().splitlines()[0].strip()
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_").replace("_", " ")


def _section(item: pytest.Item) -> str:
    stem = item.path.stem if hasattr(item, "path") else item.nodeid.split("::")[0]
    return re.sub(r"^test_|_test$", "", stem).replace("_", " ") or stem


def _replace(spec: ItemSpec, **changes: Any) -> ItemSpec:
    from dataclasses import replace

    return replace(spec, **changes)
