"""NATS through nats-py (client protocol, JetStream) and the HTTP monitoring endpoint.

Its settings are declared in :mod:`~pytest_readiness.registry`; ``monitor``
(``http://host:8222``) is what :meth:`~NatsConnection.monitor` queries.

nats-py is asyncio-only; the facade is synchronous. Each connection runs its own event loop in
a daemon thread and every call waits at most the target's timeout, end to end, so no asyncio
reaches the checks. The initial connect is tried once per server, without reconnect loops.

Read-only by construction: the client is not exposed and the facade only asks (server INFO,
JetStream account, stream and consumer info, the monitoring endpoint); it never publishes,
subscribes or creates, changes or deletes a stream or consumer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import datetime
import enum
import math
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_readiness.connectors.base import Target, fail, map_errors
from pytest_readiness.connectors.deadline import Operations
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    import requests
    from nats.aio.client import Client

__all__ = ["MonitorNotConfigured", "NatsConnection", "connect"]

_T = TypeVar("_T")
_MONITOR = "query the monitor of"
_TIMEOUTS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)


class MonitorNotConfigured(ConnectorError):
    """A check asked for monitoring data of a NATS target that has no ``monitor`` URL."""


def connect(target: Target, redactor: Redactor) -> NatsConnection:
    """Connect to one of ``target``'s servers; raise a ConnectorError within the timeout."""
    settings = target.settings
    servers = settings.get("servers")
    if isinstance(servers, str):
        servers = [servers]
    if not servers or not all(isinstance(url, str) for url in servers):
        raise ConfigError(str(target), "servers", "a nats:// URL or a list of them is required")
    for url in (*servers, settings.get("monitor")):
        redactor.add_from_url(url)
    redactor.add(_str(settings.get("password")))
    redactor.add(_str(settings.get("token")))

    from nats.aio.client import Client

    options: dict[str, Any] = {
        "servers": list(servers),
        "name": "pytest-readiness",
        "connect_timeout": max(1, math.ceil(target.timeout)),
        "drain_timeout": max(1, math.ceil(target.timeout)),
        # One attempt per server: allow_reconnect=False stops after a failed handshake, and
        # max_reconnect_attempts=1 with no wait ends the pool walk (0 would mean "forever").
        "allow_reconnect": False,
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 0,
        "user": _str(settings.get("user")),
        "password": _str(settings.get("password")),
        "token": _str(settings.get("token")),
        "user_credentials": _str(settings.get("creds")),
        "tls": _tls_context(target, settings.get("tls")),
    }
    loop = _LoopThread(f"readiness-nats-{target.name}")
    client = Client()
    seen: list[BaseException] = []

    async def remember(exc: Exception) -> None:
        del seen[:-4]
        seen.append(exc)

    async def open_client() -> None:
        await asyncio.wait_for(client.connect(error_cb=remember, **options), target.timeout)

    try:
        with map_errors(target, redactor):
            loop.run(open_client(), target.timeout + 1)
            return NatsConnection(target, client, redactor, loop)
    except ConnectorError as exc:
        error = exc
    except Exception as exc:
        error = _translate(target, redactor, exc, seen)
    # Nothing to flush after a failed connect; after a failed TLS upgrade close() would wait
    # for the replaced transport forever, so it gets a short leash.
    loop.run_quietly(client.close(), min(target.timeout, 0.5))
    loop.stop()
    error.__context__ = None  # raised without a chain back to the driver's exception
    raise error


