"""Baseline comparison (placeholder until the reports issue lands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_readiness.errors import ConfigError
from pytest_readiness.model import BaselineDiff, Verdict


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), None, f"cannot read the baseline ({type(exc).__name__})",
                          "pass a file written by --readiness-json") from None
    return data


def compare(verdict: Verdict, previous: dict[str, Any], source: str) -> BaselineDiff:
    return BaselineDiff(source, str(previous.get("decision")), int(previous.get("score", 0)),
                        verdict.score - int(previous.get("score", 0)))
