"""The built-in NATS checks (checks/test_nats.py) against real good and bad servers.

Good: a 3-node JetStream cluster on loopback with client TLS (trustme CA) and user/password
auth, a stream ORDERS with 3 replicas on file storage and a caught-up durable consumer. Bad:
a single server without auth or TLS whose stream ORDERS has 1 replica in memory and a consumer
1100 messages behind, and whose max_pending is so small that a subscriber that never reads
becomes a slow consumer; a server without JetStream; and a cluster node whose two peers never
started (its /healthz reports JetStream unhealthy). The bad profile asks for NATS 99 (the
installed server is the only version there is) and for a stream PAYMENTS nobody created.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from nats.js.api import StorageType

from tests.support.cache_broker_servers import NatsNode, healthz_status, nats_cluster, nats_node
from tests.support.datastore_servers import wait_until
from tests.support.ports import LOOPBACK
from tests.support.readiness_runs import ReadinessRun, run_checks
from tests.support.servers import TlsFiles, tls_files

pytestmark = pytest.mark.integration

PASSWORD = "nats-App-Pass-71"
PENDING = 1100


async def make_stream(
    url: str, replicas: int, storage: StorageType, backlog: int, **kw: Any
) -> None:
    """Stream ORDERS with a durable pull consumer ``worker`` that has ``backlog`` messages pending."""
    client = await nats.connect(url, **kw)
    try:
        js = client.jetstream()
        await js.add_stream(
            name="ORDERS", subjects=["orders.>"], num_replicas=replicas, storage=storage
        )
        await js.add_consumer("ORDERS", durable_name="worker")
        for n in range(backlog):
            await client.publish("orders.new", str(n).encode())
        await client.flush()
    finally:
        await client.close()


def stream_ready(url: str, **kw: Any) -> bool:
    """Creating the replicated stream succeeds once the JetStream cluster has a meta leader."""
    try:
        asyncio.run(make_stream(url, 3, StorageType.FILE, 0, **kw))
    except nats.js.errors.Error:
        return False
    return True


def make_slow_consumer(node: NatsNode) -> None:
    """A raw subscriber that never reads, flooded until the server gives up on it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((LOOPBACK, node.port))
    sock.recv(4096)  # INFO
    sock.sendall(b'CONNECT {"verbose":false}\r\nSUB flood 1\r\nPING\r\n')
    sock.recv(4096)  # PONG

    async def flood() -> None:
        client = await nats.connect(node.url)
        for _ in range(400):
            await client.publish("flood", b"x" * 20000)
        await client.flush()
        await client.close()

    try:
        asyncio.run(flood())
        wait_until(lambda: slow_consumers(node) > 0, "a slow consumer")
    finally:
        sock.close()


def slow_consumers(node: NatsNode) -> int:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{node.monitor_url}/varz", timeout=2) as response:
        return int(json.load(response)["slow_consumers"])


@pytest.fixture(scope="module")
def tls() -> Iterator[TlsFiles]:
    with tls_files() as files:
        yield files


