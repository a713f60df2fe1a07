"""Pure helpers of the host checks: the read-only shell commands they send, and what they make
of the output (file listings, listening sockets, variable names, logrotate and journald rules).

The commands print only what a check judges: file times and sizes, socket addresses, and the
*names* of environment variables (their values are cut off on the host, so a secret never
reaches this process).
"""

from __future__ import annotations

import configparser
import fnmatch
import ipaddress
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# -- files ------------------------------------------------------------------------------------

_GLOB_CHARS = re.compile(r"[*?\[]")
_STAT = "-exec stat -c '%%Y %%s %%n' {} +"
#: the host's clock, then "mtime size path" of every file under a path (a symlinked start
#: followed); read-only.
FILES_COMMAND = f"date +%%s; find -H %s -type f {_STAT}"
#: the same for the files under a folder whose path matches a glob (``find -path``).
GLOB_FILES_COMMAND = f"date +%%s; find -H %s -path %s -type f {_STAT}"


def find_arguments(pattern: str) -> tuple[str, str]:
    """(start folder, ``-path`` glob or "") for ``find``: a plain path is searched whole (a
    file, or every file under a folder); a glob starts at its last folder without wildcards and
    matches with ``find -path``, where ``*`` also crosses folders."""
    parts = pattern.rstrip("/").split("/")
    first_glob = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), None)
    if first_glob is None:
        return pattern, ""
    base = "/".join(parts[:first_glob]) or "/"
    return base, pattern


@dataclass(frozen=True)
class HostFile:
    path: str
    mtime: int
    size: int


def parse_files(stdout: str) -> tuple[int | None, list[HostFile]]:
    """The host's clock (epoch seconds) and the files of :data:`FILES_COMMAND`'s output."""
    lines = stdout.splitlines()
    now = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    files = []
    for line in lines[1:]:
        mtime, _, rest = line.partition(" ")
        size, _, path = rest.partition(" ")
        if mtime.isdigit() and size.isdigit() and path:
            files.append(HostFile(path, int(mtime), int(size)))
    return now, files


# -- sockets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    protocol: str
    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.protocol}://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.address.split("%", 1)[0]).is_loopback
        except ValueError:  # "*" and interface-bound forms listen beyond loopback
            return False


def parse_listener(socket_url: str) -> Listener | None:
    """``tcp://0.0.0.0:22`` (testinfra's form) as a Listener; None for unix sockets."""
    protocol, _, rest = socket_url.partition("://")
    if protocol not in ("tcp", "udp"):
        return None
    host, _, port = rest.rpartition(":")
    return Listener(protocol, host.strip("[]") or "*", int(port)) if port.isdigit() else None


def port_allowed(listener: Listener, allowed: Iterable[str]) -> bool:
    """Whether an allow-list entry covers the socket: ``tcp/22``, ``udp/53``, ``tcp/8000-8099``,
    or a bare ``443`` for both protocols."""
    for entry in allowed:
        protocol, _, ports = str(entry).rpartition("/")
        if protocol and protocol.lower() != listener.protocol:
            continue
        low, _, high = ports.partition("-")
        try:
            if int(low) <= listener.port <= int(high or low):
                return True
        except ValueError:
            continue
    return False


# -- environment ------------------------------------------------------------------------------

_NAME = "[A-Za-z_][A-Za-z0-9_]*"
#: names assigned in an EnvironmentFile (KEY=VALUE lines, ``export`` allowed); values stay.
ENV_FILE_COMMAND = (
    "sed -n 's/^[[:space:]]*\\(export[[:space:]][[:space:]]*\\)\\{0,1\\}"
    f"\\({_NAME}\\)=.*/\\2/p' %s"
)
# the names of a process's environment: each NUL-ended record cut at its first "=" on the
# host (GNU cut -z), so no part of a value, even one spanning lines, is printed
_ENVIRON = (
    "cut -z -d= -f1 /proc/$pid/environ > /dev/null || exit 6;"
    " cut -z -d= -f1 /proc/$pid/environ | tr '\\0' '\\n'"
)
#: names in a running process's environment, the pid read from a pidfile.
PIDFILE_COMMAND = (
    "pid=$(tr -d ' \\n' < %s) || exit 3;"
    " case $pid in ''|*[!0-9]*) echo 'the pidfile holds no pid' >&2; exit 3;; esac; " + _ENVIRON
)
#: names in the environment of a systemd unit's main process (what it really runs with).
SERVICE_COMMAND = (
    "pid=$(systemctl show -p MainPID --value %s) || exit 4;"
    " if [ \"${pid:-0}\" = 0 ]; then echo 'the service is not running' >&2; exit 5; fi; " + _ENVIRON
)


