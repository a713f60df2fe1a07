"""PostgreSQL through psycopg 3: read-only sessions with a statement timeout.

Its settings are declared in :mod:`~pytest_readiness.registry`.

Every session runs with ``default_transaction_read_only=on`` in autocommit mode, so a check that
tries to write fails with :class:`psycopg.errors.ReadOnlySqlTransaction`. libpq enforces a
connect timeout of at least 2 s per address, whatever smaller timeout the target asks for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_readiness.connectors.base import Target, fail, map_errors
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    from typing import LiteralString, TypeAlias

    import psycopg
    from psycopg import sql
    from psycopg.abc import Params

    #: What ``Connection.execute`` takes besides t-strings (psycopg 3.1 and later).
    Query: TypeAlias = LiteralString | bytes | sql.SQL | sql.Composed

__all__ = ["PostgresConnection", "connect"]

_ATTEMPT = re.compile(
    r'connection to server (?:at|on socket) "(?P<host>[^"]+)"(?: \([^)]*\))?'
    r"(?:, port (?P<port>\d+))? failed: (?P<detail>.*)"
)
_AUTH = re.compile(
    r"password authentication failed|no password supplied|authentication failed"
    r"|role \S+ does not exist|no pg_hba\.conf entry|permission denied for database",
    re.IGNORECASE,
)


def connect(target: Target, redactor: Redactor) -> PostgresConnection:
    """Open one read-only, autocommit session to ``target``; raise a ConnectorError if we can't."""
    dsn = target.settings.get("dsn")
    if not isinstance(dsn, str) or not dsn.strip():
        raise ConfigError(str(target), "dsn", "a connection URL or keyword DSN is required")
    redactor.add_from_url(dsn)
    redactor.add(_str_or_none(target.settings.get("password")))

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    problem = None
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        problem = redactor.redact(f"invalid DSN: {_first_line(str(exc))}")
    if problem is not None:  # raised outside the handler: the driver error may hold the DSN
        raise ConfigError(str(target), "dsn", problem)
    redactor.add(_str_or_none(params.get("password")))
    statement_timeout = _seconds(
        target, "statement_timeout", target.settings.get("statement_timeout", target.timeout)
    )

    options = " ".join(
        part
        for part in (
            str(params.get("options") or ""),
            "-c default_transaction_read_only=on",
        )
        if part
    )
    connect_timeout = max(1, math.ceil(target.timeout))
    password = {"password": target.settings["password"]} if "password" in target.settings else {}
    conninfo = make_conninfo(dsn, options=options, connect_timeout=connect_timeout, **password)
    try:
        with map_errors(target, redactor):
            client = psycopg.Connection.connect(conninfo, autocommit=True)
            # SET, not a startup option: pg_settings.reset_val then still shows the value the
            # role gets from the server, which the timeout checks read (configured_setting).
            try:
                client.execute(
                    "SELECT set_config('statement_timeout', %s, false)",
                    (f"{max(1, round(statement_timeout * 1000))}ms",),
                )
            except BaseException:
                client.close()
                raise
            return PostgresConnection(target, client)
    except ConnectorError as exc:
        error = exc
    except psycopg.Error as exc:
        error = _translate(target, redactor, exc)
    # Raised outside the handlers, without a chain back to the driver's exception and its text.
    error.__context__ = None
    raise error


