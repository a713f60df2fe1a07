"""Connection fixtures in real readiness runs.

Real peers: the PostgreSQL (5432), Redis (6379) and NATS (4222) servers on this machine's
loopback. Stand-ins: a listening socket that accepts TCP and never answers (a "black hole"),
and a closed port.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.integration

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def black_hole() -> Iterator[socket.socket]:
    """Accepts TCP connections (kernel backlog) and never reads or answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener
    listener.close()


def run(
    pytester: pytest.Pytester, profile: str, checks: str, *args: str
) -> tuple[pytest.RunResult, dict]:  # type: ignore[type-arg]
    pytester.makefile(".yaml", readiness=profile)
    pytester.makepyfile(test_checks=checks)
    out = pytester.path / "r.json"
    result = pytester.runpytest(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
    )
    return result, json.loads(out.read_text())


NEEDS_POSTGRES = """
import pytest

@pytest.mark.critical
def test_pg(pg_conn):
    pass

@pytest.mark.important
def test_pg_important(pg_conn):
    pass

@pytest.mark.critical
def test_plain():
    pass
"""


def test_a_critical_check_whose_kind_has_no_target_is_not_evaluated(
    pytester: pytest.Pytester,
) -> None:
    """A forgotten target never passes silently: the critical check blocks GO."""
    result, data = run(pytester, "profiles:\n  prod: {}\n", NEEDS_POSTGRES, "-rs")
    result.stdout.fnmatch_lines(["SKIPPED *not evaluated: profile 'prod' has no postgres target*"])
    outcomes = {i["nodeid"]: i["outcome"] for i in data["items"]}
    assert outcomes == {
        "test_checks.py::test_pg": "error",
        "test_checks.py::test_pg_important": "skipped",
        "test_checks.py::test_plain": "passed",
    }
    assert data["decision"] == "NO-GO"
    assert result.ret == 1


def test_a_kind_the_profile_declares_absent_is_not_applicable(pytester: pytest.Pytester) -> None:
    result, data = run(pytester, "profiles:\n  prod: {absent: [postgres]}\n", NEEDS_POSTGRES, "-rs")
    outcomes = {i["nodeid"]: i["outcome"] for i in data["items"]}
    assert outcomes["test_checks.py::test_pg"] == "skipped"
    assert data["decision"] == "GO"
    assert result.ret == 0
    assert any(
        "critical" in r and "N/A: profile 'prod' declares no postgres" in r for r in data["reasons"]
    )
    assert data["decision"] == "GO"


def test_targets_parametrize_with_their_names_and_connect_once(pytester: pytest.Pytester) -> None:
    profile = f"""
    profiles:
      prod:
        checks: []
        postgres:
          - {{name: primary, dsn: "{PG_DSN}"}}
          - {{name: replica, dsn: "{PG_DSN}"}}
        redis:
          - {{name: cache, url: "redis://127.0.0.1:6379/0"}}
    """
    checks = """
    import pytest

    @pytest.mark.critical(id="PG-1")
    def test_pg_version(pg_conn, evidence):
        major, minor = pg_conn.server_version()
        evidence("server_version", f"{major}.{minor}", expected=">= 13")
        assert major >= 13

    @pytest.mark.important(id="PG-2")
    def test_pg_same_connection(pg_conn):
        assert pg_conn.scalar("select pg_backend_pid()") > 0

    @pytest.mark.important(id="REDIS-1")
    def test_redis_ping(redis_conn):
        assert redis_conn.ping()
    """
    result, data = run(pytester, profile, checks, "-v")
    ids = sorted(i["id"] for i in data["items"])
    assert ids == [
        "PG-1[primary]",
        "PG-1[replica]",
        "PG-2[primary]",
        "PG-2[replica]",
        "REDIS-1[cache]",
    ]
    assert data["decision"] == "GO", result.stdout.str()
    result.stdout.fnmatch_lines(["*test_pg_version[[]primary[]] PASSED*"])


def test_unreachable_target_errors_every_check_and_is_tried_once(
    pytester: pytest.Pytester, black_hole: socket.socket
) -> None:
    port = black_hole.getsockname()[1]
    profile = f"profiles:\n  prod:\n    timeout: 1\n    checks: []\n    redis:\n      - {{name: stuck, url: 'redis://127.0.0.1:{port}/0'}}\n"
    checks = "import pytest\n\n" + "".join(
        f"@pytest.mark.critical\ndef test_{n}(redis_conn):\n    redis_conn.ping()\n\n"
        for n in range(30)
    )
    _, data = run(pytester, profile, checks)
    assert [i["outcome"] for i in data["items"]] == ["error"] * 30
    assert data["decision"] == "NO-GO"
    assert "redis target 'stuck'" in data["items"][0]["message"]
    # How long that takes is a benchmark's question (bench/), not a timed assertion here.
    black_hole.setblocking(False)
    attempts = 0
    while True:
        try:
            black_hole.accept()[0].close()
            attempts += 1
        except BlockingIOError:
            break
    assert attempts == 1


