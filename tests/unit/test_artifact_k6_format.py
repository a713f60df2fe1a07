"""k6 summaries in the layouts k6 documents: handleSummary() data and --summary-export.

k6 is not installable here; the fixtures follow k6's documentation (tests/data/artifacts/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from checks._artifacts import parse_load_test

DATA = Path(__file__).parents[1] / "data" / "artifacts"


def _sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_handle_summary_reads_the_base_metric_not_its_tagged_sub_metric() -> None:
    summary = parse_load_test(_sample("k6-handle-summary-thresholds.json"))
    assert (summary.p95_ms, summary.p99_ms) == (388.1, 1190.3)
    assert summary.requests == 1500
    assert summary.error_rate == 0.013333333333333334


def test_handle_summary_threshold_with_ok_false_is_reported_crossed() -> None:
    summary = parse_load_test(_sample("k6-handle-summary-thresholds.json"))
    assert summary.failed_thresholds == ("http_req_duration: p(99)<1000",)


def test_summary_export_thresholds_are_true_when_crossed() -> None:
    document = json.loads(_sample("k6-summary-export.json"))
    document["metrics"]["http_req_duration"]["thresholds"] = {"p(95)<5000": False}
    document["metrics"]["http_req_failed"]["thresholds"] = {"rate<0.5": True}
    summary = parse_load_test(json.dumps(document))
    assert summary.failed_thresholds == ("http_req_failed: rate<0.5",)


def test_the_error_rate_is_the_rate_not_the_passes_and_fails_counts() -> None:
    # http_req_failed's "passes" count failed requests: 7 of 5,400 failed here
    summary = parse_load_test(_sample("k6-summary.json").replace('"passes": 6', '"passes": 7'))
    assert summary.error_rate == 0.002  # the stated rate, whatever the counts
    export = parse_load_test(_sample("k6-summary-export.json"))
    assert export.error_rate == 0.061  # "value" in the export, with passes 61 of 1,000


def test_a_summary_without_http_req_failed_has_no_error_rate_rather_than_zero() -> None:
    summary = parse_load_test(_sample("k6-summary-export-pre031.json"))
    assert summary.error_rate is None
    assert summary.p95_ms == 171.6
    assert summary.failed_thresholds == ()
