"""Two small web services for the HTTP and TLS check tests: one ready, one not.

:class:`ReadyService` does what the checks ask: health endpoints answering ``{"status": "ok"}``,
``/metrics`` written by prometheus-client, security headers, no version in ``Server``,
``/admin`` behind a bearer token, and rate-limited ``/api/orders`` (announcing its limit) and
``/api/burst`` (over it: 429 with Retry-After). :class:`UnreadyService` gets each of those wrong, the way real
services do: a degraded and a failing health endpoint, an HTML page at ``/metrics``, the stdlib's
``Server: BaseHTTP/x Python/y`` header, no security headers, an open ``/admin``, a slow
``/healthz`` and rate-limit answers that say nothing (no limit header, a 429 without
Retry-After). Serve them with :class:`tests.support.http_servers.ServedHttp`.
"""

from __future__ import annotations

import http.server
import json
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

TOKEN = "adm1n-t0ken-value"
#: How long UnreadyService takes to answer /healthz (simulated slowness, not synchronisation).
SLOW_SECONDS = 1.2

#: The IETF draft's policy and current-state fields, as a rate-limiting gateway sends them.
RATE_LIMIT = {"RateLimit-Policy": '"default";q=100;w=60', "RateLimit": '"default";r=42;t=18'}

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_REGISTRY = CollectorRegistry()
_REQUESTS = Counter("demo_requests", "Requests served by the demo service.", registry=_REGISTRY)


class _Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def reply(self, code: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ReadyService(_Base):
    def version_string(self) -> str:
        return "shop"

    def do_GET(self) -> None:
        _REQUESTS.inc()
        if self.path in ("/", "/healthz", "/readyz", "/livez"):
            self._json(200, {"status": "ok"})
        elif self.path == "/metrics":
            self.reply(200, generate_latest(_REGISTRY), CONTENT_TYPE_LATEST, SECURITY_HEADERS)
        elif self.path == "/admin":
            ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
            self._json(200 if ok else 401, {"authorized": ok})
        elif self.path == "/api/orders":
            self._json(200, {"orders": []}, RATE_LIMIT)
        elif self.path == "/api/burst":
            self._json(429, {"error": "too many requests"}, {"Retry-After": "18"})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, code: int, body: object, extra: dict[str, str] | None = None) -> None:
        headers = {**SECURITY_HEADERS, **(extra or {})}
        self.reply(code, json.dumps(body).encode(), "application/json", headers)


class UnreadyService(_Base):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            time.sleep(SLOW_SECONDS)  # simulated slow dependency check
            self._json(200, {"status": "degraded"})
        elif self.path == "/readyz":
            self._json(503, {"status": "starting"})
        elif self.path in ("/", "/admin", "/api/orders"):
            self._json(200, {"status": "ok"})
        elif self.path == "/api/burst":
            self._json(429, {"error": "too many requests"})
        elif self.path == "/metrics":
            self.reply(200, b"<html><body>metrics</body></html>", "text/html", {})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, code: int, body: object) -> None:
        self.reply(code, json.dumps(body).encode(), "application/json", {})
