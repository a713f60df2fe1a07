"""Built-in checks of hosts: fresh files (backups), open ports, a service's environment, log
rotation.

Every check runs once per ``hosts`` target through its testinfra backend (local, ssh, docker,
...), with read-only commands only: ``find``/``stat``, ``ss``, ``cut``/``sed`` and ``cat``.
The commands assume a Linux host with GNU coreutils and findutils.
"""

from __future__ import annotations

import posixpath
from typing import Any

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.hosts import TargetHost

from ._host import (
    ENV_FILE_COMMAND,
    FILES_COMMAND,
    GLOB_FILES_COMMAND,
    JOURNALD,
    PIDFILE_COMMAND,
    SERVICE_COMMAND,
    EnvRequirement,
    HostFile,
    env_requirements,
    find_arguments,
    glob_matches,
    included,
    journald_settings,
    parse_files,
    parse_listener,
    parse_logrotate,
    port_allowed,
    variable_names,
)

DOMAIN = "hosts"
TARGET_KIND = "hosts"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "HOST-FILE-FRESH": {"host_fresh_files": []},
    "HOST-OPEN-PORTS": {"host_allowed_ports": ["tcp/22"], "host_ports_include_loopback": False},
    "HOST-ENV-SET": {"host_required_env": []},
    "HOST-LOGROTATE": {
        "host_log_paths": [],
        "host_logrotate_conf": "/etc/logrotate.conf",
        "host_journald_conf": "/etc/systemd/journald.conf",
    },
}
SECTION = "Hosts"
#: how deep logrotate includes are followed (logrotate itself refuses loops)
MAX_INCLUDE_DEPTH = 5


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _files(target_host: TargetHost, pattern: str) -> tuple[int | None, list[HostFile]]:
    """The host's clock and the files a path or glob names there."""
    base, glob = find_arguments(pattern)
    if glob:
        result = target_host.run(GLOB_FILES_COMMAND, base, glob)
    else:
        result = target_host.run(FILES_COMMAND, base)
    return parse_files(result.stdout)


