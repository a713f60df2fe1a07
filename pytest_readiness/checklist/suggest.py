"""--readiness-suggest: built-in checks that probably verify each unlinked checklist item.

The catalogue is read from the ``checks/`` directory (``test_*.py`` modules) without importing
them: the ``id``, ``section`` and ``title`` of each severity marker, or the docstring. Items and
checks are compared as sets of folded words, Portuguese words mapped to English ones, so
"SSL/TLS obrigatório" under a PostgreSQL heading suggests the PostgreSQL SSL check.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from pytest_readiness import builtin
from pytest_readiness.checklist.items import ChecklistItem
from pytest_readiness.checklist.vocabulary import CONTEXT, words
from pytest_readiness.markers import SEVERITY_NAMES

MIN_SCORE = 0.3
SHOWN = 3
#: A check is suggested only when the words the item's own text shares with it weigh at least
#: as much as one word that this many checks use: "version" alone tells nothing, "jetstream"
#: does, and so do "ssl" and "connection" together.
DISTINCT_DF = 4


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    section: str
    path: str

    @property
    def words(self) -> frozenset[str]:
        return words(f"{self.id.replace('-', ' ')} {self.title} {self.section}")


def builtin_checks() -> list[Check]:
    """The built-in checks shipped with the package, as their modules declare them."""
    return [
        Check(c.id, c.title, c.section, str(m.path)) for m in builtin.discover() for c in m.checks
    ]


def catalogue(root: Path) -> list[Check]:
    """Checks declared in ``root/test_*.py`` (recursively), read with ``ast``.

    A module that follows the built-in convention is read as the built-in checks are (its
    markers may name module constants: ``section=SECTION``); any other module is read
    leniently: the string keywords of its severity markers.
    """
    checks: list[Check] = []
    for path in sorted(root.rglob("test_*.py")):
        try:
            module = builtin.read_module(path)
        except (builtin.BuiltinError, OSError, SyntaxError, UnicodeDecodeError, ValueError):
            module = None
        if module is not None:
            checks += [Check(c.id, c.title, c.section, str(path)) for c in module.checks]
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        module_section = ""
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
            ):
                module_section = _kwargs(statement.value).get("section", "")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                kwargs = _kwargs(decorator)
                if "id" in kwargs:
                    doc = (ast.get_docstring(node) or "").strip().splitlines()
                    checks.append(
                        Check(
                            id=kwargs["id"],
                            title=kwargs.get("title") or (doc[0] if doc else node.name),
                            section=kwargs.get("section") or module_section,
                            path=str(path),
                        )
                    )
    return checks


def check_dirs(rootpath: Path) -> list[Path]:
    """The project's ``checks/`` and the built-in checks next to the package, if present."""
    import pytest_readiness

    package = Path(pytest_readiness.__file__).resolve().parent
    found: list[Path] = []
    for candidate in (rootpath / "checks", package / "checks", package.parent / "checks"):
        resolved = candidate.resolve()
        if resolved.is_dir() and resolved not in found:
            found.append(resolved)
    return found


def _kwargs(node: ast.expr) -> dict[str, str]:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return {}
    if node.func.attr not in SEVERITY_NAMES:
        return {}
    return {
        k.arg: k.value.value
        for k in node.keywords
        if k.arg and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
    }


def rank(text: str, section: str, checks: Iterable[Check]) -> list[tuple[float, Check]]:
    """Checks scored by the weighted share of their words the item and its section mention.

    A word's weight is its rarity among the checks (inverse document frequency), so a
    check's distinctive words count most. A check is left out when the item's own text shares
    too little of it (the section alone never suggests a check) or, for a check
    that names a technology (PostgreSQL, Redis, NATS, Kubernetes, Grafana), when neither the
    item nor its section names it.
    """
    table = _table(tuple(checks))
    own = words(text)
    context = own | words(section)
    scored = []
    for check in table.checks:
        wanted = table.words[check.id]
        if sum(table.weight[w] for w in own & wanted) < table.distinct:
            continue
        if not all(needed & context for needed in table.context[check.id]):
            continue
        total = sum(table.weight[w] for w in wanted)
        score = round(sum(table.weight[w] for w in context & wanted) / total, 2)
        if score >= MIN_SCORE:
            scored.append((score, check))
    scored.sort(key=lambda sc: (-sc[0], sc[1].id))
    return scored


@dataclass(frozen=True)
class _Table:
    checks: tuple[Check, ...]
    words: Mapping[str, frozenset[str]]  # check id -> its words
    frequency: Mapping[str, int]  # word -> how many checks use it
    weight: Mapping[str, float]  # word -> log(1 + checks / frequency)
    context: Mapping[str, tuple[frozenset[str], ...]]  # check id -> word sets the item must meet
    distinct: float  # the weight of a word DISTINCT_DF checks use


@cache
def _table(checks: tuple[Check, ...]) -> _Table:
    by_id = {c.id: c.words for c in checks}
    frequency: dict[str, int] = {}
    for found in by_id.values():
        for word in found:
            frequency[word] = frequency.get(word, 0) + 1
    weight = {w: math.log(1 + len(checks) / n) for w, n in frequency.items()}
    context = {c.id: tuple(CONTEXT[w] for w in sorted(by_id[c.id]) if w in CONTEXT) for c in checks}
    distinct = math.log(1 + len(checks) / DISTINCT_DF)
    return _Table(checks, by_id, frequency, weight, context, distinct)


def suggest_command(
    config: pytest.Config, items: Sequence[ChecklistItem], *, write: bool
) -> list[str]:
    roots = check_dirs(config.rootpath)
    checks = [c for root in roots for c in catalogue(root)]
    where = ", ".join(str(r) for r in roots) or "no checks/ directory"
    lines = [f"readiness: {len(checks)} checks in {where}"]
    chosen: dict[Path, list[tuple[int, str]]] = {}
    for item in items:
        entry = item.entry
        if entry.links:
            continue
        ranked = rank(entry.text, " ".join(entry.section), checks)[:SHOWN]
        if not ranked:
            continue
        shown = ", ".join(f"{c.id} ({score:.2f})" for score, c in ranked)
        lines.append(f"{item.nodeid.split('::')[0]}:{entry.line}: {entry.id}: {shown}")
        chosen.setdefault(item.path, []).append((entry.end_line, ranked[0][1].id))
    if write:
        for path, picks in chosen.items():
            path.write_bytes(annotate(path.read_bytes(), picks))
            lines.append(f"readiness: annotated {len(picks)} items in {path}")
    return lines


def annotate(data: bytes, picks: Sequence[tuple[int, str]]) -> bytes:
    """Append ``<!-- readiness: ID -->`` to the given 1-based lines; nothing else changes."""
    lines = data.split(b"\n")
    for line, check in picks:
        index = line - 1
        body = lines[index]
        cr = body.endswith(b"\r")
        core = body[:-1] if cr else body
        lines[index] = core + f" <!-- readiness: {check} -->".encode() + (b"\r" if cr else b"")
    return b"\n".join(lines)