def variable_names(stdout: str) -> set[str]:
    """The variable names of one of the environment commands' output."""
    return {line.strip() for line in stdout.splitlines() if re.fullmatch(_NAME, line.strip())}


@dataclass(frozen=True)
class EnvRequirement:
    """One ``host_required_env`` entry: where the environment is read and what it must name."""

    source: str  # service, pidfile or environment_file
    location: str
    variables: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.source} {self.location}"


ENV_SOURCES = ("service", "pidfile", "environment_file")


def env_requirements(entries: Iterable[object]) -> tuple[list[EnvRequirement], list[str]]:
    """The well-formed entries, and a problem for each malformed one."""
    found, problems = [], []
    for number, entry in enumerate(entries, 1):
        sources = [s for s in ENV_SOURCES if isinstance(entry, Mapping) and entry.get(s)]
        variables = entry.get("variables") if isinstance(entry, Mapping) else None
        if len(sources) != 1 or not isinstance(variables, list) or not variables:
            problems.append(
                f"host_required_env entry {number}: give one of {', '.join(ENV_SOURCES)} "
                "and a non-empty variables list"
            )
            continue
        assert isinstance(entry, Mapping)
        found.append(EnvRequirement(sources[0], str(entry[sources[0]]), tuple(map(str, variables))))
    return found, problems


# -- logrotate and journald -------------------------------------------------------------------

#: file endings logrotate skips when it includes a folder (its default tabooext list)
TABOO_SUFFIXES = (
    ",v", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
    ".dpkg-old", ".rhn-cfg-tmp-*", ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist",
    ".ucf-new", ".ucf-old", "~",
)  # fmt: skip
_SCRIPTS = ("postrotate", "prerotate", "firstaction", "lastaction", "preremove")


@dataclass
class LogrotateConfig:
    """What one logrotate file declares: the log patterns of its rules and its includes."""

    patterns: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_logrotate(text: str, source: str) -> LogrotateConfig:
    """Rules (``pattern ... { directives }``, patterns possibly on the lines before the brace)
    and ``include`` lines; script sections up to ``endscript`` are skipped whole."""
    config = LogrotateConfig()
    pending: list[str] = []
    in_block = in_script = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if in_script:
            in_script = line.split()[0] != "endscript"
            continue
        if in_block:
            word = line.split()[0]
            if word in _SCRIPTS:
                in_script = True
            elif line.startswith("}"):
                in_block = False
            continue
        head, brace, _ = line.partition("{")
        try:
            words = shlex.split(head)
        except ValueError as exc:
            config.problems.append(f"{source}:{number}: {exc}")
            continue
        if brace:
            config.patterns += pending + words
            pending, in_block = [], True
        elif words and words[0] == "include" and len(words) == 2:
            config.includes.append(words[1])
        elif line[0] in "/\"'~":
            pending += words
    if in_block:
        config.problems.append(f"{source}: a rule's {{ is never closed")
    return config


def included(names: Iterable[str]) -> list[str]:
    """The files logrotate reads from an included folder, in its (sorted) order."""
    return sorted(n for n in names if not any(fnmatch.fnmatch(n, f"*{t}") for t in TABOO_SUFFIXES))


def glob_matches(path: str, pattern: str) -> bool:
    """glob(3) matching as logrotate uses it: wildcards never cross a ``/``."""
    parts, pattern_parts = path.split("/"), pattern.split("/")
    return len(parts) == len(pattern_parts) and all(
        fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pattern_parts, strict=True)
    )


JOURNALD = "journald"


def journald_settings(texts: Iterable[str]) -> dict[str, str]:
    """The ``[Journal]`` settings of journald.conf and its drop-ins, later files winning."""
    settings: dict[str, str] = {}
    for text in texts:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if parser.has_section("Journal"):
            settings.update(parser["Journal"])
    return settings
