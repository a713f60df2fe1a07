"""``--readiness-html``: one self-contained HTML file, readable offline and printable.

Everything is inline (CSS, a small filter script); no fonts, scripts or images are fetched.
Every value goes through jinja2's autoescape, and a Content-Security-Policy allows only the
report's own script (by hash), so even a value that slipped through could not run code.
Rows are rendered on the server side so the file reads and prints without JavaScript.

Triage first: the items not met are listed right under the banner, most severe first, with
their reason, evidence and remediation; every critical one is listed, the others up to a cap
(the items table has them all, behind its "not met" filter). Long cells are capped on screen
with a button to show them whole. The script shows the items table a page at a time, so
loading and filtering 10,000 items lays out a few hundred rows, not all of them.
Every value shown has its control characters written as visible escapes (jinja2's
``finalize``), and messages and evidence are cut (:mod:`pytest_readiness.text`), so a hostile
or huge value can neither hide text nor make a page a browser cannot load.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any, NamedTuple

from pytest_readiness.errors import MissingExtra
from pytest_readiness.files import write_atomic
from pytest_readiness.model import SEVERITIES, Decision, ItemResult, Severity, Tally, Verdict
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, printable, shown

TEMPLATE = "report.html.j2"
_DECISION_CLASS = {
    Decision.GO: "go",
    Decision.DELAY: "delay",
    Decision.NO_GO: "nogo",
    Decision.NO_DATA: "nodata",
    Decision.INCOMPLETE: "incomplete",
}
#: Blockers listed under the banner besides every critical one (the table holds the rest).
BLOCKERS_SHOWN = 25
#: Rows of the items table shown at a time (report.js pages the rest; all show without it).
PAGE_ROWS = 100
#: A details cell longer than this (characters, or lines) is capped on screen.
_CAP_CHARS = 320
_CAP_LINES = 5
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


class Row(NamedTuple):
    """One item row; a tuple so 10,000 of them render fast."""

    outcome: str
    severity: str
    id: str
    title: str
    section: str
    weight: str
    message: str
    evidence: list[str]
    remediation: str
    owner: str
    docs: str
    docs_link: bool
    not_met: bool  # applicable and not met: what the "not met" filter and the blockers show
    clip: bool  # the details cell is long: capped on screen, with a button to show it whole
    clip_title: bool


def write(verdict: Verdict, path: str, config: object = None) -> None:
    write_atomic(path, render(verdict))


def render(verdict: Verdict) -> str:
    return "".join(chunks(verdict))


def chunks(verdict: Verdict) -> Iterator[str]:
    """:func:`render`'s text as the template produces it, streamed to the report's file."""
    jinja2 = _jinja2()  # checked on every call so a missing extra is never masked by the cache
    template = _environment(jinja2).get_template(TEMPLATE)
    for chunk in template.generate(context(verdict)):
        yield str(chunk)


def context(verdict: Verdict) -> dict[str, Any]:
    """Everything the template shows, precomputed so the template only loops and escapes."""
    css, script, script_hash = _assets()
    diff = verdict.baseline
    counts = verdict.counts
    rows = [_row(item) for item in verdict.items]
    blockers = _blockers(verdict.items, rows)
    not_met = sum(row.not_met for row in rows)
    return {
        "v": verdict,
        "run": verdict.run,
        "decision_class": _DECISION_CLASS[verdict.decision],
        "severities": [s.value for s in SEVERITIES],
        "sections": [_section(row.section, row.cells, row.completion) for row in verdict.sections],
        "totals": [_cell(verdict.totals[s]) for s in SEVERITIES],
        "outcomes": [o.value for o, n in counts.items() if n],
        "counts": [(o.value, n) for o, n in counts.items() if n],
        "rows": rows,
        "blockers": blockers,
        "blockers_more": not_met - len(blockers),
        "not_met": not_met,
        "page_rows": PAGE_ROWS,
        "diff": diff,
        "diff_lists": []
        if diff is None
        else [
            ("Newly failing", diff.newly_failing),
            ("Fixed", diff.fixed),
            ("Added", diff.added),
            ("Removed", diff.removed),
        ],
        "run_facts": _run_facts(verdict),
        "css": css,
        "script": script,
        "script_hash": script_hash,
    }


def _blockers(items: tuple[ItemResult, ...], rows: list[Row]) -> list[Row]:
    """Not-met rows, most severe first (collection order within a severity): every critical
    one, then others up to :data:`BLOCKERS_SHOWN` rows in all."""
    ranked = sorted(
        (_SEVERITY_RANK[item.spec.severity], n) for n, item in enumerate(items) if rows[n].not_met
    )
    shown_rows: list[Row] = []
    for rank, n in ranked:
        if rank != _SEVERITY_RANK[Severity.CRITICAL] and len(shown_rows) >= BLOCKERS_SHOWN:
            break
        shown_rows.append(rows[n])
    return shown_rows


def _row(item: ItemResult) -> Row:
    spec = item.spec
    docs = shown(spec.docs or "", MESSAGE_LIMIT)
    message = shown(item.message, MESSAGE_LIMIT, keep_lines=True)
    evidence = [
        shown(record.summary(), EVIDENCE_LIMIT, keep_lines=True) for record in item.evidence
    ]
    remediation = shown(spec.remediation or "", MESSAGE_LIMIT, keep_lines=True)
    title = shown(spec.title, MESSAGE_LIMIT)
    details = len(message) + len(remediation) + sum(len(e) for e in evidence)
    lines = message.count("\n") + len(evidence) + bool(message) + bool(remediation)
    return Row(
        item.outcome.value,
        spec.severity.value,
        shown(spec.id, MESSAGE_LIMIT),
        title,
        shown(spec.section, MESSAGE_LIMIT),
        f"{spec.weight:g}",
        message,
        evidence,
        remediation,
        shown(spec.owner or "", MESSAGE_LIMIT),
        docs,
        # Only web links become links: autoescape does not stop a javascript: URL.
        docs.startswith(("https://", "http://")),
        item.outcome.applicable and not item.met,
        details > _CAP_CHARS or lines > _CAP_LINES,
        len(title) > _CAP_CHARS,
    )


def _section(name: str, cells: dict[Any, Tally], completion: Tally) -> dict[str, Any]:
    percent = completion.percent
    width = 0 if percent is None else int(percent)
    return {
        "name": shown(name, MESSAGE_LIMIT),
        "cells": [_cell(cells[s]) for s in SEVERITIES],
        "percent": completion.percent_label,
        "width": width,
        "level": "low" if width < 50 else "mid" if width < 90 else "",
    }


def _cell(tally: Tally) -> tuple[str, str]:
    if not tally.total:
        return tally.fraction, "none"
    return tally.fraction, "full" if tally.met == tally.total else "part"


def _run_facts(verdict: Verdict) -> list[tuple[str, str]]:
    run = verdict.run
    facts = [
        ("profile", run.profile),
        ("config", run.config_path),
        ("started", run.started_at),
        ("duration", f"{run.duration:.1f} s"),
        ("host", run.hostname),
        ("git commit", run.git_commit),
        ("pytest", run.pytest_version),
        ("pytest-readiness", run.plugin_version),
        ("python", run.python_version),
        ("xdist workers", str(run.workers) if run.workers else None),
        ("exit status", str(verdict.exit_status)),
    ]
    return [(label, value) for label, value in facts if value]


def ensure_available() -> None:
    """Raise MissingExtra now rather than after the run (for a check at configure time)."""
    _jinja2()


def _jinja2() -> ModuleType:
    try:
        import jinja2
    except ImportError:
        raise MissingExtra("html", "jinja2") from None
    return jinja2


@cache
def _environment(jinja2: ModuleType) -> Any:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_readiness.reporters", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )


def _printable(value: Any) -> Any:
    """Every ``{{ value }}``: control characters as visible escapes; the page's own inline CSS
    and script (marked safe) pass unchanged, or the script's CSP hash would not match."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return printable(value, keep_lines=True)
    return value


@cache
def _assets() -> tuple[str, str, str]:
    """The inline CSS and script, and the script's CSP hash (it must match byte for byte)."""
    folder = resources.files("pytest_readiness.reporters") / "templates"
    css = (folder / "report.css").read_text(encoding="utf-8")
    script = (folder / "report.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return css, script, "sha256-" + base64.b64encode(digest).decode("ascii")
