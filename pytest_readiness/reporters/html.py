"""``--readiness-html``: one self-contained HTML file, readable offline and printable.

Everything is inline (CSS, a small filter script); no fonts, scripts or images are fetched.
Every value is escaped: by jinja2's autoescape in the template, and by :func:`escape` (the same
entities, held to markupsafe's by a test) in the item rows, which are made in Python for speed.
A Content-Security-Policy allows only the report's own script (by hash), so even a value that
slipped through could not run code. Rows are rendered on the server side so the file reads and
prints without JavaScript. The template is precompiled (:mod:`.report_template`).

Triage first: the items not met are listed right under the banner, most severe first, with
their reason, evidence and remediation; every critical one is listed, the others up to a cap
(the items table has them all, behind its "not met" filter). Long cells are capped on screen
with a button to show them whole. The script shows the items table a page at a time, so
loading and filtering 10,000 items lays out a few hundred rows, not all of them.
Every value shown has its control characters written as visible escapes (jinja2's
``finalize``; :func:`_rows_html` for the rows), and messages and evidence are cut
(:mod:`pytest_readiness.text`), so a hostile or huge value can neither hide text nor make a
page a browser cannot load.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any, NamedTuple

from pytest_readiness.errors import MissingExtra
from pytest_readiness.files import write_atomic
from pytest_readiness.model import SEVERITIES, Decision, ItemResult, Severity, Tally, Verdict
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, printable, shown

TEMPLATE = "report.html.j2"
_TEMPLATES = resources.files("pytest_readiness.reporters") / "templates"
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
#: Rows rendered into one piece of the streamed page.
_ROWS_PER_CHUNK = 200
#: What :func:`escape` replaces.
_HTML_SPECIAL = re.compile("[&<>'\"]")
_MORE = '<button type="button" class="more">show all</button>'


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
    template = _template(jinja2)
    for chunk in template.generate(context(verdict)):
        yield str(chunk)


def context(verdict: Verdict) -> dict[str, Any]:
    """Everything the template shows, precomputed so the template only loops and escapes.

    The rows of the two item tables (most of the page) come as HTML made here, not by the
    template: the same text, in a fraction of the time (see :func:`_rows_html`).
    """
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
        "item_count": len(rows),
        "item_rows": _rows_html(rows, _item_row),
        "blockers": _rows_html(blockers, _blocker_row) if blockers else None,
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


def _shown_unchanged(texts: tuple[str, ...], evidence: list[str]) -> bool:
    """Whether :func:`~pytest_readiness.text.shown` would return each of these as it is (all
    text, within the limits, no control character): the common case, checked for a whole row
    at once rather than value by value."""
    try:
        joined = "".join((*texts, *evidence))
    except TypeError:  # a marker field that is not text (shown() writes its str())
        return False
    return (
        max(map(len, texts)) <= MESSAGE_LIMIT
        and (not evidence or max(map(len, evidence)) <= EVIDENCE_LIMIT)
        and printable(joined) == joined
    )


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
    texts: tuple[str, ...] = (spec.id, spec.title, spec.section, spec.owner or "", spec.docs or "")
    multiline: tuple[str, ...] = (item.message, spec.remediation or "")
    evidence = [record.summary() for record in item.evidence]
    if not _shown_unchanged(texts + multiline, evidence):
        texts = tuple(shown(text, MESSAGE_LIMIT) for text in texts)
        multiline = tuple(shown(text, MESSAGE_LIMIT, keep_lines=True) for text in multiline)
        evidence = [shown(text, EVIDENCE_LIMIT, keep_lines=True) for text in evidence]
    id, title, section, owner, docs = texts
    message, remediation = multiline
    details = len(message) + len(remediation) + sum(map(len, evidence))
    lines = message.count("\n") + len(evidence) + bool(message) + bool(remediation)
    return Row(
        item.outcome.value,
        spec.severity.value,
        id,
        title,
        section,
        f"{spec.weight:g}",
        message,
        evidence,
        remediation,
        owner,
        docs,
        # Only web links become links: autoescape does not stop a javascript: URL.
        docs.startswith(("https://", "http://")),
        item.outcome.applicable and not item.met,
        details > _CAP_CHARS or lines > _CAP_LINES,
        len(title) > _CAP_CHARS,
    )


def _rows_html(rows: list[Row], row_html: Callable[[Row, int], str]) -> Iterator[Any]:
    """The rows as HTML, :data:`_ROWS_PER_CHUNK` at a time, as the template's loops wrote them:
    every value escaped (:func:`escape`, as autoescape does), and control characters written as
    visible escapes. :func:`~pytest_readiness.text.printable` runs once on a chunk rather than
    once per value (``finalize``): it replaces character by character, and the markup around
    the values has no control character but newlines, which it keeps, so the text is the same.
    """
    from markupsafe import Markup  # a dependency of jinja2

    for start in range(0, len(rows), _ROWS_PER_CHUNK):
        part = rows[start : start + _ROWS_PER_CHUNK]
        text = "".join([row_html(row, n) for n, row in enumerate(part, start)])
        yield Markup(printable(text, keep_lines=True))  # Markup: not escaped a second time


def _item_row(r: Row, n: int) -> str:
    """One row of the items table; the first :data:`PAGE_ROWS` shown before the script runs."""
    e = escape
    return (
        f'<tr class="o-{e(r.outcome)}{" nm" if r.not_met else ""}{" on" if n < PAGE_ROWS else ""}">'
        f'<td>{e(r.outcome)}</td><td>{e(r.severity)}</td><td class="id">{e(r.id)}</td>'
        f'{_title_cell(r)}<td>{e(r.section)}</td><td class="num">{e(r.weight)}</td>'
        f'<td class="det{" clip" if r.clip else ""}">{_details(r)}</td></tr>\n'
    )


def _blocker_row(r: Row, n: int) -> str:
    """One row of the blockers table under the banner."""
    e = escape
    return (
        f'<tr class="b-{e(r.severity)}"><td>{e(r.severity)}</td><td>{e(r.outcome)}</td>'
        f'<td class="id">{e(r.id)}</td>{_title_cell(r)}'
        f'<td class="det{" clip" if r.clip else ""}">{_details(r)}</td></tr>\n'
    )


def _title_cell(r: Row) -> str:
    if r.clip_title:
        return f'<td class="clip"><div class="cap">{escape(r.title)}</div>{_MORE}</td>'
    return f"<td>{escape(r.title)}</td>"


def _details(r: Row) -> str:
    """The reason, evidence, remediation, owner and docs of a row: the details cell's text."""
    e = escape
    text = f'<div class="msg">{e(r.message)}</div>' if r.message else ""
    for record in r.evidence:
        text += f'<div class="ev">{e(record)}</div>'
    if r.remediation:
        text += f'<div class="rem">{e(r.remediation)}</div>'
    if r.owner:
        text += f'<div class="own">{e(r.owner)}</div>'
    if r.docs:
        docs = e(r.docs)
        if r.docs_link:
            docs = f'<a href="{docs}" rel="noreferrer noopener">{docs}</a>'
        text += f'<div class="doc">{docs}</div>'
    return f'<div class="cap">{text}</div>{_MORE}' if r.clip else text


