"""From the decision to files: redact once, then hand the verdict to each report writer.

Writers are looked up lazily by option so a run pays only for the reports it asks for.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest

from pytest_readiness.errors import ReadinessError
from pytest_readiness.model import EvidenceRecord, ItemResult, Verdict
from pytest_readiness.redaction import Redactor

#: option dest -> "module:function" writing (verdict, path, config)
REPORT_WRITERS: dict[str, str] = {
    "readiness_json": "pytest_readiness.reporters.json_report:write",
    "readiness_html": "pytest_readiness.reporters.html:write",
    "readiness_md": "pytest_readiness.reporters.markdown:write",
}


def write_reports(verdict: Verdict, config: pytest.Config) -> list[str]:
    """Write every report asked for; return one problem line per report that could not be written."""
    import importlib

    problems = []
    for dest, target in REPORT_WRITERS.items():
        path = config.getoption(dest, None)
        if not path:
            continue
        module_name, func = target.split(":")
        writer = getattr(importlib.import_module(module_name), func)
        option = "--" + dest.replace("_", "-")
        try:
            writer(verdict, path, config)
        except OSError as exc:
            problems.append(f"cannot write {option}={path}: {exc.strerror or exc}; check the path")
        except ReadinessError as exc:  # e.g. the extra a report needs is missing
            problems.append(f"cannot write {option}={path}: {exc}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:  # GitHub Actions: every readiness run leaves its verdict in the job summary
        from pytest_readiness.reporters.markdown import append_step_summary

        try:
            append_step_summary(verdict, os.environ)
        except OSError as exc:
            problems.append(
                f"cannot append to $GITHUB_STEP_SUMMARY={summary}: {exc.strerror or exc}"
            )
    return problems


def redact_verdict(verdict: Verdict, redactor: Redactor) -> Verdict:
    """Mask secrets in everything free-form a check produced: messages and evidence."""
    if not redactor.secrets:
        return verdict
    items = tuple(_redact_item(item, redactor) for item in verdict.items)
    reasons = tuple(redactor.redact(r) for r in verdict.reasons)
    return replace(verdict, items=items, reasons=reasons)


def _redact_item(item: ItemResult, redactor: Redactor) -> ItemResult:
    evidence = tuple(
        EvidenceRecord(
            label=redactor.redact(e.label) if e.label else e.label,
            observed=redactor.redact_value(e.observed),
            expected=redactor.redact_value(e.expected),
            details=_as_dict(redactor.redact_value(e.details)),
        )
        for e in item.evidence
    )
    return replace(item, message=redactor.redact(item.message), evidence=evidence)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
