"""A connector error raised in a check's body is ``error`` (the target could not be used)."""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace

import pytest

import pytest_readiness.connectors
from pytest_readiness.errors import ConnectorError
from pytest_readiness.model import RawOutcome
from pytest_readiness.outcomes import CONNECTOR_ERRORS, reduce_reports


def _failed_call(crash_message: str) -> SimpleNamespace:
    longrepr = SimpleNamespace(reprcrash=SimpleNamespace(message=crash_message))
    return SimpleNamespace(outcome="failed", when="call", longrepr=longrepr, duration=0.1)


def _passed_setup() -> SimpleNamespace:
    return SimpleNamespace(outcome="passed", when="setup", longrepr=None, duration=0.0)


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_connector_error_class_of_the_plugin_is_listed() -> None:
    for module in pkgutil.iter_modules(pytest_readiness.connectors.__path__):
        importlib.import_module(f"pytest_readiness.connectors.{module.name}")
    ours = {
        cls.__name__
        for cls in _subclasses(ConnectorError) | {ConnectorError}
        if cls.__module__.startswith("pytest_readiness.")
    }
    findings = {"MonitorNotConfigured"}  # about the deployment: the check fails (by design)
    assert ours - findings == CONNECTOR_ERRORS


@pytest.mark.parametrize(
    "crash",
    [
        "pytest_readiness.errors.TimedOut: Cannot query postgres target 'db': timed out after "
        "2.0s (timeout 2s)",
        "pytest_readiness.errors.Unreachable: Cannot query redis target 'c': connection lost",
        "pytest_readiness.connectors.base.WriteRefused: Refused on http target 'api': POST ...",
    ],
)
def test_a_connector_error_in_the_check_body_is_an_error(crash: str) -> None:
    result = reduce_reports({"setup": _passed_setup(), "call": _failed_call(crash)})
    assert result.outcome is RawOutcome.ERROR
    assert result.message.startswith(("Cannot", "Refused"))


@pytest.mark.parametrize(
    "crash",
    [
        "AssertionError: replication lag 12s > 5s",
        "psycopg.errors.ReadOnlySqlTransaction: cannot execute CREATE TABLE in a read-only "
        "transaction",
        "mymodule.TimedOut: a check's own class of the same name",
    ],
)
def test_any_other_exception_in_the_check_body_is_a_failure(crash: str) -> None:
    result = reduce_reports({"setup": _passed_setup(), "call": _failed_call(crash)})
    assert result.outcome is RawOutcome.FAILED
