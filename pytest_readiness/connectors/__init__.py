"""Connectors to the systems checks inspect, loaded lazily by kind.

The registry maps a profile key to ``module:function`` and the extra that provides the driver,
so that a profile naming a kind whose driver is missing fails with the pip command to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pytest_readiness.connectors.base import DEFAULT_TIMEOUT, Facade, Target, fail, map_errors
from pytest_readiness.errors import MissingExtra
from pytest_readiness.redaction import Redactor

#: profile key -> (module, extra, driver module that must import, or "" if the module checks)
CONNECTORS: dict[str, tuple[str, str, str]] = {
    # the offline manifests backend needs only pyyaml: the module imports the client when live
    "kubernetes": ("pytest_readiness.connectors.kubernetes", "k8s", ""),
    "postgres": ("pytest_readiness.connectors.postgres", "postgres", "psycopg"),
    "redis": ("pytest_readiness.connectors.redis", "redis", "redis"),
    "nats": ("pytest_readiness.connectors.nats", "nats", "nats"),
    "http": ("pytest_readiness.connectors.http", "http", "requests"),
    "hosts": ("pytest_readiness.connectors.hosts", "hosts", "testinfra"),
}

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
    module_name, extra, driver = CONNECTORS[kind]
    if driver:
        try:
            importlib.import_module(driver)
        except ImportError:
            raise MissingExtra(extra, driver) from None
    module = importlib.import_module(module_name)
    connect: Callable[[Target, Redactor], Any] = module.connect
    return connect
