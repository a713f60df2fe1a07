"""Built-in checks of the observability stack: Prometheus, Alertmanager and Grafana.

Every check runs once per ``observability`` target through the ``obs_stack`` fixture; checks of
a component the target names no URL for are not applicable. The service-level queries
(latency, error rate, saturation: maxima; throughput: a minimum) are PromQL from the profile's
thresholds. The log and trace backends have their own module (test_observability_telemetry.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.observability import ObservabilityStack

from ._observability import (
    alert_rules,
    dashboards_missing,
    label_values,
    over_limit,
    receivers,
    target_health,
    under_limit,
    without_annotation,
)

DOMAIN = "observability"
TARGET_KIND = "observability"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "OBS-PROM-TARGETS-UP": {"obs_required_jobs": []},
    "OBS-ALERT-RULES": {"obs_required_alerts": []},
    "OBS-METRICS-PRESENT": {"obs_required_metrics": [], "obs_metrics_window": "10m"},
    "OBS-NO-CRITICAL-FIRING": {"obs_critical_severities": ["critical", "page"]},
    "OBS-LATENCY-QUANTILE": {"obs_latency_query": None, "obs_latency_max": 0.5},
    "OBS-ERROR-RATE": {"obs_error_rate_query": None, "obs_error_rate_max": 0.01},
    "OBS-SATURATION": {"obs_saturation_query": None, "obs_saturation_max": 0.8},
    "OBS-THROUGHPUT": {"obs_throughput_query": None, "obs_throughput_min": 1},
    "OBS-ALERT-RUNBOOK-URL": {"obs_runbook_annotation": "runbook_url"},
    "OBS-ALERT-SEVERITY-LABELS": {
        "obs_severity_label": "severity",
        "obs_severities": ["critical", "warning", "info"],
    },
    "OBS-AM-RECEIVERS": {"obs_receiver_types": []},
    "OBS-GRAFANA-DASHBOARDS": {"obs_grafana_dashboards": []},
}


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _needs(obs_stack: ObservabilityStack, component: str) -> None:
    __tracebackhide__ = True
    if not obs_stack.has(component):
        pytest.skip(f"N/A: the target names no {component} URL")


def _ready(obs_stack: ObservabilityStack, evidence: Evidence, component: str, path: str) -> None:
    __tracebackhide__ = True
    _needs(obs_stack, component)
    response = obs_stack.get(component, path)
    evidence(path, observed=response.status_code, expected=200, body=response.text[:200])
    assert response.status_code == 200, (
        f"{component} {path} answered HTTP {response.status_code}: {response.text[:100]}"
    )


@pytest.mark.critical(
    id="OBS-PROM-READY",
    section="Observability",
    remediation="start Prometheus or fix what keeps it from becoming ready (its log says); check the target's prometheus URL",
    docs="https://prometheus.io/docs/prometheus/latest/management_api/",
)
def test_observability_prometheus_ready(obs_stack: ObservabilityStack, evidence: Evidence) -> None:
    """Prometheus is ready

    Prometheus answers ``/-/ready`` with 200.
    """
    _ready(obs_stack, evidence, "prometheus", "/-/ready")


@pytest.mark.critical(
    id="OBS-PROM-TARGETS-UP",
    section="Observability",
    remediation="fix the failing scrape targets (lastError says why) or remove them; thresholds.obs_required_jobs names the jobs that must exist",
)
def test_observability_prometheus_targets_up(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Every Prometheus scrape target is up

    Each job in ``obs_required_jobs`` has at least one active target, and every active target
    of those jobs (of all jobs when the list is empty) was last scraped successfully.
    """
    _needs(obs_stack, "prometheus")
    jobs = _threshold(readiness, "OBS-PROM-TARGETS-UP", "obs_required_jobs")
    health, missing = target_health(obs_stack.api("prometheus", "/api/v1/targets"), jobs)
    down = sorted(name for name, state in health.items() if state != "up")
    evidence("targets", observed=health, expected="all up", missing_jobs=missing)
    assert not missing, f"no scrape target for the jobs {', '.join(missing)}"
    assert health, "Prometheus has no active scrape targets"
    assert not down, "targets not up: " + ", ".join(f"{n} ({health[n]})" for n in down)


