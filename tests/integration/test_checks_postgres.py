"""The built-in PostgreSQL checks (checks/test_postgres.py) against real good and bad clusters.

Good: a primary with SSL, data checksums (initdb -k), WAL archiving to a local directory,
pg_stat_statements preloaded and installed, slow-query logging, an alembic_version table at the
expected head, a backup catalogue table for ``pg_backup_query``, and an ``app`` role (no
superuser; pg_read_all_stats; statement and idle-in-transaction timeouts) that the checks
connect as; a streaming standby made with ``pg_basebackup -R`` (archiving left to the
primary), checked as a second target; PgBouncer in front of the primary; and a role ``nosy``
without pg_read_all_stats, which must not pass what it cannot see.

Bad: no SSL, no checksums, an archive_command that fails, md5 password hashing,
max_connections 5 with three sessions held (one idle in a transaction), an invalid index from a
failed CREATE UNIQUE INDEX CONCURRENTLY, pg_stat_statements installed but not preloaded, checks
connecting as the superuser, a pooler DSN nobody listens on, and a schema one migration
behind. The bad profile asks for PostgreSQL 99 (the installed server is the only version there
is) and carries a target whose password is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest

from tests.support.datastore_servers import (
    PgCluster,
    Pooler,
    pgbouncer,
    postgres_cluster,
    switch_wal_and_wait,
    wait_streaming,
)
from tests.support.ports import closed_port
from tests.support.readiness_runs import ReadinessRun, run_checks

pytestmark = pytest.mark.integration

ADMIN_PASSWORD = "pg-Admin-Pass-41"
APP_PASSWORD = "pg-App-Pass-52"
WRONG_PASSWORD = "pg-Wrong-Pass-63"
NOSY_PASSWORD = "pg-Nosy-Pass-74"

GOOD_SETTINGS = {
    "archive_mode": "on",
    "archive_command": "mkdir -p ../archive && cp %p ../archive/%f",
    "shared_preload_libraries": "pg_stat_statements",
    "log_min_duration_statement": "500",
}
GOOD_SETUP = [
    "CREATE EXTENSION pg_stat_statements",
    f"CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'",
    "GRANT pg_read_all_stats TO app",
    f"CREATE ROLE nosy LOGIN PASSWORD '{NOSY_PASSWORD}'",
    "ALTER ROLE app SET statement_timeout = '30s'",
    "ALTER ROLE app SET idle_in_transaction_session_timeout = '60s'",
    "CREATE TABLE backup_catalog (finished timestamptz)",
    "INSERT INTO backup_catalog VALUES (now() - interval '2 hours')",
    "GRANT SELECT ON backup_catalog TO app",
    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
    "INSERT INTO alembic_version VALUES ('b7e1c2d9')",
    "GRANT SELECT ON alembic_version TO app",
]
BAD_SETUP = [
    "CREATE EXTENSION pg_stat_statements",
    "CREATE TABLE dup (x int)",
    "INSERT INTO dup VALUES (1), (1)",
    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
    "INSERT INTO alembic_version VALUES ('a41f0e77')",
]
BAD_SETTINGS = {
    "archive_mode": "on",
    "archive_command": "false",
    "password_encryption": "md5",
    "max_connections": "5",
    "max_wal_senders": "2",
    "superuser_reserved_connections": "0",
}


def setup(cluster: PgCluster, statements: list[str]) -> None:
    with cluster.admin() as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(scope="module")
def good_servers() -> Iterator[tuple[PgCluster, PgCluster, Pooler]]:
    """The good primary, its streaming standby and PgBouncer, with archiving verified."""
    with ExitStack() as stack:
        primary = stack.enter_context(
            postgres_cluster(ADMIN_PASSWORD, ssl=True, checksums=True, settings=GOOD_SETTINGS)
        )
        setup(primary, GOOD_SETUP)
        standby = stack.enter_context(
            postgres_cluster(
                ADMIN_PASSWORD,
                ssl=True,
                basebackup_from=primary,
                settings=GOOD_SETTINGS,
            )
        )
        wait_streaming(primary)
        switch_wal_and_wait(primary)
        pooler = stack.enter_context(pgbouncer(primary, "app", APP_PASSWORD))
        yield primary, standby, pooler


@pytest.fixture(scope="module")
def good(
    good_servers: tuple[PgCluster, PgCluster, Pooler], tmp_path_factory: pytest.TempPathFactory
) -> ReadinessRun:
    primary, standby, pooler = good_servers
    profile = f"""
