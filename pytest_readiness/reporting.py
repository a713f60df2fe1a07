"""From the decision to files, and the one place that settles the exit status.

Every report states the status the process really ends with. The status depends on whether
the reports could be written, so: render and write every report with the status the decision
implies; if any report fails, the status becomes 4 and the reports that were written are
written again with it. The GitHub step summary is appended once, last, with the final status.
Each writer runs isolated: one failing report is one problem line, never the end of the others.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.errors import ReadinessError
from pytest_readiness.files import AtomicFile
from pytest_readiness.model import Verdict
from pytest_readiness.policy import Policy, exit_status

#: option dest -> module with ``render(verdict) -> str`` (and, to stream its file,
#: ``chunks(verdict)``: the same text in pieces)
REPORT_RENDERERS: dict[str, str] = {
    "readiness_json": "pytest_readiness.reporters.json_report",
    "readiness_html": "pytest_readiness.reporters.html",
    "readiness_md": "pytest_readiness.reporters.markdown",
    "readiness_sarif": "pytest_readiness.reporters.sarif",
}


@dataclass(frozen=True)
class Report:
    """One report file the run was asked for."""

    where: str  # the option as the user gave it, for messages: ``--readiness-json=r.json``
    path: Path
    render: Callable[[Verdict], Iterable[str]]  # the text, whole (a str) or in chunks


def publish(
    verdict: Verdict, config: pytest.Config, policy: Policy, pytest_status: int
) -> tuple[Verdict, list[str]]:
    """Settle the exit status, write every report with it; return the final verdict and problems."""
    verdict = replace(verdict, exit_status=exit_status(verdict, pytest_status, policy))
    reports, problems = requested_reports(config)
    written = write_reports(reports, verdict, problems)
    if problems:
        final = exit_status(verdict, pytest_status, policy, reports_failed=True)
        if final != verdict.exit_status:
            verdict = replace(verdict, exit_status=final)
            write_reports(written, verdict, problems)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:  # GitHub Actions: every readiness run leaves its verdict in the job summary
        from pytest_readiness.reporters.markdown import append_step_summary

        try:
            append_step_summary(verdict, os.environ)
        except OSError as exc:
            problems.append(
                f"cannot append to $GITHUB_STEP_SUMMARY={summary}: {exc.strerror or exc}"
            )
    return verdict, problems


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while deciding and rendering.

    Both build many short-lived, acyclic objects (freed by reference counting anyway), and
    each full collection they would trigger walks the whole heap of a large run: every
    report pytest keeps, every item, every parsed module (profile of 10,000 items: GC about
    doubled the time of the session end). Collection resumes afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def requested_reports(config: pytest.Config) -> tuple[list[Report], list[str]]:
    """The reports this run asked for (JUnit: the file pytest's junitxml wrote, enriched)."""
    reports: list[Report] = []
    problems: list[str] = []
    for dest, module_name in REPORT_RENDERERS.items():
        path = config.getoption(dest, None)
        if path:
            where = "--" + dest.replace("_", "-") + f"={path}"
            render = lazy_render(module_name)
            reports.append(Report(where, Path(config.invocation_params.dir, path), render))
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath:
        junit = _junit_report(config, Path(os.path.abspath(xmlpath)), problems)
        if junit is not None:
            reports.append(junit)
    return reports, problems


def lazy_render(module_name: str) -> Callable[[Verdict], Iterable[str]]:
    """The module's ``chunks`` where it has one (streamed to the file), else its ``render``."""

    def render(verdict: Verdict) -> Iterable[str]:
        module: Any = importlib.import_module(module_name)
        chunks = getattr(module, "chunks", None)
        if chunks is not None:
            return chunks(verdict)  # type: ignore[no-any-return]
        return str(module.render(verdict))

    return render


def _junit_report(config: pytest.Config, path: Path, problems: list[str]) -> Report | None:
    """pytest's junitxml has written ``path`` by now; keep its text and add ours to it."""
    from pytest_readiness.reporters import junit

    try:
        pristine = path.read_text(encoding="utf-8")
        streamable = junit.is_streamable(pristine)
    except (OSError, ET.ParseError) as exc:
        problems.append(f"cannot add the decision to --junitxml={path}: {exc}")
        return None
    family = str(config.getini("junit_family"))
    enriched = junit.enrich_chunks if streamable else junit.enrich_text
    return Report(
        f"--junitxml={config.option.xmlpath}",
        path,
        lambda verdict: enriched(pristine, verdict, family),
    )


def write_reports(reports: list[Report], verdict: Verdict, problems: list[str]) -> list[Report]:
    """Render each report on this thread, streamed to a temp file beside its path, and hand
    the file to a writer thread that fsyncs it and renames it into place: the fsyncs overlap
    the rendering of the next report, and no report is held whole in memory (one that renders
    in chunks). Problems are listed in the order of the reports."""
    outcomes: list[Future[Any] | BaseException] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness-write") as writer:
        for report in reports:
            try:
                file = _streamed(report, verdict)
            except Exception as exc:  # a renderer bug must not take the other reports down
                outcomes.append(exc)
            else:
                outcomes.append(writer.submit(file.commit))
    written = []
    for report, outcome in zip(reports, outcomes, strict=True):
        error = outcome if isinstance(outcome, BaseException) else outcome.exception()
        if error is None:
            written.append(report)
        else:
            problems.append(_problem(report.where, error))
    return written


def _streamed(report: Report, verdict: Verdict) -> AtomicFile:
    """The report written to its temp file, not yet in place; nothing left behind on failure."""
    file = AtomicFile(report.path)
    try:
        text = report.render(verdict)
        if isinstance(text, str):
            file.handle.write(text)
        else:
            file.write_chunks(text)
    except BaseException:
        file.discard()
        raise
    return file


def _problem(where: str, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"cannot write {where}: {exc.strerror or exc}; check the path"
    if isinstance(exc, ReadinessError):  # e.g. the extra a report needs is missing
        return f"cannot write {where}: {exc}"
    return f"cannot write {where}: {type(exc).__name__}: {exc}"
