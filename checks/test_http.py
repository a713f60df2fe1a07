"""Built-in checks of HTTP services: health, metrics, headers, authentication, latency, DNS.

Every check runs once per ``http`` target of the profile, through the ``http_session`` fixture
(requests, the target's headers, timeout and ``verify``). Paths and limits come from the
profile's ``thresholds:``; the defaults are in THRESHOLDS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.http import HttpSession

from ._http import (
    RATE_LIMIT_EVIDENCE,
    as_list,
    body_status,
    hsts_max_age,
    missing_headers,
    parse_metrics,
    rate_limit_problem,
    resolve,
    status_matches,
    version_leaks,
)

DOMAIN = "http"
TARGET_KIND = "http"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "HTTP-HEALTH": {
        "http_health_paths": ["/healthz", "/readyz", "/livez"],
        "http_health_ok_statuses": ["ok", "up", "pass", "healthy", "ready", "alive", "true"],
    },
    "HTTP-ENDPOINT-STATUS": {"http_expected_status": {}},
    "HTTP-METRICS": {"http_metrics_path": "/metrics", "http_required_metrics": []},
    "HTTP-HSTS": {"http_hsts_min_max_age": 15552000},
    "HTTP-SECURITY-HEADERS": {
        "http_security_headers": [
            "X-Content-Type-Options",
            "X-Frame-Options|Content-Security-Policy",
        ],
    },
    "HTTP-NO-VERSION-LEAK": {"http_version_leak_path": "/"},
    "HTTP-AUTH-REQUIRED": {"http_protected_paths": []},
    "HTTP-LATENCY": {
        "http_latency_path": "/healthz",
        "http_latency_requests": 50,
        "http_latency_concurrency": 4,
        "http_latency_p95_ms": 500,
    },
    "HTTP-DNS-RESOLVE": {"http_dns_names": []},
    "HTTP-RATELIMIT-HEADERS": {"http_ratelimit_paths": []},
}


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


@pytest.mark.critical(
    id="HTTP-HEALTH",
    section="HTTP service",
    remediation="fix the failing endpoint, or set thresholds.http_health_paths to the paths the service serves",
    docs="https://kubernetes.io/docs/reference/using-api/health-checks/",
)
def test_http_health_endpoints_answer_2xx(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Health, readiness and liveness endpoints answer 2xx

    Each path in ``http_health_paths`` (default: the target's ``health_path`` when it sets
    one, else /healthz, /readyz and /livez) is fetched with the target's timeout; it must
    answer 2xx and, when the body is a JSON object with a ``status`` field, that status must be
    one of ``http_health_ok_statuses``.
    """
    own = http_session.target.settings.get("health_path")
    default = [own] if own else THRESHOLDS["HTTP-HEALTH"]["http_health_paths"]
    paths = as_list(readiness.threshold("http_health_paths", default), "http_health_paths")
    ok = {s.lower() for s in _threshold(readiness, "HTTP-HEALTH", "http_health_ok_statuses")}
    assert paths, "http_health_paths is empty; list the service's health endpoints"
    problems = []
    for path in paths:
        response = http_session.get(path)
        status = body_status(response.headers.get("Content-Type", ""), response.content)
        elapsed_ms = round(response.elapsed.total_seconds() * 1000, 1)
        evidence(
            path,
            observed={"status_code": response.status_code, "body_status": status},
            expected={"status_code": "2xx", "body_status": f"one of {sorted(ok)} (JSON only)"},
            elapsed_ms=elapsed_ms,
        )
        if not 200 <= response.status_code < 300:
            problems.append(f"{path} answered HTTP {response.status_code}")
        elif status is not None and status not in ok:
            problems.append(f"{path} reports status {status!r}")
    assert not problems, "; ".join(problems)


