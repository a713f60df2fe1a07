"""Data stores: PostgreSQL and Redis hold the service's state."""

import pytest

pytestmark = pytest.mark.important(section="Data stores")


@pytest.mark.critical(id="PG-1", remediation="upgrade PostgreSQL to a supported major version")
def test_pg_version_is_supported(pg_conn, readiness, evidence):
    """PostgreSQL runs a supported major version."""
    major, minor = pg_conn.server_version()
    minimum = readiness.threshold("min_postgres_major")
    evidence("server_version", f"{major}.{minor}", expected=f">= {minimum}")
    assert major >= minimum, f"PostgreSQL {major}.{minor} is older than {minimum}"


@pytest.mark.important(id="PG-2", remediation="raise max_connections in postgresql.conf")
def test_pg_allows_enough_connections(pg_conn, readiness, evidence):
    """PostgreSQL allows enough client connections."""
    allowed = int(pg_conn.setting("max_connections"))
    minimum = readiness.threshold("min_max_connections")
    evidence("max_connections", allowed, expected=f">= {minimum}")
    assert allowed >= minimum, f"max_connections {allowed} is below {minimum}"


@pytest.mark.critical(id="REDIS-1", remediation="start Redis or fix its URL in readiness.yaml")
def test_redis_answers(redis_conn, evidence):
    """Redis answers PING."""
    evidence(observed=redis_conn.ping(), expected=True)


@pytest.mark.important(id="REDIS-2")
def test_redis_version_is_supported(redis_conn, readiness, evidence):
    """Redis runs a supported major version."""
    major = redis_conn.server_version()[0]
    minimum = readiness.threshold("min_redis_major")
    evidence("redis_version", major, expected=f">= {minimum}")
    assert major >= minimum


@pytest.mark.important(id="REDIS-3", remediation="enable appendonly or RDB snapshots")
def test_redis_persists_data(redis_conn, evidence):
    """Redis persists data to disk (AOF or RDB)."""
    save = (redis_conn.config_get("save") or {}).get("save", "")
    aof = bool(redis_conn.persistence().get("aof_enabled"))
    evidence(observed=f"appendonly={aof}, save={save!r}", expected="appendonly or a save schedule")
    assert aof or save, "Redis keeps nothing on disk"
