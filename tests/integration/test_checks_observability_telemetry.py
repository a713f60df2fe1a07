"""The built-in log and trace checks (checks/test_observability_telemetry.py) in readiness runs.

Real: the plugin, the ``observability`` connector and its HTTP client. Stand-ins: Loki,
Elasticsearch, Jaeger and Tempo are not installable from the registries this project uses, so
each is a small HTTP app serving the documented API answers (tests/support/telemetry_standins.py).

Targets: ``good`` (recent, structured logs and recent traces in every backend), ``bad`` (too
few recent log lines, mostly unstructured; only stale traces, or none) and ``metrics`` (a
Prometheus URL only: the checks are not applicable).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support.check_runs import run_checks
from tests.support.http_servers import ServedHttp
from tests.support.ports import free_port
from tests.support.telemetry_standins import (
    BadElasticsearch,
    BadJaeger,
    BadLoki,
    BadTempo,
    GoodElasticsearch,
    GoodJaeger,
    GoodLoki,
    GoodTempo,
)

pytestmark = pytest.mark.integration

MODULE = "test_observability_telemetry.py"
CHECKS = ("OBS-LOGS-INGESTED", "LOGS-STRUCTURED", "OBS-TRACES-INGESTED")
THRESHOLDS = """
      obs_logs_selectors: ['{app="shop"}']
      obs_logs_queries: ['service.name:shop']
      obs_logs_index: 'logs-shop-*'
      obs_logs_min_lines: 5
      obs_traces_services: [shop, checkout]
