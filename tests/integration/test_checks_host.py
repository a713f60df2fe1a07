"""The built-in host checks (checks/test_host.py) in readiness runs.

Real: the plugin, testinfra's local backend and its ssh backend against a real sshd started
here (tests/support/ssh_server.py), and what the checks run on the host (find, stat, ss, cut,
sed, cat) over files, sockets and processes each test makes in its temporary directory. The
open-ports check runs inside a fresh network namespace (``unshare -rn``), so the only
listeners it sees are the ones this test opens. The logrotate samples are checked by the real
``logrotate --debug``, whose list of considered logs must match what the check calls covered.
This machine has no systemd, so the ``service`` source is shown failing closed; a ``pidfile``
of a process started here stands in as the live source of a service's environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.check_runs import CHECKS, ChecksRun, run_checks
from tests.support.ssh_server import ssh_server

pytestmark = pytest.mark.integration

HOUR = 3600


def _profile(thresholds: Mapping[str, object], spec: str = "local://") -> str:
    return (
        "profiles:\n  prod:\n"
        f"    thresholds: {json.dumps(thresholds)}\n"
        f"    hosts: [{{name: box, spec: '{spec}'}}]\n"
    )


def _run(pytester: pytest.Pytester, check: str, thresholds: Mapping[str, object]) -> ChecksRun:
    return run_checks(pytester, _profile(thresholds), "test_host.py", args=("-k", check))


def _write(path: Path, size: int, age_hours: float = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = time.time() - age_hours * HOUR
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    _write(tmp_path / "backups" / "db-2026-12-02.tar.gz", 2048, age_hours=2)
    _write(tmp_path / "backups" / "db-2026-11-29.tar.gz", 4096, age_hours=72)
    _write(tmp_path / "backups" / "weekly" / "files.tar.gz", 100, age_hours=1)
    _write(tmp_path / "exports" / "orders.csv", 0)
    (tmp_path / "latest").symlink_to(tmp_path / "backups")  # a watched path may be a symlink
    return tmp_path


def test_fresh_files_good_and_bad(pytester: pytest.Pytester, backups: Path) -> None:
    good = [
        {"path": str(backups / "backups"), "max_age_hours": 24, "min_bytes": 1024},
        {"path": str(backups / "backups/*.tar.gz"), "max_age_hours": 3},
        {"path": str(backups / "latest"), "max_age_hours": 3},
    ]
    run = _run(pytester, "fresh", {"host_fresh_files": good})
    assert run.outcomes() == {"HOST-FILE-FRESH[box]": "passed"}, run.items
    newest = run.evidence("HOST-FILE-FRESH[box]")[1]["observed"]
    # the glob's * crosses folders, as find -path does
    assert (newest["files"], newest["newest"]) == (3, str(backups / "backups/weekly/files.tar.gz"))

    bad = [
        {"path": str(backups / "backups/db-2026-11-*"), "max_age_hours": 24},
        {"path": str(backups / "exports"), "min_bytes": 1},
        {"path": str(backups / "nothing-here")},
    ]
    run = _run(pytester, "fresh", {"host_fresh_files": bad})
    item = run.items["HOST-FILE-FRESH[box]"]
    assert item["outcome"] == "failed"
    old = backups / "backups/db-2026-11-29.tar.gz"
    assert item["message"] == (
        f"{backups}/backups/db-2026-11-*: no file under 24 h (newest {old}, 72.0 h old, "
        f"4096 bytes); {backups}/exports: no file under 24 h and 1 bytes (newest "
        f"{backups}/exports/orders.csv, 0.0 h old, 0 bytes); {backups}/nothing-here: no file"
    )
    assert "host_fresh_files" in item["remediation"]


def test_fresh_files_through_a_real_ssh_server(pytester: pytest.Pytester, backups: Path) -> None:
    thresholds = {
        "host_fresh_files": [
            {"path": str(backups / "backups/*.tar.gz"), "max_age_hours": 24, "min_bytes": 1024},
            {"path": str(backups / "exports"), "min_bytes": 1},
        ]
    }
    with ssh_server() as server:
        profile = _profile(thresholds, spec=server.spec)
        run = run_checks(pytester, profile, "test_host.py", args=("-k", "fresh"))
    item = run.items["HOST-FILE-FRESH[box]"]
    assert item["outcome"] == "failed"
    assert item["message"].startswith(f"{backups}/exports: no file under 24 h and 1 bytes")
    first = run.evidence("HOST-FILE-FRESH[box]")[0]["observed"]
    assert first["fresh_and_large_enough"] == 1
    assert first["newest"] == str(backups / "backups/weekly/files.tar.gz")


# A readiness run inside a new network namespace: this launcher brings up loopback, opens the
# listeners the test expects, holds them, and runs pytest with the given arguments.
LAUNCHER = """
import socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
held = []
for family, kind, address in [
    (socket.AF_INET, socket.SOCK_STREAM, ("0.0.0.0", 8443)),
    (socket.AF_INET6, socket.SOCK_STREAM, ("::", 9090)),
    (socket.AF_INET, socket.SOCK_DGRAM, ("0.0.0.0", 5353)),
    (socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 6000)),
]:
    sock = socket.socket(family, kind)
    sock.bind(address)
    if kind == socket.SOCK_STREAM:
        sock.listen()
    held.append(sock)
