"""The built-in HTTP checks (checks/test_http.py) in readiness runs against real servers.

Real: the plugin, requests, prometheus-client's parser and ``http.server`` services on loopback
(plain and behind TLS with a trustme CA), started here. The services themselves are stand-ins
(tests/support/service_apps.py): one ready, one wrong in every way the checks look at.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from tests.support.check_runs import run_checks
from tests.support.http_servers import ServedHttp
from tests.support.service_apps import (
    RATE_LIMIT,
    SLOW_SECONDS,
    TOKEN,
    ReadyService,
    UnreadyService,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ca_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


def _tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    ca.create_child_ca().issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def services(ca_path: tuple[trustme.CA, str]) -> Iterator[dict[str, ServedHttp]]:
    ca, _ = ca_path
    servers = {
        "ready": ServedHttp(ReadyService),
        "unready": ServedHttp(UnreadyService),
        "secure": ServedHttp(ReadyService, ssl_context=_tls(ca)),
        "insecure": ServedHttp(UnreadyService, ssl_context=_tls(ca)),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def _profile(services: dict[str, ServedHttp], ca: str, thresholds: str) -> str:
    targets = "\n".join(
        f"        - {{name: {name}, base_url: '{server.url}', verify: '{ca}', "
        f"headers: {{Authorization: 'Bearer {TOKEN}'}}}}"
        for name, server in services.items()
    )
    return f"""
    profiles:
      prod:
        thresholds: {thresholds}
        http:
{targets}
    """


def test_http_checks_pass_on_the_ready_service_and_fail_on_the_unready_one(
    pytester: pytest.Pytester,
    services: dict[str, ServedHttp],
    ca_path: tuple[trustme.CA, str],
) -> None:
    thresholds = (
        "{http_protected_paths: [/admin], http_latency_requests: 8, "
        f"http_latency_concurrency: 8, http_latency_p95_ms: {SLOW_SECONDS * 1000 - 200:g}, "
        "http_dns_names: [localhost], "
        "http_expected_status: {'/': 200, /readyz: 2xx, /missing: 404}}"
    )
    run = run_checks(pytester, _profile(services, ca_path[1], thresholds), "test_http.py")
    outcomes = run.outcomes()
    for check in (
        "HTTP-HEALTH",
        "HTTP-ENDPOINT-STATUS",
        "HTTP-METRICS",
        "HTTP-SECURITY-HEADERS",
        "HTTP-NO-VERSION-LEAK",
        "HTTP-AUTH-REQUIRED",
        "HTTP-LATENCY",
    ):
        for good in ("ready", "secure"):
            assert outcomes[f"{check}[{good}]"] == "passed", run.items[f"{check}[{good}]"]
        for bad in ("unready", "insecure"):
            assert outcomes[f"{check}[{bad}]"] == "failed", check
    assert outcomes["HTTP-HSTS[ready]"] == "skipped"  # plain http: HSTS does not apply
    assert outcomes["HTTP-HSTS[secure]"] == "passed"
    assert outcomes["HTTP-HSTS[unready]"] == "skipped"
    assert outcomes["HTTP-HSTS[insecure]"] == "failed"
    assert {outcomes[f"HTTP-DNS-RESOLVE[{name}]"] for name in services} == {"passed"}

    items = run.items
    health = items["HTTP-HEALTH[unready]"]
    assert health["message"] == (
        "/healthz reports status 'degraded'; /readyz answered HTTP 503; /livez answered HTTP 404"
    )
    assert health["remediation"].endswith(
        "set thresholds.http_health_paths to the paths the service serves"
    )
    assert [r["label"] for r in health["evidence"]] == ["/healthz", "/readyz", "/livez"]
    assert health["evidence"][1]["observed"] == {"status_code": 503, "body_status": "starting"}
    assert items["HTTP-HEALTH[ready]"]["evidence"][0]["observed"] == {
        "status_code": 200,
        "body_status": "ok",
    }
    assert (
        "is not in the Prometheus text format: ValueError"
        in items["HTTP-METRICS[unready]"]["message"]
    )
    assert items["HTTP-METRICS[ready]"]["evidence"][0]["observed"]["families"] >= 1
    assert items["HTTP-SECURITY-HEADERS[unready]"]["message"] == (
        "missing security headers: X-Content-Type-Options, X-Frame-Options|Content-Security-Policy"
    )
    assert items["HTTP-NO-VERSION-LEAK[unready]"]["message"].startswith(
        "server software versions disclosed: Server: BaseHTTP/"
    )
    assert items["HTTP-AUTH-REQUIRED[unready]"]["message"] == (
        "/admin answered HTTP 200 without credentials"
    )
    assert items["HTTP-AUTH-REQUIRED[ready]"]["evidence"][0]["observed"] == {
        "anonymous": 401,
        "with_credentials": 200,
    }
    assert "exceeds 1000 ms" in items["HTTP-LATENCY[unready]"]["message"]
    assert items["HTTP-HSTS[insecure]"]["message"] == "no Strict-Transport-Security header"
    assert items["HTTP-HSTS[secure]"]["evidence"][0]["observed"].startswith("max-age=31536000")
    # the bearer token is a secret: masked wherever it could appear
    assert TOKEN not in run.result.stdout.str()
    assert TOKEN not in str(run.data)
    assert run.data["decision"] == "NO-GO"


def test_latency_errors_and_unresolvable_names_fail(
    pytester: pytest.Pytester,
    services: dict[str, ServedHttp],
    ca_path: tuple[trustme.CA, str],
) -> None:
    ready = {name: services[name] for name in ("ready", "unready")}
    thresholds = (
        "{http_latency_path: /readyz, http_latency_requests: 6, "
        "http_dns_names: [no-such-host.invalid]}"
    )
    run = run_checks(
        pytester,
        _profile(ready, ca_path[1], thresholds),
        "test_http.py",
        args=("-k", "latency or dns"),
    )
    assert run.outcomes() == {
        "HTTP-LATENCY[ready]": "passed",
        "HTTP-LATENCY[unready]": "failed",
        "HTTP-DNS-RESOLVE[ready]": "failed",
        "HTTP-DNS-RESOLVE[unready]": "failed",
    }
    assert run.items["HTTP-LATENCY[unready]"]["message"] == "6 of 6 requests to /readyz failed"
    dns = run.items["HTTP-DNS-RESOLVE[ready]"]
    assert dns["message"].startswith("names do not resolve: no-such-host.invalid (")
    assert [r["label"] for r in dns["evidence"]] == ["127.0.0.1", "no-such-host.invalid"]
    assert dns["evidence"][0]["observed"] == ["127.0.0.1"]


def test_rate_limited_paths_must_announce_their_limits(
    pytester: pytest.Pytester,
    services: dict[str, ServedHttp],
    ca_path: tuple[trustme.CA, str],
) -> None:
    both = {name: services[name] for name in ("ready", "unready")}
    thresholds = "{http_ratelimit_paths: [/api/orders, /api/burst]}"
    run = run_checks(
        pytester, _profile(both, ca_path[1], thresholds), "test_http.py", args=("-k", "rate_limit")
    )
    assert run.outcomes() == {
        "HTTP-RATELIMIT-HEADERS[ready]": "passed",
        "HTTP-RATELIMIT-HEADERS[unready]": "failed",
    }
    failed = run.items["HTTP-RATELIMIT-HEADERS[unready]"]
    assert failed["message"] == (
        "/api/orders: no rate-limit header (HTTP 200); "
        "/api/burst: 429 without Retry-After (HTTP 429)"
    )
    assert "thresholds.http_ratelimit_paths" in failed["remediation"]
    assert [r["observed"] for r in run.evidence("HTTP-RATELIMIT-HEADERS[ready]")] == [
        {"status_code": 200, "headers": RATE_LIMIT},
        {"status_code": 429, "headers": {"Retry-After": "18"}},
    ]


def test_without_rate_limited_paths_the_check_is_not_applicable(
    pytester: pytest.Pytester, services: dict[str, ServedHttp]
) -> None:
    profile = (
        f"profiles:\n  prod:\n    http: [{{name: ready, base_url: '{services['ready'].url}'}}]\n"
    )
    run = run_checks(pytester, profile, "test_http.py", args=("-k", "rate_limit"))
    assert run.outcomes() == {"HTTP-RATELIMIT-HEADERS[ready]": "skipped"}
    assert run.data["items"][0]["message"].startswith("N/A: no rate-limited paths")


def test_health_paths_default_to_the_targets_health_path(
    pytester: pytest.Pytester, services: dict[str, ServedHttp]
) -> None:
    profile = f"""
    profiles:
      prod:
        http:
          - {{name: ready, base_url: '{services["ready"].url}', health_path: /livez}}
          - {{name: unready, base_url: '{services["unready"].url}'}}
    """
    run = run_checks(pytester, profile, "test_http.py", args=("-k", "health"))
    assert run.outcomes() == {"HTTP-HEALTH[ready]": "passed", "HTTP-HEALTH[unready]": "failed"}
    assert [r["label"] for r in run.evidence("HTTP-HEALTH[ready]")] == ["/livez"]
    assert [r["label"] for r in run.evidence("HTTP-HEALTH[unready]")] == [
        "/healthz",
        "/readyz",
        "/livez",
    ]


def test_without_an_http_target_checks_are_not_evaluated_unless_declared_absent(
    pytester: pytest.Pytester,
) -> None:
    run = run_checks(pytester, "profiles:\n  prod: {}\n", "test_http.py")
    critical = {i["id"] for i in run.data["items"] if i["severity"] == "critical"}
    assert {run.outcomes()[c] for c in critical} == {"error"}  # fail closed
    run = run_checks(pytester, "profiles:\n  prod: {absent: [http]}\n", "test_http.py")
    assert set(run.outcomes().values()) == {"skipped"}
    assert run.data["decision"] == "NO DATA"
