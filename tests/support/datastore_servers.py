"""Private PostgreSQL clusters (primary, streaming standby) and PgBouncer for the built-in checks.

Like :mod:`tests.support.servers`: installed binaries, free loopback ports, fresh temporary
directories, readiness polled against a deadline, and exactly the processes started here stopped
by pid on exit. Settings go on the ``postgres`` command line, so one helper makes both the good
and the bad configurations.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.support.ports import LOOPBACK, free_port, port_open
from tests.support.servers import (
    START_TIMEOUT,
    ServerStartError,
    _binary,
    _pg_bindir,
    _start,
    _stop,
    _workdir,
    _write_private,
)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise ServerStartError(f"{what}: not reached within {timeout:g}s")


def _owner() -> pwd.struct_passwd | None:
    """initdb, postgres and pgbouncer refuse root: under root they run as ``postgres``."""
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else None


def _run(argv: list[str], owner: pwd.struct_passwd | None, **env: str) -> None:
    result = subprocess.run(
        argv, capture_output=True, timeout=START_TIMEOUT, env={**os.environ, **env},
        user=owner.pw_uid if owner else None, group=owner.pw_gid if owner else None,
        extra_groups=[] if owner else None,
    )  # fmt: skip
    if result.returncode:
        raise ServerStartError(f"{argv[0]} failed: {result.stderr.decode(errors='replace')}")


@dataclass(frozen=True)
class PgCluster:
    """A running cluster; ``admin()`` is a superuser over its Unix socket (trust)."""

    port: int
    pid: int
    workdir: Path
    data: Path
    password: str
    ca_file: Path | None

    def dsn(self, user: str = "postgres", password: str | None = None) -> str:
        secret = quote(self.password if password is None else password, safe="")
        tls = (
            f"sslmode=verify-full&sslrootcert={self.ca_file}" if self.ca_file else "sslmode=disable"
        )
        return f"postgresql://{user}:{secret}@{LOOPBACK}:{self.port}/postgres?{tls}"

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.workdir), port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        )  # fmt: skip


@contextmanager
def postgres_cluster(
    password: str,
    *,
    ssl: bool = False,
    checksums: bool = False,
    settings: Mapping[str, str] | None = None,
    basebackup_from: PgCluster | None = None,
) -> Iterator[PgCluster]:
    """A throwaway cluster with SCRAM password auth over TCP (trust on its Unix socket).

    ``settings`` become ``-c name=value``; ``ssl`` adds a trustme certificate;
    ``basebackup_from`` makes a streaming standby of that primary (``pg_basebackup -R``).
    """
    import trustme

    owner, bindir = _owner(), _pg_bindir()
    with _workdir("readiness-pgc-", owner) as workdir:
        data = workdir / "data"
        if basebackup_from is None:
            _write_private(workdir / "pwfile", password.encode() + b"\n", owner)
            initdb = [
                str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync",
                "--auth-local=trust", "--auth-host=scram-sha-256",
                f"--pwfile={workdir / 'pwfile'}", "--encoding=UTF8", "--locale=C",
            ]  # fmt: skip
            _run([*initdb, "--data-checksums"] if checksums else initdb, owner)
        else:
            source = basebackup_from.dsn().split("?")[0] + "?sslmode=disable"
            _run([str(bindir / "pg_basebackup"), "-D", str(data), "-R", "-X", "stream", "--checkpoint=fast",
                  "-d", source], owner)  # fmt: skip
        ca_file = None
        if ssl:
            ca = trustme.CA()
            leaf = ca.issue_cert(LOOPBACK, "localhost")
            chain = b"".join(p.bytes() for p in leaf.cert_chain_pems)
            _write_private(data / "server.crt", chain, owner)
            _write_private(data / "server.key", leaf.private_key_pem.bytes(), owner)
            ca_file = workdir / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_file))
            ca_file.chmod(0o644)
        port = free_port()
        options = {
            "listen_addresses": LOOPBACK, "unix_socket_directories": str(workdir),
            "fsync": "off", "logging_collector": "off", "max_connections": "20",
            "ssl": "on" if ssl else "off", **(settings or {}),
        }  # fmt: skip
        if ssl:
            options |= {"ssl_cert_file": "server.crt", "ssl_key_file": "server.key"}
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
        for name, value in options.items():
            argv += ["-c", f"{name}={value}"]
        cluster = PgCluster(port, 0, workdir, data, password, ca_file)
        proc = _start(argv, workdir / "postgres.log", lambda: _accepts(cluster), run_as=owner)
        try:
            yield PgCluster(port, proc.pid, workdir, data, password, ca_file)
        finally:
            _stop(
                proc, signal.SIGQUIT
            )  # immediate shutdown: a throwaway cluster needs no checkpoint


def _accepts(cluster: PgCluster) -> bool:
    import psycopg

    if not port_open(cluster.port):
        return False
    try:
        with cluster.admin():
            return True
    except psycopg.OperationalError:
        return False


def wait_streaming(primary: PgCluster) -> None:
    """Until the primary sees a standby streaming."""

    def streaming() -> bool:
        with primary.admin() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
            ).fetchone()
        return bool(row and row[0])

    wait_until(streaming, "standby streaming")


def switch_wal_and_wait(primary: PgCluster, *watched: PgCluster, archived: bool = True) -> None:
    """Write a little, switch WAL segments, and wait for the archivers' verdict on it (of the
    primary and any ``watched`` standbys): ``archived_count`` (``archived=True``) or
    ``failed_count`` rising."""
    column = "archived_count" if archived else "failed_count"
    with primary.admin() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS wal_filler (n int)")
        conn.execute("INSERT INTO wal_filler VALUES (1)")
        conn.execute("SELECT pg_switch_wal()")

    for cluster in (primary, *watched):

        def counted(cluster: PgCluster = cluster) -> bool:
            with cluster.admin() as conn:
                row = conn.execute(f"SELECT {column} FROM pg_stat_archiver").fetchone()
            return bool(row and row[0])

        wait_until(counted, f"pg_stat_archiver.{column} > 0 on port {cluster.port}")


@dataclass(frozen=True)
class Pooler:
    port: int
    pid: int

    def dsn(self, user: str) -> str:
        """PgBouncer runs with ``auth_type = any``: any user name, no password."""
        return f"postgresql://{user}@{LOOPBACK}:{self.port}/postgres?sslmode=disable"


@contextmanager
def pgbouncer(backend: PgCluster, user: str, password: str) -> Iterator[Pooler]:
    """PgBouncer in front of ``backend``'s ``postgres`` database, logging in as ``user``."""
    binary = _binary("pgbouncer", "/usr/sbin/pgbouncer")
    owner = _owner()
    with ExitStack() as stack:
        workdir = stack.enter_context(_workdir("readiness-pgbouncer-", owner))
        port = free_port()
        config = (
            "[databases]\n"
            f"postgres = host={LOOPBACK} port={backend.port} dbname=postgres user={user} "
            f"password={password}\n"
            "[pgbouncer]\n"
            f"listen_addr = {LOOPBACK}\nlisten_port = {port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
        )
        _write_private(workdir / "pgbouncer.ini", config.encode(), owner)
        proc = _start(
            [binary, str(workdir / "pgbouncer.ini")], workdir / "pgbouncer.log",
            lambda: port_open(port), run_as=owner,
        )  # fmt: skip
        stack.callback(_stop, proc)
        yield Pooler(port, proc.pid)
