"""Built-in NATS readiness checks, run against every ``nats`` target of the profile.

Server facts come from the INFO the server sends each client; cluster, slow-consumer and
health facts from the monitoring endpoint (the target's ``monitor`` URL, without which those
checks error); streams and consumers from the JetStream API. Nothing is published or created.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

DOMAIN = "nats"
TARGET_KIND = "nats"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "NATS-VERSION-MIN": {"nats_min_version": "2.9"},
    "NATS-CLUSTER": {"nats_min_routes": 2},
    "NATS-STREAMS": {"nats_required_streams": [], "nats_min_stream_replicas": 3},
    "NATS-CONSUMER-LAG": {
        "nats_max_consumer_pending": 1000,
        "nats_max_consumer_ack_pending": 1000,
        "nats_max_consumer_redelivered": 100,
    },
    "NATS-SLOW-CONSUMERS": {"nats_max_slow_consumers": 0},
}

SECTION = "NATS"
DOCS = "https://docs.nats.io/"


def _limit(readiness: Any, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _version(value: Any) -> tuple[int, ...]:
    parts = tuple(int(part) for part in re.findall(r"\d+", str(value)))
    return (*parts, 0, 0, 0)[:3]


def _streams(nats_conn: Any, readiness: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """(required stream names, every stream on the server)."""
    required = [str(n) for n in _limit(readiness, "NATS-STREAMS", "nats_required_streams") or []]
    return required, nats_conn.streams()


@pytest.mark.important(
    id="NATS-VERSION-MIN",
    section=SECTION,
    remediation="Upgrade nats-server to the minimum version (threshold nats_min_version).",
    docs="https://github.com/nats-io/nats-server/releases",
)
def test_nats_version_is_supported(nats_conn: Any, readiness: Any, evidence: Any) -> None:
    """NATS runs at least the minimum server version.

    Compares the server's INFO ``version`` with ``nats_min_version`` (default 2.9).
    """
    minimum = str(_limit(readiness, "NATS-VERSION-MIN", "nats_min_version"))
    version = str(nats_conn.server_info().get("version"))
    evidence("server version", version, expected=f">= {minimum}")
    assert _version(version) >= _version(minimum), (
        f"nats-server {version} is older than {minimum}: upgrade it"
    )


@pytest.mark.critical(
    id="NATS-JETSTREAM",
    section=SECTION,
    remediation="Enable JetStream (jetstream { store_dir: ... } in the server config, or -js).",
    docs=DOCS + "nats-concepts/jetstream",
)
def test_nats_jetstream_is_enabled(nats_conn: Any, evidence: Any) -> None:
    """NATS has JetStream enabled.

    Reads the ``jetstream`` flag of the server's INFO.
    """
    enabled = bool(nats_conn.server_info().get("jetstream"))
    evidence("jetstream", enabled, expected=True)
    assert enabled, "JetStream is disabled: add a jetstream block to the server config"


@pytest.mark.critical(
    id="NATS-CLUSTER",
    section=SECTION,
    remediation="Run a cluster of at least 3 servers (cluster { name, listen, routes }) and "
    "check that every route is up.",
    docs=DOCS + "running-a-nats-service/configuration/clustering",
)
def test_nats_is_clustered(nats_conn: Any, readiness: Any, evidence: Any) -> None:
    """NATS runs as a cluster with its routes up.

    ``/routez`` of the monitoring endpoint reports at least ``nats_min_routes`` (default 2,
    a 3-server cluster) routes.
    """
    minimum = int(_limit(readiness, "NATS-CLUSTER", "nats_min_routes"))
    routez = nats_conn.monitor("routez")
    routes = int(routez.get("num_routes") or 0)
    peers = [r.get("remote_name") or r.get("remote_id") for r in routez.get("routes") or []]
    evidence("routes up", routes, expected=f">= {minimum}", peers=peers)
    assert routes >= minimum, (
        f"{routes} route(s) up, {minimum} required: configure cluster routes to the other servers"
    )


@pytest.mark.critical(
    id="NATS-TLS",
    section=SECTION,
    remediation="Require TLS for clients (tls { cert_file, key_file } in the server config).",
    docs=DOCS + "running-a-nats-service/configuration/securing_nats/tls",
)
def test_nats_requires_tls(nats_conn: Any, evidence: Any) -> None:
    """NATS requires TLS from clients.

    Reads ``tls_required`` of the server's INFO.
    """
    required = bool(nats_conn.server_info().get("tls_required"))
    evidence("tls_required", required, expected=True)
    assert required, "clients may connect in plaintext: configure a tls block"


@pytest.mark.critical(
    id="NATS-AUTH-REQUIRED",
    section=SECTION,
    remediation="Require authentication (authorization { users } or accounts, nkeys or JWT).",
    docs=DOCS + "running-a-nats-service/configuration/securing_nats/auth_intro",
)
def test_nats_requires_authentication(nats_conn: Any, evidence: Any) -> None:
    """NATS requires clients to authenticate.

    Reads ``auth_required`` of the server's INFO.
    """
    required = bool(nats_conn.server_info().get("auth_required"))
    evidence("auth_required", required, expected=True)
    assert required, "anyone may connect: configure authorization or accounts"


@pytest.mark.critical(
    id="NATS-STREAMS",
    section=SECTION,
    remediation="Create the missing streams, and set num_replicas >= 3 and file storage "
    "(nats stream edit --replicas 3; storage needs a new stream).",
    docs=DOCS + "nats-concepts/jetstream/streams",
)
def test_nats_streams_are_replicated_on_disk(nats_conn: Any, readiness: Any, evidence: Any) -> None:
    """NATS streams exist, replicated and on disk.

    Every stream of ``nats_required_streams`` exists; it and every other stream has at least
    ``nats_min_stream_replicas`` (default 3) replicas and file storage. Not applicable when no
    stream is required and none exists.
    """
    minimum = int(_limit(readiness, "NATS-STREAMS", "nats_min_stream_replicas"))
    required, streams = _streams(nats_conn, readiness)
    if not required and not streams:
        pytest.skip("N/A: no streams on the server and none required (nats_required_streams)")
    names = {s["name"] for s in streams}
    missing = [name for name in required if name not in names]
    weak = []
    for stream in streams:
        evidence(
            f"stream {stream['name']}",
            f"R{stream['replicas']} {stream['storage']}",
            expected=f"R>={minimum} file",
        )
        if stream["replicas"] < minimum or stream["storage"] != "file":
            weak.append(f"{stream['name']} (R{stream['replicas']} {stream['storage']})")
    evidence("missing streams", missing, expected="none", required=required)
    assert not missing, f"required streams missing: {', '.join(missing)}"
    assert not weak, f"streams without {minimum} replicas on file storage: {', '.join(weak)}"


@pytest.mark.important(
    id="NATS-CONSUMER-LAG",
    section=SECTION,
    remediation="Scale or fix the consumers that fall behind; check their ack_wait and "
    "max_deliver and what makes messages redeliver.",
    docs=DOCS + "nats-concepts/jetstream/consumers",
)
def test_nats_consumers_keep_up(nats_conn: Any, readiness: Any, evidence: Any) -> None:
    """NATS JetStream consumers keep up without heavy redelivery.

    Each consumer of the required streams (all streams if none are required) has at most
    ``nats_max_consumer_pending`` (1000) unprocessed and ``nats_max_consumer_ack_pending``
    (1000) unacknowledged messages and ``nats_max_consumer_redelivered`` (100) redeliveries.
    Not applicable when there are no consumers.
    """
    limits = {
        "num_pending": int(_limit(readiness, "NATS-CONSUMER-LAG", "nats_max_consumer_pending")),
        "num_ack_pending": int(
            _limit(readiness, "NATS-CONSUMER-LAG", "nats_max_consumer_ack_pending")
        ),
        "num_redelivered": int(
            _limit(readiness, "NATS-CONSUMER-LAG", "nats_max_consumer_redelivered")
        ),
    }
    required, streams = _streams(nats_conn, readiness)
    names = required or [s["name"] for s in streams]
    existing = {s["name"] for s in streams}
    consumers = [c for name in names if name in existing for c in nats_conn.consumers(name)]
    if not consumers:
        pytest.skip("N/A: no JetStream consumers on the checked streams")
    behind = []
    for consumer in consumers:
        counts = {key: int(consumer.get(key) or 0) for key in limits}
        label = f"{consumer['stream']}/{consumer['name']}"
        evidence(f"consumer {label}", counts, expected={k: f"<= {v}" for k, v in limits.items()})
        over = [
            f"{key} {counts[key]} > {limit}" for key, limit in limits.items() if counts[key] > limit
        ]
        if over:
            behind.append(f"{label}: {', '.join(over)}")
    assert not behind, "consumers falling behind: " + "; ".join(behind)


@pytest.mark.important(
    id="NATS-SLOW-CONSUMERS",
    section=SECTION,
    remediation="Find the slow clients (/connz, server log 'Slow Consumer'), make them read "
    "faster or subscribe with queue groups; tune max_pending / write_deadline.",
    docs=DOCS + "running-a-nats-service/nats_admin/slow_consumers",
)
def test_nats_has_no_slow_consumers(nats_conn: Any, readiness: Any, evidence: Any) -> None:
    """NATS has no slow consumers.

    ``slow_consumers`` of ``/varz`` (since the server started) is at most
    ``nats_max_slow_consumers`` (default 0).
    """
    limit = int(_limit(readiness, "NATS-SLOW-CONSUMERS", "nats_max_slow_consumers"))
    varz = nats_conn.monitor("varz")
    count = int(varz.get("slow_consumers") or 0)
    evidence("slow_consumers", count, expected=f"<= {limit}", server=varz.get("server_name"))
    assert count <= limit, f"{count} slow consumer(s) since the server started (limit {limit})"


@pytest.mark.important(
    id="NATS-MONITOR-HEALTHY",
    section=SECTION,
    remediation="Fix what /healthz reports (JetStream not current, no meta leader, peers "
    "unreachable); set the target's monitor URL to the server's http port.",
    docs=DOCS + "running-a-nats-service/nats_admin/monitoring#health",
)
def test_nats_monitoring_reports_healthy(nats_conn: Any, evidence: Any) -> None:
    """NATS's monitoring endpoint reports the server healthy.

    ``/healthz`` answers ``{"status": "ok"}`` (JetStream included when enabled).
    """
    health = nats_conn.monitor("healthz")
    status = health.get("status")
    evidence("healthz", status, expected="ok", error=health.get("error"))
    assert status == "ok", f"/healthz reports {status}: {health.get('error')}"