"""


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, dict[str, str]]]:
    with ExitStack() as stack:

        def url(handler: type) -> str:
            return stack.enter_context(ServedHttp(handler)).url

        yield {
            "good": {
                "loki": url(GoodLoki),
                "elasticsearch": url(GoodElasticsearch),
                "jaeger": url(GoodJaeger),
                "tempo": url(GoodTempo),
            },
            "bad": {
                "loki": url(BadLoki),
                "elasticsearch": url(BadElasticsearch),
                "jaeger": url(BadJaeger),
                "tempo": url(BadTempo),
            },
            "metrics": {"prometheus": f"http://127.0.0.1:{free_port()}"},
        }


def _profile(targets: dict[str, dict[str, str]], thresholds: str) -> str:
    entries = "".join(
        f"      - name: {name}\n"
        + "".join(f"        {component}: '{url}'\n" for component, url in urls.items())
        for name, urls in targets.items()
    )
    return (
        f"profiles:\n  prod:\n    timeout: 3\n    thresholds: {thresholds}"
        f"    observability:\n{entries}"
    )


def test_log_and_trace_checks_on_good_bad_and_absent_backends(
    pytester: pytest.Pytester, backends: dict[str, dict[str, str]]
) -> None:
    run = run_checks(pytester, _profile(backends, THRESHOLDS), MODULE)
    assert run.outcomes() == {
        **{f"{c}[good]": "passed" for c in CHECKS},
        **{f"{c}[bad]": "failed" for c in CHECKS},
        **{f"{c}[metrics]": "skipped" for c in CHECKS},
    }, {item_id: item["message"] for item_id, item in run.items.items()}
    bad = {c: run.items[f"{c}[bad]"] for c in CHECKS}
    assert bad["OBS-LOGS-INGESTED"]["message"] == (
        'fewer than 5 log lines within 15m: loki {app="shop"} (3); '
        "elasticsearch logs-shop-* service.name:shop (2)"
    )
    assert "thresholds.obs_logs_selectors" in bad["OBS-LOGS-INGESTED"]["remediation"]
    assert bad["LOGS-STRUCTURED"]["message"] == (
        "0 of 5 log records are structured, below 0.95: "
        "not a JSON object (23 characters); not a JSON object (34 characters); "
        "no level|severity|log.level (fields: msg, ts)"
    )
    assert "thresholds.obs_logs_required_fields" in bad["LOGS-STRUCTURED"]["remediation"]
    assert "order placed" not in str(run.data)  # log content may hold anything: never shown
    assert bad["OBS-TRACES-INGESTED"]["message"] == (
        "fewer than 1 traces within 1h: jaeger shop (0); jaeger checkout (0); "
        "tempo shop (0); tempo checkout (0)"
    )
    assert "thresholds.obs_traces_services" in bad["OBS-TRACES-INGESTED"]["remediation"]

    good = {c: run.evidence(f"{c}[good]")[0] for c in CHECKS}
    assert good["OBS-LOGS-INGESTED"]["observed"] == {
        'loki {app="shop"}': 30,
        "elasticsearch logs-shop-* service.name:shop": 20,
    }
    # Loki lines are JSON text, Elasticsearch documents objects with a nested log.level
    assert good["LOGS-STRUCTURED"]["observed"] == 1.0
    assert good["LOGS-STRUCTURED"]["details"]["records"] == 50
    assert good["OBS-TRACES-INGESTED"]["observed"] == {
        "jaeger shop": 5,
        "jaeger checkout": 5,
        "tempo shop": 5,
        "tempo checkout": 5,
    }
    skipped = {run.items[f"{c}[metrics]"]["message"] for c in CHECKS}
    assert skipped == {
        "N/A: the target names no loki or elasticsearch URL",
        "N/A: the target names no jaeger or tempo URL",
    }


def test_defaults_judge_every_trace_and_log_but_loki_needs_selectors(
    pytester: pytest.Pytester, backends: dict[str, dict[str, str]]
) -> None:
    """Without services, Jaeger's known services and any Tempo trace are judged; without
    selectors Loki cannot be asked (it has no match-everything selector) and the check fails;
    Elasticsearch's default query counts every recent document of every index."""
    targets = {
        "loki": {"loki": backends["good"]["loki"]},
        "search": {"elasticsearch": backends["good"]["elasticsearch"]},
        "traces": {"jaeger": backends["good"]["jaeger"], "tempo": backends["good"]["tempo"]},
        "stale": {"jaeger": backends["bad"]["jaeger"], "tempo": backends["bad"]["tempo"]},
    }
    run = run_checks(pytester, _profile(targets, "{}\n"), MODULE)
    outcomes = run.outcomes()
    assert outcomes["OBS-LOGS-INGESTED[loki]"] == "failed"
    assert outcomes["LOGS-STRUCTURED[loki]"] == "failed"
    assert run.items["OBS-LOGS-INGESTED[loki]"]["message"].startswith(
        "no LogQL stream selector to ask Loki for: set thresholds.obs_logs_selectors"
    )
    assert outcomes["OBS-LOGS-INGESTED[search]"] == "passed"
    assert outcomes["LOGS-STRUCTURED[search]"] == "passed"
    assert run.evidence("OBS-LOGS-INGESTED[search]")[0]["observed"] == {"elasticsearch * *": 20}
    assert outcomes["OBS-TRACES-INGESTED[traces]"] == "passed"
    assert run.evidence("OBS-TRACES-INGESTED[traces]")[0]["observed"] == {
        "jaeger checkout": 5,
        "jaeger shop": 5,
        "tempo (any service)": 10,
    }
    assert outcomes["OBS-TRACES-INGESTED[stale]"] == "failed"
    assert run.items["OBS-TRACES-INGESTED[stale]"]["message"] == (
        "fewer than 1 traces within 1h: jaeger shop (0); tempo (any service) (0)"
    )


def test_a_missing_index_is_not_evaluated_and_a_malformed_window_fails(
    pytester: pytest.Pytester, backends: dict[str, dict[str, str]]
) -> None:
    targets = {"search": {"elasticsearch": backends["good"]["elasticsearch"]}}
    run = run_checks(pytester, _profile(targets, "{obs_logs_index: audit}\n"), MODULE)
    assert run.outcomes()["OBS-LOGS-INGESTED[search]"] == "error"
    assert "HTTP 404 from /audit/_count" in run.items["OBS-LOGS-INGESTED[search]"]["message"]
    run = run_checks(pytester, _profile(targets, "{obs_logs_window: 15 minutes}\n"), MODULE)
    assert run.outcomes()["OBS-LOGS-INGESTED[search]"] == "failed"
    assert (
        "obs_logs_window must be a duration like 15m"
        in (run.items["OBS-LOGS-INGESTED[search]"]["message"])
    )
