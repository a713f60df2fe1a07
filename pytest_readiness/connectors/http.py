"""HTTP(S) targets: one ``requests.Session`` per target, a latency probe and TLS facts.

Its settings are declared in :mod:`~pytest_readiness.registry`.

``connect()`` GETs ``health_path`` (default: the base URL) once, so an unreachable target fails
once, at connect. Every request of the facade finishes within the target's timeout, end to end
(headers and body: a server that drips its answer is cut off), or raises TimedOut.

Read-only by construction: only GET, HEAD and OPTIONS are sent unless the target lists more in
``allow_methods``; the ``requests.Session`` is not exposed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_readiness.connectors.base import Target, WriteRefused, describe_error, fail
from pytest_readiness.connectors.deadline import Operations, SocketWatch, call_within
from pytest_readiness.connectors.http_sockets import MAX_CONCURRENCY, bounded_session
from pytest_readiness.connectors.warning_scope import warnings_filtered
from pytest_readiness.errors import (
    AuthFailed,
    ConfigError,
    MissingExtra,
)
from pytest_readiness.redaction import Redactor, is_secret_name

if TYPE_CHECKING:
    import requests

    from pytest_readiness.connectors.tls import TlsFacts

__all__ = ["SAFE_METHODS", "HttpSession", "LatencyResult", "connect"]


#: Methods that do not change the server's state (RFC 9110 safe methods but TRACE).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class LatencyResult:
    """Latency of ``n`` GETs in milliseconds (nearest-rank percentiles of the successful ones).

    A request that raised or answered with a status >= 400 counts in ``errors`` and not in the
    percentiles, which are ``None`` when every request failed.
    """

    n: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None


class HttpSession:
    """The facade of an HTTP target (a ``requests.Session`` it does not expose)."""

    def __init__(
        self,
        target: Target,
        redactor: Redactor,
        session: requests.Session,
        base_url: str,
        configured_headers: tuple[str, ...] = (),
        watch: SocketWatch | None = None,
    ) -> None:
        self.target = target
        self._session = session
        self.base_url = base_url
        #: names of the profile's ``headers`` (credentials among them), sent on every request
        self.configured_headers = configured_headers
        #: the methods this target lets checks send: GET, HEAD, OPTIONS and its ``allow_methods``
        self.allowed_methods = SAFE_METHODS | _allow_methods(target)
        self._redactor = redactor
        watch = watch or SocketWatch()
        self._ops = Operations(target, redactor, watch.abort, latch=False)

    def url(self, path: str = "") -> str:
        """``path`` joined to the base URL; absolute URLs are returned unchanged."""
        if path.startswith(("http://", "https://")):
            return path
        if not path:
            return self.base_url
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def request(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        """``requests.Session.request`` on ``url(path)`` with the target's timeout.

        Transport failures raise Unreachable/TimedOut; HTTP error statuses are returned, for
        the check to assert on. A method outside :attr:`allowed_methods` raises WriteRefused
        before anything is sent. The body is always read within the deadline (no streaming).
        """
        verb = method.upper()
        if verb not in self.allowed_methods:
            raise WriteRefused(
                f"Refused on {self.target}: {verb} may change the server; only "
                f"{', '.join(sorted(self.allowed_methods))} are sent (allow_methods opts in)"
            )
        return self._send(verb, path, f"{verb} {path or '/'} from", **kwargs)

    def get(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def get_anonymous(self, path: str = "") -> requests.Response:
        """GET ``path`` without the profile's ``headers``: what a caller without credentials gets."""
        dropped: dict[str, str | None] = dict.fromkeys(self.configured_headers)
        return self._send("GET", path, f"GET {path or '/'} (anonymous) from", headers=dropped)

    def latency(self, path: str = "/", n: int = 20, concurrency: int = 4) -> LatencyResult:
        """Send ``n`` GETs of ``path``, ``concurrency`` at a time, and summarise their latency."""
        import requests

        if n < 1:
            raise ValueError(f"latency() needs n >= 1, got {n}")
        url = self.url(path)
        workers = max(1, min(concurrency, n, MAX_CONCURRENCY))

        def one(_: int) -> float | None:
            start = time.perf_counter()
            try:
                response = self._session.get(
                    url, timeout=self.target.timeout, verify=self._session.verify
                )
            except requests.RequestException:
                return None
            elapsed = (time.perf_counter() - start) * 1000.0
            response.close()
            return elapsed if response.status_code < 400 else None

        # One timeout per wave of ``workers`` requests: n requests are n round trips.
        waves = math.ceil(n / workers)
        with (
            self._ops.bounded(f"measure latency of {path} on", seconds=waves * self.target.timeout),
            self._quiet(),
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="readiness-http") as pool,
        ):
            samples = sorted(s for s in pool.map(one, range(n)) if s is not None)
        return LatencyResult(
            n=n,
            errors=n - len(samples),
            p50=_percentile(samples, 50),
            p95=_percentile(samples, 95),
            p99=_percentile(samples, 99),
        )

    def tls(self, cafile: str | None = None) -> TlsFacts | None:
        """Certificate chain, expiry, accepted TLS versions of the base URL; None if not https.

        The chain is verified against ``cafile`` when given (a check judging the certificate
        of a ``verify: false`` target), else as the session verifies (not at all for false).
        """
        parts = urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.hostname:
            return None
        try:
            from pytest_readiness.connectors.tls import inspect_tls

            verify = cafile or self._session.verify
            hostname, timeout = parts.hostname, self.target.timeout

            def inspect() -> TlsFacts:
                return inspect_tls(
                    hostname,
                    parts.port or 443,
                    timeout=timeout,
                    cafile=_cafile(verify),
                    verify=verify is not False,
                )

            # Several handshakes (one per TLS version), bounded together.
            return call_within(timeout, inspect, _ignore, f"readiness-tls-{self.target.name}")
        except ImportError as exc:
            raise MissingExtra("http", exc.name or "cryptography") from None
        except OSError as exc:
            kind, cause = describe_error(exc)
            raise fail(
                self.target, self._redactor, cause, kind=kind, action="inspect TLS of"
            ) from None

    def close(self) -> None:
        self._session.close()

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Silence urllib3's InsecureRequestWarning when the profile chose ``verify: false``.

        The profile is the user's explicit decision; under ``filterwarnings = error`` the warning
        would otherwise surface as an exception from every request.
        """
        if self._session.verify is not False:
            yield
            return
        from urllib3.exceptions import InsecureRequestWarning

        with warnings_filtered("ignore", InsecureRequestWarning):
            yield

    def _send(self, method: str, path: str, action: str, **kwargs: Any) -> requests.Response:
        import requests

        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.target.timeout
        kwargs["stream"] = False  # the body is read inside the deadline, never after it
        # requests lets REQUESTS_CA_BUNDLE override a Session's CA path (psf/requests#3829);
        # passing it per request keeps the profile's ``verify`` authoritative.
        kwargs.setdefault("verify", self._session.verify)
        with self._ops.bounded(action):
            try:
                with self._quiet():
                    return self._session.request(method, self.url(path), **kwargs)
            except requests.RequestException as exc:
                kind, cause = describe_error(exc)
                error = fail(self.target, self._redactor, cause, kind=kind, action=action)
            raise error


def connect(target: Target, redactor: Redactor) -> HttpSession:
    """Open a session for an ``http`` target and GET its health path once."""
    settings = target.settings
    base_url = settings.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            str(target),
            "base_url",
            "expected an http:// or https:// URL",
            "set base_url in the profile",
        )
    redactor.add_from_url(base_url)
    headers = settings.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise ConfigError(str(target), "headers", "expected a mapping of header names to values")
    for name, value in headers.items():
        if is_secret_name(str(name)):
            redactor.add_credential(str(value))
    verify = settings.get("verify", True)
    if not isinstance(verify, bool | str):
        raise ConfigError(
            str(target),
            "verify",
            f"expected true, false or a CA bundle path, got {type(verify).__name__}",
        )
    if isinstance(verify, str) and not os.path.exists(verify):
        raise ConfigError(str(target), "verify", f"CA bundle {verify!r} does not exist")

    _allow_methods(target)  # a bad setting is a config error at connect, not at the first use
    session, watch = bounded_session()
    session.headers.update({str(k): str(v) for k, v in headers.items()})
    session.verify = verify
    http = HttpSession(target, redactor, session, base_url, tuple(str(k) for k in headers), watch)
    health_path = str(settings.get("health_path") or "")
    try:
        response = http._send("GET", health_path, "connect to")
        response.close()
    except BaseException:
        session.close()
        raise
    if response.status_code in (401, 403):
        session.close()
        raise AuthFailed(
            redactor.redact(
                f"Cannot connect to {target}: HTTP {response.status_code} {response.reason} from GET "
                f"{health_path or '/'}; check its headers setting"
            )
        )
    return http


def _allow_methods(target: Target) -> frozenset[str]:
    methods = target.settings.get("allow_methods") or []
    if not isinstance(methods, list) or not all(
        isinstance(m, str) and m.isalpha() for m in methods
    ):
        raise ConfigError(str(target), "allow_methods", "expected a list of HTTP method names")
    return frozenset(m.upper() for m in methods)


def _ignore(_: object) -> None:
    return None


def _percentile(sorted_ms: list[float], pct: int) -> float | None:
    if not sorted_ms:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_ms)))
    return round(sorted_ms[rank - 1], 3)


def _cafile(verify: bool | str | None) -> str | None:
    """The CA bundle requests would use for this ``verify`` value."""
    if isinstance(verify, str):
        return verify
    if not verify:
        return None
    from requests.utils import DEFAULT_CA_BUNDLE_PATH

    env = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return env or DEFAULT_CA_BUNDLE_PATH
