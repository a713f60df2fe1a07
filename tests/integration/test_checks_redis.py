"""The built-in Redis checks (checks/test_redis.py) against real good and bad servers.

Good: a TLS-only primary (ACL: an ``app`` user without @dangerous, a password on ``default``)
with AOF, maxmemory and allkeys-lru, a TLS replica configured alike (a second target), and a
Sentinel with quorum 1; the app user reads a key 1000 times. Bad: a plaintext primary without password, persistence, replica or
eviction, protected mode off, maxmemory 1mb under noeviction (already over 80% at start),
1000 missed lookups, and a Sentinel whose quorum of 2 cannot be reached. The bad profile asks
for Redis 99 (the installed server is the only version there is) and carries a target whose
password is wrong (a third server, with requirepass). Cluster mode: a node serving all 16384
slots (good) and one serving none (bad).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from pytest_readiness.connectors.base import Target
from pytest_readiness.connectors.redis import connect
from pytest_readiness.redaction import Redactor
from tests.support.cache_broker_servers import RedisNode, redis_node
from tests.support.datastore_servers import wait_until
from tests.support.ports import free_port
from tests.support.readiness_runs import ReadinessRun, run_checks
from tests.support.servers import TlsFiles, tls_files

pytestmark = pytest.mark.integration

ADMIN_PASSWORD = "redis-Admin-Pass-1"
APP_PASSWORD = "redis-App-Pass-22"
WRONG_PASSWORD = "redis-Wrong-Pass-3"

GOOD_PRIMARY = f"""
user default on >{ADMIN_PASSWORD} ~* &* +@all
user app on >{APP_PASSWORD} ~* &* +@all -@dangerous +info
appendonly yes
save 3600 1
maxmemory 64mb
maxmemory-policy allkeys-lru
repl-diskless-sync-delay 0
"""
BAD_PRIMARY = """
protected-mode no
appendonly no
save ""
maxmemory 1mb
maxmemory-policy noeviction
"""


def sentinel_config(node: RedisNode, quorum: int, password: str | None = None) -> str:
    auth = f"sentinel auth-pass mymaster {password}\n" if password else ""
    return f"sentinel monitor mymaster 127.0.0.1 {node.port} {quorum}\n{auth}"


def ckquorum(sentinel: redis.Redis) -> str:
    execute: Callable[..., Any] = sentinel.execute_command  # untyped in redis-py
    return str(execute("SENTINEL", "CKQUORUM", "mymaster"))


@pytest.fixture(scope="module")
def tls() -> Iterator[TlsFiles]:
    with tls_files() as files:
        yield files


@pytest.fixture(scope="module")
def good(tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    with (
        redis_node(GOOD_PRIMARY, tls=tls) as primary,
        redis_node(
            f"{GOOD_PRIMARY}replicaof 127.0.0.1 {primary.port}\nmasterauth {ADMIN_PASSWORD}",
            tls=tls,
        ) as replica,
        redis_node(sentinel_config(primary, 1, ADMIN_PASSWORD), tls=tls, sentinel=True) as sentinel,
    ):
        app = redis.Redis(
            port=primary.port,
            ssl=True,
            ssl_ca_certs=str(tls.ca),
            username="app",
            password=APP_PASSWORD,
        )
        watcher = redis.Redis(port=sentinel.port, decode_responses=True)
        with app, watcher:
            wait_until(lambda: app.info("replication")["slave0"]["state"] == "online", "replica")
            wait_until(lambda: ckquorum(watcher).startswith("OK"), "sentinel quorum")
            app.set("greeting", "hello")
            pipe = app.pipeline(transaction=False)
            for _ in range(1000):
                pipe.get("greeting")
            pipe.execute()
        profile = f"""
profiles:
  prod:
    thresholds:
      redis_sentinels: ["127.0.0.1:{sentinel.port}"]
    redis:
      - {{name: good, url: "rediss://app:{APP_PASSWORD}@127.0.0.1:{primary.port}/0", ca: "{tls.ca}"}}
      - {{name: replica, url: "rediss://app:{APP_PASSWORD}@127.0.0.1:{replica.port}/0", ca: "{tls.ca}"}}
