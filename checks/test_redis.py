"""Built-in Redis readiness checks, run against every ``redis`` target of the profile.

Connect as the application's user: the command-permission check judges that user. Nothing is
written; commands are probed by queueing them in a transaction that is discarded. Servers that
deny ``CONFIG`` to this user are judged from ``INFO`` where it has the facts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

DOMAIN = "redis"
TARGET_KIND = "redis"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "REDIS-VERSION-MIN": {"redis_min_version": "7.0"},
    "REDIS-PERSISTENCE": {"redis_persistence": "any"},
    "REDIS-MAXMEMORY-POLICY": {"redis_eviction_policies": None},
    "REDIS-MEMORY-USAGE": {"redis_max_memory_usage": 0.8},
    "REDIS-REPLICATION": {"redis_min_replicas": 1, "redis_max_replica_lag_seconds": 10},
    "REDIS-SENTINEL": {"redis_sentinels": [], "redis_sentinel_master": "mymaster"},
    "REDIS-HIT-RATIO": {"redis_min_hit_ratio": 0.9, "redis_min_lookups": 1000},
    "REDIS-DANGEROUS-COMMANDS": {
        "redis_denied_commands": [
            "FLUSHALL",
            "FLUSHDB",
            "CONFIG GET maxmemory",
            "CONFIG SET maxmemory 0",
            "KEYS *",
            "DEBUG SLEEP 0",
        ]
    },
}

SECTION = "Redis"
DOCS = "https://redis.io/docs/latest/operate/oss_and_stack/management/"


def _limit(readiness: Any, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _version(value: Any) -> tuple[int, ...]:
    parts = tuple(int(part) for part in re.findall(r"\d+", str(value)))
    return (*parts, 0, 0, 0)[:3]


@pytest.mark.critical(
    id="REDIS-PING",
    section=SECTION,
    remediation="Check the target's url and credentials and the server's bind/port settings.",
    docs="https://redis.io/docs/latest/commands/ping/",
)
def test_redis_answers_ping(redis_conn: Any, evidence: Any) -> None:
    """Redis accepts the connection and answers PING.

    Connects with the target's credentials; a refused or timed-out connection errors.
    """
    answered = redis_conn.ping()
    evidence("PING", "PONG" if answered else "no PONG", expected="PONG")
    assert answered, "PING was not answered with PONG"


@pytest.mark.important(
    id="REDIS-VERSION-MIN",
    section=SECTION,
    remediation="Upgrade Redis to the minimum version (threshold redis_min_version).",
    docs="https://redis.io/docs/latest/operate/oss_and_stack/install/",
)
def test_redis_version_is_supported(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis runs at least the minimum version.

    Compares ``redis_version`` from INFO server with ``redis_min_version`` (default 7.0).
    """
    minimum = str(_limit(readiness, "REDIS-VERSION-MIN", "redis_min_version"))
    version = redis_conn.server_version()
    evidence("redis_version", ".".join(map(str, version)), expected=f">= {minimum}")
    assert version >= _version(minimum), (
        f"Redis {'.'.join(map(str, version))} is older than {minimum}: upgrade the server"
    )


@pytest.mark.critical(
    id="REDIS-AUTH-REQUIRED",
    section=SECTION,
    remediation="Require authentication: set requirepass, or define ACL users and disable "
    "the default user (user default off).",
    docs=DOCS + "security/acl/",
)
def test_redis_refuses_unauthenticated_clients(redis_conn: Any, evidence: Any) -> None:
    """Redis refuses clients that do not authenticate.

    Opens a second connection to the same address without credentials and sends PING.
    """
    reply = redis_conn.unauthenticated_ping()
    evidence("PING without credentials", reply, expected="refused (NOAUTH)")
    assert reply != "PONG", (
        "Redis answers clients without credentials: set requirepass or disable the default user"
    )


@pytest.mark.critical(
    id="REDIS-TLS",
    section=SECTION,
    remediation="Serve TLS (tls-port, tls-cert-file, tls-key-file), close the plaintext port "
    "(port 0) and use a rediss:// URL.",
    docs=DOCS + "security/encryption/",
)
def test_redis_connection_is_encrypted(redis_conn: Any, evidence: Any) -> None:
    """Redis traffic is encrypted with TLS.

    This connection uses TLS; where CONFIG is readable, the plaintext ``port`` is also closed.
    """
    encrypted = redis_conn.uses_tls()
    ports = redis_conn.config_get("port")
    plaintext = ports.get("port") if ports is not None else None
    evidence("this connection uses TLS", encrypted, expected=True, address=redis_conn.address())
    evidence("plaintext port", plaintext, expected="0", note=redis_conn.config_unavailable())
    assert encrypted, "the connection is plaintext: serve TLS (tls-port) and use rediss://"
    assert plaintext in (None, "0"), (
        f"the plaintext port {plaintext} is still open beside TLS: set port 0"
    )


