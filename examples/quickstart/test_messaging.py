"""Messaging: NATS carries the service's events."""

import pytest

pytestmark = pytest.mark.important(section="Messaging")


@pytest.mark.critical(id="NATS-1")
def test_nats_accepts_clients(nats_conn, evidence):
    """NATS accepts client connections."""
    info = nats_conn.server_info()
    evidence(
        "server", info.get("server_name") or info.get("server_id"), expected="a connected server"
    )
    assert info.get("version"), "NATS sent no server INFO"


@pytest.mark.important(id="NATS-2", remediation="start nats-server with -js")
def test_nats_has_jetstream(nats_conn, evidence):
    """JetStream is enabled for durable streams."""
    info = nats_conn.server_info()
    evidence("jetstream", bool(info.get("jetstream")), expected=True)
    assert info.get("jetstream"), "JetStream is disabled"


@pytest.mark.nice_to_have(
    id="NATS-3", remediation="start nats-server with -m 8222 and set monitor: in readiness.yaml"
)
def test_nats_monitoring_is_reachable(nats_conn, evidence):
    """The NATS monitoring endpoint answers /healthz."""
    health = nats_conn.monitor("healthz")
    evidence("healthz", health, expected={"status": "ok"})
    assert health.get("status") == "ok"