"""
        yield run_checks(tmp_path_factory.mktemp("redis-good"), "test_redis.py", profile)


@pytest.fixture(scope="module")
def bad(tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    with (
        redis_node(BAD_PRIMARY) as primary,
        redis_node(sentinel_config(primary, 2), sentinel=True) as sentinel,
        redis_node(f"requirepass {ADMIN_PASSWORD}") as locked,
    ):
        with redis.Redis(port=primary.port) as client:
            pipe = client.pipeline(transaction=False)
            for n in range(1000):
                pipe.get(f"missing-{n}")
            pipe.execute()
        profile = f"""
profiles:
  prod:
    thresholds:
      redis_min_version: "99"
      redis_sentinels: ["127.0.0.1:{sentinel.port}"]
    redis:
      - {{name: bad, url: "redis://127.0.0.1:{primary.port}/0"}}
      - {{name: locked, url: "redis://:{WRONG_PASSWORD}@127.0.0.1:{locked.port}/0"}}
"""
        yield run_checks(tmp_path_factory.mktemp("redis-bad"), "test_redis.py", profile)


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadinessRun]:
    """Two cluster-mode nodes: one serving all 16384 slots, one serving none."""
    # An explicit cluster-port: the default, port + 10000, may be taken or beyond 65535.
    cluster_mode = "cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-port {}\n"
    with (
        redis_node(cluster_mode.format(free_port())) as served,
        redis_node(cluster_mode.format(free_port())) as unserved,
    ):
        with redis.Redis(port=served.port, decode_responses=True) as admin:
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
            wait_until(
                lambda: "cluster_state:ok" in admin.execute_command("CLUSTER", "INFO"),
                "cluster state ok",
            )
        profile = f"""
profiles:
  prod:
    redis:
      - {{name: served, url: "redis://127.0.0.1:{served.port}/0"}}
      - {{name: unserved, url: "redis://127.0.0.1:{unserved.port}/0"}}
