"""The built-in observability checks (checks/test_observability.py) against a real stack.

Real: Prometheus and Alertmanager from Debian's packages, started here on free loopback ports,
scraping prometheus-client exporters served from this process. Grafana is not in Debian: its
health and search API is a small stand-in (tests/support/observability.py).

Three ``observability`` targets: ``good`` (everything right), ``bad`` (a Prometheus with a down
target, a failing alert rule, a critical alert firing, a metric missing, no Alertmanager and a
slow, failing, saturated service; an Alertmanager URL nobody answers; a Grafana with its
database down and no dashboards) and ``silent`` (a Prometheus URL nobody answers, an
Alertmanager whose root receiver has no integration, no Grafana).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support.check_runs import run_checks
from tests.support.http_servers import ServedHttp
from tests.support.observability import (
    GRAFANA_TOKEN,
    SERVED_PER_SCRAPE,
    BrokenGrafanaStandIn,
    GrafanaStandIn,
    alertmanager_server,
    exporter,
    has_series,
    prometheus_server,
    scraped_and_evaluated,
    wait_for,
)
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

ROUTED = """
route: {receiver: oncall}
receivers:
  - name: oncall
    webhook_configs: [{url: "http://127.0.0.1:9/hook"}]
"""
UNROUTED = """
route: {receiver: blackhole}
receivers:
  - name: blackhole
"""
GOOD_RULES = """
groups:
  - name: demo
    rules:
      - alert: DemoHighErrorRate
        expr: sum(demo_requests_total{code="500"}) / sum(demo_requests_total) > 0.05
        labels: {severity: critical}
        annotations: {runbook_url: "https://runbooks.example.com/demo#errors"}
      - alert: DemoSlow
        expr: histogram_quantile(0.95, sum by (le) (demo_request_duration_seconds_bucket)) > 1
        labels: {severity: warning}
        annotations: {runbook_url: "https://runbooks.example.com/demo#latency"}
"""
# Both request series end up with code="x": evaluation fails with duplicate label sets.
# DemoDuplicateSeries has no labels nor annotations; DemoIdleP1 a severity off the scale and a
# blank runbook link.
BROKEN_RULES = """
groups:
  - name: broken
    rules:
      - alert: DemoDuplicateSeries
        expr: label_replace(demo_requests_total, "code", "x", "", "")
      - alert: DemoHighErrorRate
        expr: sum(demo_requests_total{code="500"}) / sum(demo_requests_total) > 0.05
        labels: {severity: critical}
        annotations: {runbook_url: "https://runbooks.example.com/demo#errors"}
      - alert: DemoIdleP1
        expr: sum(irate(demo_served_requests_total[1m])) < 0
        labels: {severity: P1}
        annotations: {runbook_url: " "}
"""
THRESHOLDS = """
      obs_latency_query: 'histogram_quantile(0.95, sum by (le) (demo_request_duration_seconds_bucket))'
      obs_error_rate_query: 'sum(demo_requests_total{code="500"}) / sum(demo_requests_total)'
      obs_saturation_query: max(demo_saturation_ratio)
      obs_grafana_dashboards: [svc-overview, Service SLOs]
      obs_receiver_types: [webhook, pagerduty]
      obs_required_metrics: [demo_requests_total, 'demo_saturation_ratio{job="demo"}', demo_build_info]
      obs_throughput_query: sum(irate(demo_served_requests_total[1m]))
      obs_throughput_min: 10