@pytest.mark.important(
    id="OBS-ALERT-RULES",
    section="Observability",
    remediation="load the alerting rules (rule_files) and fix the failing expressions; thresholds.obs_required_alerts names the alerts that must exist",
    docs="https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/",
)
def test_observability_alert_rules_loaded_and_healthy(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Alerting rules are loaded and none is failing

    Prometheus has alerting rules (every name in ``obs_required_alerts`` among them), and each
    of them (each loaded one when the list is empty) last evaluated without error.
    """
    _needs(obs_stack, "prometheus")
    required = _threshold(readiness, "OBS-ALERT-RULES", "obs_required_alerts")
    rules = alert_rules(obs_stack.api("prometheus", "/api/v1/rules", type="alert"))
    missing = [name for name in required if name not in rules]
    judged = {name: rules[name] for name in (required or rules) if name in rules}
    failing = {name: state for name, state in judged.items() if state[0] != "ok"}
    evidence(
        "alerting rules",
        observed={name: health for name, (health, _) in sorted(rules.items())},
        expected="all health ok",
        missing=missing,
    )
    assert rules, "Prometheus has no alerting rules loaded"
    assert not missing, f"alerting rules not loaded: {', '.join(missing)}"
    assert not failing, "alerting rules not healthy: " + "; ".join(
        f"{name} {health}" + (f" ({error})" if error else "")
        for name, (health, error) in sorted(failing.items())
    )


@pytest.mark.important(
    id="OBS-ALERTMANAGER-CONNECTED",
    section="Observability",
    remediation="point Prometheus' alerting.alertmanagers at the Alertmanager",
)
def test_observability_prometheus_sends_to_alertmanager(
    obs_stack: ObservabilityStack, evidence: Evidence
) -> None:
    """Prometheus sends alerts to an Alertmanager

    Prometheus' ``/api/v1/alertmanagers`` lists at least one active Alertmanager.
    """
    _needs(obs_stack, "prometheus")
    data = obs_stack.api("prometheus", "/api/v1/alertmanagers")
    active = [a.get("url") for a in data.get("activeAlertmanagers", [])]
    evidence("active alertmanagers", observed=active, expected="at least one")
    assert active, "Prometheus has no active Alertmanager: its alerts go nowhere"


@pytest.mark.important(
    id="OBS-METRICS-PRESENT",
    section="Observability",
    remediation="instrument the service and scrape it; thresholds.obs_required_metrics lists the metric names (or selectors) that must have data",
)
def test_observability_required_metrics_have_data(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The service's metrics are collected

    Each metric name or selector in ``obs_required_metrics`` (e.g.
    ``http_requests_total{job="shop"}``) has at least one series with a sample within
    ``obs_metrics_window``.
    """
    _needs(obs_stack, "prometheus")
    metrics = _threshold(readiness, "OBS-METRICS-PRESENT", "obs_required_metrics")
    window = _threshold(readiness, "OBS-METRICS-PRESENT", "obs_metrics_window")
    if not metrics:
        pytest.skip("N/A: no metrics listed (thresholds.obs_required_metrics)")
    counts = {m: len(obs_stack.query(f"last_over_time({m}[{window}])")) for m in metrics}
    missing = [m for m, n in counts.items() if n == 0]
    evidence("series", observed=counts, expected=f">= 1 each within {window}")
    assert not missing, f"no data within {window} for: {', '.join(missing)}"


@pytest.mark.important(
    id="OBS-NO-CRITICAL-FIRING",
    section="Observability",
    remediation="resolve the firing alerts (or silence a known one with a reason) before the release",
)
def test_observability_no_critical_alert_firing(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """No critical alert is firing

    Prometheus' ``/api/v1/alerts`` has no firing alert whose ``severity`` label is one of
    ``obs_critical_severities``.
    """
    _needs(obs_stack, "prometheus")
    severities = set(_threshold(readiness, "OBS-NO-CRITICAL-FIRING", "obs_critical_severities"))
    alerts = obs_stack.api("prometheus", "/api/v1/alerts").get("alerts", [])
    firing = sorted(
        str(a.get("labels", {}).get("alertname"))
        for a in alerts
        if a.get("state") == "firing" and a.get("labels", {}).get("severity") in severities
    )
    evidence("firing", observed=firing, expected=[], alerts=len(alerts))
    assert not firing, f"critical alerts firing: {', '.join(firing)}"


def _query_within(
    obs_stack: ObservabilityStack,
    evidence: Evidence,
    readiness: ReadinessContext,
    check: str,
    what: str,
    bound: str = "max",
) -> None:
    """Every series of the profile's ``obs_<what>_query`` is at most ``obs_<what>_max``
    (``bound="max"``) or at least ``obs_<what>_min`` (``bound="min"``); no data fails."""
    __tracebackhide__ = True
    _needs(obs_stack, "prometheus")
    query_key, limit_key = (f"obs_{what}_query", f"obs_{what}_{bound}")
    query = _threshold(readiness, check, query_key)
    if not query:
        pytest.skip(
            f"N/A: no {what.replace('_', ' ')} query in the profile (thresholds.{query_key})"
        )
    limit = float(_threshold(readiness, check, limit_key))
    series = obs_stack.query(str(query))
    bad = (over_limit if bound == "max" else under_limit)(series, limit)
    evidence(
        what,
        observed=[value for _, value in series],
        expected=f"{'<=' if bound == 'max' else '>='} {limit:g}",
        query=query,
        series=len(series),
    )
    assert series, f"the {what.replace('_', ' ')} query returned no data: {query}"
    side = "over" if bound == "max" else "under"
    assert not bad, f"{what.replace('_', ' ')} {side} {limit:g}: {'; '.join(bad[:5])}"


@pytest.mark.important(
    id="OBS-LATENCY-QUANTILE",
    section="Observability",
    remediation="find what makes requests slow, or agree thresholds.obs_latency_max for thresholds.obs_latency_query",
)
def test_observability_latency_under_threshold(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Request latency is under the threshold

    Every series of the PromQL ``obs_latency_query`` (e.g. a histogram_quantile(0.95, ...))
    is at most ``obs_latency_max``; no data or NaN fails.
    """
    _query_within(obs_stack, evidence, readiness, "OBS-LATENCY-QUANTILE", "latency")


@pytest.mark.important(
    id="OBS-ERROR-RATE",
    section="Observability",
    remediation="find the failing requests, or agree thresholds.obs_error_rate_max for thresholds.obs_error_rate_query",
)
def test_observability_error_rate_under_threshold(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Error rate is under the threshold

    Every series of the PromQL ``obs_error_rate_query`` (errors / requests) is at most
    ``obs_error_rate_max``; no data or NaN fails.
    """
    _query_within(obs_stack, evidence, readiness, "OBS-ERROR-RATE", "error_rate")


@pytest.mark.important(
    id="OBS-SATURATION",
    section="Observability",
    remediation="add capacity or find the hot spot, or agree thresholds.obs_saturation_max for thresholds.obs_saturation_query",
)
def test_observability_saturation_under_threshold(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Saturation is under the threshold

    Every series of the PromQL ``obs_saturation_query`` (a utilisation ratio such as CPU used
    over its limit) is at most ``obs_saturation_max``; no data or NaN fails.
    """
    _query_within(obs_stack, evidence, readiness, "OBS-SATURATION", "saturation")


@pytest.mark.important(
    id="OBS-THROUGHPUT",
    section="Observability",
    remediation="find why the service serves less than expected (traffic not routed to it, failing clients), or agree thresholds.obs_throughput_min for thresholds.obs_throughput_query",
)
def test_observability_throughput_over_minimum(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Request throughput is at least the minimum

    Every series of the PromQL ``obs_throughput_query`` (a request rate such as
    ``sum(rate(http_requests_total[5m]))``) is at least ``obs_throughput_min``; no data or NaN
    fails.
    """
    _query_within(obs_stack, evidence, readiness, "OBS-THROUGHPUT", "throughput", bound="min")


@pytest.mark.important(
    id="OBS-ALERT-RUNBOOK-URL",
    section="Observability",
    remediation="give every alerting rule a runbook link in its annotations (thresholds.obs_runbook_annotation names the annotation, default runbook_url)",
    docs="https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/",
)
def test_observability_alert_rules_have_runbooks(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Every alerting rule links its runbook

    Each alerting rule Prometheus has loaded has a non-blank ``obs_runbook_annotation``
    annotation; no rule loaded fails.
    """
    _needs(obs_stack, "prometheus")
    annotation = _threshold(readiness, "OBS-ALERT-RUNBOOK-URL", "obs_runbook_annotation")
    total, missing = without_annotation(
        obs_stack.api("prometheus", "/api/v1/rules", type="alert"), annotation
    )
    evidence(f"annotation {annotation}", observed=missing, expected=[], alerting_rules=total)
    assert total, "Prometheus has no alerting rules loaded"
    assert not missing, f"alerting rules without a {annotation} annotation: {', '.join(missing)}"


@pytest.mark.important(
    id="OBS-ALERT-SEVERITY-LABELS",
    section="Observability",
    remediation="label every alerting rule with a severity from the agreed scale; thresholds.obs_severity_label and thresholds.obs_severities name the label and its allowed values",
    docs="https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/",
)
def test_observability_alert_rules_have_severity_labels(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Every alerting rule has an allowed severity

    Each alerting rule Prometheus has loaded has the label ``obs_severity_label`` with a value
    in ``obs_severities``; no rule loaded fails.
    """
    _needs(obs_stack, "prometheus")
    label = _threshold(readiness, "OBS-ALERT-SEVERITY-LABELS", "obs_severity_label")
    allowed = list(_threshold(readiness, "OBS-ALERT-SEVERITY-LABELS", "obs_severities"))
    values = label_values(obs_stack.api("prometheus", "/api/v1/rules", type="alert"), label)
    wrong = {name: value for name, value in values.items() if value not in allowed}
    evidence(f"label {label}", observed=values, expected=f"one of {allowed}")
    assert values, "Prometheus has no alerting rules loaded"
    assert not wrong, f"alerting rules without an allowed {label}: " + ", ".join(
        f"{name} ({'none' if value is None else repr(value)})" for name, value in wrong.items()
    )


@pytest.mark.critical(
    id="OBS-AM-READY",
    section="Observability",
    remediation="start Alertmanager or fix its configuration (its log says); check the target's alertmanager URL",
    docs="https://prometheus.io/docs/alerting/latest/management_api/",
)
def test_observability_alertmanager_ready(
    obs_stack: ObservabilityStack, evidence: Evidence
) -> None:
    """Alertmanager is ready

    Alertmanager answers ``/-/ready`` with 200.
    """
    _ready(obs_stack, evidence, "alertmanager", "/-/ready")


@pytest.mark.critical(
    id="OBS-AM-RECEIVERS",
    section="Observability",
    remediation="give the root route's receiver an integration (pagerduty_configs, slack_configs, email_configs ...); thresholds.obs_receiver_types lists the accepted types",
    docs="https://prometheus.io/docs/alerting/latest/configuration/#receiver-integration-settings",
)
def test_observability_alertmanager_routes_to_a_receiver(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Alertmanager routes alerts to a configured receiver

    The root route's receiver has at least one integration, of a type in
    ``obs_receiver_types`` when that list is set. Only receiver names and integration types
    are reported, never their settings.
    """
    _needs(obs_stack, "alertmanager")
    types = _threshold(readiness, "OBS-AM-RECEIVERS", "obs_receiver_types")
    root, found = receivers(obs_stack.api("alertmanager", "/api/v2/status"))
    integrations = found.get(root or "", [])
    evidence(
        "root receiver",
        observed={"receiver": root, "integrations": integrations},
        expected={"integrations": f"one of {types}" if types else "at least one"},
        receivers=found,
    )
    assert root, "Alertmanager's configuration has no root route receiver"
    assert integrations, (
        f"the root route's receiver {root!r} has no integration: alerts are dropped"
    )
    if types:
        assert set(integrations) & set(types), (
            f"receiver {root!r} uses {integrations}, none of {types}"
        )


@pytest.mark.important(
    id="OBS-GRAFANA-HEALTHY",
    section="Observability",
    remediation="fix Grafana's database connection or start it; check the target's grafana URL",
    docs="https://grafana.com/docs/grafana/latest/developers/http_api/other/#health-api",
)
def test_observability_grafana_healthy(obs_stack: ObservabilityStack, evidence: Evidence) -> None:
    """Grafana is healthy

    Grafana answers ``/api/health`` with 200 and its database is ``ok``.
    """
    _needs(obs_stack, "grafana")
    response = obs_stack.get("grafana", "/api/health")
    database = response.json().get("database") if response.ok else None
    evidence(
        "/api/health",
        observed={"status_code": response.status_code, "database": database},
        expected={"status_code": 200, "database": "ok"},
    )
    assert response.status_code == 200, f"Grafana /api/health answered HTTP {response.status_code}"
    assert database == "ok", f"Grafana reports its database as {database!r}"


@pytest.mark.important(
    id="OBS-GRAFANA-DASHBOARDS",
    section="Observability",
    remediation="provision the dashboards (as code) in Grafana; thresholds.obs_grafana_dashboards lists their uids or titles",
    docs="https://grafana.com/docs/grafana/latest/developers/http_api/folder_dashboard_search/",
)
def test_observability_grafana_dashboards_exist(
    obs_stack: ObservabilityStack, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Grafana has the service's dashboards

    Grafana's dashboard search finds every uid or title in ``obs_grafana_dashboards`` (at
    least one dashboard when the list is empty).
    """
    _needs(obs_stack, "grafana")
    wanted = _threshold(readiness, "OBS-GRAFANA-DASHBOARDS", "obs_grafana_dashboards")
    found = obs_stack.api("grafana", "/api/search", type="dash-db")
    missing = dashboards_missing(found, wanted)
    evidence(
        "dashboards",
        observed=sorted(str(d.get("title")) for d in found),
        expected=wanted or "at least one",
        missing=missing,
    )
    assert found, "Grafana has no dashboards (or the token cannot see them)"
    assert not missing, f"dashboards not found: {', '.join(missing)}"
