"""PostgreSQL through psycopg 3: read-only sessions with a statement timeout.

Its settings are declared in :mod:`~pytest_readiness.registry`.

Every statement runs alone in its own ``BEGIN READ ONLY`` transaction, rolled back afterwards
(see :class:`PostgresConnection`), so a check that tries to write fails with
:class:`psycopg.errors.ReadOnlySqlTransaction`. Connecting and every facade call finish within
the target's timeout, end to end (libpq's own connect timeout is at least 2 s per address; the
deadline is enforced around it).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import socket
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pytest_readiness.connectors.base import Target, WriteRefused, fail, map_errors
from pytest_readiness.connectors.deadline import Operations, call_within, shutdown
from pytest_readiness.connectors.warning_scope import warnings_filtered
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    from typing import LiteralString, TypeAlias

    import psycopg
    from psycopg import sql
    from psycopg.abc import Params

    #: What ``Connection.execute`` takes besides t-strings (psycopg 3.1 and later).
    Query: TypeAlias = LiteralString | bytes | sql.SQL | sql.Composed

__all__ = ["PostgresConnection", "PrivilegedRoleWarning", "Rows", "WriteRefused", "connect"]

_ATTEMPT = re.compile(
    r'connection to server (?:at|on socket) "(?P<host>[^"]+)"(?: \([^)]*\))?'
    r"(?:, port (?P<port>\d+))? failed: (?P<detail>.*)"
)
#: A statement that begins with COPY, after comments and blanks.
_COPY = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*COPY\b", re.IGNORECASE | re.DOTALL)
_AUTH = re.compile(
    r"password authentication failed|no password supplied|authentication failed"
    r"|role \S+ does not exist|no pg_hba\.conf entry|permission denied for database",
    re.IGNORECASE,
)


def connect(target: Target, redactor: Redactor) -> PostgresConnection:
    """Open one read-only session to ``target`` within its timeout, end to end (name resolution,
    every address of a multi-host DSN, TLS, authentication); raise a ConnectorError if we can't."""
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

    password = {"password": target.settings["password"]} if "password" in target.settings else {}
    conninfo = make_conninfo(_read_only_conninfo(dsn, target.timeout), **password)

    def open_session() -> psycopg.Connection[tuple[Any, ...]]:
        # No server-side prepared statements: a pooler in transaction mode does not keep them.
        client = psycopg.Connection.connect(conninfo, autocommit=True, prepare_threshold=None)
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
        return client

    try:
        with map_errors(target, redactor):
            client = call_within(
                target.timeout, open_session, _close, f"readiness-pg-connect-{target.name}"
            )
    except ConnectorError as exc:
        error = exc
    except psycopg.Error as exc:
        error = _translate(target, redactor, exc)
    else:
        connection = PostgresConnection(target, client, redactor)
        _warn_if_superuser(connection, redactor)
        return connection
    # Raised outside the handlers, without a chain back to the driver's exception and its text.
    error.__context__ = None
    raise error


