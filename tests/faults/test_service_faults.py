"""Services that die, freeze, drip or swallow traffic mid-run: every run ends in NO-GO with
every report, within a bounded time.

Real private instances (PostgreSQL from initdb/postgres, redis-server, nats-server) on free
loopback ports, started and stopped here. The fault is applied from inside the run, by a check
between a check that passed and the checks after it, to the pids the test hands it (and the
PostgreSQL backend serving the run); every pid it signalled is written to a file, so that the
test resumes (SIGCONT) exactly those before stopping the server.

A signal takes effect after ``kill()`` returns: the kernel wakes one thread of the process to
take it, and on a busy machine the other threads of a multi-threaded server (nats-server's) go
on answering for a few milliseconds, long enough to answer the next check's PING. The fault
check therefore waits until ``/proc`` shows every thread stopped (or the process gone) before
the next check runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.gate import GateRun, project, run_gate
from tests.faults.stand_ins import HTTP_DRIP, REDIS_DRIP, drip_server
from tests.support.datastore_servers import postgres_cluster
from tests.support.ports import silent_listener
from tests.support.servers import nats_server, redis_server

pytestmark = pytest.mark.integration

TIMEOUT = 2
#: A safety net against a hang (the run takes a few timeouts at most), not a benchmark.
BOUND = 30

CHECKS = """
import os
import signal
import time
import pytest

@pytest.mark.critical(id="BEFORE")
def test_before({fixture}):
    {probe}

