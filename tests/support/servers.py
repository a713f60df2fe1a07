"""Private PostgreSQL, Redis and NATS instances for integration tests, plus the shared ones.

Each ``*_server()`` context manager starts the installed binary on a free loopback port in a
fresh temporary directory, waits until it answers (polling against a deadline, never a fixed
sleep), yields a small record describing it, and on exit stops exactly the process it started
(by its pid, through ``Popen``) and removes the directory. Test modules wrap these in their own
fixtures.

The shared services (PostgreSQL 5432, Redis 6379, NATS 4222 on loopback) are started by the
machine or ``.ci/run``, not here; their addresses can be overridden with the ``READINESS_TEST_*``
environment variables below.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.support.ports import LOOPBACK, free_port, port_open

SHARED_PG_DSN = os.environ.get(
    "READINESS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test?sslmode=disable"
)
SHARED_REDIS_URL = os.environ.get("READINESS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SHARED_NATS_URL = os.environ.get("READINESS_TEST_NATS_URL", "nats://127.0.0.1:4222")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


class ServerStartError(RuntimeError):
    """A private server did not come up; the message carries the tail of its log."""


@dataclass(frozen=True)
class PostgresServer:
    port: int
    pid: int
    password: str
    ca_file: Path
    workdir: Path
    user: str = "postgres"

    def dsn(self, password: str | None = None, *, sslmode: str = "verify-full") -> str:
        secret = self.password if password is None else password
        return (
            f"postgresql://{self.user}:{quote(secret, safe='')}@{LOOPBACK}:{self.port}/postgres"
            f"?sslmode={sslmode}&sslrootcert={self.ca_file}"
        )


@dataclass(frozen=True)
class RedisServer:
    port: int
    pid: int
    password: str | None
    workdir: Path

    def url(self, password: str | None = None, *, username: str | None = None) -> str:
        secret = self.password if password is None else password
        if not secret:
            return f"redis://{LOOPBACK}:{self.port}/0"
        user = quote(username, safe="") if username else ""
        return f"redis://{user}:{quote(secret, safe='')}@{LOOPBACK}:{self.port}/0"


@dataclass(frozen=True)
class NatsServer:
    port: int
    monitor_port: int
    pid: int
    user: str
    password: str
    workdir: Path

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOOPBACK}:{self.monitor_port}"


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a loopback server: a private CA, and a leaf for 127.0.0.1 and localhost."""

    ca: Path
    cert: Path
    key: Path


@contextmanager
def tls_files() -> Iterator[TlsFiles]:
    import trustme

    with _workdir("readiness-tls-") as workdir:
        ca = trustme.CA()
        leaf = ca.issue_cert(LOOPBACK, "localhost")
        files = TlsFiles(workdir / "ca.pem", workdir / "cert.pem", workdir / "key.pem")
        ca.cert_pem.write_to_path(str(files.ca))
        files.cert.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(files.key))
        yield files


# -- process plumbing ---------------------------------------------------------------------------


def _binary(name: str, *candidates: str) -> str:
    for candidate in (shutil.which(name), *candidates):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ServerStartError(f"{name} is not installed (looked on PATH and in {list(candidates)})")


def _pg_bindir() -> Path:
    override = os.environ.get("READINESS_TEST_PG_BINDIR")
    if override:
        return Path(override)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    return Path(_binary("initdb")).parent


