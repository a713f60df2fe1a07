"""HTTP(S) targets: one ``requests.Session`` per target, a latency probe and TLS facts.

Its settings are declared in :mod:`~pytest_readiness.registry`.

``connect()`` GETs ``health_path`` (default: the base URL) once, so an unreachable target fails
once, at connect. Every request of the facade carries the target's timeout.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_readiness.connectors.base import Target, describe_error, fail
from pytest_readiness.errors import (
    AuthFailed,
    ConfigError,
    MissingExtra,
)
from pytest_readiness.redaction import Redactor, is_secret_name

if TYPE_CHECKING:
    import requests

    from pytest_readiness.connectors.tls import TlsFacts

__all__ = ["HttpSession", "LatencyResult", "connect"]

#: Upper bound of ``latency(concurrency=...)``; also the connection pool size per host.
MAX_CONCURRENCY = 32


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
    """The facade of an HTTP target; ``client`` is the underlying ``requests.Session``."""

    def __init__(
        self,
        target: Target,
        redactor: Redactor,
        session: requests.Session,
        base_url: str,
        configured_headers: tuple[str, ...] = (),
    ) -> None:
        self.target = target
        self.client = session
        self.base_url = base_url
        #: names of the profile's ``headers`` (credentials among them), sent on every request
        self.configured_headers = configured_headers
        self._redactor = redactor

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
        the check to assert on.
        """
        return self._send(method.upper(), path, f"{method.upper()} {path or '/'} from", **kwargs)

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
                response = self.client.get(
                    url, timeout=self.target.timeout, verify=self.client.verify
                )
            except requests.RequestException:
                return None
            elapsed = (time.perf_counter() - start) * 1000.0
            response.close()
            return elapsed if response.status_code < 400 else None

        with (
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

            verify = cafile or self.client.verify
            return inspect_tls(
                parts.hostname,
                parts.port or 443,
                timeout=self.target.timeout,
                cafile=_cafile(verify),
                verify=verify is not False,
            )
        except ImportError as exc:
            raise MissingExtra("http", exc.name or "cryptography") from None
        except OSError as exc:
            kind, cause = describe_error(exc)
            raise fail(
                self.target, self._redactor, cause, kind=kind, action="inspect TLS of"
            ) from None

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Silence urllib3's InsecureRequestWarning when the profile chose ``verify: false``.

        The profile is the user's explicit decision; under ``filterwarnings = error`` the warning
        would otherwise surface as an exception from every request.
        """
        if self.client.verify is not False:
            yield
            return
        from urllib3.exceptions import InsecureRequestWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            yield

    def _send(self, method: str, path: str, action: str, **kwargs: Any) -> requests.Response:
        import requests

        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.target.timeout
        # requests lets REQUESTS_CA_BUNDLE override a Session's CA path (psf/requests#3829);
        # passing it per request keeps the profile's ``verify`` authoritative.
        kwargs.setdefault("verify", self.client.verify)
        try:
            with self._quiet():
                return self.client.request(method, self.url(path), **kwargs)
        except requests.RequestException as exc:
            kind, cause = describe_error(exc)
            raise fail(self.target, self._redactor, cause, kind=kind, action=action) from None


def connect(target: Target, redactor: Redactor) -> HttpSession:
    """Open a session for an ``http`` target and GET its health path once."""
    import requests
    from requests.adapters import HTTPAdapter

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

    session = requests.Session()
    session.headers.update({str(k): str(v) for k, v in headers.items()})
    session.verify = verify
    adapter = HTTPAdapter(pool_maxsize=MAX_CONCURRENCY)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    http = HttpSession(target, redactor, session, base_url, tuple(str(k) for k in headers))
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