@pytest.mark.critical(
    id="REDIS-PERSISTENCE",
    section=SECTION,
    remediation="Enable persistence: appendonly yes (AOF) and/or save snapshots (RDB), "
    "and fix the disk or permissions when the last write failed.",
    docs=DOCS + "persistence/",
)
def test_redis_persists_data(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis persists data to disk and its last write succeeded.

    ``redis_persistence`` (default ``any``; ``aof``, ``rdb`` or ``both``) says which of AOF
    (``aof_enabled``) and RDB (a ``save`` schedule, read with CONFIG) must be on; the last AOF
    write and the last RDB save must have succeeded.
    """
    wanted = str(_limit(readiness, "REDIS-PERSISTENCE", "redis_persistence"))
    info = redis_conn.persistence()
    aof = bool(info.get("aof_enabled"))
    save = redis_conn.config_get("save")
    rdb = None if save is None else bool(save.get("save", "").strip())
    failures = [
        f"{key}={info[key]}"
        for key in ("aof_last_write_status", "aof_last_bgrewrite_status", "rdb_last_bgsave_status")
        if key in info and info[key] != "ok"
    ]
    required = {"any": "AOF or RDB", "aof": "AOF", "rdb": "RDB", "both": "AOF and RDB"}
    expected = required.get(wanted, wanted)
    evidence("aof_enabled", aof, expected=expected)
    rdb_note = redis_conn.config_unavailable() if rdb is None else None
    evidence("rdb save schedule", rdb, expected=expected, note=rdb_note)
    evidence("last write failures", failures, expected="none")
    need = {"any": aof or bool(rdb), "aof": aof, "rdb": bool(rdb), "both": aof and bool(rdb)}
    assert wanted in need, f"redis_persistence must be any, aof, rdb or both, not {wanted!r}"
    assert need[wanted], (
        f"persistence ({wanted}) is off: set appendonly yes and/or a save schedule"
        + (" (the save schedule cannot be read: CONFIG is denied)" if rdb is None else "")
    )
    assert not failures, f"the last persistence write failed: {', '.join(failures)}"


@pytest.mark.important(
    id="REDIS-MAXMEMORY-POLICY",
    section=SECTION,
    remediation="Set maxmemory below the host's memory and maxmemory-policy (allkeys-lru for "
    "a cache; list noeviction in redis_eviction_policies for a data store).",
    docs="https://redis.io/docs/latest/develop/reference/eviction/",
)
def test_redis_memory_is_bounded(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis has a memory limit and an eviction policy.

    ``maxmemory`` > 0 and ``maxmemory_policy`` (INFO memory) is one of
    ``redis_eviction_policies`` (default: any policy except noeviction).
    """
    allowed = _limit(readiness, "REDIS-MAXMEMORY-POLICY", "redis_eviction_policies")
    memory = redis_conn.info("memory")
    maximum, policy = int(memory["maxmemory"]), str(memory["maxmemory_policy"])
    evidence("maxmemory", maximum, expected="> 0")
    evidence("maxmemory-policy", policy, expected=allowed or "not noeviction")
    assert maximum > 0, "maxmemory is 0 (unbounded): set maxmemory"
    if allowed:
        assert policy in allowed, f"maxmemory-policy is {policy}, expected one of {allowed}"
    else:
        assert policy != "noeviction", (
            "maxmemory-policy is noeviction, so writes fail when memory is full: set an eviction "
            "policy, or list noeviction in redis_eviction_policies if that is intended"
        )


@pytest.mark.important(
    id="REDIS-MEMORY-USAGE",
    section=SECTION,
    remediation="Raise maxmemory, shorten TTLs or shard the data.",
    docs="https://redis.io/docs/latest/operate/oss_and_stack/management/optimization/memory-optimization/",
)
def test_redis_memory_has_headroom(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis uses less than the share of maxmemory.

    ``used_memory / maxmemory`` under ``redis_max_memory_usage`` (default 0.8); without a
    maxmemory there is no headroom to judge and the check fails.
    """
    limit = float(_limit(readiness, "REDIS-MEMORY-USAGE", "redis_max_memory_usage"))
    memory = redis_conn.info("memory")
    used, maximum = int(memory["used_memory"]), int(memory["maxmemory"])
    usage = used / maximum if maximum else None
    evidence(
        "memory usage",
        None if usage is None else round(usage, 3),
        expected=f"< {limit}",
        used_memory=used,
        maxmemory=maximum,
    )
    assert usage is not None, "maxmemory is 0: memory use is unbounded; set maxmemory"
    assert usage < limit, (
        f"used_memory {used} is {usage:.0%} of maxmemory {maximum} (limit {limit:.0%}): "
        "raise maxmemory or reduce the data"
    )


@pytest.mark.critical(
    id="REDIS-REPLICATION",
    section=SECTION,
    remediation="Run replicas (replicaof) that are online and keep their lag low; on a "
    "replica, fix the link to its master (masterauth, network).",
    docs=DOCS + "replication/",
)
def test_redis_replication_is_healthy(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis replicates to healthy replicas.

    On a master: at least ``redis_min_replicas`` (default 1) replicas online with ``lag`` at
    most ``redis_max_replica_lag_seconds`` (default 10). On a replica: the link to the master
    is up and heard from within that lag.
    """
    max_lag = float(_limit(readiness, "REDIS-REPLICATION", "redis_max_replica_lag_seconds"))
    info = redis_conn.info("replication")
    role = info["role"]
    if role == "slave":
        link, silent = info.get("master_link_status"), info.get("master_last_io_seconds_ago")
        evidence("master_link_status", link, expected="up", master_last_io_seconds_ago=silent)
        assert link == "up", f"the link to the master is {link}: check replicaof and masterauth"
        assert silent is not None, "no I/O from the master yet"
        assert silent <= max_lag, f"master silent for {silent}s, limit {max_lag:g}s"
        return
    minimum = int(_limit(readiness, "REDIS-REPLICATION", "redis_min_replicas"))
    replicas = [value for key, value in info.items() if re.fullmatch(r"slave\d+", key)]
    healthy = [r for r in replicas if r.get("state") == "online" and r.get("lag", 0) <= max_lag]
    evidence("healthy replicas", len(healthy), expected=f">= {minimum}", replicas=replicas)
    assert len(healthy) >= minimum, (
        f"{len(healthy)} healthy replica(s) of {len(replicas)}, {minimum} required: "
        "add replicas (replicaof) or fix them"
    )


@pytest.mark.critical(
    id="REDIS-SENTINEL",
    section=SECTION,
    remediation="Run at least quorum Sentinels monitoring the master (sentinel monitor) and "
    "fix what SENTINEL CKQUORUM reports.",
    docs=DOCS + "sentinel/",
)
def test_redis_sentinels_see_a_healthy_master(
    redis_conn: Any, readiness: Any, evidence: Any
) -> None:
    """Redis Sentinels see the master up and can reach their quorum.

    For each address in ``redis_sentinels``: ``SENTINEL MASTER redis_sentinel_master`` has no
    ``s_down``/``o_down`` flag and ``SENTINEL CKQUORUM`` answers OK. Not applicable without
    configured Sentinels.
    """
    sentinels = list(_limit(readiness, "REDIS-SENTINEL", "redis_sentinels") or [])
    master = str(_limit(readiness, "REDIS-SENTINEL", "redis_sentinel_master"))
    if not sentinels:
        pytest.skip("N/A: no Sentinels configured (threshold redis_sentinels)")
    problems = []
    for address in sentinels:
        state = redis_conn.sentinel(str(address), master)
        flags, quorum = str(state.get("flags")), str(state["ckquorum"])
        evidence(
            f"sentinel {address}",
            flags,
            expected="master without s_down/o_down",
            ckquorum=quorum,
            master=f"{state.get('ip')}:{state.get('port')}",
        )
        if "s_down" in flags or "o_down" in flags:
            problems.append(f"{address} sees {master} down ({flags})")
        if not quorum.startswith("OK"):
            problems.append(f"{address}: {quorum}")
    assert not problems, "; ".join(problems)


@pytest.mark.critical(
    id="REDIS-CLUSTER-STATE",
    section=SECTION,
    remediation="Assign every hash slot to a reachable master (redis-cli --cluster fix) and "
    "bring failed nodes back; cluster_state must be ok.",
    docs=DOCS + "scaling/",
)
def test_redis_cluster_serves_every_slot(redis_conn: Any, evidence: Any) -> None:
    """Redis Cluster is in state ok with every hash slot served.

    ``CLUSTER INFO``: ``cluster_state`` ok and all 16384 slots ok (none failing or unassigned).
    Not applicable when cluster mode is off.
    """
    if not redis_conn.info("cluster").get("cluster_enabled"):
        pytest.skip("N/A: cluster mode is off (cluster-enabled no)")
    info = redis_conn.cluster_info()
    state, slots_ok = info.get("cluster_state"), int(info.get("cluster_slots_ok", 0))
    evidence(
        "cluster_state",
        state,
        expected="ok",
        slots_ok=slots_ok,
        slots_assigned=info.get("cluster_slots_assigned"),
        slots_fail=info.get("cluster_slots_fail"),
        known_nodes=info.get("cluster_known_nodes"),
    )
    evidence("slots served", slots_ok, expected=16384)
    assert state == "ok", f"cluster_state is {state}: {16384 - slots_ok} slots are not served"
    assert slots_ok == 16384, f"only {slots_ok} of 16384 slots are served"


@pytest.mark.important(
    id="REDIS-HIT-RATIO",
    section=SECTION,
    remediation="Review what the application caches and its TTLs; size maxmemory for the "
    "working set.",
    docs="https://redis.io/docs/latest/commands/info/",
)
def test_redis_cache_hit_ratio_is_high(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis keyspace lookups mostly hit.

    ``keyspace_hits / (hits + misses)`` at least ``redis_min_hit_ratio`` (default 0.9);
    not applicable before ``redis_min_lookups`` (default 1000) lookups since the last reset.
    """
    minimum = float(_limit(readiness, "REDIS-HIT-RATIO", "redis_min_hit_ratio"))
    needed = int(_limit(readiness, "REDIS-HIT-RATIO", "redis_min_lookups"))
    stats = redis_conn.info("stats")
    hits, misses = int(stats["keyspace_hits"]), int(stats["keyspace_misses"])
    lookups = hits + misses
    if lookups < needed:
        pytest.skip(f"N/A: {lookups} lookups, fewer than redis_min_lookups {needed}")
    ratio = hits / lookups
    evidence("hit ratio", round(ratio, 3), expected=f">= {minimum}", hits=hits, misses=misses)
    assert ratio >= minimum, f"hit ratio {ratio:.1%} is under {minimum:.0%}"


@pytest.mark.important(
    id="REDIS-PROTECTED-MODE",
    section=SECTION,
    remediation="Keep protected-mode yes, or require authentication (requirepass / ACL).",
    docs=DOCS + "security/#protected-mode",
)
def test_redis_is_not_open_to_strangers(redis_conn: Any, evidence: Any) -> None:
    """Redis is protected: protected mode on, or authentication required.

    Protected mode only matters while the default user needs no password, so either
    ``protected-mode yes`` (read with CONFIG) or a refused unauthenticated PING passes.
    """
    setting = redis_conn.config_get("protected-mode")
    mode = setting.get("protected-mode") if setting is not None else None
    unauthenticated = redis_conn.unauthenticated_ping()
    evidence("protected-mode", mode, expected="yes", note=redis_conn.config_unavailable())
    evidence("PING without credentials", unauthenticated, expected="refused")
    assert mode == "yes" or unauthenticated != "PONG", (
        f"protected-mode is {mode or 'unreadable'} and clients without credentials are "
        "answered: set protected-mode yes or requirepass"
    )


@pytest.mark.critical(
    id="REDIS-DANGEROUS-COMMANDS",
    section=SECTION,
    remediation="Deny them to the application's ACL user (ACL SETUSER app -@dangerous "
    "+info), or rename-command them away.",
    docs=DOCS + "security/acl/",
)
def test_redis_denies_dangerous_commands(redis_conn: Any, readiness: Any, evidence: Any) -> None:
    """Redis denies FLUSHALL, CONFIG, KEYS and DEBUG to the application user.

    Each command of ``redis_denied_commands`` is queued in a transaction that is then
    discarded (or asked with ACL DRYRUN), so nothing runs; each must be refused.
    """
    commands = _limit(readiness, "REDIS-DANGEROUS-COMMANDS", "redis_denied_commands")
    allowed = []
    for command in commands:
        permitted, word = redis_conn.command_allowed(*str(command).split())
        evidence(
            str(command), "allowed" if permitted else "denied", expected="denied", server=word[:120]
        )
        if permitted:
            allowed.append(str(command))
    assert not allowed, f"the application user may run {', '.join(allowed)}: deny them by ACL"
