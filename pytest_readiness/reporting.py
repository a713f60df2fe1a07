"""From the decision to files: redact once, then hand the verdict to each report writer.

Writers are looked up lazily by option so a run pays only for the reports it asks for.
"""

from __future__ import annotations

import os

import pytest

from pytest_readiness.errors import ReadinessError
from pytest_readiness.model import Verdict
from pytest_readiness.redaction import (
    redact_verdict as redact_verdict,  # the collector imports it here
)

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