class NatsConnection:
    """A connected NATS client (not exposed: see the module's read-only note).

    JetStream API errors (``nats.js.errors.NotFoundError`` for a missing stream) surface as
    nats-py raises them.
    """

    def __init__(
        self, target: Target, client: Client, redactor: Redactor, loop: _LoopThread
    ) -> None:
        self.target = target
        self._client = client
        self._redactor = redactor
        self._loop = loop
        self._http: requests.Session | None = None
        self._monitor_ops: Operations | None = None
        # The loop's wait is the deadline already; nothing to abort, only to remember.
        self._ops = Operations(target, redactor, _nothing, latch=True)
        self._closed = False

    def __repr__(self) -> str:
        return f"<NatsConnection {self.target.name!r}>"

    @property
    def connected(self) -> bool:
        """True while the client holds a connection to a server."""
        return bool(self._client.is_connected)

    def flush(self) -> None:
        """A PING/PONG round trip to the server, within the target's timeout."""
        self._call(lambda: self._client.flush(timeout=max(1, math.ceil(self.target.timeout))))

    def server_info(self) -> dict[str, Any]:
        """The INFO of the connected server: ``version``, ``jetstream``, ``cluster``, ``tls_*``..."""
        return dict(self._client._server_info)  # nats-py keeps the latest INFO only here

    def jetstream_account_info(self) -> dict[str, Any]:
        """Usage and limits of this account's JetStream: memory, storage, streams, limits..."""
        return dict(_plain(self._call(lambda: self._jsm().account_info())))

    def streams(self) -> list[dict[str, Any]]:
        """Every stream, summarised like :meth:`stream_info`."""
        return [_stream(info) for info in self._call(lambda: self._jsm().streams_info())]

    def stream_info(self, name: str) -> dict[str, Any]:
        """One stream: ``name``, ``subjects``, ``replicas``, ``storage``, ``retention``, limits
        (``max_bytes``, ``max_msgs``, ``max_age`` in seconds; -1/0 = unlimited), ``messages``,
        ``bytes``, ``consumer_count``..., and the nested ``config``, ``state``, ``cluster``."""
        return _stream(self._call(lambda: self._jsm().stream_info(name)))

    def consumers(self, stream: str) -> list[dict[str, Any]]:
        """The consumers of ``stream``: ``name``, ``durable``, ``ack_policy``, ``num_pending``,
        ``num_ack_pending``, ``num_redelivered``..., and the nested ``config``."""
        return [_consumer(info) for info in self._call(lambda: self._jsm().consumers_info(stream))]

    def monitor(self, path: str) -> dict[str, Any]:
        """GET ``<monitor>/<path>`` (``varz``, ``jsz``, ``healthz``, ``routez``, ``connz``...).

        JSON bodies are returned whatever the status (an unhealthy ``healthz`` answers 503 with
        ``{"status": ...}``); other HTTP errors raise :class:`requests.HTTPError`.
        """
        base = self.target.settings.get("monitor")
        if not isinstance(base, str) or not base:
            raise MonitorNotConfigured(
                f"no monitor URL configured for {self.target}; set 'monitor: http://host:8222' "
                "on the target"
            )
        import requests

        from pytest_readiness.connectors.http_sockets import bounded_session

        if self._http is None or self._monitor_ops is None:
            self._http, watch = bounded_session()
            self._monitor_ops = Operations(self.target, self._redactor, watch.abort, latch=False)
        url = f"{base.rstrip('/')}/{path.lstrip('/')}"
        tls = self.target.settings.get("tls")
        verify = str(tls["ca"]) if isinstance(tls, dict) and tls.get("ca") else True
        error: ConnectorError
        try:
            with self._monitor_ops.bounded(_MONITOR):  # headers and body, end to end
                response = self._http.get(url, timeout=self.target.timeout, verify=verify)
        except TimedOut as exc:
            error = exc
        except requests.RequestException as exc:
            kind = TimedOut if isinstance(exc, requests.Timeout) else Unreachable
            cause = "timed out" if kind is TimedOut else _requests_cause(exc)
            error = fail(
                self.target, self._redactor, f"{cause} at {base}", kind=kind, action=_MONITOR
            )
        else:
            try:
                body = response.json()
            except ValueError:
                response.raise_for_status()
                raise
            return dict(body) if isinstance(body, dict) else {"data": body}
        error.__context__ = None
        raise error

    def close(self) -> None:
        """Drain and close the client, then stop the loop and its thread; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._ops.stuck is None:
                self._loop.run_quietly(self._drain(), self.target.timeout + 1)
            else:  # a server that stopped answering will not answer a drain either
                self._loop.run_quietly(self._client.close(), min(self.target.timeout, 0.5))
        finally:
            self._loop.stop()
            if self._http is not None:
                self._http.close()

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):
            if self._client.is_connected:
                await asyncio.wait_for(self._client.drain(), self.target.timeout)
        if not self._client.is_closed:
            await self._client.close()

    def _jsm(self) -> Any:
        return self._client.jsm(timeout=self.target.timeout)

    def _call(self, make: Callable[[], Awaitable[_T]]) -> _T:
        """One call on the loop within the target's timeout; a server that timed out once is
        not asked again (every later check would wait the whole timeout)."""
        with self._ops.bounded("query"):
            return self._translated(make)

    def _translated(self, make: Callable[[], Awaitable[_T]]) -> _T:
        import nats.errors

        async def call() -> _T:
            return await make()

        try:
            with map_errors(self.target, self._redactor, "query"):
                return self._loop.run(call(), self.target.timeout)
        except ConnectorError as exc:
            error = exc
        except _TIMEOUTS:  # nats-py's own, which are not builtin TimeoutErrors before 3.11
            error = fail(self.target, self._redactor, "timed out", kind=TimedOut, action="query")
        except (nats.errors.ConnectionClosedError, nats.errors.StaleConnectionError) as exc:
            error = fail(self.target, self._redactor, _text(exc), action="query")
        error.__context__ = None
        raise error


class _LoopThread:
    """A private asyncio event loop served by a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float) -> _T:
        """Wait for ``coro`` on the loop; on timeout cancel it and raise TimeoutError."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except _TIMEOUTS:
            future.cancel()
            raise TimeoutError from None

    def run_quietly(self, awaitable: Awaitable[Any], timeout: float) -> None:
        """Run a clean-up step, ignoring its errors and giving up after ``timeout``."""

        async def quietly() -> None:
            with contextlib.suppress(Exception):
                await awaitable

        with contextlib.suppress(TimeoutError):
            self.run(quietly(), timeout)

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)


def _nothing() -> None:
    return None


def _translate(
    target: Target, redactor: Redactor, exc: BaseException, seen: list[BaseException]
) -> ConnectorError:
    import nats.errors

    if isinstance(exc, nats.errors.NoServersError) and seen:
        exc = seen[-1]  # the pool is exhausted; the last attempt's error is the cause
    if isinstance(exc, socket.gaierror):
        return fail(target, redactor, f"cannot resolve the host name ({exc.strerror or exc})")
    text = _text(exc)
    refused = nats.errors.AuthorizationError, nats.errors.InvalidUserCredentialsError
    if isinstance(exc, refused) or "authorization" in text or "authentication" in text:
        return fail(target, redactor, text, kind=AuthFailed)
    if isinstance(exc, _TIMEOUTS):
        return fail(target, redactor, "timed out", kind=TimedOut)
    if isinstance(exc, ConnectionRefusedError):
        return fail(target, redactor, "connection refused", kind=Unreachable)
    if isinstance(exc, ssl.SSLError):
        return fail(target, redactor, f"TLS handshake failed: {exc.reason or exc}")
    return fail(target, redactor, text, kind=Unreachable)


def _text(exc: BaseException) -> str:
    """``authorization violation`` from ``nats: 'Authorization Violation'``."""
    text = str(exc).strip().removeprefix("nats:").strip().strip("'\"").strip()
    return text.lower() if text else type(exc).__name__


def _requests_cause(exc: Exception) -> str:
    return "connection refused" if "refused" in str(exc).lower() else type(exc).__name__


def _tls_context(target: Target, tls: object) -> ssl.SSLContext | None:
    if not tls:
        return None
    if tls is True:
        return ssl.create_default_context()
    if not isinstance(tls, dict):
        raise ConfigError(str(target), "tls", "expected true or a mapping with ca, cert, key")
    try:
        context = ssl.create_default_context(cafile=_str(tls.get("ca")))
        if tls.get("cert"):
            context.load_cert_chain(str(tls["cert"]), _str(tls.get("key")))
    except OSError as exc:  # ssl.SSLError included
        problem = f"cannot load the TLS files: {exc.strerror or exc}"
    else:
        return context
    raise ConfigError(str(target), "tls", problem)


def _stream(info: Any) -> dict[str, Any]:
    """Config and state fields side by side (config wins: ``subjects``), plus ``replicas``."""
    raw = _plain(info)
    config, state = raw.get("config") or {}, raw.get("state") or {}
    summary = {**state, **config, "replicas": config.get("num_replicas") or 1}
    return {**summary, "cluster": raw.get("cluster"), "config": config, "state": state}


def _consumer(info: Any) -> dict[str, Any]:
    """Config fields and counters side by side, plus ``stream`` and ``durable``."""
    raw = _plain(info)
    config = raw.get("config") or {}
    names = {"stream": raw.get("stream_name"), "durable": config.get("durable_name")}
    return {**config, **raw, **names}


def _plain(value: Any) -> Any:
    """nats-py's API dataclasses as JSON-like values: enums by value, datetimes in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
