"""``--readiness-baseline``: compare this run with a previous ``--readiness-json`` result.

Items are matched by id. "Failing" means applicable and not met (skipped items are not
applicable, so they neither fail nor get fixed). The previous file is checked against the
parts of the JSON report schema the comparison reads; anything else is a ConfigError, which
the plugin turns into a usage error (exit status 4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_readiness.errors import ConfigError
from pytest_readiness.model import BaselineDiff, Decision, Outcome, Verdict
from pytest_readiness.reporters.json_report import SCHEMA_VERSION

_FIX = "pass a file written by --readiness-json"
_DECISIONS = frozenset(d.value for d in Decision)
_OUTCOMES = frozenset(o.value for o in Outcome)


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a previous JSON result; raise ConfigError naming the file and the key."""
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, None, "baseline file not found", _FIX) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot read the baseline ({type(exc).__name__})"
        raise ConfigError(source, None, problem, _FIX) from None
    except ValueError as exc:
        raise ConfigError(source, None, f"the baseline is not JSON ({exc})", _FIX) from None
    _check(data, source)
    return dict(data)


def _check(data: Any, source: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(source, None, "the baseline is not a JSON object", _FIX)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise ConfigError(
            source, "schema_version", f"expected {SCHEMA_VERSION}, got {version!r}", _FIX
        )
    if data.get("decision") not in _DECISIONS:
        raise ConfigError(source, "decision", f"unknown decision {data.get('decision')!r}", _FIX)
    score = data.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        raise ConfigError(source, "score", f"expected an integer 0..100, got {score!r}", _FIX)
    items = data.get("items")
    if not isinstance(items, list):
        raise ConfigError(source, "items", "expected a list of items", _FIX)
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or item.get("outcome") not in _OUTCOMES
        ):
            raise ConfigError(
                source, f"items[{index}]", "expected an object with 'id' and 'outcome'", _FIX
            )


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
