"""Which checklist items a built-in check verifies, from a classification and a mapping.

The classification (a CSV of ``file,line,class,check_id`` per item, other columns ignored)
says what kind of claim each item makes: ``HUMAN`` (a person attests it; ``~ID`` when a check
could cover part of it, ``x:NAME`` when only a system outside the built-in domains could),
``GROUP`` (a parent whose nested items carry the checks) or a decidable class (``LIVE-*``,
``OFFLINE-*``) with the proposed check(s) that would decide it (``A+B``: all of them). The
mapping (``proposed,builtin,reason``) names the built-in checks that decide a proposed check's
claim: ids separated by spaces, ``~ID`` when the check decides only part of it, ``-`` for none.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HUMAN = "HUMAN"
GROUP = "GROUP"


@dataclass(frozen=True)
class Classified:
    """One item's class and the proposed checks named for it."""

    file: str
    line: int
    cls: str
    proposed: tuple[str, ...]  # decidable: all of them; HUMAN: the partly covering ones
    outside: str = ""  # HUMAN items checkable only outside the built-in domains

    @property
    def decidable(self) -> bool:
        return self.cls not in (HUMAN, GROUP)


@dataclass(frozen=True)
class Builtin:
    """The built-in checks that decide a proposed check's claim."""

    checks: tuple[str, ...]
    complete: bool  # False: they decide only part of the claim
    reason: str


@dataclass(frozen=True)
class Verdict:
    """How an item is verified: verified, partly, missing, human or group."""

    kind: str
    checks: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # proposed checks we have no built-in for
    note: str = ""

    def text(self) -> str:
        named = ", ".join(self.checks)
        lacking = ", ".join(self.missing)
        if self.kind == "verified":
            return f"verified by: {named}"
        if self.kind == "partly":
            text = f"partly: {named} (attestation still needed)"
            return text + (f"; no built-in check yet (proposed: {lacking})" if lacking else "")
        if self.kind == "missing":
            return f"no built-in check yet (proposed: {lacking})" if lacking else "no check named"
        if self.kind == "group":
            return "group (its nested items carry the checks)"
        return "human" + (f" ({self.note})" if self.note else "")


def read_classification(path: Path) -> list[Classified]:
    """Read only the file, line, class and check_id columns (never the items' text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            classified(r["file"], int(r["line"]), r["class"], r["check_id"])
            for r in csv.DictReader(handle)
        ]


def classified(file: str, line: int, cls: str, check_id: str) -> Classified:
    if check_id.startswith("x:"):
        return Classified(file, line, cls, (), check_id[2:])
    if cls == HUMAN and not check_id.startswith("~"):
        return Classified(file, line, cls, ())
    ids = tuple(i for i in check_id.lstrip("~").split("+") if i)
    return Classified(file, line, cls, ids)


def read_mapping(path: Path) -> dict[str, Builtin]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["proposed"]: _builtin(r["builtin"], r["reason"]) for r in csv.DictReader(handle)}


def _builtin(cell: str, reason: str) -> Builtin:
    ids = [i for i in cell.split() if i != "-"]
    return Builtin(
        tuple(i.lstrip("~") for i in ids), not any(i.startswith("~") for i in ids), reason
    )


def unmapped(items: Iterable[Classified], mapping: Mapping[str, Builtin]) -> list[str]:
    """Proposed checks the classification names that the mapping does not (fail closed)."""
    return sorted({p for item in items for p in item.proposed if p not in mapping})


def verdict(item: Classified, mapping: Mapping[str, Builtin]) -> Verdict:
    if item.cls == GROUP:
        return Verdict("group")
    found = [mapping[p] for p in item.proposed if mapping[p].checks]
    checks = tuple(dict.fromkeys(c for b in found for c in b.checks))
    missing = tuple(p for p in item.proposed if not mapping[p].checks)
    if not item.decidable:
        if checks:
            return Verdict("partly", checks)
        if missing:
            return Verdict("human", note="a check could cover part: proposed " + ", ".join(missing))
        note = (
            f"checkable only outside the built-in domains: {item.outside}" if item.outside else ""
        )
        return Verdict("human", note=note)
    if not checks:
        return Verdict("missing", missing=missing)
    if missing or not all(b.complete for b in found):
        return Verdict("partly", checks, missing)
    return Verdict("verified", checks)


@dataclass(frozen=True)
class Tally:
    items: int = 0
    human: int = 0
    group: int = 0
    verified: int = 0
    partly: int = 0
    missing: int = 0

    @property
    def decidable(self) -> int:
        return self.items - self.human - self.group


def tally(pairs: Iterable[tuple[Classified, Verdict]]) -> Tally:
    counts = dict.fromkeys(("items", "human", "group", "verified", "partly", "missing"), 0)
    for item, seen in pairs:
        counts["items"] += 1
        kind = "human" if item.cls == HUMAN else seen.kind
        counts[kind] += 1
    return Tally(**counts)


@dataclass(frozen=True)
class Lacking:
    """A proposed check with no built-in one, and what writing it would add."""

    proposed: str
    decidable: int  # decidable items it is (one of) the checks for
    human: int  # HUMAN items it would partly cover
    reason: str


def lacking(items: Sequence[Classified], mapping: Mapping[str, Builtin]) -> list[Lacking]:
    """Proposed checks we lack, the ones that would verify most items first."""
    absent = {p: b for p, b in mapping.items() if not b.checks}
    found = [
        Lacking(
            p,
            sum(p in i.proposed for i in items if i.decidable),
            sum(p in i.proposed for i in items if i.cls == HUMAN),
            b.reason,
        )
        for p, b in absent.items()
    ]
    used = [x for x in found if x.decidable or x.human]
    return sorted(used, key=lambda x: (-x.decidable, -x.human, x.proposed))
