"""What every connector shares: the target record, the facade protocol, error translation.

A connector module exposes ``connect(target, redactor) -> facade``. The facade is what checks
use; it closes with ``close()``. The facades of services a check could change (PostgreSQL,
Redis, HTTP, NATS) do not expose their driver: they are read-only by construction. Driver exceptions are translated once, here or in the connector, into
:class:`~pytest_readiness.errors.ConnectorError` subclasses whose messages name the target and
never a password.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_readiness.errors import AuthFailed, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

DEFAULT_TIMEOUT = 5.0

#: Timeout exceptions of requests and urllib3, recognised by name so neither must be imported.
_TIMEOUT_TYPES = {
    "ReadTimeout",
    "ConnectTimeout",
    "Timeout",
    "ReadTimeoutError",
    "ConnectTimeoutError",
}


@dataclass(frozen=True)
class Target:
    """One named target of one kind from the active profile (``postgres: [{name: ..., dsn: ...}]``)."""

    kind: str
    name: str
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:
        return f"{self.kind} target {self.name!r}"


class Facade(Protocol):
    """The minimum every connector's facade offers."""

    target: Target

    def close(self) -> None: ...


class WriteRefused(ConnectorError):
    """A check asked a read-only facade for something that may write; nothing was sent."""


@contextmanager
def map_errors(target: Target, redactor: Redactor, action: str = "connect to") -> Iterator[None]:
    """Translate stdlib network errors into connector errors with a clean, redacted message.

    Connectors wrap driver calls in this after translating their own driver's exception types,
    so that anything left (socket timeouts, refused connections, DNS failures) still reads well.
    """
    try:
        yield
    except ConnectorError:
        raise
    except TimeoutError as exc:
        raise TimedOut(_message(target, redactor, action, "timed out", exc)) from None
    except ConnectionRefusedError as exc:
        raise Unreachable(_message(target, redactor, action, "connection refused", exc)) from None
    except PermissionError as exc:
        raise AuthFailed(_message(target, redactor, action, "permission denied", exc)) from None
    except OSError as exc:
        raise Unreachable(
            _message(target, redactor, action, str(exc) or type(exc).__name__, exc)
        ) from None


def _message(
    target: Target, redactor: Redactor, action: str, cause: str, exc: BaseException
) -> str:
    del exc  # the cause text is enough; the driver exception may hold the password
    return redactor.redact(f"Cannot {action} {target}: {cause} (timeout {target.timeout:g}s)")


def fail(
    target: Target,
    redactor: Redactor,
    cause: str,
    *,
    kind: type[ConnectorError] = Unreachable,
    action: str = "connect to",
) -> ConnectorError:
    """Build a connector error with the standard message, for drivers' own exception types."""
    return kind(redactor.redact(f"Cannot {action} {target}: {cause} (timeout {target.timeout:g}s)"))


def describe_error(exc: BaseException) -> tuple[type[ConnectorError], str]:
    """Classify a network exception (requests, urllib3, ssl, socket) as (error type, cause).

    The cause is a short phrase for the standard message; the caller redacts it.
    """
    import ssl  # here, not at start-up: every driver that can raise its errors loaded it

    chain = list(_chain(exc))
    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            return Unreachable, f"TLS certificate verify failed: {err.verify_message or err}"
    for err in chain:
        if isinstance(err, ConnectionRefusedError):
            return Unreachable, "connection refused"
        if isinstance(err, socket.gaierror):
            return Unreachable, f"cannot resolve the host name ({err.strerror or err})"
        if isinstance(err, TimeoutError) or type(err).__name__ in _TIMEOUT_TYPES:
            return TimedOut, "timed out"
    for err in chain:
        if isinstance(err, ssl.SSLError):
            return Unreachable, f"TLS handshake failed: {err.reason or err}"
    root = chain[-1]
    text = " ".join(str(root).split()) or type(root).__name__
    return Unreachable, text if len(text) <= 200 else text[:197] + "..."


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (args, urllib3 ``reason``, cause, context), outer first."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        err = stack.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        yield err
        inner = [a for a in err.args if isinstance(a, BaseException)]
        reason = getattr(err, "reason", None)
        if isinstance(reason, BaseException):
            inner.append(reason)
        inner += [e for e in (err.__cause__, err.__context__) if e is not None]
        stack[:0] = inner
