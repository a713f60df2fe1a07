"""Benchmarks against other tools and set-ups: xdist scaling, pytest-testinfra, unreachable targets.

Each function returns its runs; bench/run.py turns them into tables.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml
from measure import PYTEST, Run, interleaved, pytest_without
from suites import io_bound, project

READINESS_JSON = ["--readiness=bench", "--readiness-json=r.json"]


def xdist_curve(
    workers: tuple[int, ...], tests: int, seconds: float, repeat: int
) -> dict[str, list[Run]]:
    """Plain pytest and a readiness run (JSON) on the same I/O-bound suite at each -n."""
    variants: dict[str, list[str]] = {}
    for n in workers:
        base = [*PYTEST, "-q", "-n", str(n)]
        variants[f"plain -n {n}"] = [*base, "-p", "no:readiness"]
        variants[f"readiness -n {n}"] = [*base, *READINESS_JSON]
    with tempfile.TemporaryDirectory(prefix="bench-xdist-") as tmp:
        return interleaved(variants, io_bound(Path(tmp), tests, seconds), repeat)


TESTINFRA_CHECKS = """import pytest

@pytest.mark.important(section="host")
@pytest.mark.parametrize("n", range({count}))
def test_host_file(host, n):
    assert host.file("/etc/hostname").exists
"""


def testinfra_pair(count: int, repeat: int) -> dict[str, list[Run]]:
    """The same host checks: pytest-testinfra's ``host`` fixture (--hosts=local://) and a
    readiness run whose profile has one ``hosts`` target (``target_host``)."""
    with tempfile.TemporaryDirectory(prefix="bench-testinfra-") as tmp:
        root = Path(tmp)
        profile = {
            "profiles": {"bench": {"checks": [], "hosts": [{"name": "local", "spec": "local://"}]}}
        }
        project(root, yaml.safe_dump(profile))
        (root / "testinfra_suite").mkdir()
        (root / "testinfra_suite" / "test_host.py").write_text(TESTINFRA_CHECKS.format(count=count))
        (root / "readiness_suite").mkdir()
        (root / "readiness_suite" / "test_host.py").write_text(
            TESTINFRA_CHECKS.format(count=count)
            .replace("host,", "target_host,")
            .replace("host.file", "target_host.file")
        )
        with_testinfra = pytest_without("hypothesispytest")  # both pay for loading testinfra
        variants = {
            "pytest-testinfra": [
                *with_testinfra,
                "-q",
                "-p",
                "no:readiness",
                "--hosts=local://",
                "testinfra_suite",
            ],
            "readiness": [*with_testinfra, "-q", *READINESS_JSON, "readiness_suite"],
        }
        return interleaved(variants, root, repeat)


UNREACHABLE_CHECKS = """import pytest

@pytest.mark.critical(section="{kind}")
@pytest.mark.parametrize("n", range({count}))
def test_{kind}({fixture}, n):
    pass
"""
KINDS = {"postgres": "pg_conn", "redis": "redis_conn", "nats": "nats_conn", "http": "http_session"}


@contextmanager
def black_holes(count: int) -> Iterator[list[int]]:
    """Loopback ports that complete the TCP handshake and never answer (never accepted)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            sock.listen(1024)
            ports.append(sock.getsockname()[1])
        yield ports


def unreachable(checks: int, timeout: float, repeat: int) -> dict[str, list[Run]]:
    """Four black-holed targets of four kinds x ``checks`` checks each, serial and -n 2."""
    with tempfile.TemporaryDirectory(prefix="bench-unreachable-") as tmp, black_holes(4) as ports:
        root = Path(tmp)
        pg, redis, nats, http = ports
        targets = {
            "postgres": [{"name": "db", "dsn": f"postgresql://bench@127.0.0.1:{pg}/bench"}],
            "redis": [{"name": "cache", "url": f"redis://127.0.0.1:{redis}/0"}],
            "nats": [{"name": "bus", "servers": [f"nats://127.0.0.1:{nats}"]}],
            "http": [{"name": "api", "base_url": f"http://127.0.0.1:{http}"}],
        }
        profile = {"profiles": {"bench": {"timeout": timeout, "checks": [], **targets}}}
        project(root, yaml.safe_dump(profile))
        for suite, uses in (("unreachable", True), ("baseline", False)):
            (root / suite).mkdir()
            for kind, fixture in KINDS.items():
                text = UNREACHABLE_CHECKS.format(kind=kind, fixture=fixture, count=checks)
                if not uses:  # the same checks without a connection: what the run costs anyway
                    text = text.replace(f"({fixture}, n)", "(n)")
                (root / suite / f"test_{kind}.py").write_text(text)
        variants = {}
        for mode, dist in (("serial", []), ("-n 2", ["-n", "2"])):
            variants[f"{mode}, no connection"] = [*PYTEST, "-q", *dist, *READINESS_JSON, "baseline"]
            variants[f"{mode}, unreachable"] = [
                *PYTEST,
                "-q",
                *dist,
                *READINESS_JSON,
                "unreachable",
            ]
        return interleaved(variants, root, repeat, expect=(0, 1))  # NO-GO: nothing reachable
