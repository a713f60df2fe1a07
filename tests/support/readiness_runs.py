"""Run built-in check modules the way users do: a readiness run over a readiness.yaml.

The run is a ``python -m pytest`` subprocess in its own directory (rootdir and readiness.yaml
there, the check module passed by path), so a test module can make one run per server
configuration in a module-scoped fixture and assert many items of its JSON result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "checks"
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class ReadinessRun:
    """The JSON result of one run, its items by id, and what the run printed."""

    result: dict[str, Any]
    text: str
    output: str

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        return {item["id"]: item for item in self.result["items"]}

    def item(self, item_id: str) -> dict[str, Any]:
        __tracebackhide__ = True
        items = self.items
        assert item_id in items, f"{item_id} not in the run: {sorted(items)}\n{self.output[-3000:]}"
        return items[item_id]

    def by_target(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (target, check id): ``K8S-VPA[live]`` -> ("live", "K8S-VPA")."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for item in self.result["items"]:
            check_id, _, target = item["id"].rstrip("]").partition("[")
            found[target, check_id] = item
        return found


def run_checks(
    workdir: Path, modules: str | Sequence[str], profile: str, *args: str
) -> ReadinessRun:
    """Run ``checks/<module>`` (one or several) with ``profile`` (the YAML of profile ``prod``)
    in ``workdir``."""
    paths = [str(CHECKS / m) for m in ([modules] if isinstance(modules, str) else modules)]
    return _run(workdir, profile, [*paths, *args], RUN_TIMEOUT)


def run_profile(
    workdir: Path, profile: dict[str, Any], *args: str, timeout: float = RUN_TIMEOUT
) -> ReadinessRun:
    """A run of profile ``prod`` (``profile`` as a mapping) whose ``checks:`` key selects the
    built-in checks, as users run them: no module on the command line."""
    text = yaml.safe_dump({"profiles": {"prod": profile}})
    return _run(workdir, text, list(args), timeout)


def _run(workdir: Path, profile: str, args: list[str], timeout: float) -> ReadinessRun:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "readiness.yaml").write_text(profile)
    (workdir / "pytest.ini").write_text("[pytest]\n")
    out = workdir / "result.json"
    out.unlink(missing_ok=True)
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    argv = [
        sys.executable, "-m", "pytest", *args,
        "-c", str(workdir / "pytest.ini"),
        "--rootdir", str(workdir), "--readiness=prod", f"--readiness-json={out}",
        "-p", "no:cacheprovider", "-q",
    ]  # fmt: skip
    proc = subprocess.run(
        argv, cwd=workdir, env={**os.environ, "PYTHONPATH": path}, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert out.exists(), f"no JSON result (exit {proc.returncode}):\n{output[-4000:]}"
    text = out.read_text()
    return ReadinessRun(json.loads(text), text, output)