profiles:
  prod:
    thresholds:
      pg_pooler_dsn: "{pooler.dsn("app")}"
      pg_backup_query: "SELECT max(finished) FROM backup_catalog"
      pg_migration_query: "SELECT version_num FROM alembic_version"
      pg_expected_migration: b7e1c2d9
    postgres:
      - {{name: good, dsn: "{primary.dsn("app", APP_PASSWORD)}"}}
      - {{name: standby, dsn: "{standby.dsn("app", APP_PASSWORD)}"}}
"""
    return run_checks(tmp_path_factory.mktemp("pg-good"), "test_postgres.py", profile)


@pytest.fixture(scope="module")
def unprivileged(
    good_servers: tuple[PgCluster, PgCluster, Pooler], tmp_path_factory: pytest.TempPathFactory
) -> ReadinessRun:
    """The session and replication checks as a role without pg_read_all_stats, while a
    superuser session is open: what that role cannot see must not pass."""
    primary = good_servers[0]
    profile = f"""
profiles:
  prod:
    postgres:
      - {{name: nosy, dsn: "{primary.dsn("nosy", NOSY_PASSWORD)}"}}
"""
    with primary.admin():
        return run_checks(
            tmp_path_factory.mktemp("pg-unprivileged"),
            "test_postgres.py",
            profile,
            "-k",
            "long_transactions or replicas",
        )


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    with ExitStack() as stack:
        primary = stack.enter_context(postgres_cluster(ADMIN_PASSWORD, settings=BAD_SETTINGS))
        setup(primary, BAD_SETUP)
        with primary.admin() as conn, pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY dup_x ON dup (x)")
        switch_wal_and_wait(primary, archived=False)
        held: list[Any] = [stack.enter_context(primary.admin()) for _ in range(3)]
        held[0].autocommit = False
        held[0].execute("SELECT 1")  # opens a transaction and leaves it idle
        profile = f"""
profiles:
  prod:
    thresholds:
      pg_min_version: 99
      pg_pooler_dsn: "postgresql://app@127.0.0.1:{closed_port()}/postgres?sslmode=disable"
      pg_max_transaction_seconds: 0
      pg_max_idle_in_transaction_seconds: 0
      pg_migration_query: "SELECT version_num FROM alembic_version"
      pg_expected_migration: b7e1c2d9
    postgres:
      - {{name: bad, dsn: "{primary.dsn("postgres", ADMIN_PASSWORD)}"}}
      - {{name: locked, dsn: "{primary.dsn("postgres", WRONG_PASSWORD)}"}}