def _version_key(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start(
    argv: Sequence[str],
    log: Path,
    ready: Callable[[], bool],
    *,
    run_as: pwd.struct_passwd | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with output to ``log`` and poll ``ready()`` until the deadline."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
            user=run_as.pw_uid if run_as else None,
            group=run_as.pw_gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerStartError(f"{argv[0]} exited with status {proc.returncode}:\n{_tail(log)}")
        if ready():
            return proc
        time.sleep(0.05)
    _stop(proc)
    raise ServerStartError(f"{argv[0]} not ready after {START_TIMEOUT:g}s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop the process we started, by its pid; escalate to SIGKILL after a grace period."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)


@contextmanager
def _workdir(prefix: str, owner: pwd.struct_passwd | None = None) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if owner is not None:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write_private(path: Path, data: bytes, owner: pwd.struct_passwd | None) -> None:
    path.write_bytes(data)
    path.chmod(0o600)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


# -- PostgreSQL ------------------------------------------------------------------------------


@contextmanager
def postgres_ssl_server(password: str) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster with SSL (trustme CA) and SCRAM password auth over TCP.

    initdb refuses to run as root, so under root the cluster belongs to the ``postgres`` user.
    """
    import psycopg
    import trustme

    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    bindir = _pg_bindir()
    with _workdir("readiness-pg-", owner) as workdir:
        data = workdir / "data"
        _write_private(workdir / "pwfile", password.encode() + b"\n", owner)
        initdb = [
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={workdir / 'pwfile'}",
            "--encoding=UTF8", "--locale=C",
        ]  # fmt: skip
        subprocess.run(
            initdb, cwd=workdir, check=True, capture_output=True, timeout=START_TIMEOUT,
            user=owner.pw_uid if owner else None, group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
        )  # fmt: skip

        ca = trustme.CA()
        leaf = ca.issue_cert(LOOPBACK, "localhost")
        _write_private(
            data / "server.crt", b"".join(p.bytes() for p in leaf.cert_chain_pems), owner
        )
        _write_private(data / "server.key", leaf.private_key_pem.bytes(), owner)
        ca_file = workdir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        ca_file.chmod(0o644)

        port = free_port()
        server = PostgresServer(port, 0, password, ca_file, workdir)

        def ready() -> bool:
            if not port_open(port):
                return False
            try:
                with psycopg.connect(server.dsn(), connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                return False

        argv = [
            str(bindir / "postgres"), "-D", str(data), "-p", str(port),
            "-c", f"listen_addresses={LOOPBACK}", "-c", f"unix_socket_directories={workdir}",
            "-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key",
            "-c", "fsync=off", "-c", "logging_collector=off", "-c", "max_connections=20",
        ]  # fmt: skip
        proc = _start(argv, workdir / "postgres.log", ready, run_as=owner)
        try:
            yield PostgresServer(port, proc.pid, password, ca_file, workdir)
        finally:
            _stop(proc, signal.SIGINT)  # fast shutdown


# -- Redis -----------------------------------------------------------------------------------


def _redis_answers(port: int) -> bool:
    """PING answered with PONG, or refused for lack of auth: either way the server is up."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


@contextmanager
def redis_server(*args: str, password: str | None = None) -> Iterator[RedisServer]:
    """A throwaway redis-server; extra ``args`` are config directives (``--appendonly yes``)."""
    binary = _binary("redis-server", "/usr/bin/redis-server")
    with _workdir("readiness-redis-") as workdir:
        port = free_port()
        argv = [
            binary, "--port", str(port), "--bind", LOOPBACK, "--dir", str(workdir),
            "--save", "", "--daemonize", "no", "--protected-mode", "no", *args,
        ]  # fmt: skip
        if password:
            argv += ["--requirepass", password]
        proc = _start(argv, workdir / "redis.log", lambda: _redis_answers(port))
        try:
            yield RedisServer(port, proc.pid, password, workdir)
        finally:
            _stop(proc)


# -- NATS ------------------------------------------------------------------------------------


def _nats_healthy(monitor_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{monitor_port}/healthz", timeout=0.5) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@contextmanager
def nats_server(user: str, password: str, *args: str) -> Iterator[NatsServer]:
    """A throwaway nats-server with user/password auth, JetStream and a monitoring port;
    extra ``args`` are nats-server flags (``--tls --tlscert ...``)."""
    binary = _binary("nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server")
    with ExitStack() as stack:
        workdir = stack.enter_context(_workdir("readiness-nats-"))
        port, monitor_port = free_port(), free_port()
        while monitor_port == port:
            monitor_port = free_port()
        argv = [
            binary, "-a", LOOPBACK, "-p", str(port), "-m", str(monitor_port),
            "--user", user, "--pass", password, "-js", "-sd", str(workdir / "js"), *args,
        ]  # fmt: skip
        proc = _start(argv, workdir / "nats.log", lambda: _nats_healthy(monitor_port))
        stack.callback(_stop, proc)
        yield NatsServer(port, monitor_port, proc.pid, user, password, workdir)