@pytest.fixture(scope="module")
def good(tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    config = (
        f'authorization {{ users: [ {{user: app, password: "{PASSWORD}"}} ] }}\n'
        f'tls {{ cert_file: "{tls.cert}", key_file: "{tls.key}" }}\n'
    )
    with nats_cluster(config) as nodes:
        context = ssl.create_default_context(cafile=str(tls.ca))
        auth = {"user": "app", "password": PASSWORD, "tls": context}
        wait_until(lambda: stream_ready(nodes[0].url, **auth), "stream ORDERS created")
        servers = ", ".join(f'"{node.url}"' for node in nodes)
        profile = f"""
profiles:
  prod:
    thresholds:
      nats_required_streams: [ORDERS]
    nats:
      - name: good
        servers: [{servers}]
        user: app
        password: "{PASSWORD}"
        tls: {{ca: "{tls.ca}"}}
        monitor: "{nodes[0].monitor_url}"
"""
        yield run_checks(tmp_path_factory.mktemp("nats-good"), "test_nats.py", profile)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    with (
        nats_node("max_pending: 65536\nmax_payload: 32768\n") as single,
        nats_node(jetstream=False) as nojs,
        nats_cluster(start=1) as (lonely,),
    ):
        asyncio.run(make_stream(single.url, 1, StorageType.MEMORY, PENDING))
        make_slow_consumer(single)
        wait_until(lambda: healthz_status(lonely) == 503, "the lone node reports unhealthy")
        targets = "\n".join(
            f'      - {{name: {name}, servers: "{node.url}", monitor: "{node.monitor_url}"}}'
            for name, node in (("single", single), ("nojs", nojs), ("lonely", lonely))
        )
        profile = f"""
profiles:
  prod:
    thresholds:
      nats_min_version: "99"
      nats_required_streams: [ORDERS, PAYMENTS]
    nats:
{targets}
"""
        yield run_checks(tmp_path_factory.mktemp("nats-bad"), "test_nats.py", profile)


CHECK_IDS = [
    "NATS-VERSION-MIN",
    "NATS-JETSTREAM",
    "NATS-CLUSTER",
    "NATS-TLS",
    "NATS-AUTH-REQUIRED",
    "NATS-STREAMS",
    "NATS-CONSUMER-LAG",
    "NATS-SLOW-CONSUMERS",
    "NATS-MONITOR-HEALTHY",
]

ANY: Any = object()

#: check id -> (target, part of the failure message, the first evidence's label and observed
#: value, the setting the remediation names)
BAD = {
    "NATS-VERSION-MIN": ("single", "older than 99", ("server version", ANY), "nats_min_version"),
    "NATS-JETSTREAM": ("nojs", "JetStream is disabled", ("jetstream", False), "jetstream"),
    "NATS-CLUSTER": ("single", "0 route(s) up", ("routes up", 0), "routes"),
    "NATS-TLS": ("single", "plaintext", ("tls_required", False), "tls"),
    "NATS-AUTH-REQUIRED": (
        "single",
        "anyone may connect",
        ("auth_required", False),
        "authorization",
    ),
    "NATS-STREAMS": (
        "single",
        "required streams missing: PAYMENTS",
        ("stream ORDERS", "R1 memory"),
        "num_replicas",
    ),
    "NATS-CONSUMER-LAG": (
        "single",
        f"num_pending {PENDING} > 1000",
        ("consumer ORDERS/worker", ANY),
        "max_deliver",
    ),
    "NATS-SLOW-CONSUMERS": (
        "single",
        "slow consumer(s) since the server started",
        ("slow_consumers", ANY),
        "max_pending",
    ),
    "NATS-MONITOR-HEALTHY": (
        "lonely",
        "/healthz reports unavailable: JetStream",
        ("healthz", "unavailable"),
        "healthz",
    ),
}


@pytest.mark.parametrize("check", CHECK_IDS)
def test_good_nats_meets_the_check(good: ReadinessRun, check: str) -> None:
    item = good.item(f"{check}[good]")
    assert item["outcome"] == "passed", item["message"]
    assert item["evidence"], "a passing check still records what it saw"


def test_good_nats_run_is_go_and_secret_free(good: ReadinessRun) -> None:
    assert good.result["decision"] == "GO", good.result["reasons"]
    assert PASSWORD not in good.text
    assert PASSWORD not in good.output


def test_good_cluster_evidence_names_both_peers(good: ReadinessRun) -> None:
    evidence = good.item("NATS-CLUSTER[good]")["evidence"][0]
    assert evidence["observed"] == 2
    assert len(set(evidence["details"]["peers"])) == 2  # server ids (2.9) or names (2.10+)


@pytest.mark.parametrize("check", sorted(BAD))
def test_bad_nats_fails_the_check_with_evidence(bad: ReadinessRun, check: str) -> None:
    target, message, (label, observed), setting = BAD[check]
    item = bad.item(f"{check}[{target}]")
    assert item["outcome"] == "failed", item["message"]
    assert message in item["message"]
    first = item["evidence"][0]
    assert first["label"] == label
    if observed is not ANY:
        assert first["observed"] == observed
    assert setting in item["remediation"]


def test_bad_nats_run_is_no_go_and_checks_without_jetstream_do_not_pass(bad: ReadinessRun) -> None:
    assert bad.result["decision"] == "NO-GO"
    assert bad.item("NATS-STREAMS[nojs]")["met"] is False
    assert bad.item("NATS-CONSUMER-LAG[nojs]")["met"] is False
