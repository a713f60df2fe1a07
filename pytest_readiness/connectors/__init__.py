"""Connectors to the systems checks inspect, loaded lazily by kind.

:data:`~pytest_readiness.registry.CONNECTORS` describes every kind; a profile naming
a kind whose driver is missing fails with the pip command to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pytest_readiness.connectors.base import DEFAULT_TIMEOUT, Facade, Target, fail, map_errors
from pytest_readiness.errors import MissingExtra
from pytest_readiness.redaction import Redactor
from pytest_readiness.registry import CONNECTORS

__all__ = [
    "CONNECTORS",
    "DEFAULT_TIMEOUT",
    "Facade",
    "Target",
    "fail",
    "get_connector",
    "map_errors",
]


def get_connector(kind: str) -> Callable[[Target, Redactor], Any]:
    """The ``connect`` function for a kind; raises MissingExtra naming the pip extra."""
    connector = CONNECTORS[kind]
    if connector.driver:
        try:
            importlib.import_module(connector.driver)
        except ImportError:
            raise MissingExtra(connector.extra, connector.driver) from None
    module = importlib.import_module(connector.module)
    connect: Callable[[Target, Redactor], Any] = module.connect
    return connect
