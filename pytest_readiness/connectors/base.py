"""What every connector shares: the target record, the facade protocol, error translation.

A connector module exposes ``connect(target, redactor) -> facade``. The facade is what checks
use; it closes with ``close()`` and offers the raw driver as ``.client`` for what the facade
does not cover. Driver exceptions are translated once, here or in the connector, into
:class:`~pytest_readiness.errors.ConnectorError` subclasses whose messages name the target and
never a password.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_readiness.errors import AuthFailed, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Target:
    """One named target of one kind from the active profile (``postgres: [{name: ..., dsn: ...}]``)."""

    kind: str
    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:
        return f"{self.kind} target {self.name!r}"


class Facade(Protocol):
    """The minimum every connector's facade offers."""

    target: Target

    def close(self) -> None: ...


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