class PostgresConnection:
    """A read-only PostgreSQL session; ``.client`` is the :class:`psycopg.Connection`.

    Query errors (a write, a statement timeout, a missing object) surface as psycopg's own
    exceptions, so a check fails with what the server said.
    """

    def __init__(self, target: Target, client: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.target = target
        self.client = client

    def __repr__(self) -> str:
        return f"<PostgresConnection {self.target.name!r}>"

    def execute(self, sql: Query, params: Params | None = None) -> psycopg.Cursor[tuple[Any, ...]]:
        """Run one statement; the cursor offers ``fetchone()``/``fetchall()``."""
        return self.client.execute(sql, params)

    def scalar(self, sql: Query, params: Params | None = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def server_version(self) -> tuple[int, int]:
        """``(major, minor)``, e.g. ``(15, 4)``."""
        number = self.client.info.server_version
        if number >= 100000:
            return number // 10000, number % 10000
        return number // 10000, number // 100 % 100

    def setting(self, name: str) -> str:
        """A run-time setting as SHOW prints it (``'100'``, ``'on'``, ``'5s'``)."""
        return str(self.scalar("SELECT current_setting(%s)", (name,)))

    def settings(self, names: Iterable[str]) -> dict[str, str]:
        """Several settings at once; an unknown name raises psycopg's UndefinedObject."""
        rows = self.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", (list(names),)
        ).fetchall()
        return {str(name): str(value) for name, value in rows}

    def extensions(self) -> dict[str, str]:
        """Installed extensions of the current database: name -> version."""
        rows = self.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1").fetchall()
        return {str(name): str(version) for name, version in rows}

    def is_in_recovery(self) -> bool:
        """True on a standby (the server replays WAL instead of accepting writes)."""
        return bool(self.scalar("SELECT pg_is_in_recovery()"))

    def replication(self) -> list[dict[str, Any]]:
        """Rows of ``pg_stat_replication``: one per connected standby or WAL receiver."""
        from psycopg.rows import dict_row

        with self.client.cursor(row_factory=dict_row) as cursor:
            return list(cursor.execute("SELECT * FROM pg_stat_replication ORDER BY pid"))

    def max_replication_lag_seconds(self) -> float:
        """Largest ``replay_lag`` of the connected standbys in seconds; 0.0 when none lag."""
        lag = self.scalar(
            "SELECT COALESCE(EXTRACT(EPOCH FROM max(replay_lag)), 0) FROM pg_stat_replication"
        )
        return float(lag)

    def ssl_in_use(self) -> bool:
        """True when this session's own connection is encrypted."""
        return bool(self.scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))

    def configured_setting(self, name: str) -> str:
        """The value a new session of this role gets (``pg_settings.reset_val``, in the setting's
        base unit: ``'0'`` ms for an unset ``statement_timeout``), not what this session SET."""
        return str(self.scalar("SELECT reset_val FROM pg_settings WHERE name = %s", (name,)))

    def rows(self, sql: Query, params: Params | None = None) -> list[dict[str, Any]]:
        """Every row of a query as a dict keyed by column name."""
        from psycopg.rows import dict_row

        with self.client.cursor(row_factory=dict_row) as cursor:
            return list(cursor.execute(sql, params))

    def role(self) -> dict[str, Any]:
        """The session role's attributes: ``rolname``, ``rolsuper``, ``rolcreaterole``,
        ``rolcreatedb``, ``rolreplication``, ``rolbypassrls``."""
        rows = self.rows(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        )
        return rows[0]

    def connection_usage(self) -> tuple[int, int]:
        """``(client backends now, max_connections)``. Without ``pg_read_all_stats`` other
        roles' backends hide their type and are all counted, so the count errs high."""
        row = self.execute(
            "SELECT count(*) FILTER (WHERE backend_type = 'client backend'"
            " OR backend_type IS NULL AND usename IS NOT NULL),"
            " current_setting('max_connections')::int FROM pg_stat_activity"
        ).fetchone()
        assert row is not None  # an aggregate always returns a row
        return int(row[0]), int(row[1])

    def standbys(self) -> list[dict[str, Any]]:
        """Connected standbys: ``name``, ``client_addr``, ``state``, ``sync_state``,
        ``replay_lag_seconds`` (0 when caught up) and ``lag_bytes`` behind this primary."""
        return self.rows(
            "SELECT application_name AS name, host(client_addr) AS client_addr, state,"
            " sync_state, COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float AS replay_lag_seconds,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes"
            " FROM pg_stat_replication ORDER BY application_name"
        )

    def wal_receiver(self) -> dict[str, Any] | None:
        """On a standby, its WAL receiver (``status``, ``sender_host``, ``sender_port``,
        ``last_msg_age_seconds``); None when no receiver runs."""
        rows = self.rows(
            "SELECT status, sender_host, sender_port,"
            " EXTRACT(EPOCH FROM now() - last_msg_receipt_time)::float AS last_msg_age_seconds"
            " FROM pg_stat_wal_receiver"
        )
        return rows[0] if rows else None

    def archiver(self) -> dict[str, Any]:
        """``pg_stat_archiver`` with ages in seconds: ``archived_count``, ``failed_count``,
        ``last_archived_wal``, ``last_archived_age``, ``last_failed_wal``, ``last_failed_age``
        (ages None when it never happened)."""
        return self.rows(
            "SELECT archived_count, failed_count, last_archived_wal, last_failed_wal,"
            " EXTRACT(EPOCH FROM now() - last_archived_time)::float AS last_archived_age,"
            " EXTRACT(EPOCH FROM now() - last_failed_time)::float AS last_failed_age"
            " FROM pg_stat_archiver"
        )[0]

    def sessions(self) -> list[dict[str, Any]]:
        """Other client sessions: ``pid``, ``usename``, ``backend_type``, ``state``,
        ``xact_age``, ``query_age``, ``state_age`` in seconds (never the query text, which may
        hold data). Without ``pg_read_all_stats`` other roles' backends are listed too, with
        ``backend_type`` and everything after it None: they cannot be judged."""
        return self.rows(
            "SELECT pid, usename, backend_type, state,"
            " EXTRACT(EPOCH FROM now() - xact_start)::float AS xact_age,"
            " EXTRACT(EPOCH FROM now() - query_start)::float AS query_age,"
            " EXTRACT(EPOCH FROM now() - state_change)::float AS state_age"
            " FROM pg_stat_activity"
            " WHERE (backend_type = 'client backend' OR backend_type IS NULL)"
            " AND pid <> pg_backend_pid() ORDER BY pid"
        )

    def invalid_indexes(self) -> list[str]:
        """``schema.index`` of every index of the current database marked invalid."""
        rows = self.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE NOT i.indisvalid ORDER BY 1"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def stat_statements(self) -> tuple[bool, str]:
        """Whether ``pg_stat_statements`` is installed here and collecting: ``(True, schema)``,
        or ``(False, why)`` (extension missing, or the library not preloaded)."""
        import psycopg
        from psycopg import sql

        schema = self.scalar(
            "SELECT extnamespace::regnamespace::text FROM pg_extension"
            " WHERE extname = 'pg_stat_statements'"
        )
        if schema is None:
            return False, "extension pg_stat_statements is not installed in this database"
        view = sql.SQL("SELECT 1 FROM {}.pg_stat_statements LIMIT 1").format(
            sql.Identifier(str(schema))
        )
        try:
            self.execute(view)
        except psycopg.errors.ObjectNotInPrerequisiteState:
            return False, "pg_stat_statements is not in shared_preload_libraries"
        return True, str(schema)

    def age_of(self, query: str) -> float | None:
        """Seconds between the server's now and the timestamp a one-value ``query`` returns
        (e.g. a backup catalogue's newest completed backup); None for no row or NULL."""
        value = self.scalar(query)  # profile-supplied; the session is read-only
        if value is None:
            return None
        return float(self.scalar("SELECT EXTRACT(EPOCH FROM now() - %s::timestamptz)", (value,)))

    def probe(self, dsn: str) -> tuple[bool, str]:
        """Connect to another endpoint (a pooler in front of this server) and run ``SELECT 1``
        within the target's timeout: ``(True, "")`` or ``(False, cause)``, cause redacted."""
        import psycopg
        from psycopg.conninfo import make_conninfo

        redactor = Redactor()
        redactor.add_from_url(dsn)
        timeout = max(1, math.ceil(self.target.timeout))
        try:
            with psycopg.Connection.connect(make_conninfo(dsn, connect_timeout=timeout)) as conn:
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            return False, redactor.redact(_cause(str(exc)))
        except ValueError as exc:  # psycopg rejects a malformed DSN before connecting
            return False, redactor.redact(f"invalid DSN: {_first_line(str(exc))}")
        return True, ""

    def close(self) -> None:
        self.client.close()