def test_connection_refused_names_the_target(pytester: pytest.Pytester) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    profile = f"profiles:\n  prod:\n    postgres:\n      - {{name: orders, dsn: 'postgresql://app:pg-Secret-77@127.0.0.1:{port}/x'}}\n"
    checks = "import pytest\n\n@pytest.mark.critical\ndef test_pg(pg_conn):\n    pass\n"
    result, data = run(pytester, profile, checks, "--tb=long", "--showlocals")
    item = data["items"][0]
    assert item["outcome"] == "error"
    assert "postgres target 'orders'" in item["message"]
    assert "pg-Secret-77" not in result.stdout.str() + result.stderr.str() + json.dumps(data)


def test_writes_through_the_postgres_fixture_fail_read_only(pytester: pytest.Pytester) -> None:
    profile = f"profiles:\n  prod:\n    postgres:\n      - {{name: db, dsn: '{PG_DSN}'}}\n"
    checks = """
    import pytest

    @pytest.mark.critical
    def test_write(pg_conn):
        pg_conn.execute("create table readiness_should_never_exist (id int)")
    """
    _, data = run(pytester, profile, checks)
    assert data["items"][0]["outcome"] == "failed"
    assert "read-only transaction" in data["items"][0]["message"]


def test_passwords_never_reach_any_output(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DSN password, a Redis URL password and an env var, with --tb=long --showlocals."""
    monkeypatch.setenv("ORDERS_DSN", "postgresql://postgres:Dsn-Pass-4242@127.0.0.1:5432/test")
    monkeypatch.setenv("SUPPORT_TOKEN", "Env-Token-5151")
    profile = """
    profiles:
      prod:
        thresholds: {support_token: "${SUPPORT_TOKEN}"}
        postgres:
          - {name: orders, dsn: "${ORDERS_DSN}"}
        redis:
          - {name: cache, url: "redis://:Redis-Pass-6363@127.0.0.1:6379/0"}
    """
    checks = """
    import pytest

    @pytest.mark.critical
    def test_pg_dsn_shown(pg_conn, readiness, evidence):
        dsn = pg_conn.target.settings["dsn"]
        token = readiness.threshold("support_token")
        evidence("dsn", dsn, expected=token)
        print("connected with", dsn, token)
        assert dsn == token, f"{dsn} != {token}"

    @pytest.mark.critical
    def test_redis(redis_conn):
        pass
    """
    files = [pytester.path / name for name in ("j.xml", "r.html", "r.md")]
    args = ["--tb=long", "--showlocals", "-rA", f"--junitxml={files[0]}"]
    args += [f"--readiness-html={files[1]}", f"--readiness-md={files[2]}"]
    result, data = run(pytester, profile, checks, *args)
    everything = result.stdout.str() + result.stderr.str() + json.dumps(data)
    everything += "".join(f.read_text(encoding="utf-8") for f in files)
    for secret in ("Dsn-Pass-4242", "Redis-Pass-6363", "Env-Token-5151"):
        assert secret not in everything
    assert "***" in everything
    outcomes = {i["nodeid"].split("::")[1]: i["outcome"] for i in data["items"]}
    assert outcomes["test_pg_dsn_shown[orders]"] == "failed"


def test_a_nats_token_in_the_server_url_never_reaches_any_output(
    pytester: pytest.Pytester,
) -> None:
    """``nats://TOKEN@host``: the machine's NATS (no auth) accepts any token."""
    profile = """
    profiles:
      prod:
        nats:
          - {name: bus, servers: "nats://Nats-Token-7171@127.0.0.1:4222"}
    """
    checks = """
    import pytest

    @pytest.mark.critical
    def test_servers_shown(nats_conn, evidence):
        servers = nats_conn.target.settings["servers"]
        evidence("servers", servers, expected="none")
        print("connected to", servers)
        assert not servers, f"connected to {servers}"
    """
    report = pytester.path / "r.md"
    result, data = run(
        pytester, profile, checks, "--tb=long", "--showlocals", "-rA", f"--readiness-md={report}"
    )
    everything = result.stdout.str() + result.stderr.str() + json.dumps(data) + report.read_text()
    assert "Nats-Token-7171" not in everything
    assert "nats://***@127.0.0.1:4222" in everything
    assert data["items"][0]["outcome"] == "failed"  # connected, then failed on purpose


def test_connection_fixtures_skip_outside_a_readiness_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a(pg_conn):\n    pass\n")
    result = pytester.runpytest("-rs")
    result.stdout.fnmatch_lines(
        ["SKIPPED *pg_conn: not a readiness run (pass --readiness=PROFILE)"]
    )


def test_missing_driver_names_the_extra_to_install(pytester: pytest.Pytester) -> None:
    """The driver is hidden from the inner run (a subprocess) as if the extra were not installed."""
    pytester.makeconftest("import sys\nsys.modules['psycopg'] = None  # import psycopg now fails\n")
    profile = f"profiles:\n  prod:\n    postgres:\n      - {{name: db, dsn: '{PG_DSN}'}}\n"
    pytester.makefile(".yaml", readiness=profile)
    pytester.makepyfile(
        test_checks="import pytest\n\n@pytest.mark.critical\ndef test_pg(pg_conn):\n    pass\n"
    )
    out = pytester.path / "r.json"
    pytester.runpytest_subprocess(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider"
    )
    item = json.loads(out.read_text())["items"][0]
    assert item["outcome"] == "error"
    assert "pip install 'pytest-readiness[postgres]'" in item["message"]