sys.exit(subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]]).returncode)
"""


def _run_in_namespace(pytester: pytest.Pytester, thresholds: Mapping[str, object]) -> ChecksRun:
    pytester.makefile(".yaml", readiness=_profile(thresholds))
    ini = pytester.makeini("[pytest]\n")
    launcher = pytester.path / "launcher.py"
    launcher.write_text(LAUNCHER)
    out = pytester.path / "result.json"
    out.unlink(missing_ok=True)
    args = [str(CHECKS / "test_host.py"), "-c", str(ini), f"--rootdir={pytester.path}"]
    args += ["--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider"]
    result = pytester.run("unshare", "-rn", sys.executable, str(launcher), *args, "-k", "ports")
    assert out.exists(), result.stdout.str() + result.stderr.str()
    return ChecksRun(result, json.loads(out.read_text()))


def test_open_ports_good_and_bad_in_a_network_namespace(pytester: pytest.Pytester) -> None:
    allowed = {"host_allowed_ports": ["tcp/8443", "udp/5353", "tcp/9000-9100"]}
    run = _run_in_namespace(pytester, allowed)
    assert run.outcomes() == {"HOST-OPEN-PORTS[box]": "passed"}, run.items
    record = run.evidence("HOST-OPEN-PORTS[box]")[0]
    # a dual-stack socket on :: shows as both families, as ss reports it ("*:9090")
    assert record["details"]["listening"] == [
        "tcp://0.0.0.0:8443",
        "tcp://0.0.0.0:9090",
        "tcp://[::]:9090",
        "udp://0.0.0.0:5353",
    ]
    assert record["details"]["loopback_only_skipped"] == 1

    run = _run_in_namespace(pytester, {"host_ports_include_loopback": True})
    item = run.items["HOST-OPEN-PORTS[box]"]
    assert item["outcome"] == "failed"
    assert item["message"] == (
        "5 listeners not allowed: tcp://0.0.0.0:8443, tcp://0.0.0.0:9090, tcp://127.0.0.1:6000, "
        "tcp://[::]:9090, udp://0.0.0.0:5353"
    )
    assert "host_allowed_ports" in item["remediation"]


DB_URL = "postgresql://app:" + "s3cr3t-Zq9-pass" + "@db:5432/app"
TOKEN = "tok-" + "8f3a1c9e77d2"


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[Path]:
    """A running process with secrets in its environment; yields its pidfile."""
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": DB_URL, "API_TOKEN": TOKEN}
    env["MULTILINE"] = "first line\nSENTRY_DSN=inside a value, not a variable"
    proc = subprocess.Popen(["sleep", "600"], env=env)
    pidfile = tmp_path / "app.pid"
    pidfile.write_text(f"{proc.pid}\n")
    try:
        yield pidfile
    finally:
        proc.kill()
        proc.wait(15)


def test_service_environment_good_and_bad(
    pytester: pytest.Pytester, tmp_path: Path, service_process: Path
) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"# app settings\nexport DATABASE_URL={DB_URL}\nLOG_LEVEL=info\n")
    good = [
        {"pidfile": str(service_process), "variables": ["DATABASE_URL", "API_TOKEN"]},
        {"environment_file": str(env_file), "variables": ["DATABASE_URL", "LOG_LEVEL"]},
    ]
    run = _run(pytester, "environment", {"host_required_env": good})
    assert run.outcomes() == {"HOST-ENV-SET[box]": "passed"}, run.items
    assert run.evidence("HOST-ENV-SET[box]")[0]["observed"] == {
        "DATABASE_URL": True,
        "API_TOKEN": True,
    }

    bad = [
        {"pidfile": str(service_process), "variables": ["DATABASE_URL", "SENTRY_DSN"]},
        {"environment_file": str(env_file), "variables": ["API_TOKEN"]},
        {"pidfile": str(tmp_path / "gone.pid"), "variables": ["X"]},
        {"service": "readiness-demo", "variables": ["X"]},
        {"variables": ["X"]},
    ]
    run = _run(pytester, "environment", {"host_required_env": bad})
    item = run.items["HOST-ENV-SET[box]"]
    assert item["outcome"] == "failed"
    problems = item["message"].split("; ")
    assert problems[:3] == [
        "host_required_env entry 5: give one of service, pidfile, environment_file "
        "and a non-empty variables list",
        f"pidfile {service_process}: SENTRY_DSN not defined",  # only in another value
        f"environment_file {env_file}: API_TOKEN not defined",
    ]
    assert problems[3].startswith(f"pidfile {tmp_path / 'gone.pid'}: cannot read its environment")
    # no systemd here: systemctl says so; with systemd the unknown unit is not running
    assert problems[4].startswith("service readiness-demo: cannot read its environment (")
    for secret in (DB_URL, TOKEN, "s3cr3t", "inside a value"):
        assert secret not in json.dumps(run.data)
        assert secret not in run.result.stdout.str()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """Log files, a logrotate configuration covering some of them, and journald configs."""
    for name in (
        "app/api.log",
        "app/errors.out",
        "app/debug.txt",
        "legacy.log",
        "worker.log",
        "cron.log",
    ):
        _write(tmp_path / "log" / name, 10)
    etc = tmp_path / "etc"
    (etc / "logrotate.d").mkdir(parents=True)
    (etc / "logrotate.conf").write_text(
        f"# global defaults\nweekly\nrotate 4\ninclude {etc}/logrotate.d\n\n"
        f'"{tmp_path}/log/legacy.log" {{\n    missingok\n}}\n'
    )
    (etc / "logrotate.d" / "app").write_text(
        textwrap.dedent(f"""\
        {tmp_path}/log/app/*.log
        {tmp_path}/log/app/*.out {{
            daily
            postrotate
                echo "reopen {{ }}" >/dev/null
            endscript
        }}
        """)
    )
    # a rule file linked into the included folder counts, as logrotate reads it
    (etc / "cron.rule").write_text(f"{tmp_path}/log/cron.log {{\n    monthly\n}}\n")
    (etc / "logrotate.d" / "cron").symlink_to(etc / "cron.rule")
    # logrotate skips .dpkg-old files in an included folder, and so must the check
    (etc / "logrotate.d" / "worker.dpkg-old").write_text(f"{tmp_path}/log/worker.log {{\n}}\n")
    (etc / "journald.conf").write_text("[Journal]\nStorage=persistent\n")
    (etc / "journald.conf.d").mkdir()
    (etc / "journald.conf.d" / "size.conf").write_text("[Journal]\nSystemMaxUse=500M\n")
    (etc / "bare-journald.conf").write_text("[Journal]\n#SystemMaxUse=\n")
    return tmp_path


def _logrotate_considers(conf: Path, state: Path) -> set[str]:
    """The logs the real logrotate would rotate, from its --debug output (changes nothing)."""
    done = subprocess.run(
        ["logrotate", "--debug", "--state", str(state), str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    prefix = "considering log "
    return {line[len(prefix) :] for line in done.stderr.splitlines() if line.startswith(prefix)}


def test_logrotate_and_journald_good_and_bad(pytester: pytest.Pytester, logs: Path) -> None:
    conf = logs / "etc" / "logrotate.conf"
    rotated = _logrotate_considers(conf, logs / "state")
    logged = ("app/api.log", "app/errors.out", "legacy.log", "cron.log")
    assert rotated == {f"{logs}/log/{n}" for n in logged}
    settings = {"host_logrotate_conf": str(conf)}
    good = {
        **settings,
        "host_log_paths": [
            f"{logs}/log/app/*.log",
            f"{logs}/log/legacy.log",
            f"{logs}/log/cron.log",
            "journald",
        ],
        "host_journald_conf": str(logs / "etc" / "journald.conf"),
    }
    run = _run(pytester, "rotated", good)
    assert run.outcomes() == {"HOST-LOGROTATE[box]": "passed"}, run.items
    coverage = run.evidence("HOST-LOGROTATE[box]")[0]["observed"]
    assert set(coverage) == {f"{logs}/log/{n}" for n in ("app/api.log", "legacy.log", "cron.log")}
    assert set(coverage) <= rotated  # the check and logrotate agree
    assert run.evidence("HOST-LOGROTATE[box]")[1]["observed"] == "500M"

    bad = {
        **settings,
        "host_log_paths": [f"{logs}/log/app/*", f"{logs}/log/worker.log", "journald"],
        "host_journald_conf": str(logs / "etc" / "bare-journald.conf"),
    }
    run = _run(pytester, "rotated", bad)
    item = run.items["HOST-LOGROTATE[box]"]
    assert item["outcome"] == "failed"
    uncovered = {f"{logs}/log/app/debug.txt", f"{logs}/log/worker.log"}
    assert not uncovered & rotated
    assert item["message"] == (
        f"no logrotate rule in {conf} covers {logs}/log/app/debug.txt, {logs}/log/worker.log; "
        f"SystemMaxUse= is not set in {logs}/etc/bare-journald.conf or its drop-ins"
    )
    assert "SystemMaxUse" in item["remediation"]


def test_unconfigured_host_checks_are_not_applicable(pytester: pytest.Pytester) -> None:
    run = run_checks(pytester, _profile({}), "test_host.py", args=("-k", "not ports"))
    assert set(run.outcomes().values()) == {"skipped"}
    assert run.items["HOST-ENV-SET[box]"]["message"].startswith("N/A: no required environment")
