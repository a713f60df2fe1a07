"""Edge cases of the observability check helpers (checks/_observability.py, checks/_telemetry.py)."""

from __future__ import annotations

import json
import math

import pytest

from checks._observability import label_values, over_limit, under_limit, without_annotation
from checks._telemetry import (
    es_index_path,
    loki_lines,
    missing_fields,
    structured_report,
    tempo_query,
    trace_count,
    window_seconds,
)

RULES = {
    "groups": [
        {
            "name": "api",
            "rules": [
                {
                    "type": "alerting",
                    "name": "Down",
                    "labels": {"severity": "critical"},
                    "annotations": {"runbook_url": "https://runbooks/down"},
                },
                {"type": "recording", "name": "job:rate5m", "labels": {}},
                {"type": "alerting", "name": "Slow", "labels": None, "annotations": None},
            ],
        },
        {
            "name": "db",
            "rules": [{"type": "alerting", "name": "Down", "labels": {"severity": "P9"}}],
        },
    ]
}


def test_rule_helpers_name_rules_by_group_and_skip_recording_rules() -> None:
    assert without_annotation(RULES, "runbook_url") == (3, ["api/Slow", "db/Down"])
    assert label_values(RULES, "severity") == {
        "api/Down": "critical",
        "api/Slow": None,
        "db/Down": "P9",
    }
    assert without_annotation({"groups": []}, "runbook_url") == (0, [])


def test_limits_fail_nan_on_either_side() -> None:
    series = [({"job": "a"}, 5.0), ({}, math.nan), ({"job": "c"}, 0.5)]
    assert under_limit(series, 1) == ["{} = nan", "job=c = 0.5"]
    assert over_limit(series, 1) == ["job=a = 5", "{} = nan"]


@pytest.mark.parametrize(
    ("window", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1w", 604800)]
)
def test_window_seconds(window: str, seconds: int) -> None:
    assert window_seconds(window, "w") == seconds


@pytest.mark.parametrize("window", ["15", "0m", "1.5h", "15 minutes", "5ms", None])
def test_window_seconds_rejects_what_loki_lucene_and_jaeger_do_not_share(window: object) -> None:
    with pytest.raises(ValueError, match="threshold obs_logs_window must be a duration"):
        window_seconds(window, "obs_logs_window")


def test_missing_fields_alternatives_nesting_and_non_objects() -> None:
    required = ["timestamp|ts", "level|log.level", "message"]
    assert missing_fields('{"ts": 1, "level": "info", "message": "hi"}', required) == []
    assert missing_fields({"ts": 1, "log": {"level": "warn"}, "message": "x"}, required) == []
    assert missing_fields({"ts": 1, "log.level": "warn", "message": "x"}, required) == []
    assert missing_fields('{"ts": 1, "level": "", "message": null}', required) == [
        "level|log.level",
        "message",
    ]
    assert missing_fields("level=info msg=hi", required) is None
    assert missing_fields('["a", "list"]', required) is None


def test_structured_report_counts_and_keeps_three_reasons() -> None:
    good = json.dumps({"ts": 1, "level": "info", "message": "ok"})
    lines = [good, "plain", "plain 2", {"ts": 1}, "plain 3", good]
    total, structured, why = structured_report(lines, ["ts", "level", "message"])
    assert (total, structured) == (6, 2)
    assert why == [
        "not a JSON object (5 characters)",
        "not a JSON object (7 characters)",
        "no level, message (fields: ts)",
    ]


def test_structured_report_never_shows_values() -> None:
    record = {f"k{n}": "s3cret-value" for n in range(10)}
    _, _, why = structured_report(["token=s3cret-value", record], ["level"])
    assert why == [
        "not a JSON object (18 characters)",
        "no level (fields: k0, k1, k2, k3, k4, k5, k6, k7, ...)",
    ]


def test_loki_lines_are_newest_first_across_streams() -> None:
    data = {
        "result": [
            {"stream": {"pod": "a"}, "values": [["300", "a3"], ["100", "a1"]]},
            {"stream": {"pod": "b"}, "values": [["200", "b2"]]},
        ]
    }
    assert loki_lines(data) == ["a3", "b2", "a1"]


def test_tempo_query_quotes_the_service_name() -> None:
    assert tempo_query(None) == "{}"
    assert tempo_query("shop") == '{ resource.service.name = "shop" }'
    assert tempo_query('we"ird') == '{ resource.service.name = "we\\"ird" }'


def test_trace_count_treats_null_as_none() -> None:
    assert trace_count({"data": None}, "data") == 0
    assert trace_count({"traces": [{}, {}]}, "traces") == 2
    assert trace_count(None, "data") == 0


def test_es_index_path_keeps_the_index_inside_its_path_segment() -> None:
    assert es_index_path("logs-*,audit", "_count") == "/logs-*,audit/_count"
    for index in ("", "logs/../_cat", "logs?pretty", "logs shop", "a#b"):
        with pytest.raises(ValueError, match="obs_logs_index must be an index name"):
            es_index_path(index, "_count")