"""
THROUGHPUT = "sum(irate(demo_served_requests_total[1m]))"


def _prometheus_config(jobs: dict[str, int], alertmanager: str | None) -> str:
    scrape = "".join(
        f"  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        for job, port in jobs.items()
    )
    alerting = (
        f"alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{alertmanager}']}}]\n"
        if alertmanager
        else ""
    )
    return (
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [rules.yml]\n{alerting}scrape_configs:\n{scrape}"
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, dict[str, str]]]:
    with ExitStack() as stack:
        fast = stack.enter_context(exporter(healthy=True))
        slow = stack.enter_context(exporter(healthy=False))
        routed = stack.enter_context(alertmanager_server(ROUTED))
        unrouted = stack.enter_context(alertmanager_server(UNROUTED))
        good_prom = stack.enter_context(
            prometheus_server(
                _prometheus_config({"demo": fast}, routed.removeprefix("http://")),
                {"rules.yml": GOOD_RULES},
            )
        )
        bad_prom = stack.enter_context(
            prometheus_server(
                _prometheus_config({"demo": slow, "gone": free_port()}, None),
                {"rules.yml": BROKEN_RULES},
            )
        )
        grafana = stack.enter_context(ServedHttp(GrafanaStandIn))
        broken_grafana = stack.enter_context(ServedHttp(BrokenGrafanaStandIn))
        wait_for("the good Prometheus' first scrape", scraped_and_evaluated(good_prom, True))
        wait_for("the bad Prometheus' first scrape", scraped_and_evaluated(bad_prom, False))
        for prometheus in (good_prom, bad_prom):
            wait_for("a second scrape (a rate)", has_series(prometheus, THROUGHPUT))
        nobody = f"http://127.0.0.1:{free_port()}"
        yield {
            "good": {"prometheus": good_prom, "alertmanager": routed, "grafana": grafana.url},
            "bad": {"prometheus": bad_prom, "alertmanager": nobody, "grafana": broken_grafana.url},
            "silent": {"prometheus": nobody, "alertmanager": unrouted},
        }


def _profile(stack: dict[str, dict[str, str]], thresholds: str) -> str:
    targets = "".join(
        f"      - name: {name}\n"
        + "".join(f"        {component}: '{url}'\n" for component, url in urls.items())
        + (f"        grafana_token: '{GRAFANA_TOKEN}'\n" if "grafana" in urls else "")
        for name, urls in stack.items()
    )
    return f"profiles:\n  prod:\n    timeout: 3\n    thresholds:{thresholds}    observability:\n{targets}"


def test_observability_checks_on_a_good_a_bad_and_a_silent_stack(
    pytester: pytest.Pytester, stack: dict[str, dict[str, str]]
) -> None:
    run = run_checks(pytester, _profile(stack, THRESHOLDS), "test_observability.py")
    outcomes = run.outcomes()
    checks = sorted({item_id.split("[")[0] for item_id in outcomes})
    assert len(checks) == 16
    assert {outcomes[f"{c}[good]"] for c in checks} == {"passed"}, {
        c: run.items[f"{c}[good]"]["message"] for c in checks
    }
    assert {c for c in checks if outcomes[f"{c}[bad]"] == "passed"} == {"OBS-PROM-READY"}
    assert {c for c in checks if outcomes[f"{c}[silent]"] not in ("failed", "error")} == {
        "OBS-AM-READY",  # passed
        "OBS-GRAFANA-HEALTHY",  # skipped: no grafana URL
        "OBS-GRAFANA-DASHBOARDS",
    }
    # Its Prometheus refuses connections: the checks that ask it could not evaluate anything.
    assert outcomes["OBS-PROM-READY[silent]"] == "error"
    assert outcomes["OBS-AM-RECEIVERS[silent]"] == "failed"  # its Alertmanager answered
    assert outcomes["OBS-AM-READY[silent]"] == "passed"
    assert outcomes["OBS-GRAFANA-HEALTHY[silent]"] == "skipped"

    bad = {c: run.items[f"{c}[bad]"]["message"] for c in checks}
    assert bad["OBS-PROM-TARGETS-UP"].startswith("targets not up: gone 127.0.0.1:")
    assert bad["OBS-PROM-TARGETS-UP"].endswith("(down)")
    assert bad["OBS-ALERT-RULES"].startswith(
        "alerting rules not healthy: DemoDuplicateSeries err ("
    )
    assert "same labelset" in bad["OBS-ALERT-RULES"]
    assert bad["OBS-ALERTMANAGER-CONNECTED"] == (
        "Prometheus has no active Alertmanager: its alerts go nowhere"
    )
    assert bad["OBS-LATENCY-QUANTILE"] == "latency over 0.5: {} = 2.425"
    assert bad["OBS-ERROR-RATE"] == "error rate over 0.01: {} = 0.1"
    assert bad["OBS-SATURATION"] == "saturation over 0.8: {} = 0.95"
    assert bad["OBS-THROUGHPUT"] == "throughput under 10: {} = 0"
    assert bad["OBS-ALERT-RUNBOOK-URL"] == (
        "alerting rules without a runbook_url annotation: "
        "broken/DemoDuplicateSeries, broken/DemoIdleP1"
    )
    assert bad["OBS-ALERT-SEVERITY-LABELS"] == (
        "alerting rules without an allowed severity: "
        "broken/DemoDuplicateSeries (none), broken/DemoIdleP1 ('P1')"
    )
    assert bad["OBS-AM-READY"].startswith(
        "Cannot GET alertmanager /-/ready of observability target 'bad': connection refused"
    )
    assert bad["OBS-METRICS-PRESENT"] == "no data within 10m for: demo_build_info"
    assert bad["OBS-NO-CRITICAL-FIRING"] == "critical alerts firing: DemoHighErrorRate"
    assert bad["OBS-GRAFANA-HEALTHY"] == "Grafana /api/health answered HTTP 503"
    assert (
        bad["OBS-GRAFANA-DASHBOARDS"] == "Grafana has no dashboards (or the token cannot see them)"
    )
    silent = {c: run.items[f"{c}[silent]"]["message"] for c in checks}
    assert silent["OBS-AM-RECEIVERS"] == (
        "the root route's receiver 'blackhole' has no integration: alerts are dropped"
    )
    assert silent["OBS-PROM-READY"].startswith(
        "Cannot GET prometheus /-/ready of observability target 'silent': connection refused"
    )

    good = {c: run.evidence(f"{c}[good]") for c in checks}
    assert good["OBS-LATENCY-QUANTILE"][0]["observed"] == [0.0475]
    assert good["OBS-ERROR-RATE"][0]["observed"] == [0.001]
    # about SERVED_PER_SCRAPE a second: one scrape a second
    assert 10 <= good["OBS-THROUGHPUT"][0]["observed"][0] <= 5 * SERVED_PER_SCRAPE
    assert good["OBS-ALERT-SEVERITY-LABELS"][0]["observed"] == {
        "demo/DemoHighErrorRate": "critical",
        "demo/DemoSlow": "warning",
    }
    assert good["OBS-ALERT-RUNBOOK-URL"][0]["observed"] == []
    assert good["OBS-AM-RECEIVERS"][0]["observed"] == {
        "receiver": "oncall",
        "integrations": ["webhook"],
    }
    assert good["OBS-ALERT-RULES"][0]["observed"] == {"DemoHighErrorRate": "ok", "DemoSlow": "ok"}
    assert good["OBS-GRAFANA-DASHBOARDS"][0]["observed"] == ["Service SLOs", "Service overview"]
    assert GRAFANA_TOKEN not in str(run.data)
    assert GRAFANA_TOKEN not in run.result.stdout.str()


def test_required_jobs_and_alerts_and_unset_queries(
    pytester: pytest.Pytester, stack: dict[str, dict[str, str]]
) -> None:
    thresholds = """
      obs_required_jobs: [demo, payments]
      obs_required_alerts: [DemoSlow, PaymentsDown]
      obs_receiver_types: [pagerduty]
      obs_runbook_annotation: playbook
      obs_severities: [P1, P2, P3, P4]
