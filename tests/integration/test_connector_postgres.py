"""The PostgreSQL connector against real servers.

Real peers: the machine's PostgreSQL 15 on 127.0.0.1:5432 (trust auth, database ``test``), and a
private PostgreSQL cluster started from the installed binaries on a free port with SSL (trustme
CA) and SCRAM password authentication.
Stand-ins: a listening socket that never answers (a hung server) and a closed port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pytest_readiness.connectors.base import Target, WriteRefused
from pytest_readiness.connectors.postgres import PostgresConnection, PrivilegedRoleWarning, connect
from pytest_readiness.errors import AuthFailed, ConfigError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support import assert_secret_free
from tests.support.datastore_servers import postgres_cluster
from tests.support.ports import closed_port, silent_listener
from tests.support.servers import SHARED_PG_DSN, PostgresServer, postgres_ssl_server
from tests.support.targets import load_target, rejected_target

pytestmark = pytest.mark.integration

PASSWORD = "pg-S3cret-Pass"
WRONG_PASSWORD = "pg-Wr0ng-Pass"


#: A refusal must come well before this timeout (a margin for a busy CI host's first import).
QUICK_TIMEOUT = 6


def target(dsn: str, *, name: str = "orders", timeout: float = 5, **settings: Any) -> Target:
    return load_target("postgres", name, timeout=timeout, dsn=dsn, **settings)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_ssl_server(PASSWORD) as server:
        yield server


@contextmanager
def shared_connection() -> Iterator[PostgresConnection]:
    """The shared service, connected inside the test: if it is down, the test fails."""
    conn = connect(target(SHARED_PG_DSN, name="shared"), Redactor())
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def private_pg(pg_server: PostgresServer) -> Iterator[PostgresConnection]:
    conn = connect(target(pg_server.dsn(), name="secure"), Redactor())
    yield conn
    conn.close()


def test_facade_returns_server_facts() -> None:
    with shared_connection() as shared_pg:
        major, minor = shared_pg.server_version()
        assert major >= 15
        assert shared_pg.setting("server_version_num").startswith(str(major))
        assert minor == int(shared_pg.setting("server_version_num")) % 10000
        assert shared_pg.settings(["max_connections", "TimeZone"]).keys() == {
            "max_connections",
            "TimeZone",
        }
        assert int(shared_pg.settings(["max_connections"])["max_connections"]) > 0
        assert "plpgsql" in shared_pg.extensions()
        assert shared_pg.is_in_recovery() is False
        assert shared_pg.replication() == []
        assert shared_pg.max_replication_lag_seconds() == 0.0
        assert shared_pg.ssl_in_use() is False
        assert shared_pg.execute("SELECT %s::int + 1", (41,)).fetchone() == (42,)
        assert shared_pg.scalar("SELECT current_database()") == "test"
        assert shared_pg.scalar("SELECT 1 WHERE false") is None
        assert not hasattr(shared_pg, "client")  # no raw driver connection to write through


def test_session_is_read_only() -> None:
    with shared_connection() as shared_pg:
        assert shared_pg.setting("default_transaction_read_only") == "on"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            shared_pg.execute("CREATE TEMP TABLE readiness_probe (x int)")
        # autocommit: the failed statement leaves no aborted transaction behind
        assert shared_pg.scalar("SELECT 1") == 1


@pytest.mark.parametrize(
    "reopen",
    [
        "SET default_transaction_read_only = off",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "BEGIN READ WRITE",
        "SET transaction_read_only = off",
        "COMMIT",
        "RESET ALL",
    ],
)
def test_no_statement_reopens_the_session_for_writes(reopen: str) -> None:
    with shared_connection() as shared_pg:
        with contextlib.suppress(psycopg.Error):
            shared_pg.execute(reopen)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            shared_pg.execute("CREATE TEMP TABLE readiness_probe (x int)")


def test_a_chain_of_statements_cannot_leave_the_read_only_transaction() -> None:
    chain = (
        "COMMIT; SET default_transaction_read_only = off; CREATE TEMP TABLE readiness_probe (x int)"
    )
    with shared_connection() as shared_pg:
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            shared_pg.execute(chain)
        assert shared_pg.scalar("SELECT to_regclass('pg_temp.readiness_probe')") is None


@pytest.mark.parametrize(
    "copy",
    [
        "COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
        "  /* a comment */ -- and another\n copy (select 1) to program 'touch {marker}'",
    ],
)
def test_copy_is_refused_before_it_is_sent(copy: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with shared_connection() as shared_pg, pytest.raises(WriteRefused, match="COPY"):
        shared_pg.execute(copy.format(marker=marker))
    assert not marker.exists()


def test_a_superuser_role_is_warned_about() -> None:
    with pytest.warns(PrivilegedRoleWarning, match="superuser 'postgres'"):
        connect(target(SHARED_PG_DSN, name="shared"), Redactor()).close()


def test_a_frozen_server_times_out_once_then_fails_fast() -> None:
    """SIGSTOP the backend serving the session: its kernel still takes the query, nothing
    answers, the server-side statement timeout cannot fire; the client-side deadline does."""
    with postgres_cluster("Frozen-Pg-Pass-1") as cluster:
        conn = connect(target(cluster.dsn(), timeout=1), Redactor())
        backend = int(conn.scalar("SELECT pg_backend_pid()"))
        os.kill(backend, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(TimedOut, match=r"timed out after 1\.\ds \(timeout 1s\)"):
                conn.scalar("SELECT 1")
            assert time.monotonic() - started < 3
            with pytest.raises(TimedOut, match="timed out earlier"):
                conn.setting("max_connections")
        finally:
            os.kill(backend, signal.SIGCONT)
            conn.close()


def test_statement_timeout_defaults_to_target_timeout() -> None:
    conn = connect(target(SHARED_PG_DSN, timeout=2), Redactor())
    try:
        assert conn.setting("statement_timeout") == "2s"
    finally:
        conn.close()


def test_statement_timeout_cancels_long_queries() -> None:
    conn = connect(target(SHARED_PG_DSN, statement_timeout=0.3), Redactor())
    try:
        assert conn.setting("statement_timeout") == "300ms"
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
    finally:
        conn.close()


def test_options_in_the_dsn_are_kept() -> None:
    separator = "&" if "?" in SHARED_PG_DSN else "?"
    dsn = f"{SHARED_PG_DSN}{separator}options=-c%20application_name%3Dreadiness-probe"
    conn = connect(target(dsn), Redactor())
    try:
        assert conn.setting("application_name") == "readiness-probe"
        assert conn.setting("default_transaction_read_only") == "on"
    finally:
        conn.close()


def test_ssl_in_use_on_the_ssl_server(private_pg: PostgresConnection) -> None:
    assert private_pg.ssl_in_use() is True
    assert private_pg.server_version()[0] >= 15
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        private_pg.execute("CREATE TABLE readiness_probe (x int)")


def test_wrong_password_is_auth_failed_and_secret_free(pg_server: PostgresServer) -> None:
    with pytest.raises(AuthFailed) as info:
        connect(target(pg_server.dsn(WRONG_PASSWORD), name="secure"), Redactor())
    message = str(info.value)
    assert message.startswith("Cannot connect to postgres target 'secure': ")
    assert "password authentication failed" in message
    assert message.endswith("(timeout 5s)")
    assert_secret_free(info.value, WRONG_PASSWORD, PASSWORD)


def test_keyword_dsn_password_is_redacted(pg_server: PostgresServer) -> None:
    dsn = (
        f"host=127.0.0.1 port={pg_server.port} user=postgres dbname=postgres "
        f"password={WRONG_PASSWORD} sslmode=require"
    )
    with pytest.raises(AuthFailed) as info:
        connect(target(dsn), Redactor())
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_invalid_dsn_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError, match="invalid DSN") as info:
        connect(target(f"host=db password={WRONG_PASSWORD} garbage"), Redactor())
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_silent_server_times_out_at_the_configured_timeout_below_libpqs_floor() -> None:
    with silent_listener() as port:
        dsn = f"postgresql://postgres:{WRONG_PASSWORD}@127.0.0.1:{port}/test?sslmode=disable"
        started = time.monotonic()
        with pytest.raises(TimedOut) as info:
            connect(target(dsn, timeout=0.5), Redactor())
        elapsed = time.monotonic() - started
    # libpq alone waits at least 2 s per address; the deadline around it is the target's own.
    assert elapsed < 1.5
    assert str(info.value) == "Cannot connect to postgres target 'orders': timed out (timeout 0.5s)"
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_two_silent_hosts_take_one_timeout_not_two() -> None:
    with silent_listener() as first, silent_listener() as second:
        dsn = f"host=127.0.0.1,127.0.0.1 port={first},{second} user=postgres sslmode=disable"
        started = time.monotonic()
        with pytest.raises(TimedOut):
            connect(target(dsn, timeout=1), Redactor())
        elapsed = time.monotonic() - started
    assert elapsed < 2  # libpq alone: 2 s per host, 4 s


def test_closed_port_is_unreachable_quickly() -> None:
    port = closed_port()
    dsn = f"postgresql://postgres:{WRONG_PASSWORD}@127.0.0.1:{port}/test"
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        connect(target(dsn, timeout=QUICK_TIMEOUT), Redactor())
    assert time.monotonic() - started < QUICK_TIMEOUT / 2  # refused at once, not after the timeout
    assert not isinstance(info.value, TimedOut)
    assert str(info.value) == (
        f"Cannot connect to postgres target 'orders': connection refused at 127.0.0.1:{port} "
        "(timeout 6s)"
    )
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_missing_dsn_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="dsn"):
        connect(rejected_target("postgres", "orders", {}), Redactor())


def test_password_from_settings(pg_server: PostgresServer) -> None:
    dsn = pg_server.dsn().replace(f":{PASSWORD}@", "@")
    conn = connect(target(dsn, password=PASSWORD), Redactor())
    try:
        assert conn.ssl_in_use() is True
    finally:
        conn.close()
    with pytest.raises(AuthFailed) as info:
        connect(target(dsn, password=WRONG_PASSWORD), Redactor())
    assert_secret_free(info.value, WRONG_PASSWORD)


@pytest.mark.parametrize("value", [0, -1, "soon"])
def test_statement_timeout_must_be_positive(value: object) -> None:
    settings = {"dsn": SHARED_PG_DSN, "statement_timeout": value}
    with pytest.raises(ConfigError, match="statement_timeout: expected a positive number"):
        connect(rejected_target("postgres", "orders", settings), Redactor())
