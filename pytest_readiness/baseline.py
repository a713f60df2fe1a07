"""``--readiness-baseline``: compare this run with a previous ``--readiness-json`` result.

Items are matched by id. "Failing" means applicable and not met (skipped items are not
applicable, so they neither fail nor get fixed). The previous file is checked against the
JSON result schema (``schemas/result.schema.json``, the same validator as readiness.yaml);
anything else is a ConfigError, which the plugin turns into a usage error (exit status 4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_readiness.errors import ConfigError
from pytest_readiness.model import BaselineDiff, Outcome, Verdict
from pytest_readiness.reporters.json_report import SCHEMA_VERSION
from pytest_readiness.schema import result_schema, validate

_FIX = "pass a file written by --readiness-json"


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a previous JSON result; raise ConfigError naming the file and the key."""
    return load_result(path, "baseline", _FIX)


def load_result(path: Path, what: str, fix: str) -> dict[str, Any]:
    """Read a JSON result and check it against the result schema (also used by merge)."""
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, None, f"{what} file not found", fix) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot read the {what} ({type(exc).__name__})"
        raise ConfigError(source, None, problem, fix) from None
    except ValueError as exc:
        raise ConfigError(source, None, f"the {what} is not JSON ({exc})", fix) from None
    _check(data, source, fix)
    return dict(data)


def _check(data: Any, source: str, fix: str) -> None:
    """The whole result schema, so that nothing the comparison or a report reads is malformed."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(data, dict) and version != SCHEMA_VERSION:
        raise ConfigError(
            source, "schema_version", f"expected {SCHEMA_VERSION}, got {version!r}", fix
        )
    try:
        validate(data, source=source, schema=result_schema())
    except ConfigError as exc:
        raise ConfigError(source, exc.key or None, exc.problem, fix) from None


def compare(verdict: Verdict, previous: dict[str, Any], source: str) -> BaselineDiff:
    """What changed since ``previous`` (a dict from :func:`load_baseline`)."""
    before = {item["id"]: _failing(Outcome(item["outcome"])) for item in previous["items"]}
    now = {item.spec.id: _failing(item.outcome) for item in verdict.items}
    score = int(previous["score"])
    return BaselineDiff(
        source=source,
        previous_decision=str(previous["decision"]),
        previous_score=score,
        score_change=verdict.score - score,
        newly_failing=tuple(i for i, bad in now.items() if bad and before.get(i) is False),
        fixed=tuple(
            item.spec.id
            for item in verdict.items
            if item.outcome.met and before.get(item.spec.id) is True
        ),
        added=tuple(i for i in now if i not in before),
        removed=tuple(i for i in before if i not in now),
    )


def _failing(outcome: Outcome) -> bool:
    return outcome.applicable and not outcome.met