def _states(pid):
    try:
        tasks = os.listdir(f"/proc/{{pid}}/task")
    except FileNotFoundError:
        return set()
    states = set()
    for task in tasks:
        try:
            with open(f"/proc/{{pid}}/task/{{task}}/stat") as stat:
                states.add(stat.read().rsplit(") ", 1)[1][0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return states

def _wait_until_in_effect(pid, name):
    # every thread stopped (T) for SIGSTOP; dead (Z, X) or reaped for SIGKILL
    done = {{"T"}} if name == "SIGSTOP" else {{"Z", "X"}}
    deadline = time.monotonic() + 10
    while not _states(pid) <= done:
        assert time.monotonic() < deadline, f"{{name}} not in effect on {{pid}}: {{_states(pid)}}"
        time.sleep(0.001)  # polling the state the kernel reports, not waiting blind

@pytest.mark.nice_to_have(id="FAULT")
def test_fault({fixture}):
    pids = [int(p) for p in os.environ["FAULT_PIDS"].split()] + [{own_pid}]
    name = os.environ["FAULT_SIGNAL"]
    with open(os.environ["FAULT_LOG"], "a") as log:
        for pid in pids:
            log.write(f"{{pid}}\\n")
            log.flush()
            os.kill(pid, getattr(signal, name))
    for pid in pids:
        _wait_until_in_effect(pid, name)

@pytest.mark.critical(id="AFTER")
def test_after({fixture}):
    {probe}

@pytest.mark.critical(id="AFTER-AGAIN")
def test_after_again({fixture}):
    {probe}
"""


@dataclass(frozen=True)
class Kind:
    """How a check of one kind of target talks to it, and how the test starts one."""

    fixture: str
    probe: str
    own_pid: str  # a Python expression: a server process serving this connection, or ""
    start: Callable[[], AbstractContextManager[tuple[str, int]]]  # (profile entry, server pid)


@contextmanager
def _postgres() -> Iterator[tuple[str, int]]:
    with postgres_cluster("Fault-Pg-Pass-1") as cluster:
        yield f"postgres: [{{name: db, dsn: '{cluster.dsn()}'}}]", cluster.pid


@contextmanager
def _redis() -> Iterator[tuple[str, int]]:
    with redis_server() as server:
        yield f"redis: [{{name: cache, url: '{server.url()}'}}]", server.pid


@contextmanager
def _nats() -> Iterator[tuple[str, int]]:
    with nats_server("fault", "Fault-Nats-Pass-1") as server:
        entry = f"nats: [{{name: bus, servers: '{server.url}', user: fault, password: Fault-Nats-Pass-1}}]"
        yield entry, server.pid


KINDS = {
    "postgres": Kind(
        "pg_conn", "assert pg_conn.scalar('SELECT 1') == 1",
        "pg_conn.scalar('SELECT pg_backend_pid()')", _postgres,
    ),
    "redis": Kind("redis_conn", "assert redis_conn.ping()", "", _redis),
    "nats": Kind("nats_conn", "nats_conn.flush()", "", _nats),
}  # fmt: skip


def _profile(entry: str) -> str:
    return f"profiles:\n  prod:\n    timeout: {TIMEOUT}\n    check_timeout: 60\n    {entry}\n"


def _faulted_run(tmp_path: Path, kind: str, fault: str) -> GateRun:
    spec = KINDS[kind]
    log = tmp_path / "signalled"
    log.touch()
    checks = CHECKS.format(fixture=spec.fixture, probe=spec.probe, own_pid=spec.own_pid)
    with spec.start() as (entry, pid):
        try:
            workdir = project(tmp_path / "run", _profile(entry), checks)
            return run_gate(workdir, FAULT_PIDS=str(pid), FAULT_LOG=str(log), FAULT_SIGNAL=fault)
        finally:
            for signalled in {int(line) for line in log.read_text().split()}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(signalled, signal.SIGCONT)  # a frozen server must stop cleanly


def _assert_no_go_after_the_fault(run: GateRun) -> None:
    __tracebackhide__ = True
    items = run.items
    assert items["BEFORE"]["outcome"] == "passed", run.output[-3000:]
    assert items["FAULT"]["outcome"] == "passed", run.output[-3000:]
    assert items["AFTER"]["outcome"] == "error", items["AFTER"]
    assert items["AFTER-AGAIN"]["outcome"] == "error", items["AFTER-AGAIN"]
    assert run.result["decision"] == "NO-GO"
    assert run.status == 1
    assert run.seconds < BOUND


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_frozen_server_ends_in_no_go_within_its_timeout(tmp_path: Path, kind: str) -> None:
    run = _faulted_run(tmp_path, kind, "SIGSTOP")
    _assert_no_go_after_the_fault(run)
    assert "timed out" in run.items["AFTER"]["message"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_server_killed_mid_run_ends_in_no_go(tmp_path: Path, kind: str) -> None:
    run = _faulted_run(tmp_path, kind, "SIGKILL")
    _assert_no_go_after_the_fault(run)


DRIP_CHECKS = """
import pytest

@pytest.mark.critical(id="DRIP")
def test_drip({fixture}):
    {probe}

@pytest.mark.critical(id="DRIP-AGAIN")
def test_drip_again({fixture}):
    {probe}
"""

DRIPPING = {
    "http": ("http_session", "http_session.get('/')", "http: [{{name: api, base_url: 'http://127.0.0.1:{port}'}}]", HTTP_DRIP),
    "redis": ("redis_conn", "redis_conn.ping()", "redis: [{{name: cache, url: 'redis://127.0.0.1:{port}/0'}}]", REDIS_DRIP),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(DRIPPING))
def test_a_server_dripping_its_answer_is_cut_off_at_the_timeout(tmp_path: Path, kind: str) -> None:
    fixture, probe, entry, answer = DRIPPING[kind]
    with drip_server(answer) as port:
        workdir = project(
            tmp_path, _profile(entry.format(port=port)),
            DRIP_CHECKS.format(fixture=fixture, probe=probe),
        )  # fmt: skip
        run = run_gate(workdir)
    for item in run.items.values():
        assert item["outcome"] == "error", item
        assert "timed out" in item["message"], item
    assert run.result["decision"] == "NO-GO"
    assert run.status == 1
    # one byte every 1.5 s would keep a per-read timeout of 2 s waiting for ever
    assert run.seconds < BOUND


UNREACHABLE_CHECKS = """
import pytest

@pytest.mark.critical(id="PG")
def test_pg(pg_conn):
    pass

@pytest.mark.critical(id="REDIS")
def test_redis(redis_conn):
    pass

@pytest.mark.critical(id="NATS")
def test_nats(nats_conn):
    pass

@pytest.mark.critical(id="HTTP")
def test_http(http_session):
    pass
"""


def _targets_at(host: str, port: int) -> str:
    return (
        f"postgres: [{{name: db, dsn: 'postgresql://u:Hole-Pass-1@{host}:{port}/x'}}]\n"
        f"    redis: [{{name: cache, url: 'redis://{host}:{port}/0'}}]\n"
        f"    nats: [{{name: bus, servers: 'nats://{host}:{port}'}}]\n"
        f"    http: [{{name: api, base_url: 'http://{host}:{port}'}}]"
    )


def test_a_black_hole_of_every_kind_ends_in_no_go_within_the_timeouts(tmp_path: Path) -> None:
    with silent_listener() as port:
        workdir = project(tmp_path, _profile(_targets_at("127.0.0.1", port)), UNREACHABLE_CHECKS)
        run = run_gate(workdir)
    for item in run.items.values():
        assert item["outcome"] == "error", item
        assert "timed out" in item["message"], item
    assert run.result["decision"] == "NO-GO"
    assert run.status == 1
    assert run.seconds < BOUND
    assert "Hole-Pass-1" not in run.output


def test_a_name_that_cannot_resolve_ends_in_no_go(tmp_path: Path) -> None:
    workdir = project(tmp_path, _profile(_targets_at("db.invalid", 5432)), UNREACHABLE_CHECKS)
    run = run_gate(workdir)
    for item in run.items.values():
        assert item["outcome"] == "error", item
        assert "db.invalid" in item["message"] or "resolve" in item["message"], item
    assert run.result["decision"] == "NO-GO"
    assert run.status == 1
    assert run.seconds < BOUND
