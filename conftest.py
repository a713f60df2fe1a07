"""Repository-only test setup: pytester. The plugin never needs this file."""

from __future__ import annotations

# pytester's in-process runs restore sys.modules afterwards, dropping modules first imported
# inside them; drivers imported again later then mix old and new classes (requests fails with
# "You can only merge into CookieJar"). Importing the drivers up front keeps one copy of each.
import http.cookiejar  # noqa: F401
import os
from collections.abc import Generator

import kubernetes.client  # noqa: F401
import nats  # noqa: F401
import psycopg  # noqa: F401
import pytest
import redis  # noqa: F401
import requests  # noqa: F401
import urllib3  # noqa: F401

import pytest_readiness.connectors.http  # noqa: F401

pytest_plugins = ["pytester"]

# In CI every test of ours must run: a skip (a missing service, browser or dev dependency)
# fails. Only our suite under tests/: the built-in checks that tests run in an inner pytest
# (checks/ sits under this conftest too) skip as not applicable by design.
_NO_SKIPS = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_OURS = "tests/"


def _ours(report: pytest.TestReport | pytest.CollectReport) -> bool:
    return report.nodeid.startswith(_OURS) or report.nodeid in ("", ".", "tests")


def _as_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.outcome = "failed"
    report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if _NO_SKIPS and report.skipped and not hasattr(report, "wasxfail") and _ours(report):
        _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report: pytest.CollectReport = yield
    if _NO_SKIPS and report.skipped and _ours(report):
        _as_failure(report)
    return report