"""
        workdir = tmp_path_factory.mktemp("redis-clusters")
        yield run_checks(workdir, "test_redis.py", profile, "-k", "serves_every_slot")


CHECK_IDS = [
    "REDIS-PING",
    "REDIS-VERSION-MIN",
    "REDIS-AUTH-REQUIRED",
    "REDIS-TLS",
    "REDIS-PERSISTENCE",
    "REDIS-MAXMEMORY-POLICY",
    "REDIS-MEMORY-USAGE",
    "REDIS-REPLICATION",
    "REDIS-SENTINEL",
    "REDIS-HIT-RATIO",
    "REDIS-PROTECTED-MODE",
    "REDIS-DANGEROUS-COMMANDS",
]

#: check id -> (a word of the failure message, the first evidence label and observed value,
#: the setting the remediation names)
BAD = {
    "REDIS-VERSION-MIN": ("older than 99", ("redis_version", None), "redis_min_version"),
    "REDIS-AUTH-REQUIRED": (
        "without credentials",
        ("PING without credentials", "PONG"),
        "requirepass",
    ),
    "REDIS-TLS": ("plaintext", ("this connection uses TLS", False), "tls-port"),
    "REDIS-PERSISTENCE": ("persistence (any) is off", ("aof_enabled", False), "appendonly"),
    "REDIS-MAXMEMORY-POLICY": ("noeviction", ("maxmemory", 1048576), "maxmemory-policy"),
    "REDIS-MEMORY-USAGE": ("of maxmemory 1048576", ("memory usage", None), "maxmemory"),
    "REDIS-REPLICATION": ("0 healthy replica(s)", ("healthy replicas", 0), "replicaof"),
    "REDIS-SENTINEL": ("NOQUORUM", (None, "master"), "quorum"),
    "REDIS-HIT-RATIO": ("hit ratio 0.0%", ("hit ratio", 0.0), "maxmemory"),
    "REDIS-PROTECTED-MODE": ("protected-mode is no", ("protected-mode", "no"), "protected-mode"),
    "REDIS-DANGEROUS-COMMANDS": ("FLUSHALL, FLUSHDB", ("FLUSHALL", "allowed"), "ACL"),
}


#: Nothing reads from the replica, so its hit ratio is not applicable (asserted below).
GOOD_ITEMS = [
    f"{check}[{target}]"
    for target in ("good", "replica")
    for check in CHECK_IDS
    if (check, target) != ("REDIS-HIT-RATIO", "replica")
]


@pytest.mark.parametrize("item_id", GOOD_ITEMS)
def test_good_redis_meets_the_check(good: ReadinessRun, item_id: str) -> None:
    item = good.item(item_id)
    assert item["outcome"] == "passed", item["message"]
    assert item["evidence"], "a passing check still records what it saw"


def test_replica_is_judged_by_its_link_and_has_too_few_lookups_for_a_ratio(
    good: ReadinessRun,
) -> None:
    link = good.item("REDIS-REPLICATION[replica]")["evidence"][0]
    assert (link["label"], link["observed"]) == ("master_link_status", "up")
    ratio = good.item("REDIS-HIT-RATIO[replica]")
    assert ratio["outcome"] == "skipped"
    assert "fewer than redis_min_lookups 1000" in ratio["message"]


def test_cluster_state_is_not_applicable_outside_cluster_mode(good: ReadinessRun) -> None:
    item = good.item("REDIS-CLUSTER-STATE[good]")
    assert item["outcome"] == "skipped"
    assert "cluster mode is off" in item["message"]


def test_cluster_serving_every_slot_meets_the_cluster_check(clusters: ReadinessRun) -> None:
    item = clusters.item("REDIS-CLUSTER-STATE[served]")
    assert item["outcome"] == "passed", item["message"]
    assert item["evidence"][1]["observed"] == 16384


def test_cluster_without_slots_fails_the_cluster_check(clusters: ReadinessRun) -> None:
    item = clusters.item("REDIS-CLUSTER-STATE[unserved]")
    assert item["outcome"] == "failed"
    assert item["message"].startswith("cluster_state is fail: 16384 slots are not served")
    assert item["evidence"][0]["observed"] == "fail"
    assert "redis-cli --cluster fix" in item["remediation"]


def test_good_redis_run_is_go_and_secret_free(good: ReadinessRun) -> None:
    assert good.result["decision"] == "GO", good.result["reasons"]
    assert APP_PASSWORD not in good.text
    assert APP_PASSWORD not in good.output


@pytest.mark.parametrize("check", sorted(BAD))
def test_bad_redis_fails_the_check_with_evidence(bad: ReadinessRun, check: str) -> None:
    message, (label, observed), setting = BAD[check]
    item = bad.item(f"{check}[bad]")
    assert item["outcome"] == "failed", item["message"]
    assert message in item["message"]
    first = item["evidence"][0]
    if label is not None:
        assert first["label"] == label
    if observed is not None:
        assert first["observed"] == observed
    assert setting in item["remediation"]


def test_wrong_password_makes_the_ping_check_error_with_the_cause(bad: ReadinessRun) -> None:
    item = bad.item("REDIS-PING[locked]")
    assert item["outcome"] == "error"
    assert "redis target 'locked'" in item["message"]
    assert WRONG_PASSWORD not in bad.text
    assert WRONG_PASSWORD not in bad.output


def test_bad_redis_run_is_no_go(bad: ReadinessRun) -> None:
    assert bad.result["decision"] == "NO-GO"
    assert bad.item("REDIS-PING[bad]")["outcome"] == "passed"


def test_sentinel_evidence_names_the_monitored_master(bad: ReadinessRun) -> None:
    evidence = bad.item("REDIS-SENTINEL[bad]")["evidence"][0]
    assert evidence["details"]["ckquorum"].startswith("NOQUORUM")
    assert evidence["details"]["master"].startswith("127.0.0.1:")


def test_probing_dangerous_commands_runs_none_of_them() -> None:
    """The permission probe queues FLUSHALL and discards it (or asks ACL DRYRUN when MULTI is
    denied): the key written before survives both ways."""
    users = (
        f"user default on >{ADMIN_PASSWORD} ~* &* +@all\n"
        f"user nomulti on >{APP_PASSWORD} ~* &* +@all -multi\n"
    )
    probes = (("default", ADMIN_PASSWORD, "queued"), ("nomulti", APP_PASSWORD, "ACL DRYRUN"))
    with (
        redis_node(users) as node,
        redis.Redis(port=node.port, password=ADMIN_PASSWORD) as admin,
    ):
        admin.set("survivor", "1")
        for user, password, how in probes:
            url = f"redis://{user}:{password}@127.0.0.1:{node.port}/0"
            conn = connect(Target("redis", user, {"url": url}), Redactor())
            try:
                allowed, word = conn.command_allowed("FLUSHALL")
            finally:
                conn.close()
            assert allowed, word
            assert how in word
            assert admin.get("survivor") == b"1"