def escape(text: str) -> str:
    """``text`` as jinja2's autoescape writes it (markupsafe's five entities, which differ
    from :func:`html.escape`'s), without a ``Markup`` object per value; tests hold it to
    markupsafe."""
    if _HTML_SPECIAL.search(text) is None:
        return text  # most values: one search instead of five replaces
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
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
def _template(jinja2: ModuleType) -> Any:
    """The report's template from :mod:`.report_template`, precompiled (compiling costs more
    than rendering 1,000 items), if that was made from this template by this jinja2 version;
    else compiled from the source."""
    from pytest_readiness.reporters import report_template

    environment = _environment(jinja2)
    made_from = (report_template.JINJA2_VERSION, report_template.SOURCE_SHA256)
    if made_from != (jinja2.__version__, _template_sha256()):
        return environment.get_template(TEMPLATE)
    return environment.template_class.from_module_dict(
        environment, vars(report_template), environment.globals
    )


def compiled_template() -> str:
    """The text of :mod:`.report_template`: the template compiled by the installed jinja2.

    ``READINESS_UPDATE_GOLDEN=1 pytest tests/unit/test_report_html_rows.py`` rewrites the
    module; a test there fails while it is out of date.
    """
    jinja2 = _jinja2()
    environment = _environment(jinja2)
    source, filename, _ = environment.loader.get_source(environment, TEMPLATE)
    # defer_init: the filters are looked up when the template runs, not when it is imported
    code = environment.compile(source, TEMPLATE, filename, raw=True, defer_init=True)
    header = [
        f"# templates/{TEMPLATE} compiled by jinja2 (html.compiled_template()); do not edit:",
        "# READINESS_UPDATE_GOLDEN=1 pytest tests/unit/test_report_html_rows.py makes it again.",
        "# ruff: noqa",
        "# fmt: off",
        "# mypy: ignore-errors",
        f"JINJA2_VERSION = {jinja2.__version__!r}",
        f"SOURCE_SHA256 = {_template_sha256()!r}",
    ]
    # debug_info maps template lines to lines of this module, which the header moves down
    code = re.sub(
        r"(?m)^(debug_info = ')(.*)'$",
        lambda m: m[1] + _shift_lines(m[2], len(header)) + "'",
        code,
    )
    return "\n".join(header) + "\n" + code + "\n"


def _shift_lines(debug_info: str, offset: int) -> str:
    pairs = (pair.split("=") for pair in debug_info.split("&"))
    return "&".join(f"{template}={int(line) + offset}" for template, line in pairs)


def _template_sha256() -> str:
    source = (_TEMPLATES / TEMPLATE).read_bytes()
    return hashlib.sha256(source).hexdigest()


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
    folder = _TEMPLATES
    css = (folder / "report.css").read_text(encoding="utf-8")
    script = (folder / "report.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return css, script, "sha256-" + base64.b64encode(digest).decode("ascii")
