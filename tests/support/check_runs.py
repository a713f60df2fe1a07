"""Readiness runs of the built-in ``checks/`` modules inside pytester, the way users run them.

The module paths are given on the command line (until the built-in loader selects them from
the profile). The pytester directory carries its own empty ini file, so the repository's pytest
configuration and conftest stay out of the run.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHECKS = Path(__file__).resolve().parents[2] / "checks"


@dataclass
class ChecksRun:
    result: pytest.RunResult
    data: dict[str, Any]

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        """Items of the JSON report by id (``HTTP-HEALTH[good]``)."""
        return {item["id"]: item for item in self.data["items"]}

    def outcomes(self) -> dict[str, str]:
        return {item_id: item["outcome"] for item_id, item in self.items.items()}

    def evidence(self, item_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.items[item_id]["evidence"]
        return records


def run_checks(
    pytester: pytest.Pytester, profile: str, *modules: str, args: tuple[str, ...] = ()
) -> ChecksRun:
    """Run ``checks/<module>`` for profile ``prod`` of the YAML ``profile``; parse the JSON."""
    pytester.makefile(".yaml", readiness=textwrap.dedent(profile))
    ini = pytester.makeini("[pytest]\n")
    out = pytester.path / "result.json"
    out.unlink(missing_ok=True)
    result = pytester.runpytest(
        *(str(CHECKS / module) for module in modules),
        "-c",
        str(ini),
        f"--rootdir={pytester.path}",
        "--readiness=prod",
        f"--readiness-json={out}",
        "-p",
        "no:cacheprovider",
        *args,
    )
    assert out.exists(), f"no JSON report; pytest said:\n{result.stdout.str()}"
    return ChecksRun(result, json.loads(out.read_text()))
