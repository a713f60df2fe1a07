"""Built-in PostgreSQL readiness checks, run against every ``postgres`` target of the profile.

Connect with the application's own role: the role, timeout and connection checks judge the
role the target connects as. Every query is read-only; several catalogue views show other
roles' sessions only to members of ``pg_read_all_stats``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

DOMAIN = "postgres"
TARGET_KIND = "postgres"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "PG-VERSION-MIN": {"pg_min_version": 15},
    "PG-CONN-HEADROOM": {"pg_max_connection_usage": 0.8},
    "PG-REPLICATION": {"pg_min_standbys": 1, "pg_max_replication_lag_seconds": 30},
    "PG-WAL-ARCHIVING": {"pg_max_archive_age_seconds": 3600, "pg_max_archive_failures": 0},
    "PG-BACKUP-RECENT": {"pg_backup_query": None, "pg_max_backup_age_hours": 26},
    "PG-SLOW-QUERY-LOG": {"pg_max_slow_query_ms": 1000},
    "PG-LONG-TRANSACTIONS": {
        "pg_max_transaction_seconds": 300,
        "pg_max_idle_in_transaction_seconds": 60,
    },
    "PG-POOLER-REACHABLE": {"pg_pooler_dsn": None},
    "PG-MIGRATION-HEAD": {"pg_migration_query": None, "pg_expected_migration": None},
}

SECTION = "PostgreSQL"
DOCS = "https://www.postgresql.org/docs/current/"


def _limit(readiness: Any, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _version(value: Any) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(value)))


@pytest.mark.critical(
    id="PG-CONNECT",
    section=SECTION,
    remediation="Check the target's dsn, the server's listen_addresses and pg_hba.conf.",
    docs=DOCS + "libpq-connect.html",
)
def test_postgres_answers_queries(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL accepts the connection and answers a query.

    Runs ``SELECT 1`` over the target's session; a refused or timed-out connection errors.
    """
    answer = pg_conn.scalar("SELECT 1")
    evidence("SELECT 1", answer, expected=1)
    assert answer == 1, f"SELECT 1 returned {answer!r}"