@pytest.mark.critical(
    id="HOST-FILE-FRESH",
    section=SECTION,
    remediation="make the job that writes these files (e.g. the nightly backup) run and succeed; thresholds.host_fresh_files sets paths, max_age_hours and min_bytes",
)
def test_host_files_are_fresh(
    target_host: TargetHost, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Expected files (backups, exports) are recent

    For each entry of ``host_fresh_files`` (``{path, max_age_hours, min_bytes}``; ``path`` a
    file, a folder, or a glob where ``*`` also crosses folders) at least one file is younger
    than ``max_age_hours`` (default 24) by the host's clock and, with ``min_bytes``, at least
    that large.
    """
    entries = _threshold(readiness, "HOST-FILE-FRESH", "host_fresh_files")
    if not entries:
        pytest.skip("N/A: no files to watch configured (thresholds.host_fresh_files)")
    problems: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("path"):
            problems.append(f"host_fresh_files entry {entry!r} has no path")
            continue
        path = str(entry["path"])
        max_age = float(entry.get("max_age_hours", 24))
        min_bytes = int(entry.get("min_bytes", 0))
        now, files = _files(target_host, path)
        if now is None:
            problems.append(f"{path}: the host's clock could not be read")
            continue
        good = [f for f in files if now - f.mtime <= max_age * 3600 and f.size >= min_bytes]
        newest = max(files, key=lambda f: f.mtime, default=None)
        evidence(
            path,
            observed={
                "files": len(files),
                "fresh_and_large_enough": len(good),
                "newest": newest.path if newest else None,
                "newest_age_hours": round((now - newest.mtime) / 3600, 2) if newest else None,
                "newest_bytes": newest.size if newest else None,
            },
            expected={"max_age_hours": max_age, "min_bytes": min_bytes},
        )
        if not files:
            problems.append(f"{path}: no file")
        elif not good:
            assert newest is not None
            age = (now - newest.mtime) / 3600
            problems.append(
                f"{path}: no file under {max_age:g} h"
                + (f" and {min_bytes} bytes" if min_bytes else "")
                + f" (newest {newest.path}, {age:.1f} h old, {newest.size} bytes)"
            )
    assert not problems, "; ".join(problems)


@pytest.mark.important(
    id="HOST-OPEN-PORTS",
    section=SECTION,
    remediation="stop or firewall the unexpected listeners, bind internal ones to 127.0.0.1, or add them to thresholds.host_allowed_ports",
)
def test_host_listening_ports_are_allowed(
    target_host: TargetHost, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Only expected ports are listening

    Every TCP and UDP socket listening on the host (read with ``ss``) is covered by
    ``host_allowed_ports`` (``tcp/22``, ``udp/53``, ``tcp/8000-8099``, or a bare port for both
    protocols). Sockets bound to loopback only are not reachable from elsewhere and are left
    out unless ``host_ports_include_loopback`` is true.
    """
    allowed = _threshold(readiness, "HOST-OPEN-PORTS", "host_allowed_ports")
    loopback = bool(_threshold(readiness, "HOST-OPEN-PORTS", "host_ports_include_loopback"))
    listeners = [
        parsed
        for url in target_host.client.socket.get_listening_sockets()
        if (parsed := parse_listener(url)) is not None
    ]
    judged = sorted({s for s in listeners if loopback or not s.loopback}, key=str)
    unexpected = [str(s) for s in judged if not port_allowed(s, allowed)]
    evidence(
        "unexpected listeners",
        observed=unexpected,
        expected=[],
        allowed=allowed,
        listening=[str(s) for s in judged],
        loopback_only_skipped=0 if loopback else len({s for s in listeners if s.loopback}),
    )
    assert not unexpected, f"{len(unexpected)} listeners not allowed: {', '.join(unexpected[:20])}"


def _env_names(target_host: TargetHost, requirement: EnvRequirement) -> tuple[set[str], str]:
    """The variable names the source defines, or the reason they could not be read."""
    command = {
        "service": SERVICE_COMMAND,
        "pidfile": PIDFILE_COMMAND,
        "environment_file": ENV_FILE_COMMAND,
    }[requirement.source]
    result = target_host.run(command, requirement.location)
    if result.rc != 0:
        reason = " ".join(result.stderr.split()) or f"exit status {result.rc}"
        return set(), reason[:200]
    return variable_names(result.stdout), ""


@pytest.mark.important(
    id="HOST-ENV-SET",
    section=SECTION,
    remediation="define the missing variables in the service's environment (systemd Environment=/EnvironmentFile=, or its start script) and restart it; thresholds.host_required_env",
)
def test_host_service_environment_defines_required_variables(
    target_host: TargetHost, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Services run with their required environment variables

    Each entry of ``host_required_env`` names one source and the ``variables`` it must
    define: ``service`` (the environment of the systemd unit's running main process),
    ``pidfile`` (the process whose pid the file holds, through /proc/<pid>/environ), or
    ``environment_file`` (KEY=VALUE lines). Only names are read: values are cut off on the
    host and never reach the report. Reading another user's process needs the target's sudo.
    """
    requirements, problems = env_requirements(
        _threshold(readiness, "HOST-ENV-SET", "host_required_env")
    )
    if not requirements and not problems:
        pytest.skip("N/A: no required environment configured (thresholds.host_required_env)")
    for requirement in requirements:
        names, unreadable = _env_names(target_host, requirement)
        missing = [v for v in requirement.variables if v not in names]
        evidence(
            requirement.label,
            observed={v: v in names for v in requirement.variables} if not unreadable else None,
            expected="every variable defined",
            error=unreadable or None,
        )
        if unreadable:
            problems.append(f"{requirement.label}: cannot read its environment ({unreadable})")
        elif missing:
            problems.append(f"{requirement.label}: {', '.join(missing)} not defined")
    assert not problems, "; ".join(problems)


def _read(target_host: TargetHost, path: str) -> str | None:
    result = target_host.run("cat %s", path)
    return result.stdout if result.rc == 0 else None


def _logrotate_patterns(target_host: TargetHost, main: str) -> tuple[list[str], list[str]]:
    """Every rule pattern of the main config and its includes; and what could not be read."""
    patterns: list[str] = []
    problems: list[str] = []
    queue, seen = [(main, 0)], set()
    while queue:
        path, depth = queue.pop(0)
        if path in seen or depth > MAX_INCLUDE_DEPTH:
            continue
        seen.add(path)
        if target_host.run("test -d %s", path).rc == 0:
            listing = target_host.run("find -L %s -mindepth 1 -maxdepth 1 -type f", path)
            names = [posixpath.basename(p) for p in listing.stdout.splitlines() if p]
            queue += [(posixpath.join(path, n), depth + 1) for n in included(names)]
            continue
        text = _read(target_host, path)
        if text is None:
            problems.append(f"{path} is not readable")
            continue
        config = parse_logrotate(text, path)
        patterns += config.patterns
        problems += config.problems
        queue += [(i, depth + 1) for i in config.includes]
    return patterns, problems


@pytest.mark.important(
    id="HOST-LOGROTATE",
    section=SECTION,
    remediation="add a logrotate rule (e.g. /etc/logrotate.d/<app>) for the log paths, or set SystemMaxUse= in journald.conf for journald; thresholds.host_log_paths",
)
def test_host_logs_are_rotated(
    target_host: TargetHost, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Logs are rotated

    Every log file matching a path or glob of ``host_log_paths`` (or the path itself, when no
    file exists yet) is matched by a rule of ``host_logrotate_conf`` or a file it includes.
    The entry ``journald`` asks instead that journald.conf (``host_journald_conf``, with its
    ``.d/*.conf`` drop-ins) limits the journal's disk use with ``SystemMaxUse=``.
    """
    check = "HOST-LOGROTATE"
    paths = _threshold(readiness, check, "host_log_paths")
    if not paths:
        pytest.skip("N/A: no log paths configured (thresholds.host_log_paths)")
    problems: list[str] = []
    files = [str(p) for p in paths if str(p) != JOURNALD]
    if files:
        main = str(_threshold(readiness, check, "host_logrotate_conf"))
        patterns, unreadable = _logrotate_patterns(target_host, main)
        problems += unreadable
        coverage: dict[str, str | None] = {}
        for path in files:
            logs = [f.path for f in _files(target_host, path)[1]] or [path]
            for log in logs:
                coverage[log] = next((p for p in patterns if glob_matches(log, p)), None)
        uncovered = [log for log, rule in coverage.items() if rule is None]
        evidence("logrotate", observed=coverage, expected="a rule for each", rules=len(patterns))
        if uncovered:
            problems.append(f"no logrotate rule in {main} covers {', '.join(uncovered[:10])}")
    if JOURNALD in paths:
        conf = str(_threshold(readiness, check, "host_journald_conf"))
        drop_ins = target_host.run("find %s -maxdepth 1 -name '*.conf' -type f", conf + ".d")
        sources = [conf, *sorted(drop_ins.stdout.split())]
        texts = [t for t in (_read(target_host, s) for s in sources) if t is not None]
        limit = journald_settings(texts).get("SystemMaxUse", "")
        evidence("journald SystemMaxUse", observed=limit or None, expected="set", files=sources)
        if not texts:
            problems.append(f"{conf} is not readable")
        elif not limit:
            problems.append(f"SystemMaxUse= is not set in {conf} or its drop-ins")
    assert not problems, "; ".join(problems)
