"""Secrets stay out of what pytest itself prints and writes in a readiness run."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

SECRET = "s3cr3t/Pass+word"  # '/' and '+' differ once URL-encoded
DB_PASSWORD = "db-Secret-4711"
PROFILE = """
profiles:
  prod:
    postgres:
      - {name: orders, dsn: "postgresql://app:${ORDERS_PASSWORD}@127.0.0.1:1/x"}
    thresholds: {token: "${API_TOKEN}"}
"""
CHECKS = """
import logging
import os
import warnings
import pytest

TOKEN = os.environ["API_TOKEN"]

@pytest.mark.critical(id="LEAKY-1", title="token " + TOKEN)
@pytest.mark.parametrize("value", [TOKEN])
def test_leaky(value):
    warnings.warn(f"connecting with {TOKEN} and {os.environ['ENCODED']}")
    logging.getLogger("urllib3.connectionpool").debug("GET /health?token=%s HTTP/1.1", TOKEN)
    assert value == TOKEN

@pytest.mark.important(id="PG-1")
def test_pg(pg_conn):
    pass
"""


def test_no_secret_in_warnings_logs_ids_titles_or_fixture_reprs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_PASSWORD", DB_PASSWORD)
    monkeypatch.setenv("API_TOKEN", "tok-" + SECRET)
    monkeypatch.setenv("ENCODED", urllib.parse.quote("tok-" + SECRET, safe=""))
    pytester.makefile(".yaml", readiness=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest_subprocess(
        "--readiness=prod",
        "--readiness-json=r.json",
        "--junitxml=r.xml",
        "--setup-show",
        "--log-cli-level=DEBUG",
        "--log-file=run.log",
        "--log-file-level=DEBUG",
        "-rA",
        "-W",
        "default",
        "-p",
        "no:cacheprovider",
    )
    written = "".join(
        Path(pytester.path, name).read_text(encoding="utf-8")
        for name in ("r.json", "r.xml", "run.log")
    )
    everything = result.stdout.str() + result.stderr.str() + written
    assert "connecting with" in everything  # the warning and the log line were printed...
    assert "GET /health?token=***" in everything
    for form in (SECRET, urllib.parse.quote(SECRET, safe=""), "tok-", DB_PASSWORD):  # ...masked
        assert form not in everything, form
    assert "test_leaky[value-***]" in result.stdout.str()


def test_debug_with_secrets_warns_at_start(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_PASSWORD", DB_PASSWORD)
    monkeypatch.setenv("API_TOKEN", "tok-" + SECRET)
    pytester.makefile(".yaml", readiness=PROFILE)
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "--readiness=prod", f"--debug={pytester.path / 'debug.log'}", "-p", "no:cacheprovider"
    )
    result.stderr.fnmatch_lines(["readiness: warning: --debug writes every hook call*"])