"""
        yield run_checks(tmp_path_factory.mktemp("pg-bad"), "test_postgres.py", profile)


CHECK_IDS = [
    "PG-CONNECT",
    "PG-VERSION-MIN",
    "PG-SSL-REQUIRED",
    "PG-CONN-HEADROOM",
    "PG-REPLICATION",
    "PG-WAL-ARCHIVING",
    "PG-BACKUP-RECENT",
    "PG-SLOW-QUERY-LOG",
    "PG-STAT-STATEMENTS",
    "PG-ROLES-NO-SUPERUSER",
    "PG-PASSWORD-ENCRYPTION",
    "PG-DATA-CHECKSUMS",
    "PG-LONG-TRANSACTIONS",
    "PG-INVALID-INDEXES",
    "PG-TIMEOUTS",
    "PG-POOLER-REACHABLE",
    "PG-MIGRATION-HEAD",
]

ANY: Any = object()

#: check id -> (part of the failure message, the first evidence's label and observed value,
#: the setting the remediation names)
BAD = {
    "PG-VERSION-MIN": ("older than the required 99", ("server version", ANY), "pg_min_version"),
    "PG-SSL-REQUIRED": ("ssl = off", ("ssl", "off"), "ssl = on"),
    "PG-CONN-HEADROOM": ("4 of max_connections 5", ("connection usage", 0.8), "max_connections"),
    "PG-REPLICATION": ("0 streaming standby(s)", ("streaming standbys", 0), "primary_conninfo"),
    "PG-WAL-ARCHIVING": (
        "the last archive attempt failed",
        ("archive_mode", "on"),
        "archive_command",
    ),
    "PG-BACKUP-RECENT": (
        "no backup found (pg_stat_archiver)",
        ("newest backup age (h)", None),
        "pg_backup_query",
    ),
    "PG-SLOW-QUERY-LOG": (
        "logging is off",
        ("log_min_duration_statement (ms)", -1),
        "log_min_duration_statement",
    ),
    "PG-STAT-STATEMENTS": (
        "not in shared_preload_libraries",
        ("pg_stat_statements collecting", False),
        "shared_preload_libraries",
    ),
    "PG-ROLES-NO-SUPERUSER": (
        "role postgres has SUPERUSER",
        ("role attributes", ANY),
        "NOSUPERUSER",
    ),
    "PG-PASSWORD-ENCRYPTION": (
        "password_encryption is md5",
        ("password_encryption", "md5"),
        "password_encryption",
    ),
    "PG-DATA-CHECKSUMS": ("data_checksums is off", ("data_checksums", "off"), "pg_checksums"),
    "PG-LONG-TRANSACTIONS": (
        "open longer than 0s",
        ("transactions over limit", ANY),
        "idle_in_transaction_session_timeout",
    ),
    "PG-INVALID-INDEXES": ("public.dup_x", ("invalid indexes", ["public.dup_x"]), "REINDEX"),
    "PG-TIMEOUTS": (
        "statement_timeout, idle_in_transaction_session_timeout",
        ("statement_timeout (ms)", 0),
        "statement_timeout",
    ),
    "PG-POOLER-REACHABLE": (
        "connection refused",
        ("pooler answers SELECT 1", False),
        "pg_pooler_dsn",
    ),
    "PG-MIGRATION-HEAD": (
        "at revision a41f0e77, the release expects b7e1c2d9",
        ("applied revision", "a41f0e77"),
        "pg_expected_migration",
    ),
}


#: The standby leaves archiving to the primary, so that check is not applicable there.
GOOD_ITEMS = [
    f"{check}[{target}]"
    for target in ("good", "standby")
    for check in CHECK_IDS
    if (check, target) != ("PG-WAL-ARCHIVING", "standby")
]


@pytest.mark.parametrize("item_id", GOOD_ITEMS)
def test_good_postgres_meets_the_check(good: ReadinessRun, item_id: str) -> None:
    item = good.item(item_id)
    assert item["outcome"] == "passed", item["message"]
    assert item["evidence"], "a passing check still records what it saw"


def test_good_postgres_run_is_go_and_secret_free(good: ReadinessRun) -> None:
    assert good.result["decision"] == "GO", good.result["reasons"]
    assert APP_PASSWORD not in good.text
    assert APP_PASSWORD not in good.output


def test_sessions_hidden_from_the_role_fail_the_long_transaction_check(
    unprivileged: ReadinessRun,
) -> None:
    item = unprivileged.item("PG-LONG-TRANSACTIONS[nosy]")
    assert item["outcome"] == "failed"
    assert "hidden from this role: grant it pg_read_all_stats" in item["message"]
    hidden = item["evidence"][2]
    assert hidden["label"] == "sessions hidden from this role"
    assert hidden["observed"]


def test_standbys_hidden_from_the_role_fail_the_replication_check(
    unprivileged: ReadinessRun,
) -> None:
    item = unprivileged.item("PG-REPLICATION[nosy]")
    assert item["outcome"] == "failed"
    assert item["message"].startswith("0 streaming standby(s), 1 required")
    assert "pg_read_all_stats" in item["remediation"]


def test_archiving_is_left_to_the_primary_on_a_standby(good: ReadinessRun) -> None:
    item = good.item("PG-WAL-ARCHIVING[standby]")
    assert item["outcome"] == "skipped"
    assert "leaves archiving to its primary" in item["message"]


def test_standby_is_judged_by_its_wal_receiver(good: ReadinessRun) -> None:
    evidence = good.item("PG-REPLICATION[standby]")["evidence"][0]
    assert (evidence["label"], evidence["observed"]) == ("WAL receiver", "streaming")


def test_backup_age_comes_from_the_configured_catalogue_query(good: ReadinessRun) -> None:
    evidence = good.item("PG-BACKUP-RECENT[good]")["evidence"][0]
    assert evidence["details"]["source"] == "pg_backup_query"
    assert 1.9 < evidence["observed"] < 2.5  # the catalogue row is two hours old


@pytest.mark.parametrize("check", sorted(BAD))
def test_bad_postgres_fails_the_check_with_evidence(bad: ReadinessRun, check: str) -> None:
    message, (label, observed), setting = BAD[check]
    item = bad.item(f"{check}[bad]")
    assert item["outcome"] == "failed", item["message"]
    assert message in item["message"]
    first = item["evidence"][0]
    assert first["label"] == label
    if observed is not ANY:
        assert first["observed"] == observed
    assert setting in item["remediation"]


def test_bad_postgres_connect_check_passes_but_the_run_is_no_go(bad: ReadinessRun) -> None:
    assert bad.item("PG-CONNECT[bad]")["outcome"] == "passed"
    assert bad.result["decision"] == "NO-GO"


def test_wrong_password_makes_the_connect_check_error_with_the_cause(bad: ReadinessRun) -> None:
    item = bad.item("PG-CONNECT[locked]")
    assert item["outcome"] == "error"
    assert "postgres target 'locked'" in item["message"]
    assert "password authentication failed" in item["message"]
    for secret in (WRONG_PASSWORD, ADMIN_PASSWORD):
        assert secret not in bad.text
        assert secret not in bad.output
