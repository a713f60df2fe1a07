"""The Redis connector against real servers.

Real peers: the machine's Redis 7 on 127.0.0.1:6379 (no password), and private redis-server
instances on free ports: one with ``--requirepass``, ``--appendonly yes`` and an ACL user
without CONFIG rights, one with CONFIG renamed away (``--rename-command CONFIG ""``), one with a
TLS port (certificates from a trustme CA).
Stand-ins: a listening socket that never answers (a hung server) and a closed port.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_readiness.connectors.base import Target, WriteRefused
from pytest_readiness.connectors.redis import RedisConnection, connect
from pytest_readiness.errors import AuthFailed, ConfigError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support import assert_secret_free
from tests.support.ports import closed_port, free_port, silent_listener
from tests.support.servers import SHARED_REDIS_URL, RedisServer, redis_server, tls_files
from tests.support.targets import load_target, rejected_target

pytestmark = pytest.mark.integration

PASSWORD = "redis-S3cret-Pass"
WRONG_PASSWORD = "redis-Wr0ng-Pass"
LIMITED_USER, LIMITED_PASSWORD = "limited", "limited-S3cret"


#: A refusal must come well before this timeout (a margin for a busy CI host's first import).
QUICK_TIMEOUT = 6


def target(url: str, *, name: str = "cache", timeout: float = 5, **settings: Any) -> Target:
    return load_target("redis", name, timeout=timeout, url=url, **settings)


@pytest.fixture(scope="module")
def aof_server() -> Iterator[RedisServer]:
    acl_user = ["--user", LIMITED_USER, "on", f">{LIMITED_PASSWORD}", "~*", "+@all", "-config"]
    with redis_server("--appendonly", "yes", *acl_user, password=PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def no_config_server() -> Iterator[RedisServer]:
    with redis_server("--rename-command", "CONFIG", "") as server:
        yield server


@contextmanager
def shared_connection() -> Iterator[RedisConnection]:
    """The shared service, connected inside the test: if it is down, the test fails."""
    conn = connect(target(SHARED_REDIS_URL, name="shared"), Redactor())
    try:
        yield conn
    finally:
        conn.close()


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "readiness:probe", "1"),
        ("DEL", "readiness:probe"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("FLUSHALL",),
        ("MULTI",),
        ("EVAL", "return redis.call('SET', 'readiness:probe', '1')", "0"),
        ("NO-SUCH-COMMAND",),
    ],
)
def test_commands_the_server_does_not_flag_readonly_are_refused(command: tuple[str, ...]) -> None:
    with shared_connection() as shared_redis:
        with pytest.raises(WriteRefused, match="is not a read-only command"):
            shared_redis.command(*command)
        assert shared_redis.command("EXISTS", "readiness:probe") == 0


def test_read_commands_go_through() -> None:
    with shared_connection() as shared_redis:
        assert shared_redis.command("GET", "readiness:never-set") is None
        assert isinstance(shared_redis.command("DBSIZE"), int)
        assert "redis_version" in shared_redis.command("INFO", "server")
        assert "maxmemory" in shared_redis.command("CONFIG", "GET", "maxmemory")
        assert shared_redis.command("ACL", "WHOAMI") == "default"


def test_facade_returns_server_facts() -> None:
    with shared_connection() as shared_redis:
        assert shared_redis.ping() is True
        major, _minor, _patch = shared_redis.server_version()
        assert major >= 7
        assert shared_redis.info()["redis_version"].startswith(f"{major}.")
        assert shared_redis.info("server")["tcp_port"] == urlsplit(SHARED_REDIS_URL).port
        assert shared_redis.info("replication")["role"] in ("master", "slave")
        persistence = shared_redis.persistence()
        assert isinstance(persistence["aof_enabled"], bool)
        assert persistence["rdb_last_bgsave_status"] == "ok"
        assert shared_redis.config_get("maxmemory-policy") == {
            "maxmemory-policy": shared_redis.config_get("maxmemory*")["maxmemory-policy"]  # type: ignore[index]
        }
        assert shared_redis.config_unavailable() is None
        assert not hasattr(shared_redis, "client")  # no raw driver to write through


def test_persistence_shows_aof_on_the_private_server(aof_server: RedisServer) -> None:
    conn = connect(target(aof_server.url()), Redactor())
    try:
        persistence = conn.persistence()
        assert persistence["aof_enabled"] is True
        assert persistence["aof_last_write_status"] == "ok"
        assert conn.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        conn.close()


def test_password_from_settings(aof_server: RedisServer) -> None:
    conn = connect(target(f"redis://127.0.0.1:{aof_server.port}/0", password=PASSWORD), Redactor())
    try:
        assert conn.ping() is True
    finally:
        conn.close()


def test_config_get_is_none_when_config_is_renamed(no_config_server: RedisServer) -> None:
    conn = connect(target(no_config_server.url()), Redactor())
    try:
        assert conn.config_get("maxmemory") is None
        reason = conn.config_unavailable()
        assert reason is not None
        assert reason.startswith("CONFIG is disabled or renamed on redis target 'cache': ")
        assert conn.info("server")["tcp_port"] == no_config_server.port
    finally:
        conn.close()


def test_config_get_is_none_when_config_is_denied(aof_server: RedisServer) -> None:
    url = aof_server.url(LIMITED_PASSWORD, username=LIMITED_USER)
    conn = connect(target(url), Redactor())
    try:
        assert conn.config_unavailable() is not None
        assert conn.config_get("maxmemory") is None
        assert "CONFIG is denied to this user on redis target 'cache'" in str(
            conn.config_unavailable()
        )
        assert conn.ping() is True
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("secret", "settings"),
    [
        pytest.param(WRONG_PASSWORD, {}, id="password-in-url"),
        pytest.param(None, {"password": WRONG_PASSWORD}, id="password-in-settings"),
    ],
)
def test_wrong_password_is_auth_failed_and_secret_free(
    aof_server: RedisServer, secret: str | None, settings: dict[str, Any]
) -> None:
    url = aof_server.url(secret) if secret else f"redis://127.0.0.1:{aof_server.port}/0"
    with pytest.raises(AuthFailed) as info:
        connect(target(url, **settings), Redactor())
    message = str(info.value)
    assert message.startswith("Cannot connect to redis target 'cache': ")
    assert message.endswith("(timeout 5s)")
    assert_secret_free(info.value, WRONG_PASSWORD, PASSWORD)


def test_missing_password_is_auth_failed(aof_server: RedisServer) -> None:
    with pytest.raises(AuthFailed, match=r"redis target 'cache'.*authentication required"):
        connect(target(f"redis://127.0.0.1:{aof_server.port}/0"), Redactor())


def test_silent_server_times_out() -> None:
    with silent_listener() as port:
        started = time.monotonic()
        with pytest.raises(TimedOut) as info:
            connect(target(f"redis://:{WRONG_PASSWORD}@127.0.0.1:{port}/0", timeout=1), Redactor())
        elapsed = time.monotonic() - started
    assert elapsed < 1 + 1
    assert re.fullmatch(
        r"Cannot connect to redis target 'cache': timed out after 1\.\ds \(timeout 1s\)",
        str(info.value),
    )
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_closed_port_is_unreachable_quickly() -> None:
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        connect(
            target(f"redis://:{WRONG_PASSWORD}@127.0.0.1:{port}/0", timeout=QUICK_TIMEOUT),
            Redactor(),
        )
    assert time.monotonic() - started < QUICK_TIMEOUT / 2  # refused at once, not after the timeout
    assert not isinstance(info.value, TimedOut)
    assert str(info.value) == (
        f"Cannot connect to redis target 'cache': connection refused at 127.0.0.1:{port} "
        "(timeout 6s)"
    )
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_lost_server_is_unreachable_on_query() -> None:
    with redis_server() as server:
        conn = connect(target(server.url()), Redactor())
    try:
        with pytest.raises(Unreachable, match=r"^Cannot query redis target 'cache': "):
            conn.info()
    finally:
        conn.close()


def test_missing_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="url"):
        connect(rejected_target("redis", "cache", {}), Redactor())


def test_tls_with_the_ca_from_settings() -> None:
    tls_port = free_port()
    with tls_files() as tls:
        tls_args = ["--tls-port", str(tls_port), "--tls-auth-clients", "no"]
        tls_args += ["--tls-cert-file", str(tls.cert), "--tls-key-file", str(tls.key)]
        with redis_server(*tls_args, "--tls-ca-cert-file", str(tls.ca)):
            url = f"rediss://127.0.0.1:{tls_port}/0"
            conn = connect(target(url, ca=str(tls.ca)), Redactor())
            try:
                assert conn.info("server")["tcp_port"] != tls_port  # the plain port, still open
                assert conn.ping() is True
            finally:
                conn.close()
            with pytest.raises(Unreachable, match="certificate verify failed"):
                connect(target(url), Redactor())
            connect(target(url, verify=False), Redactor()).close()


def test_invalid_url_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError, match="invalid URL") as info:
        connect(target(f"http://:{WRONG_PASSWORD}@127.0.0.1:6379/0"), Redactor())
    assert_secret_free(info.value, WRONG_PASSWORD)
