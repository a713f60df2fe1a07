"""A real observability stack for the observability check tests.

- :func:`exporter`: prometheus-client's own HTTP server on a free port, in a thread, exposing a
  small service's request latency histogram, request counter, a saturation gauge and a counter
  of served requests that grows by a fixed amount per scrape (fast, clean and busy, or slow,
  failing, saturated and idle).
- :func:`prometheus_server` and :func:`alertmanager_server`: the Debian ``prometheus`` and
  ``prometheus-alertmanager`` binaries (.ci/observability.sh installs them) started on free
  loopback ports in a temporary directory with the given configuration, stopped by pid.
- :class:`GrafanaStandIn`: Grafana is not packaged in Debian, so its two API endpoints the
  checks read (``/api/health``, ``/api/search``) are served by a small ``http.server`` app.
- :func:`wait_for`: poll a condition against a deadline (first scrape, first rule evaluation).
"""

from __future__ import annotations

import http.server
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from tests.support.http_servers import send_json
from tests.support.ports import LOOPBACK, free_port
from tests.support.servers import _binary, _start, _stop, _workdir

GRAFANA_TOKEN = "glsa_demo-token-0123456789"


#: Requests the busy demo service serves between two scrapes (one second apart).
SERVED_PER_SCRAPE = 50


class _Traffic(Collector):
    """``demo_served_requests_total``: grows by ``per_scrape`` at every scrape, so that a rate
    over it is a steady request rate (zero for an idle service)."""

    def __init__(self, per_scrape: int) -> None:
        self.per_scrape = per_scrape
        self.total = 0

    def describe(self) -> Iterator[CounterMetricFamily]:
        return iter(())  # registering must not count as a scrape

    def collect(self) -> Iterator[CounterMetricFamily]:
        self.total += self.per_scrape
        yield CounterMetricFamily("demo_served_requests", "Requests served.", value=self.total)


@contextmanager
def exporter(*, healthy: bool) -> Iterator[int]:
    """Serve the demo service's metrics; yields the port."""
    registry = CollectorRegistry()
    latency = Histogram(
        "demo_request_duration_seconds",
        "Request latency.",
        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5),
        registry=registry,
    )
    requests = Counter("demo_requests", "Requests by status code.", ["code"], registry=registry)
    saturation = Gauge("demo_saturation_ratio", "Worker pool in use.", registry=registry)
    for _ in range(100):
        latency.observe(0.03 if healthy else 2.0)
    requests.labels(code="200").inc(999 if healthy else 900)
    requests.labels(code="500").inc(1 if healthy else 100)
    saturation.set(0.4 if healthy else 0.95)
    registry.register(_Traffic(SERVED_PER_SCRAPE if healthy else 0))
    if healthy:  # the unhealthy build lost this metric
        Gauge("demo_build_info", "Build of the service.", ["version"], registry=registry).labels(
            version="1.4.0"
        ).set(1)
    server, thread = start_http_server(0, addr=LOOPBACK, registry=registry)
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    return ready


@contextmanager
def prometheus_server(config: str, rules: dict[str, str] | None = None) -> Iterator[str]:
    """A Prometheus with ``config`` (rule files named in it are written beside it); its URL."""
    binary = _binary("prometheus", "/usr/bin/prometheus")
    with _workdir("readiness-prom-") as work:
        for name, text in (rules or {}).items():
            (work / name).write_text(text)
        (work / "prometheus.yml").write_text(config)
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        proc = _start(
            [
                binary,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                "--log.level=warn",
            ],
            work / "prometheus.log",
            _ready(url + "/-/ready"),
        )
        try:
            yield url
        finally:
            _stop(proc)


@contextmanager
def alertmanager_server(config: str) -> Iterator[str]:
    """An Alertmanager (clustering off) with ``config``; its URL."""
    binary = _binary("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")
    with _workdir("readiness-am-") as work:
        (work / "alertmanager.yml").write_text(config)
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        proc = _start(
            [
                binary,
                f"--config.file={work / 'alertmanager.yml'}",
                f"--storage.path={work / 'data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            work / "alertmanager.log",
            _ready(url + "/-/ready"),
        )
        try:
            yield url
        finally:
            _stop(proc)


def api(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


def _timestamp(rfc3339: str) -> float:
    """Seconds since the epoch of Prometheus' RFC 3339 times (nanoseconds cut to micro)."""
    whole, _, fraction = rfc3339.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc).timestamp()
    return stamp + float(f"0.{fraction[:6] or 0}")


def scraped_and_evaluated(prometheus: str, alerting: bool) -> Callable[[], bool]:
    """Every target scraped and the Alertmanager discovered, then every rule evaluated again
    after that, so that the rules saw the scraped data."""
    scraped_at: list[float] = []

    def done() -> bool:
        if not scraped_at:
            targets = api(prometheus + "/api/v1/targets")["data"]["activeTargets"]
            managers = api(prometheus + "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
            scraped = bool(targets) and all(t["health"] != "unknown" for t in targets)
            if scraped and (managers or not alerting):
                scraped_at.append(max(_timestamp(t["lastScrape"]) for t in targets))
            return False
        groups = api(prometheus + "/api/v1/rules")["data"]["groups"]
        return all(_timestamp(g["lastEvaluation"]) > scraped_at[0] for g in groups)

    return done


def has_series(prometheus: str, promql: str) -> Callable[[], bool]:
    """Whether an instant query returns at least one series (a rate needs two scrapes)."""
    query = urllib.parse.urlencode({"query": promql})

    def found() -> bool:
        return bool(api(f"{prometheus}/api/v1/query?{query}")["data"]["result"])

    return found


class GrafanaStandIn(http.server.BaseHTTPRequestHandler):
    """Grafana's health and search API (stand-in: Grafana is not in Debian).

    ``/api/search`` needs ``Authorization: Bearer GRAFANA_TOKEN`` like a service-account token.
    """

    healthy = True
    dashboards: tuple[dict[str, Any], ...] = (
        {"uid": "svc-overview", "title": "Service overview", "type": "dash-db", "tags": ["shop"]},
        {"uid": "svc-slo", "title": "Service SLOs", "type": "dash-db", "tags": ["slo"]},
    )

    def do_GET(self) -> None:
        if self.path == "/api/health":
            database = "ok" if self.healthy else "failing"
            send_json(
                self, 200 if self.healthy else 503, {"database": database, "version": "10.4.0"}
            )
        elif self.path.startswith("/api/search"):
            if self.headers.get("Authorization") != f"Bearer {GRAFANA_TOKEN}":
                send_json(self, 401, {"message": "Unauthorized"})
            else:
                send_json(self, 200, list(self.dashboards))
        else:
            send_json(self, 404, {"message": "Not found"})

    def log_message(self, format: str, *args: object) -> None:
        pass


class BrokenGrafanaStandIn(GrafanaStandIn):
    """A Grafana whose database is down and that has no dashboards."""

    healthy = False
    dashboards = ()