"""
    good = {"good": stack["good"]}
    run = run_checks(
        pytester,
        _profile(good, thresholds),
        "test_observability.py",
        args=("-k", "targets or rules or latency or receiver"),
    )
    assert run.outcomes() == {
        "OBS-PROM-TARGETS-UP[good]": "failed",
        "OBS-ALERT-RULES[good]": "failed",
        "OBS-ALERT-RUNBOOK-URL[good]": "failed",
        "OBS-ALERT-SEVERITY-LABELS[good]": "failed",
        "OBS-LATENCY-QUANTILE[good]": "skipped",
        "OBS-AM-RECEIVERS[good]": "failed",
    }
    message = {item_id: item["message"] for item_id, item in run.items.items()}
    assert message["OBS-PROM-TARGETS-UP[good]"] == "no scrape target for the jobs payments"
    assert message["OBS-ALERT-RULES[good]"] == "alerting rules not loaded: PaymentsDown"
    assert message["OBS-ALERT-RUNBOOK-URL[good]"] == (
        "alerting rules without a playbook annotation: demo/DemoHighErrorRate, demo/DemoSlow"
    )
    assert message["OBS-ALERT-SEVERITY-LABELS[good]"] == (
        "alerting rules without an allowed severity: "
        "demo/DemoHighErrorRate ('critical'), demo/DemoSlow ('warning')"
    )
    assert message["OBS-AM-RECEIVERS[good]"] == (
        "receiver 'oncall' uses ['webhook'], none of ['pagerduty']"
    )