@pytest.mark.critical(
    id="HTTP-ENDPOINT-STATUS",
    section="HTTP service",
    remediation="fix the endpoint, or correct its expected status in thresholds.http_expected_status",
)
def test_http_endpoints_answer_expected_status(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Configured endpoints answer with their expected status

    Each path (or absolute URL) of ``http_expected_status`` answers with its status code, or
    any code of its class for ``2xx``-style values (e.g. ``{"/": 200, "/v2/": 401}``).
    """
    expected = _threshold(readiness, "HTTP-ENDPOINT-STATUS", "http_expected_status")
    if not expected:
        pytest.skip("N/A: no endpoints configured (thresholds.http_expected_status)")
    wrong = []
    for path, want in expected.items():
        got = http_session.get(path).status_code
        evidence(path, observed=got, expected=want)
        if not status_matches(got, want):
            wrong.append(f"{path} answered HTTP {got}, expected {want}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.important(
    id="HTTP-METRICS",
    section="HTTP service",
    remediation="expose metrics at thresholds.http_metrics_path (e.g. with a Prometheus client library)",
    docs="https://prometheus.io/docs/instrumenting/exposition_formats/",
)
def test_http_metrics_endpoint_is_prometheus_format(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Metrics endpoint serves the Prometheus text format

    ``http_metrics_path`` answers 200 with a body prometheus-client parses into at least one
    metric family with samples, including every name in ``http_required_metrics``.
    """
    path = _threshold(readiness, "HTTP-METRICS", "http_metrics_path")
    required = as_list(
        _threshold(readiness, "HTTP-METRICS", "http_required_metrics"), "http_required_metrics"
    )
    response = http_session.get(path)
    content_type = response.headers.get("Content-Type", "")
    families, error = parse_metrics(content_type, response.text)
    missing = [name for name in required if not families.get(name)]
    evidence(
        path,
        observed={
            "status_code": response.status_code,
            "families": len(families),
            "parse_error": error,
            "missing": missing,
        },
        expected={"status_code": 200, "families": ">= 1", "parse_error": None, "missing": []},
        content_type=content_type,
    )
    assert response.status_code == 200, f"{path} answered HTTP {response.status_code}"
    assert error is None, f"{path} is not in the Prometheus text format: {error}"
    assert any(families.values()), f"{path} exposes no samples"
    assert not missing, f"{path} lacks the required metrics {missing}"


@pytest.mark.important(
    id="HTTP-HSTS",
    section="HTTP service",
    remediation="send Strict-Transport-Security: max-age=31536000; includeSubDomains",
    docs="https://www.rfc-editor.org/rfc/rfc6797",
)
def test_http_hsts_header_is_set(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """HTTPS responses carry a long-lived Strict-Transport-Security header

    The base URL's response has HSTS with ``max-age`` of at least ``http_hsts_min_max_age``
    seconds. Not applicable to plain-http targets (the TLS checks report those).
    """
    if urlsplit(http_session.base_url).scheme != "https":
        pytest.skip("N/A: HSTS applies to https targets only; base_url is plain http")
    minimum = _threshold(readiness, "HTTP-HSTS", "http_hsts_min_max_age")
    value = http_session.get("").headers.get("Strict-Transport-Security")
    max_age = hsts_max_age(value)
    evidence("Strict-Transport-Security", observed=value, expected=f"max-age >= {minimum}")
    assert value is not None, "no Strict-Transport-Security header"
    assert max_age is not None, f"Strict-Transport-Security {value!r} has no max-age"
    assert max_age >= minimum, f"HSTS max-age {max_age} is below {minimum}"


@pytest.mark.important(
    id="HTTP-SECURITY-HEADERS",
    section="HTTP service",
    remediation="add X-Content-Type-Options: nosniff and X-Frame-Options or a CSP (thresholds.http_security_headers lists what is required)",
    docs="https://owasp.org/www-project-secure-headers/",
)
def test_http_security_headers_are_present(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Responses carry the security headers

    The base URL's response has every header in ``http_security_headers`` (``A|B``: either),
    and X-Content-Type-Options, when required, is ``nosniff``.
    """
    required = as_list(
        _threshold(readiness, "HTTP-SECURITY-HEADERS", "http_security_headers"),
        "http_security_headers",
    )
    headers = http_session.get("").headers
    missing = missing_headers(headers, required)
    nosniff = headers.get("X-Content-Type-Options", "")
    evidence(
        observed={name: headers.get(name) for r in required for name in r.split("|")},
        expected={"present": required},
        missing=missing,
    )
    assert not missing, f"missing security headers: {', '.join(missing)}"
    if any("X-Content-Type-Options" in r for r in required):
        assert nosniff.strip().lower() == "nosniff", (
            f"X-Content-Type-Options is {nosniff!r}, expected 'nosniff'"
        )


@pytest.mark.nice_to_have(
    id="HTTP-NO-VERSION-LEAK",
    section="HTTP service",
    remediation="drop the version from Server/X-Powered-By (e.g. nginx server_tokens off)",
    docs="https://owasp.org/www-project-secure-headers/",
)
def test_http_server_version_not_disclosed(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Responses do not disclose server software versions

    Server, X-Powered-By, Via and X-AspNet* headers of ``http_version_leak_path`` carry no
    version numbers.
    """
    path = _threshold(readiness, "HTTP-NO-VERSION-LEAK", "http_version_leak_path")
    leaks = version_leaks(http_session.get(path).headers)
    evidence(path, observed=leaks, expected={})
    assert not leaks, "server software versions disclosed: " + ", ".join(
        f"{name}: {value}" for name, value in leaks.items()
    )


@pytest.mark.critical(
    id="HTTP-AUTH-REQUIRED",
    section="HTTP service",
    remediation="require authentication on the path; list protected paths in thresholds.http_protected_paths",
    docs="https://owasp.org/Top10/A01_2021-Broken_Access_Control/",
)
def test_http_protected_paths_require_authentication(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Protected endpoints reject unauthenticated requests

    Each path in ``http_protected_paths`` answers 401 or 403 without the target's configured
    headers, and something else (the credential works) with them.
    """
    paths = as_list(
        _threshold(readiness, "HTTP-AUTH-REQUIRED", "http_protected_paths"),
        "http_protected_paths",
    )
    if not paths:
        pytest.skip("N/A: no protected paths configured (thresholds.http_protected_paths)")
    problems = []
    for path in paths:
        anonymous = http_session.get_anonymous(path).status_code
        authenticated = http_session.get(path).status_code
        evidence(
            path,
            observed={"anonymous": anonymous, "with_credentials": authenticated},
            expected={"anonymous": "401 or 403", "with_credentials": "not 401/403"},
        )
        if anonymous not in (401, 403):
            problems.append(f"{path} answered HTTP {anonymous} without credentials")
        if authenticated in (401, 403):
            problems.append(f"{path} rejects the profile's credentials (HTTP {authenticated})")
    assert not problems, "; ".join(problems)


@pytest.mark.important(
    id="HTTP-LATENCY",
    section="HTTP service",
    remediation="find the slow or failing requests, or set thresholds.http_latency_p95_ms to the agreed objective",
)
def test_http_latency_p95_under_threshold(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Latency probe p95 is under the threshold with no errors

    ``http_latency_requests`` GETs of ``http_latency_path``, ``http_latency_concurrency`` at a
    time: none fails (transport error or HTTP >= 400) and the 95th percentile is at most
    ``http_latency_p95_ms``.
    """
    path = _threshold(readiness, "HTTP-LATENCY", "http_latency_path")
    limit = float(_threshold(readiness, "HTTP-LATENCY", "http_latency_p95_ms"))
    result = http_session.latency(
        path,
        n=int(_threshold(readiness, "HTTP-LATENCY", "http_latency_requests")),
        concurrency=int(_threshold(readiness, "HTTP-LATENCY", "http_latency_concurrency")),
    )
    evidence(
        path,
        observed={"p95_ms": result.p95, "errors": result.errors, "requests": result.n},
        expected={"p95_ms": f"<= {limit:g}", "errors": 0},
        p50_ms=result.p50,
        p99_ms=result.p99,
    )
    assert result.errors == 0, f"{result.errors} of {result.n} requests to {path} failed"
    assert result.p95 is not None
    assert result.p95 <= limit, f"p95 latency {result.p95} ms of {path} exceeds {limit:g} ms"


@pytest.mark.critical(
    id="HTTP-DNS-RESOLVE",
    section="HTTP service",
    remediation="create the DNS records, or correct thresholds.http_dns_names",
)
def test_http_dns_names_resolve(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The service's DNS names resolve

    The base URL's host and every name in ``http_dns_names`` resolve to at least one address.
    """
    host = urlsplit(http_session.base_url).hostname or ""
    names = [host, *as_list(_threshold(readiness, "HTTP-DNS-RESOLVE", "http_dns_names"), "")]
    failed = []
    for name in dict.fromkeys(names):
        addresses, error = resolve(name)
        evidence(name, observed=addresses or error, expected="at least one address")
        if not addresses:
            failed.append(f"{name} ({error})")
    assert not failed, f"names do not resolve: {', '.join(failed)}"


@pytest.mark.important(
    id="HTTP-RATELIMIT-HEADERS",
    section="HTTP service",
    remediation="rate-limit the path and announce it (RateLimit-Policy/RateLimit or X-RateLimit-Limit, Retry-After on 429); thresholds.http_ratelimit_paths lists the paths",
    docs="https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/",
)
def test_http_rate_limit_headers_are_sent(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Rate-limited endpoints announce their limits

    Each path in ``http_ratelimit_paths`` answers with a rate-limit header (the IETF draft's
    ``RateLimit`` / ``RateLimit-Policy`` / ``RateLimit-Limit``, or ``X-RateLimit-Limit`` /
    ``X-Rate-Limit-Limit``); an answer of 429 must carry ``Retry-After`` instead.
    """
    paths = as_list(
        _threshold(readiness, "HTTP-RATELIMIT-HEADERS", "http_ratelimit_paths"),
        "http_ratelimit_paths",
    )
    if not paths:
        pytest.skip("N/A: no rate-limited paths configured (thresholds.http_ratelimit_paths)")
    problems = []
    for path in paths:
        response = http_session.get(path)
        shown = {
            name: response.headers[name] for name in RATE_LIMIT_EVIDENCE if name in response.headers
        }
        problem = rate_limit_problem(response.status_code, response.headers)
        evidence(
            path,
            observed={"status_code": response.status_code, "headers": shown},
            expected="a rate-limit header (Retry-After on 429)",
        )
        if problem:
            problems.append(f"{path}: {problem} (HTTP {response.status_code})")
    assert not problems, "; ".join(problems)
