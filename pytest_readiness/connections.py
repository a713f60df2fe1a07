"""One connection per target per process: opened on first use, failures remembered, closed at the end.

A target that cannot be reached is tried once; every check that needs it then fails fast with
the same message instead of waiting out the timeout again.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pytest_readiness.connectors import get_connector
from pytest_readiness.connectors.base import Target
from pytest_readiness.errors import ReadinessError
from pytest_readiness.redaction import Redactor


class ConnectionPool:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._open: dict[tuple[str, str], Any] = {}
        self._failed: dict[tuple[str, str], ReadinessError] = {}

    def get(self, target: Target) -> Any:
        key = (target.kind, target.name)
        if key in self._open:
            return self._open[key]
        if key in self._failed:
            raise self._failed[key]
        try:
            facade = get_connector(target.kind)(target, self.redactor)
        except ReadinessError as exc:
            self._failed[key] = exc
            raise
        except Exception as exc:  # a driver error the connector did not translate
            error = ReadinessError(
                self.redactor.redact(f"Cannot connect to {target}: {type(exc).__name__}: {exc}")
            )
            self._failed[key] = error
            raise error from None
        self._open[key] = facade
        return facade

    def close_all(self) -> None:
        """Close every open connection; a failing close must not hide the run's result."""
        while self._open:
            _, facade = self._open.popitem()
            with contextlib.suppress(Exception):  # best effort at session end
                facade.close()