@pytest.mark.important(
    id="PG-VERSION-MIN",
    section=SECTION,
    remediation="Upgrade the server to the minimum major version (threshold pg_min_version).",
    docs="https://www.postgresql.org/support/versioning/",
)
def test_postgres_version_is_supported(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL runs at least the minimum major version.

    Compares ``server_version_num`` with the ``pg_min_version`` threshold (default 15).
    """
    minimum = _limit(readiness, "PG-VERSION-MIN", "pg_min_version")
    major, minor = pg_conn.server_version()
    evidence("server version", f"{major}.{minor}", expected=f">= {minimum}")
    assert (major, minor) >= _version(minimum)[:2], (
        f"PostgreSQL {major}.{minor} is older than the required {minimum}; upgrade the server"
    )


@pytest.mark.critical(
    id="PG-SSL-REQUIRED",
    section=SECTION,
    remediation="Set ssl = on with ssl_cert_file/ssl_key_file, use hostssl lines in "
    "pg_hba.conf and sslmode=verify-full in the client DSN.",
    docs=DOCS + "ssl-tcp.html",
)
def test_postgres_connection_is_encrypted(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL has SSL on and this connection is encrypted.

    Reads the ``ssl`` setting and ``pg_stat_ssl`` for this session's own backend.
    """
    ssl = pg_conn.setting("ssl")
    encrypted = pg_conn.ssl_in_use()
    evidence("ssl", ssl, expected="on")
    evidence("this connection encrypted", encrypted, expected=True)
    assert ssl == "on", "the server has ssl = off: set ssl = on with a certificate and key"
    assert encrypted, (
        "this connection is not encrypted: require hostssl in pg_hba.conf and sslmode=verify-full"
    )


@pytest.mark.important(
    id="PG-CONN-HEADROOM",
    section=SECTION,
    remediation="Put a pooler (PgBouncer) in front of the server, lower the applications' "
    "pool sizes, or raise max_connections.",
    docs=DOCS + "runtime-config-connection.html#GUC-MAX-CONNECTIONS",
)
def test_postgres_connections_have_headroom(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL client connections stay under the share of max_connections.

    Counts client backends in ``pg_stat_activity`` against ``max_connections``; the share
    must stay under ``pg_max_connection_usage`` (default 0.8).
    """
    limit = float(_limit(readiness, "PG-CONN-HEADROOM", "pg_max_connection_usage"))
    used, maximum = pg_conn.connection_usage()
    usage = used / maximum
    evidence("connection usage", round(usage, 3), expected=f"< {limit}", used=used, max=maximum)
    assert usage < limit, (
        f"{used} of max_connections {maximum} in use ({usage:.0%}, limit {limit:.0%}): "
        "pool connections or raise max_connections"
    )


@pytest.mark.critical(
    id="PG-REPLICATION",
    section=SECTION,
    remediation="Run streaming standbys (primary_conninfo, pg_basebackup -R) and keep "
    "replay lag under pg_max_replication_lag_seconds; grant the role pg_read_all_stats.",
    docs=DOCS + "warm-standby.html#STREAMING-REPLICATION",
)
def test_postgres_replicas_stream_without_lag(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL standbys are streaming with replay lag under the threshold.

    On a primary: at least ``pg_min_standbys`` (default 1) rows of ``pg_stat_replication`` in
    state ``streaming``, each with ``replay_lag`` under ``pg_max_replication_lag_seconds``
    (default 30). On a standby: its WAL receiver is streaming and heard from the primary
    within that lag. The role needs ``pg_read_all_stats`` to see the standbys' state.
    """
    max_lag = float(_limit(readiness, "PG-REPLICATION", "pg_max_replication_lag_seconds"))
    if pg_conn.is_in_recovery():
        receiver = pg_conn.wal_receiver()
        status = receiver["status"] if receiver else "no WAL receiver"
        age = receiver["last_msg_age_seconds"] if receiver else None
        evidence("WAL receiver", status, expected="streaming", last_message_age_seconds=age)
        assert status == "streaming", (
            f"this standby's WAL receiver is {status}: check primary_conninfo and the primary"
        )
        assert age is not None, "no message from the primary yet: check primary_conninfo"
        assert age <= max_lag, f"last message from the primary {age:.0f}s ago, limit {max_lag:g}s"
        return
    minimum = int(_limit(readiness, "PG-REPLICATION", "pg_min_standbys"))
    standbys = pg_conn.standbys()
    streaming = [s for s in standbys if s["state"] == "streaming"]
    lagging = [s["name"] for s in streaming if s["replay_lag_seconds"] > max_lag]
    evidence("streaming standbys", len(streaming), expected=f">= {minimum}", standbys=standbys)
    evidence("standbys lagging", lagging, expected=f"none over {max_lag:g}s")
    assert len(streaming) >= minimum, (
        f"{len(streaming)} streaming standby(s), {minimum} required: add standbys "
        "(pg_basebackup -R, primary_conninfo)"
    )
    assert not lagging, f"replay lag over {max_lag:g}s on {', '.join(lagging)}"


@pytest.mark.critical(
    id="PG-WAL-ARCHIVING",
    section=SECTION,
    remediation="Set archive_mode = on with a working archive_command (or archive_library) "
    "and archive_timeout; fix the command until pg_stat_archiver shows no new failures.",
    docs=DOCS + "continuous-archiving.html",
)
def test_postgres_wal_archiving_works(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL archives WAL, recently and without failing.

    ``archive_mode`` is on, ``pg_stat_archiver`` archived a segment within
    ``pg_max_archive_age_seconds`` (default 3600; set archive_timeout so idle servers still
    switch segments), the last attempt did not fail, and ``failed_count`` is at most
    ``pg_max_archive_failures`` (default 0, counted since the statistics were last reset).
    Not applicable on a standby with ``archive_mode = on`` (its primary archives).
    """
    max_age = float(_limit(readiness, "PG-WAL-ARCHIVING", "pg_max_archive_age_seconds"))
    max_failures = int(_limit(readiness, "PG-WAL-ARCHIVING", "pg_max_archive_failures"))
    mode = pg_conn.setting("archive_mode")
    if mode == "on" and pg_conn.is_in_recovery():
        pytest.skip("N/A: a standby with archive_mode = on leaves archiving to its primary")
    stats = pg_conn.archiver()
    archived_age, failed_age = stats["last_archived_age"], stats["last_failed_age"]
    failing_now = failed_age is not None and (archived_age is None or failed_age < archived_age)
    evidence("archive_mode", mode, expected="on or always")
    evidence("last archived (s ago)", archived_age, expected=f"<= {max_age:g}", **stats)
    evidence("failed_count", stats["failed_count"], expected=f"<= {max_failures}")
    assert mode in ("on", "always"), "archive_mode is off: set archive_mode = on and an archiver"
    assert not failing_now, (
        f"the last archive attempt failed (WAL {stats['last_failed_wal']}): fix archive_command"
    )
    assert archived_age is not None, "no WAL segment was ever archived: check archive_command"
    assert archived_age <= max_age, (
        f"last WAL archived {archived_age:.0f}s ago, limit {max_age:g}s: check the archiver "
        "and set archive_timeout"
    )
    assert stats["failed_count"] <= max_failures, (
        f"{stats['failed_count']} failed archive attempts (limit {max_failures}): fix the "
        "cause, then reset with pg_stat_reset_shared('archiver')"
    )


@pytest.mark.critical(
    id="PG-BACKUP-RECENT",
    section=SECTION,
    remediation="Schedule backups (pgBackRest, WAL-G, pg_basebackup) and point "
    "pg_backup_query at their catalogue, or keep WAL archiving running.",
    docs=DOCS + "backup.html",
)
def test_postgres_backup_is_recent(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL has a backup younger than the threshold.

    With ``pg_backup_query`` (SQL returning the newest completed backup's timestamp, e.g. from
    a backup catalogue table) its age is judged; otherwise the newest WAL segment archived
    (``pg_stat_archiver``) is the newest recoverable point. Must be younger than
    ``pg_max_backup_age_hours`` (default 26).
    """
    max_hours = float(_limit(readiness, "PG-BACKUP-RECENT", "pg_max_backup_age_hours"))
    query = _limit(readiness, "PG-BACKUP-RECENT", "pg_backup_query")
    if query:
        source, age = "pg_backup_query", pg_conn.age_of(str(query))
    else:
        source, age = "pg_stat_archiver", pg_conn.archiver()["last_archived_age"]
    hours = None if age is None else round(age / 3600, 2)
    evidence("newest backup age (h)", hours, expected=f"<= {max_hours:g}", source=source)
    assert hours is not None, (
        f"no backup found ({source}): schedule backups or archiving, or set pg_backup_query"
    )
    assert hours <= max_hours, f"newest backup is {hours}h old, limit {max_hours:g}h ({source})"


@pytest.mark.important(
    id="PG-SLOW-QUERY-LOG",
    section=SECTION,
    remediation="Set log_min_duration_statement (e.g. 500ms) so slow statements are logged.",
    docs=DOCS + "runtime-config-logging.html#GUC-LOG-MIN-DURATION-STATEMENT",
)
def test_postgres_logs_slow_queries(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL logs slow statements.

    ``log_min_duration_statement`` is set (not -1) and at most ``pg_max_slow_query_ms``
    (default 1000).
    """
    limit = int(_limit(readiness, "PG-SLOW-QUERY-LOG", "pg_max_slow_query_ms"))
    value = int(pg_conn.configured_setting("log_min_duration_statement"))
    evidence("log_min_duration_statement (ms)", value, expected=f"0..{limit}")
    assert value >= 0, "slow-query logging is off: set log_min_duration_statement"
    assert value <= limit, f"log_min_duration_statement is {value}ms, above {limit}ms"


@pytest.mark.important(
    id="PG-STAT-STATEMENTS",
    section=SECTION,
    remediation="Add pg_stat_statements to shared_preload_libraries, restart, and run "
    "CREATE EXTENSION pg_stat_statements in the database.",
    docs=DOCS + "pgstatstatements.html",
)
def test_postgres_tracks_statement_statistics(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL collects pg_stat_statements in the target database.

    The extension is installed and its view answers (which needs the library preloaded).
    """
    collecting, detail = pg_conn.stat_statements()
    evidence("pg_stat_statements collecting", collecting, expected=True, detail=detail)
    assert collecting, detail


@pytest.mark.critical(
    id="PG-ROLES-NO-SUPERUSER",
    section=SECTION,
    remediation="Connect the application with a dedicated role: ALTER ROLE app NOSUPERUSER "
    "NOCREATEROLE NOBYPASSRLS.",
    docs=DOCS + "role-attributes.html",
)
def test_postgres_app_role_is_unprivileged(pg_conn: Any, evidence: Any) -> None:
    """The application's PostgreSQL role is not a superuser.

    The target's role must have none of SUPERUSER, CREATEROLE, BYPASSRLS.
    """
    role = pg_conn.role()
    attributes = {
        "rolsuper": "SUPERUSER",
        "rolcreaterole": "CREATEROLE",
        "rolbypassrls": "BYPASSRLS",
    }
    powers = [attribute for column, attribute in attributes.items() if role[column]]
    evidence("role attributes", powers, expected="none", role=role["rolname"])
    assert not powers, (
        f"role {role['rolname']} has {', '.join(powers)}: use an unprivileged application role"
    )


@pytest.mark.critical(
    id="PG-PASSWORD-ENCRYPTION",
    section=SECTION,
    remediation="Set password_encryption = scram-sha-256 and reset passwords stored as md5.",
    docs=DOCS + "auth-password.html",
)
def test_postgres_hashes_passwords_with_scram(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL stores new passwords as SCRAM-SHA-256.

    Reads ``password_encryption``.
    """
    value = pg_conn.configured_setting("password_encryption")
    evidence("password_encryption", value, expected="scram-sha-256")
    assert value == "scram-sha-256", f"password_encryption is {value}: set scram-sha-256"


@pytest.mark.important(
    id="PG-DATA-CHECKSUMS",
    section=SECTION,
    remediation="Enable data checksums: initdb --data-checksums, or pg_checksums --enable "
    "on the stopped cluster.",
    docs=DOCS + "app-pgchecksums.html",
)
def test_postgres_data_checksums_are_on(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL verifies data pages with checksums.

    Reads ``data_checksums``, fixed at initdb or by pg_checksums.
    """
    value = pg_conn.setting("data_checksums")
    evidence("data_checksums", value, expected="on")
    assert value == "on", "data_checksums is off: enable them with pg_checksums --enable"


@pytest.mark.important(
    id="PG-LONG-TRANSACTIONS",
    section=SECTION,
    remediation="Find the sessions in pg_stat_activity, fix the application's transaction "
    "handling, and set idle_in_transaction_session_timeout; grant the role pg_read_all_stats.",
    docs=DOCS + "monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW",
)
def test_postgres_has_no_long_transactions(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """PostgreSQL has no long-running or idle-in-transaction sessions.

    No other client session has been in a transaction longer than
    ``pg_max_transaction_seconds`` (default 300) or idle in a transaction longer than
    ``pg_max_idle_in_transaction_seconds`` (default 60). Sessions of other roles that this
    role may not see (no ``pg_read_all_stats``) cannot be judged and fail the check.
    """
    max_xact = float(_limit(readiness, "PG-LONG-TRANSACTIONS", "pg_max_transaction_seconds"))
    max_idle = float(
        _limit(readiness, "PG-LONG-TRANSACTIONS", "pg_max_idle_in_transaction_seconds")
    )
    sessions = pg_conn.sessions()
    long_running = [s for s in sessions if s["xact_age"] is not None and s["xact_age"] > max_xact]
    idle = [
        s
        for s in sessions
        if str(s["state"]).startswith("idle in transaction") and s["state_age"] > max_idle
    ]
    evidence("transactions over limit", long_running, expected=f"none over {max_xact:g}s")
    hidden = [s["pid"] for s in sessions if s["backend_type"] is None]
    evidence("idle in transaction over limit", idle, expected=f"none over {max_idle:g}s")
    evidence("sessions hidden from this role", hidden, expected="none")
    assert not long_running, (
        f"{len(long_running)} transaction(s) open longer than {max_xact:g}s "
        f"(pids {', '.join(str(s['pid']) for s in long_running)})"
    )
    assert not idle, (
        f"{len(idle)} session(s) idle in transaction longer than {max_idle:g}s "
        f"(pids {', '.join(str(s['pid']) for s in idle)}): set idle_in_transaction_session_timeout"
    )
    assert not hidden, (
        f"{len(hidden)} session(s) of other roles are hidden from this role: grant it "
        "pg_read_all_stats so they can be judged"
    )


@pytest.mark.important(
    id="PG-INVALID-INDEXES",
    section=SECTION,
    remediation="REINDEX INDEX CONCURRENTLY each invalid index, or drop and recreate it.",
    docs=DOCS + "sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
)
def test_postgres_has_no_invalid_indexes(pg_conn: Any, evidence: Any) -> None:
    """The PostgreSQL database has no invalid indexes.

    An index left invalid by a failed ``CREATE INDEX CONCURRENTLY`` is maintained but never
    used by queries.
    """
    invalid = pg_conn.invalid_indexes()
    evidence("invalid indexes", invalid, expected="none")
    assert not invalid, f"invalid indexes: {', '.join(invalid)}; REINDEX them"


@pytest.mark.important(
    id="PG-TIMEOUTS",
    section=SECTION,
    remediation="Set statement_timeout and idle_in_transaction_session_timeout for the "
    "application role (ALTER ROLE app SET ...) or in postgresql.conf.",
    docs=DOCS + "runtime-config-client.html#GUC-STATEMENT-TIMEOUT",
)
def test_postgres_sessions_have_timeouts(pg_conn: Any, evidence: Any) -> None:
    """PostgreSQL bounds statements and idle transactions for the application role.

    ``statement_timeout`` and ``idle_in_transaction_session_timeout`` as a new session of this
    role gets them (this check's own session timeout does not count) are not 0.
    """
    values = {
        name: int(pg_conn.configured_setting(name))
        for name in ("statement_timeout", "idle_in_transaction_session_timeout")
    }
    for name, value in values.items():
        evidence(f"{name} (ms)", value, expected="> 0")
    unset = [name for name, value in values.items() if value <= 0]
    assert not unset, f"not set (0 = no limit): {', '.join(unset)}"


@pytest.mark.critical(
    id="PG-POOLER-REACHABLE",
    section=SECTION,
    remediation="Start the pooler (PgBouncer) and check its listen_addr/listen_port and its "
    "[databases] entry; pg_pooler_dsn must point at it.",
    docs="https://www.pgbouncer.org/config.html",
)
def test_postgres_pooler_is_reachable(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """The connection pooler in front of PostgreSQL answers queries.

    Connects to ``pg_pooler_dsn`` and runs ``SELECT 1``; not applicable when no pooler is
    configured.
    """
    dsn = _limit(readiness, "PG-POOLER-REACHABLE", "pg_pooler_dsn")
    if not dsn:
        pytest.skip("N/A: no pooler configured (threshold pg_pooler_dsn)")
    reachable, cause = pg_conn.probe(str(dsn))
    evidence("pooler answers SELECT 1", reachable, expected=True, cause=cause or None)
    assert reachable, f"the pooler does not answer: {cause}"


@pytest.mark.critical(
    id="PG-MIGRATION-HEAD",
    section=SECTION,
    remediation="Run the release's schema migrations (alembic upgrade head, flyway migrate...) "
    "and set pg_expected_migration to the release's head revision.",
    docs="https://alembic.sqlalchemy.org/en/latest/tutorial.html",
)
def test_postgres_schema_is_migrated_to_head(pg_conn: Any, readiness: Any, evidence: Any) -> None:
    """The PostgreSQL schema is migrated to the release's head revision.

    ``pg_migration_query`` (e.g. ``SELECT version_num FROM alembic_version``) must return
    ``pg_expected_migration``. Not applicable when no migration query is configured.
    """
    query = _limit(readiness, "PG-MIGRATION-HEAD", "pg_migration_query")
    expected = _limit(readiness, "PG-MIGRATION-HEAD", "pg_expected_migration")
    if not query:
        pytest.skip("N/A: no schema migrations tracked (threshold pg_migration_query)")
    applied = pg_conn.scalar(str(query))
    evidence("applied revision", applied, expected=expected)
    assert expected is not None, "set pg_expected_migration to the release's head revision"
    assert applied is not None, "the migration query returned nothing: no migration applied"
    assert str(applied) == str(expected), (
        f"the schema is at revision {applied}, the release expects {expected}: run the migrations"
    )
