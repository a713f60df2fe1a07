"""--readiness-suggest: built-in checks that probably verify each unlinked checklist item.

The catalogue is read from the ``checks/`` directory (``test_*.py`` modules) without importing
them: the ``id``, ``section`` and ``title`` of each severity marker, or the docstring. Items and
checks are compared as sets of folded words, Portuguese words mapped to English ones, so
"SSL/TLS obrigatório" under a PostgreSQL heading suggests the PostgreSQL SSL check.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_readiness.checklist.items import ChecklistItem
from pytest_readiness.checklist.text import fold
from pytest_readiness.markers import SEVERITY_NAMES

MIN_SCORE = 0.34
SHOWN = 3
_SYNONYMS = {
    "postgresql": "postgres", "pg": "postgres", "banco": "database", "dados": "data",
    "versao": "version",
    "monitoramento": "monitoring", "habilitado": "enabled", "configurado": "configured",
    "seguranca": "security", "certificado": "certificate", "certificados": "certificates",
    "replicas": "replica", "tls": "ssl", "https": "ssl", "k8s": "kubernetes",
    "limites": "limit", "senha": "password", "senhas": "password", "replicacao": "replication",
    "criptografia": "encryption", "cifrado": "encrypted", "metricas": "metric", "alertas": "alert",
    "rede": "network", "politicas": "policy", "politica": "policy", "recursos": "resource",
    "saude": "health", "implantacao": "deployment", "armazenamento": "storage",
    "segredos": "secret", "registros": "log", "logs": "log", "logging": "log",
    "copia": "backup", "conexoes": "connection", "conexao": "connection", "usuarios": "user",
    "sondas": "probe", "persistencia": "persistence", "configurada": "configured",
    "configurados": "configured", "configuradas": "configured", "habilitada": "enabled",
    "habilitados": "enabled", "ativado": "enabled", "ativada": "enabled", "verificado": "verified",
    "testado": "tested", "testados": "tested", "documentado": "documented", "disponibilidade": "availability", "latencia": "latency", "fila": "queue",
}  # fmt: skip
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "be",
        "by",
        "de",
        "do",
        "da",
        "das",
        "dos",
        "e",
        "em",
        "for",
        "in",
        "is",
        "of",
        "on",
        "or",
        "para",
        "the",
        "to",
        "with",
        "com",
        "no",
        "na",
        "os",
        "as",
        "o",
        "um",
        "uma",
        "all",
        "every",
        "each",
        "check",
        "checks",
        "test",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    section: str
    path: str

    @property
    def words(self) -> frozenset[str]:
        return words(f"{self.id.replace('-', ' ')} {self.title} {self.section}")


def words(text: str) -> frozenset[str]:
    """Folded words, Portuguese mapped to English, plural ``s`` dropped, stop words removed."""
    found = (_stem(_SYNONYMS.get(w, w)) for w in _WORD.findall(fold(text)))
    return frozenset(w for w in found if w not in _STOP and len(w) > 1)


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def catalogue(root: Path) -> list[Check]:
    """Checks declared in ``root/test_*.py`` (recursively), read with ``ast``."""
    checks: list[Check] = []
    for path in sorted(root.rglob("test_*.py")):
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
    """Checks scored by the share of the check's words the item and its section mention."""
    item_words = words(f"{text} {section}")
    scored = []
    for check in checks:
        wanted = check.words
        if not wanted:
            continue
        shared = item_words & wanted
        text_hits = words(text) & wanted
        if not text_hits:
            continue  # the section alone never suggests a check
        score = round(len(shared) / len(wanted), 2)
        if score >= MIN_SCORE:
            scored.append((score, check))
    scored.sort(key=lambda sc: (-sc[0], sc[1].id))
    return scored


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
