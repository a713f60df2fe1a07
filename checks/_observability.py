"""Pure helpers of the observability checks: API documents in, findings out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import yaml


def target_health(data: Mapping[str, Any], jobs: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """``job instance`` -> health of the active targets of ``jobs`` (all jobs when empty), and
    the required jobs that have no target at all."""
    wanted = set(jobs)
    health: dict[str, str] = {}
    seen: set[str] = set()
    for target in data.get("activeTargets", []):
        labels = target.get("labels", {})
        job = str(labels.get("job") or target.get("scrapePool", "?"))
        seen.add(job)
        if wanted and job not in wanted:
            continue
        health[f"{job} {labels.get('instance', target.get('scrapeUrl', '?'))}"] = str(
            target.get("health", "unknown")
        )
    return health, sorted(wanted - seen)


def alert_rules(data: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Alerting rule name -> (health, last error) over every group (a name in several groups
    keeps its worst health)."""
    rank = {"ok": 0, "unknown": 1, "err": 2}
    rules: dict[str, tuple[str, str]] = {}
    for group in data.get("groups", []):
        for rule in group.get("rules", []):
            if rule.get("type") != "alerting":
                continue
            name = str(rule.get("name"))
            entry = (str(rule.get("health", "unknown")), str(rule.get("lastError", "")))
            if name not in rules or rank.get(entry[0], 2) > rank.get(rules[name][0], 2):
                rules[name] = entry
    return rules


def receivers(status: Mapping[str, Any]) -> tuple[str | None, dict[str, list[str]]]:
    """From Alertmanager's ``/api/v2/status``: the root route's receiver and, per receiver,
    the integration types it has (``slack``, ``pagerduty``, ``webhook`` ...).

    Only names and types are returned: the configuration itself may hold credentials.
    """
    original = status.get("config", {}).get("original", "")
    config = yaml.safe_load(original) if isinstance(original, str) else None
    if not isinstance(config, dict):
        return None, {}
    found: dict[str, list[str]] = {}
    for receiver in config.get("receivers") or []:
        kinds = sorted(
            key.removesuffix("_configs")
            for key, value in receiver.items()
            if key.endswith("_configs") and value
        )
        found[str(receiver.get("name"))] = kinds
    route = config.get("route") or {}
    return (str(route["receiver"]) if route.get("receiver") else None), found


def over_limit(series: list[tuple[dict[str, str], float]], limit: float) -> list[str]:
    """Series whose value exceeds ``limit`` or is not a number, described by their labels."""
    return [_describe(labels, v) for labels, v in series if math.isnan(v) or v > limit]


def under_limit(series: list[tuple[dict[str, str], float]], limit: float) -> list[str]:
    """Series whose value is below ``limit`` or is not a number, described by their labels."""
    return [_describe(labels, v) for labels, v in series if math.isnan(v) or v < limit]


def _describe(labels: Mapping[str, str], value: float) -> str:
    name = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "{}"
    return f"{name} = {value:g}"


def alerting_rules(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(``group/alert`` name, rule) of every alerting rule of a ``/api/v1/rules`` answer."""
    for group in data.get("groups", []):
        for rule in group.get("rules", []):
            if rule.get("type") == "alerting":
                yield f"{group.get('name')}/{rule.get('name')}", rule


def without_annotation(data: Mapping[str, Any], annotation: str) -> tuple[int, list[str]]:
    """(alerting rules, the ones whose ``annotation`` is missing or blank)."""
    rules = list(alerting_rules(data))
    missing = [
        name
        for name, rule in rules
        if not str((rule.get("annotations") or {}).get(annotation, "")).strip()
    ]
    return len(rules), missing


def label_values(data: Mapping[str, Any], label: str) -> dict[str, str | None]:
    """Alerting rule -> its value of ``label`` (None when the rule has none)."""
    return {name: (rule.get("labels") or {}).get(label) for name, rule in alerting_rules(data)}


def dashboards_missing(found: Iterable[Mapping[str, Any]], wanted: Iterable[str]) -> list[str]:
    """Wanted dashboards (uid or exact title) that the search result lacks."""
    names = set()
    for dashboard in found:
        names.add(str(dashboard.get("uid")))
        names.add(str(dashboard.get("title")))
    return [w for w in wanted if w not in names]
