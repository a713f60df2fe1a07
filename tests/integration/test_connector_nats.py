"""The NATS connector against real servers.

Real peers: the machine's NATS server with JetStream on 127.0.0.1:4222 (no auth, no monitoring
port), and a private nats-server on free ports with user/password auth, JetStream in a temporary
store directory and a monitoring port. The stream and consumer the facade reads are created by a
separate nats-py client in the test, since the facade is read-only.
Stand-ins: a listening socket that never answers (a hung server) and closed ports.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.js.errors
import pytest
from nats.js.api import ConsumerConfig, StorageType, StreamConfig

from pytest_readiness.connectors.base import Target
from pytest_readiness.connectors.nats import MonitorNotConfigured, NatsConnection, connect
from pytest_readiness.errors import AuthFailed, ConfigError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support import assert_secret_free
from tests.support.ports import closed_port, silent_listener
from tests.support.servers import SHARED_NATS_URL, NatsServer, nats_server, tls_files
from tests.support.targets import load_target, rejected_target

pytestmark = pytest.mark.integration

USER, PASSWORD = "checker", "nats-S3cret-Pass"
WRONG_PASSWORD = "nats-Wr0ng-Pass"
STREAM, DURABLE = "ORDERS", "billing"


#: A refusal must come well before this timeout (a margin for a busy CI host's first import).
QUICK_TIMEOUT = 6


def target(
    servers: str | list[str], *, name: str = "bus", timeout: float = 5, **settings: Any
) -> Target:
    return load_target("nats", name, timeout=timeout, servers=servers, **settings)


def private_target(
    server: NatsServer, *, name: str = "bus", timeout: float = 5, **settings: Any
) -> Target:
    defaults = {"servers": server.url, "user": USER, "password": PASSWORD}
    settings = {**defaults, "monitor": server.monitor_url, **settings}
    return load_target("nats", name, timeout=timeout, **settings)


async def create_stream(server: NatsServer) -> None:
    """Set up what the read-only facade inspects, through a client of its own."""
    client = await nats.connect(server.url, user=USER, password=PASSWORD, connect_timeout=5)
    try:
        js = client.jetstream()
        await js.add_stream(
            StreamConfig(name=STREAM, subjects=["orders.>"], storage=StorageType.FILE, max_age=3600)
        )
        for number in range(3):
            await js.publish(f"orders.{number}", b"{}")
        await js.add_consumer(STREAM, ConsumerConfig(durable_name=DURABLE))
    finally:
        await client.close()


@pytest.fixture(scope="module")
def bus_server() -> Iterator[NatsServer]:
    with nats_server(USER, PASSWORD) as server:
        asyncio.run(create_stream(server))
        yield server


@pytest.fixture(scope="module")
def private_nats(bus_server: NatsServer) -> Iterator[NatsConnection]:
    conn = connect(private_target(bus_server), Redactor())
    yield conn
    conn.close()


@contextmanager
def shared_connection() -> Iterator[NatsConnection]:
    """The shared service, connected inside the test: if it is down, the test fails."""
    conn = connect(target(SHARED_NATS_URL), Redactor())
    try:
        yield conn
    finally:
        conn.close()


def test_shared_server_facts() -> None:
    with shared_connection() as shared_nats:
        info = shared_nats.server_info()
        assert info["port"] == urlsplit(SHARED_NATS_URL).port
        assert info["version"].count(".") == 2
        assert info["jetstream"] is True
        account = shared_nats.jetstream_account_info()
        assert {"memory", "storage", "limits"} <= account.keys()
        assert isinstance(account["streams"], int)
        assert all(isinstance(stream["name"], str) for stream in shared_nats.streams())


def test_monitor_needs_a_url() -> None:
    with (
        shared_connection() as shared_nats,
        pytest.raises(MonitorNotConfigured, match=r"^no monitor URL configured for nats target"),
    ):
        shared_nats.monitor("varz")


def test_streams_and_consumers(private_nats: NatsConnection) -> None:
    (stream,) = private_nats.streams()
    assert stream == private_nats.stream_info(STREAM)
    assert stream["name"] == STREAM
    assert stream["subjects"] == ["orders.>"]
    assert (stream["replicas"], stream["storage"], stream["retention"]) == (1, "file", "limits")
    assert (stream["max_age"], stream["max_bytes"]) == (3600.0, -1)
    assert (stream["messages"], stream["consumer_count"]) == (3, 1)
    assert stream["config"]["name"] == STREAM
    (consumer,) = private_nats.consumers(STREAM)
    assert (consumer["name"], consumer["durable"], consumer["stream"]) == (DURABLE, DURABLE, STREAM)
    assert (consumer["ack_policy"], consumer["num_pending"]) == ("explicit", 3)
    assert private_nats.jetstream_account_info()["streams"] == 1


def test_missing_stream_surfaces_the_driver_error(private_nats: NatsConnection) -> None:
    with pytest.raises(nats.js.errors.NotFoundError):
        private_nats.stream_info("NOPE")


def test_monitor_endpoints(private_nats: NatsConnection, bus_server: NatsServer) -> None:
    varz = private_nats.monitor("varz")
    assert varz["port"] == bus_server.port
    assert varz["version"] == private_nats.server_info()["version"]
    assert private_nats.monitor("/jsz")["streams"] == 1
    assert private_nats.monitor("healthz") == {"status": "ok"}
    assert private_nats.monitor("connz")["num_connections"] >= 1


def test_monitor_unreachable(bus_server: NatsServer) -> None:
    port = closed_port()
    conn = connect(private_target(bus_server, monitor=f"http://127.0.0.1:{port}"), Redactor())
    try:
        with pytest.raises(Unreachable, match=r"^Cannot query the monitor of nats target 'bus'"):
            conn.monitor("varz")
    finally:
        conn.close()


def test_the_facade_asks_but_exposes_no_client_to_publish_with(
    private_nats: NatsConnection,
) -> None:
    private_nats.flush()
    assert private_nats.connected
    for name in ("client", "run", "publish", "request", "jetstream"):
        assert not hasattr(private_nats, name)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"user": USER, "password": WRONG_PASSWORD}, id="password-in-settings"),
        pytest.param({}, id="password-in-url"),
    ],
)
def test_wrong_password_is_auth_failed_and_secret_free(
    bus_server: NatsServer, settings: dict[str, Any]
) -> None:
    url = f"nats://{USER}:{WRONG_PASSWORD}@127.0.0.1:{bus_server.port}"
    servers = bus_server.url if settings.get("password") else url
    started = time.monotonic()
    with pytest.raises(AuthFailed) as info:
        connect(target(servers, **settings), Redactor())
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        "Cannot connect to nats target 'bus': authorization violation (timeout 5s)"
    )
    assert_secret_free(info.value, WRONG_PASSWORD, PASSWORD)


def test_silent_server_times_out() -> None:
    with silent_listener() as port:
        started = time.monotonic()
        with pytest.raises(TimedOut) as info:
            connect(target(f"nats://127.0.0.1:{port}", timeout=1, password=WRONG_PASSWORD),
                    Redactor())  # fmt: skip
        elapsed = time.monotonic() - started
    assert elapsed < 1 + 1
    assert str(info.value) == "Cannot connect to nats target 'bus': timed out (timeout 1s)"
    assert_secret_free(info.value, WRONG_PASSWORD)


def test_closed_ports_are_unreachable_quickly() -> None:
    servers = [f"nats://u:{WRONG_PASSWORD}@127.0.0.1:{closed_port()}" for _ in range(2)]
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        connect(target(servers, timeout=QUICK_TIMEOUT), Redactor())
    assert time.monotonic() - started < QUICK_TIMEOUT / 2  # refused at once, not after the timeout
    assert not isinstance(info.value, TimedOut)
    assert str(info.value) == (
        "Cannot connect to nats target 'bus': connection refused (timeout 6s)"
    )
    assert_secret_free(info.value, WRONG_PASSWORD)


def loop_threads(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == f"readiness-nats-{name}"]


def test_close_stops_the_loop_thread(bus_server: NatsServer) -> None:
    conn = connect(private_target(bus_server, name="closing"), Redactor())
    assert len(loop_threads("closing")) == 1
    conn.close()
    conn.close()
    assert not conn.connected
    assert loop_threads("closing") == []


def test_failed_connect_leaves_no_thread() -> None:
    with pytest.raises(Unreachable):
        connect(target(f"nats://127.0.0.1:{closed_port()}", name="gone", timeout=1), Redactor())
    assert loop_threads("gone") == []


def test_missing_servers_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="servers"):
        connect(rejected_target("nats", "bus", {}), Redactor())


def test_tls_with_the_ca_from_settings() -> None:
    with tls_files() as tls:
        tls_args = ["--tls", "--tlscert", str(tls.cert), "--tlskey", str(tls.key)]
        with nats_server(USER, PASSWORD, *tls_args) as server:
            url = f"tls://127.0.0.1:{server.port}"
            conn = connect(private_target(server, servers=url, tls={"ca": str(tls.ca)}), Redactor())
            try:
                assert conn.server_info()["tls_required"] is True
                assert conn.monitor("healthz") == {"status": "ok"}
            finally:
                conn.close()
            with pytest.raises(Unreachable, match="certificate verify failed") as info:
                connect(private_target(server, servers=url, timeout=2), Redactor())
            assert_secret_free(info.value, PASSWORD)


def test_missing_tls_files_are_a_config_error(tmp_path: Path) -> None:
    tls = {"ca": str(tmp_path / "missing-ca.pem")}
    with pytest.raises(ConfigError, match="tls: cannot load the TLS files"):
        connect(target("tls://127.0.0.1:4222", tls=tls), Redactor())
