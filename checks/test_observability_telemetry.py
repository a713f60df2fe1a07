"""Built-in checks of the log and trace backends of the observability stack.

Every check runs once per ``observability`` target through the ``obs_stack`` fixture and asks
the backends the target names a URL for: ``loki`` and/or ``elasticsearch`` (OpenSearch too) for
logs, ``jaeger`` and/or ``tempo`` for traces; with none of them the check is not applicable.

Structured logging is judged on what the log backend returns for the service's selectors, not
on a log file: the backend is what operators search, it sees every replica, and it needs no
access to the service's hosts. Every request is a GET.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.observability import ObservabilityStack

from ._telemetry import (
    es_documents,
    es_index_path,
    loki_count_query,
    loki_lines,
    lucene_recent,
    structured_report,
    tempo_query,
    trace_count,
    window_seconds,
)

DOMAIN = "observability"
TARGET_KIND = "observability"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "OBS-LOGS-INGESTED": {
        "obs_logs_selectors": [],
        "obs_logs_queries": ["*"],
        "obs_logs_index": "*",
        "obs_logs_timestamp_field": "@timestamp",
        "obs_logs_window": "15m",
        "obs_logs_min_lines": 1,
    },
    "LOGS-STRUCTURED": {
        "obs_logs_required_fields": [
            "timestamp|time|ts|@timestamp",
            "level|severity|log.level",
            "message|msg",
        ],
        "obs_logs_structured_min_share": 0.95,
        "obs_logs_sample_size": 200,
    },
    "OBS-TRACES-INGESTED": {
        "obs_traces_services": [],
        "obs_traces_lookback": "1h",
        "obs_traces_min": 1,
    },
}
LOG_BACKENDS = ("loki", "elasticsearch")
TRACE_BACKENDS = ("jaeger", "tempo")


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _logs(readiness: ReadinessContext, name: str) -> Any:
    """A threshold shared by the log checks (declared once, under OBS-LOGS-INGESTED)."""
    return _threshold(readiness, "OBS-LOGS-INGESTED", name)


def _backends(obs_stack: ObservabilityStack, names: tuple[str, ...]) -> list[str]:
    __tracebackhide__ = True
    present = [name for name in names if obs_stack.has(name)]
    if not present:
        pytest.skip(f"N/A: the target names no {' or '.join(names)} URL")
    return present


def _loki_selectors(readiness: ReadinessContext) -> list[str]:
    __tracebackhide__ = True
    selectors = list(_logs(readiness, "obs_logs_selectors"))
    assert selectors, (
        "no LogQL stream selector to ask Loki for: set thresholds.obs_logs_selectors "
        "(e.g. ['{app=\"shop\"}'])"
    )
    return selectors


@pytest.mark.important(
    id="OBS-LOGS-INGESTED",
    section="Observability",
    remediation="ship the service's logs to the log backend (promtail, fluent-bit, the OpenTelemetry collector ...); thresholds.obs_logs_selectors (Loki) and obs_logs_queries with obs_logs_index (Elasticsearch/OpenSearch) say which logs",
    docs="https://grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-at-a-single-point-in-time",
)
def test_observability_logs_ingested(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The log backend received the service's recent logs

    Loki: each LogQL stream selector in ``obs_logs_selectors`` counts at least
    ``obs_logs_min_lines`` lines within ``obs_logs_window`` (``count_over_time``); an empty
    list fails. Elasticsearch / OpenSearch: each Lucene query in ``obs_logs_queries`` counts at
    least as many documents of ``obs_logs_index`` whose ``obs_logs_timestamp_field`` is within
    the window (``_count``).
    """
    backends = _backends(obs_stack, LOG_BACKENDS)
    window = _logs(readiness, "obs_logs_window")
    window_seconds(window, "obs_logs_window")
    minimum = int(_logs(readiness, "obs_logs_min_lines"))
    counts: dict[str, int] = {}
    if "loki" in backends:
        for selector in _loki_selectors(readiness):
            series = obs_stack.query(loki_count_query(selector, window), component="loki")
            counts[f"loki {selector}"] = int(sum(value for _, value in series))
    if "elasticsearch" in backends:
        index = _logs(readiness, "obs_logs_index")
        field = _logs(readiness, "obs_logs_timestamp_field")
        for query in _logs(readiness, "obs_logs_queries"):
            found = obs_stack.api(
                "elasticsearch",
                es_index_path(index, "_count"),
                q=lucene_recent(query, field, window),
            )
            counts[f"elasticsearch {index} {query}"] = int(found.get("count", 0))
    short = {name: count for name, count in counts.items() if count < minimum}
    evidence("log lines", observed=counts, expected=f">= {minimum} each within {window}")
    assert not short, f"fewer than {minimum} log lines within {window}: " + "; ".join(
        f"{name} ({count})" for name, count in short.items()
    )