def _translate(target: Target, redactor: Redactor, exc: BaseException) -> ConnectorError:
    import psycopg

    if isinstance(exc, getattr(psycopg.errors, "ConnectionTimeout", ())):  # psycopg >= 3.2
        return fail(target, redactor, "timed out", kind=TimedOut)
    cause = _cause(str(exc))
    if getattr(exc, "sqlstate", None) in ("28P01", "28000") or _AUTH.search(cause):
        return fail(target, redactor, cause, kind=AuthFailed)
    if "timeout expired" in cause:
        return fail(target, redactor, cause, kind=TimedOut)
    return fail(target, redactor, cause, kind=Unreachable)


def _cause(text: str) -> str:
    """``connection refused at 127.0.0.1:5432`` from libpq's multi-line connection errors."""
    for line in text.splitlines():
        match = _ATTEMPT.search(line)
        if match:
            detail = re.sub(r"^(FATAL|ERROR):\s+", "", match["detail"].strip())
            where = match["host"] + (f":{match['port']}" if match["port"] else "")
            return f"{_lower_first(detail)} at {where}"
    return _lower_first(_first_line(text.removeprefix("connection failed: ")))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def _seconds(target: Target, key: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if not seconds > 0:
        raise ConfigError(str(target), key, f"expected a positive number of seconds, got {value!r}")
    return seconds


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
