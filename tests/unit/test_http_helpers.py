"""Edge cases of the HTTP check helpers (checks/_http.py)."""

from __future__ import annotations

import pytest

from checks._http import (
    as_list,
    body_status,
    hsts_max_age,
    missing_headers,
    parse_metrics,
    rate_limit_problem,
    status_matches,
    version_leaks,
)


def test_body_status_reads_json_objects_only() -> None:
    assert body_status("application/json", b'{"status": "UP"}') == "up"
    assert body_status("application/health+json", b'{"status": "pass"}') == "pass"
    assert body_status("application/json", b"not json") == "<invalid JSON>"
    assert body_status("application/json", b'["ok"]') is None
    assert body_status("text/plain", b'{"status": "down"}') is None


def test_openmetrics_bodies_use_the_openmetrics_parser() -> None:
    text = "# TYPE jobs counter\njobs_total 3\n# EOF\n"
    families, error = parse_metrics("application/openmetrics-text; version=1.0.0", text)
    assert (families, error) == ({"jobs": 1}, None)
    _, missing_eof = parse_metrics("application/openmetrics-text", "jobs_total 3\n")
    assert missing_eof is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=31536000; includeSubDomains", 31536000),
        ('includeSubDomains; MAX-AGE="600"', 600),
        ("includeSubDomains", None),
        (None, None),
    ],
)
def test_hsts_max_age(value: str | None, expected: int | None) -> None:
    assert hsts_max_age(value) == expected


def test_version_leaks_and_alternative_headers() -> None:
    assert version_leaks({"Server": "nginx", "X-Powered-By": "Express"}) == {}
    assert version_leaks({"Server": "nginx/1.25.3"}) == {"Server": "nginx/1.25.3"}
    assert version_leaks({"X-AspNet-Version": "yes"}) == {"X-AspNet-Version": "yes"}
    headers = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": " "}
    assert missing_headers(
        headers, ["X-Frame-Options|Content-Security-Policy", "X-Frame-Options"]
    ) == ["X-Frame-Options"]


def test_status_classes_and_list_thresholds() -> None:
    assert status_matches(204, "2xx")
    assert status_matches(401, 401)
    assert status_matches(401, "401")
    assert not status_matches(500, "2xx")
    assert not status_matches(200, "ok")
    assert as_list("/healthz", "x") == ["/healthz"]
    with pytest.raises(TypeError, match="threshold x must be a list of strings"):
        as_list([1], "x")


@pytest.mark.parametrize(
    ("status", "headers", "problem"),
    [
        (200, {"RateLimit-Policy": '"burst";q=100;w=60'}, None),
        (200, {"RateLimit": '"default";r=0;t=10'}, None),
        (200, {"X-RateLimit-Limit": "60"}, None),
        (200, {"X-Rate-Limit-Limit": "60"}, None),
        (200, {"X-RateLimit-Limit": " "}, "no rate-limit header"),
        (200, {"X-RateLimit-Remaining": "3"}, "no rate-limit header"),
        (429, {"Retry-After": "30"}, None),
        (429, {"X-RateLimit-Limit": "60"}, "429 without Retry-After"),
    ],
)
def test_rate_limit_problem(status: int, headers: dict[str, str], problem: str | None) -> None:
    assert rate_limit_problem(status, headers) == problem