@pytest.mark.important(
    id="LOGS-STRUCTURED",
    section="Observability",
    remediation="log one JSON object per line with the fields of thresholds.obs_logs_required_fields (a JSON formatter such as structlog or python-json-logger)",
    docs="https://opentelemetry.io/docs/specs/otel/logs/data-model/",
)
def test_observability_logs_are_structured(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The service's recent logs are structured

    Up to ``obs_logs_sample_size`` of the newest records within ``obs_logs_window`` that the log
    backend returns for the selectors of OBS-LOGS-INGESTED are judged: a Loki line must be a
    JSON object, an Elasticsearch / OpenSearch document is one already; either must have every
    field of ``obs_logs_required_fields`` (``a|b``: either name; dotted names reach into nested
    objects). At least ``obs_logs_structured_min_share`` of them must; no record at all fails.
    The evidence names fields and lengths, never a record's content.
    """
    backends = _backends(obs_stack, LOG_BACKENDS)
    window = _logs(readiness, "obs_logs_window")
    window_seconds(window, "obs_logs_window")
    required = list(_threshold(readiness, "LOGS-STRUCTURED", "obs_logs_required_fields"))
    share = float(_threshold(readiness, "LOGS-STRUCTURED", "obs_logs_structured_min_share"))
    size = int(_threshold(readiness, "LOGS-STRUCTURED", "obs_logs_sample_size"))
    records: list[Any] = []
    if "loki" in backends:
        for selector in _loki_selectors(readiness):
            data = obs_stack.api(
                "loki",
                "/loki/api/v1/query_range",
                query=selector,
                since=window,
                limit=size,
                direction="backward",
            )
            records += loki_lines(data)[:size]
    if "elasticsearch" in backends:
        index = _logs(readiness, "obs_logs_index")
        field = _logs(readiness, "obs_logs_timestamp_field")
        for query in _logs(readiness, "obs_logs_queries"):
            data = obs_stack.api(
                "elasticsearch",
                es_index_path(index, "_search"),
                q=lucene_recent(query, field, window),
                size=size,
                sort=f"{field}:desc",
            )
            records += es_documents(data)
    total, good, why = structured_report(records, required)
    observed = round(good / total, 4) if total else None
    evidence(
        "structured share",
        observed=observed,
        expected=f">= {share:g}",
        records=total,
        structured=good,
        required_fields=required,
        examples=why,
    )
    assert total, f"no log records within {window} to judge"
    assert good / total >= share, (
        f"{good} of {total} log records are structured, below {share:g}: " + "; ".join(why)
    )


@pytest.mark.important(
    id="OBS-TRACES-INGESTED",
    section="Observability",
    remediation="export the service's spans to the tracing backend (an OpenTelemetry SDK and collector); thresholds.obs_traces_services names the services",
    docs="https://grafana.com/docs/tempo/latest/api_docs/#search",
)
def test_observability_traces_ingested(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The tracing backend has the services' recent traces

    Jaeger (``/api/traces``) and/or Tempo (``/api/search``, TraceQL on
    ``resource.service.name``) hold at least ``obs_traces_min`` traces within
    ``obs_traces_lookback`` for each service in ``obs_traces_services``. With no services
    listed: every service Jaeger knows (it must know one), and any trace in Tempo.
    """
    backends = _backends(obs_stack, TRACE_BACKENDS)
    check = "OBS-TRACES-INGESTED"
    services: list[str] = list(_threshold(readiness, check, "obs_traces_services"))
    lookback = _threshold(readiness, check, "obs_traces_lookback")
    seconds = window_seconds(lookback, "obs_traces_lookback")
    minimum = int(_threshold(readiness, check, "obs_traces_min"))
    limit = max(minimum, 20)
    end = time.time()
    counts: dict[str, int] = {}
    if "jaeger" in backends:
        known = [str(s) for s in obs_stack.api("jaeger", "/api/services").get("data") or []]
        for service in services or known or ["(any service)"]:
            found = 0
            if service in known:
                found = trace_count(
                    obs_stack.api(
                        "jaeger",
                        "/api/traces",
                        service=service,
                        start=int((end - seconds) * 1e6),
                        end=int(end * 1e6),
                        lookback=lookback,
                        limit=limit,
                    ),
                    "data",
                )
            counts[f"jaeger {service}"] = found
    if "tempo" in backends:
        searched: list[str | None] = [*services] or [None]
        for tempo_service in searched:
            data = obs_stack.api(
                "tempo",
                "/api/search",
                q=tempo_query(tempo_service),
                start=int(end - seconds),
                end=int(end) + 1,
                limit=limit,
            )
            counts[f"tempo {tempo_service or '(any service)'}"] = trace_count(data, "traces")
    short = {name: count for name, count in counts.items() if count < minimum}
    evidence("traces", observed=counts, expected=f">= {minimum} each within {lookback}")
    assert not short, f"fewer than {minimum} traces within {lookback}: " + "; ".join(
        f"{name} ({count})" for name, count in short.items()
    )
