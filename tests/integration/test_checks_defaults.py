"""All built-in data-store checks against this machine's default services, as docs/checks-defaults.md
shows them: PostgreSQL on 5432 (as the superuser, no SSL), Redis on 6379 (no password, no
persistence), NATS on 4222 (JetStream, no auth, TLS, cluster or monitoring port).

Three checks depend on what other tests leave on the shared servers (lookups counted by Redis,
streams and consumers on NATS); they are only required to run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.readiness_runs import ReadinessRun, run_checks
from tests.support.servers import SHARED_NATS_URL, SHARED_PG_DSN, SHARED_REDIS_URL

pytestmark = pytest.mark.integration

PROFILE = f"""
profiles:
  prod:
    postgres:
      - {{name: local, dsn: "{SHARED_PG_DSN}"}}
    redis:
      - {{name: local, url: "{SHARED_REDIS_URL}"}}
    nats:
      - {{name: local, servers: "{SHARED_NATS_URL}"}}
"""

#: The outcomes docs/checks-defaults.md explains, one per check.
EXPECTED = {
    "PG-CONNECT": "passed",
    "PG-VERSION-MIN": "passed",
    "PG-SSL-REQUIRED": "failed",
    "PG-CONN-HEADROOM": "passed",
    "PG-REPLICATION": "failed",
    "PG-WAL-ARCHIVING": "failed",
    "PG-BACKUP-RECENT": "failed",
    "PG-SLOW-QUERY-LOG": "failed",
    "PG-STAT-STATEMENTS": "failed",
    "PG-ROLES-NO-SUPERUSER": "failed",
    "PG-PASSWORD-ENCRYPTION": "passed",
    "PG-DATA-CHECKSUMS": "failed",
    "PG-LONG-TRANSACTIONS": "passed",
    "PG-INVALID-INDEXES": "passed",
    "PG-TIMEOUTS": "failed",
    "PG-POOLER-REACHABLE": "skipped",
    "PG-MIGRATION-HEAD": "skipped",
    "REDIS-PING": "passed",
    "REDIS-VERSION-MIN": "passed",
    "REDIS-AUTH-REQUIRED": "failed",
    "REDIS-TLS": "failed",
    "REDIS-PERSISTENCE": "failed",
    "REDIS-MAXMEMORY-POLICY": "failed",
    "REDIS-MEMORY-USAGE": "failed",
    "REDIS-REPLICATION": "failed",
    "REDIS-SENTINEL": "skipped",
    "REDIS-CLUSTER-STATE": "skipped",
    "REDIS-PROTECTED-MODE": "passed",
    "REDIS-DANGEROUS-COMMANDS": "failed",
    "NATS-VERSION-MIN": "passed",
    "NATS-JETSTREAM": "passed",
    "NATS-CLUSTER": "failed",
    "NATS-TLS": "failed",
    "NATS-AUTH-REQUIRED": "failed",
    "NATS-SLOW-CONSUMERS": "failed",
    "NATS-MONITOR-HEALTHY": "failed",
}
SHARED_STATE = ("REDIS-HIT-RATIO", "NATS-STREAMS", "NATS-CONSUMER-LAG")


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> ReadinessRun:
    workdir: Path = tmp_path_factory.mktemp("defaults")
    modules = ["test_postgres.py", "test_redis.py", "test_nats.py"]
    return run_checks(workdir, modules, PROFILE)


def test_default_services_get_the_documented_outcomes(defaults: ReadinessRun) -> None:
    outcomes = {check: defaults.item(f"{check}[local]")["outcome"] for check in EXPECTED}
    assert outcomes == EXPECTED


def test_checks_on_shared_state_run_to_a_verdict(defaults: ReadinessRun) -> None:
    for check in SHARED_STATE:
        assert defaults.item(f"{check}[local]")["outcome"] in ("passed", "failed", "skipped")


def test_default_services_are_no_go(defaults: ReadinessRun) -> None:
    assert defaults.result["decision"] == "NO-GO"
    assert len(defaults.result["items"]) == len(EXPECTED) + len(SHARED_STATE)
