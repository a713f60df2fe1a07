"""Report paths are checked before the run, not after it: a typo costs seconds, not a whole run,
and a report option can never overwrite the config, a test or anything else not a report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

_SNIFF_BYTES = 4096
#: How every --readiness-json result starts (reporters/json_report.py writes these keys first).
_JSON_RESULT_HEAD = re.compile(r'\s*\{\s*"schema_version"\s*:\s*\d+\s*,\s*"decision"\s*:')


def check_report_paths(config: pytest.Config, options: Iterable[str]) -> None:
    """Raise UsageError naming the option if a report could not or must not be written there."""
    seen: dict[Path, str] = {}
    for dest in options:
        value = config.getoption(dest, None)
        if not value:
            continue
        option = "--" + dest.replace("_", "-") + f"={value}"
        path = Path(config.invocation_params.dir, value).resolve()
        if path in seen:
            raise pytest.UsageError(f"{option}: {seen[path]} writes to the same file")
        seen[path] = option
        problem = _problem(path, dest)
        if problem:
            raise pytest.UsageError(f"{option}: {problem}")


def _problem(path: Path, dest: str) -> str | None:
    if path.is_dir():
        return "is a directory; name a file"
    if path.exists():
        if not _is_previous_report(path, dest):
            return (
                "exists and is not a report written by pytest-readiness; refusing to overwrite it"
            )
        return None
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory; the report cannot be written there"
    return None


def _is_previous_report(path: Path, dest: str) -> bool:
    try:
        if dest == "readiness_sarif":
            return _is_our_sarif(json.loads(path.read_text(encoding="utf-8")))
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except (OSError, ValueError):
        return False
    if dest == "readiness_json":  # its head, not the whole file: a result may be megabytes
        return _JSON_RESULT_HEAD.match(head) is not None
    if dest == "readiness_html":
        return '<meta name="generator" content="pytest-readiness' in head
    if dest == "readiness_md":
        return head.startswith("# Production Readiness Checklist: ")
    return False


def _is_our_sarif(data: object) -> bool:
    """A SARIF log whose every run is ours: never overwrite another tool's findings."""
    runs = data.get("runs") if isinstance(data, dict) else None
    return (
        isinstance(runs, list)
        and bool(runs)
        and all(
            isinstance(run, dict)
            and isinstance(run.get("tool"), dict)
            and isinstance(run["tool"].get("driver"), dict)
            and run["tool"]["driver"].get("name") == "pytest-readiness"
            for run in runs
        )
    )