def _read_only_conninfo(dsn: str, timeout: float) -> str:
    """``dsn`` with the session default read-only and libpq's own per-address connect timeout
    (at least 2 s; the end-to-end deadline is enforced around it)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    options = " ".join(
        part
        for part in (
            str(conninfo_to_dict(dsn).get("options") or ""),
            "-c default_transaction_read_only=on",
        )
        if part
    )
    return make_conninfo(dsn, options=options, connect_timeout=max(2, math.ceil(timeout)))


def _close(client: psycopg.Connection[Any]) -> None:
    client.close()


class PrivilegedRoleWarning(UserWarning):
    """The PostgreSQL role of a target can step outside a read-only session (a superuser runs
    programs through ``COPY ... TO PROGRAM`` in functions, writes files, signals backends)."""


def _warn_if_superuser(connection: PostgresConnection, redactor: Redactor) -> None:
    if connection._client.info.parameter_status("is_superuser") != "on":
        return
    user = connection._client.info.user
    message = redactor.redact(
        f"{connection.target} connects as superuser {user!r}: a superuser can write and run "
        "programs through server functions despite the read-only session; give readiness "
        "checks a role without superuser (pg_monitor is enough for the built-in checks)"
    )
    # Shown, never raised: a project's ``filterwarnings = error`` must not turn a warning about
    # the profile into an error of the check that happened to connect first. An ``ignore``
    # filter is respected.
    raised = _filter_action(message, PrivilegedRoleWarning) == "error"
    with (
        warnings_filtered("default", PrivilegedRoleWarning) if raised else contextlib.nullcontext()
    ):
        warnings.warn(message, PrivilegedRoleWarning, stacklevel=3)


def _filter_action(message: str, category: type[Warning]) -> str:
    """The action of the first warnings filter that matches (module and line aside)."""
    for action, text, kind, _module, _line in warnings.filters:
        if issubclass(category, kind) and (text is None or text.match(message)):
            return action
    return "default"


class Rows:
    """The materialised result of one statement: ``fetchone()``, ``fetchall()``, iteration,
    ``columns`` and ``status`` (the command tag). Rows are tuples, or dicts from ``rows()``."""

    def __init__(self, rows: list[Any], columns: list[str], status: str | None) -> None:
        self._rows = rows
        self._next = 0
        self.columns = columns
        self.status = status

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PostgresConnection:
    """A read-only PostgreSQL session. The driver connection is not exposed.

    Read-only by construction: every statement runs alone (pipeline mode, extended protocol: one
    statement, no ``;``-chains) in its own ``BEGIN READ ONLY`` transaction that is rolled back afterwards, so
    neither ``SET default_transaction_read_only = off`` nor ``BEGIN READ WRITE`` nor a ``SET``
    of any kind outlives the statement; ``COPY`` is refused before it is sent. Every method
    finishes within the target's timeout, end to end, or raises TimedOut.

    Query errors (a write, a statement timeout, a missing object) surface as psycopg's own
    exceptions, so a check fails with what the server said; a lost connection is Unreachable.
    """

    def __init__(
        self, target: Target, client: psycopg.Connection[tuple[Any, ...]], redactor: Redactor
    ) -> None:
        self.target = target
        self._client = client
        self._redactor = redactor
        self._ops = Operations(target, redactor, self._abort, latch=True)

    def __repr__(self) -> str:
        return f"<PostgresConnection {self.target.name!r}>"

    def execute(self, sql: Query, params: Params | None = None) -> Rows:
        """Run one statement; the result offers ``fetchone()``/``fetchall()``."""
        return self._run(sql, params, as_dicts=False)

    def scalar(self, sql: Query, params: Params | None = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def server_version(self) -> tuple[int, int]:
        """``(major, minor)``, e.g. ``(15, 4)``."""
        number = self._client.info.server_version
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
        return self.rows("SELECT * FROM pg_stat_replication ORDER BY pid")

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
        return list(self._run(sql, params, as_dicts=True))

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
        within the target's timeout, end to end: ``(True, "")`` or ``(False, cause)``, cause
        redacted. No startup ``options`` (poolers refuse them); it runs nothing but ``SELECT 1``."""
        import psycopg
        from psycopg.conninfo import make_conninfo

        redactor = Redactor()
        redactor.add_from_url(dsn)
        timeout = self.target.timeout

        def select_one() -> None:
            conninfo = make_conninfo(dsn, connect_timeout=max(2, math.ceil(timeout)))
            with psycopg.Connection.connect(conninfo, autocommit=True) as conn:
                conn.execute("SELECT 1").fetchone()

        try:
            call_within(timeout, select_one, _ignore, f"readiness-pg-probe-{self.target.name}")
        except TimeoutError:
            return False, f"timed out (timeout {timeout:g}s)"
        except psycopg.Error as exc:
            return False, redactor.redact(_cause(str(exc)))
        except ValueError as exc:  # psycopg rejects a malformed DSN before connecting
            return False, redactor.redact(f"invalid DSN: {_first_line(str(exc))}")
        return True, ""

    def close(self) -> None:
        self._client.close()

    def _run(self, sql: Query, params: Params | None, *, as_dicts: bool) -> Rows:
        """One statement alone in a read-only transaction, rolled back; rows fetched first."""
        import psycopg

        if _is_copy(sql):
            raise WriteRefused(
                f"Refused on {self.target}: COPY is not run by the read-only facade "
                "(COPY ... TO PROGRAM runs programs on the server)"
            )
        with self._ops.bounded():
            try:
                return self._in_read_only_transaction(sql, params, as_dicts)
            except psycopg.OperationalError as exc:
                if not self._client.closed:
                    raise  # the server answered: a statement timeout, a cancel...
                error = fail(
                    self.target, self._redactor, f"connection lost: {_cause(str(exc))}",
                    action="query",
                )  # fmt: skip
            error.__context__ = None
            raise error

    def _in_read_only_transaction(self, sql: Query, params: Params | None, as_dicts: bool) -> Rows:
        import psycopg
        from psycopg.rows import dict_row, tuple_row

        client = self._client
        factory: Any = dict_row if as_dicts else tuple_row
        try:
            # Pipeline mode sends every statement with the extended protocol, which takes one
            # statement: no "COMMIT; SET ...; INSERT ..." chain can leave the transaction.
            with client.pipeline() as pipeline, client.cursor(row_factory=factory) as cursor:
                client.execute("BEGIN READ ONLY")
                cursor.execute(sql, params)
                pipeline.sync()
                columns = [c.name for c in cursor.description or ()]
                rows = cursor.fetchall() if cursor.description is not None else []
                result = Rows(rows, columns, cursor.statusmessage)
        except BaseException:
            if not client.closed:
                with contextlib.suppress(psycopg.Error):
                    client.execute("ROLLBACK")
            raise
        client.execute("ROLLBACK")
        return result

    def _abort(self) -> None:
        """At the deadline: shut the session's socket down so a blocked read returns."""
        # Already closed: nothing to abort.
        with (
            contextlib.suppress(Exception),
            socket.socket(fileno=os.dup(self._client.pgconn.socket)) as sock,
        ):
            shutdown(sock)


def _is_copy(sql: object) -> bool:
    text = sql.decode("utf-8", "replace") if isinstance(sql, bytes) else sql
    return isinstance(text, str) and _COPY.match(text) is not None


def _ignore(_: object) -> None:
    return None


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
