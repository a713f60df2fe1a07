"""Private Redis (primary, replica, Sentinel) and NATS (single, 3-node cluster) servers from
config files, for the built-in checks' good and bad configurations.

Same rules as :mod:`tests.support.servers`: free loopback ports, fresh temporary directories,
readiness polled against a deadline, and exactly the processes started here stopped by pid.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.datastore_servers import wait_until
from tests.support.ports import LOOPBACK, free_port, port_open
from tests.support.servers import TlsFiles, _binary, _start, _stop, _workdir


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


# -- Redis -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisNode:
    port: int
    pid: int
    workdir: Path


@contextmanager
def redis_node(
    config: str, *, tls: TlsFiles | None = None, sentinel: bool = False
) -> Iterator[RedisNode]:
    """redis-server (or redis-sentinel) with ``config`` appended to a generated redis.conf.

    With ``tls`` a server serves TLS only (``port 0``) and replicates over TLS; a Sentinel
    then talks TLS to the servers it monitors.
    """
    binary = _binary("redis-sentinel" if sentinel else "redis-server", "/usr/bin/redis-server")
    with ExitStack() as stack:
        workdir = stack.enter_context(_workdir("readiness-redisn-"))
        port = free_port()
        lines = [f"bind {LOOPBACK}", f"dir {workdir}", "daemonize no"]
        if tls:
            lines += [
                f"tls-cert-file {tls.cert}", f"tls-key-file {tls.key}", f"tls-ca-cert-file {tls.ca}",
                "tls-auth-clients no", "tls-replication yes",
            ]  # fmt: skip
        # A Sentinel listens in plaintext and speaks TLS to the servers it monitors.
        lines += ["port 0", f"tls-port {port}"] if tls and not sentinel else [f"port {port}"]
        conf = workdir / ("sentinel.conf" if sentinel else "redis.conf")
        conf.write_text("\n".join([*lines, config]) + "\n")
        conf.chmod(0o600)
        proc = _start([binary, str(conf)], workdir / "redis.log", lambda: port_open(port))
        stack.callback(_stop, proc)
        yield RedisNode(port, proc.pid, workdir)


# -- NATS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NatsNode:
    port: int
    monitor_port: int
    pid: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOOPBACK}:{self.monitor_port}"


def healthz_status(node: NatsNode) -> int:
    try:
        with urllib.request.urlopen(f"{node.monitor_url}/healthz", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@contextmanager
def _nats_process(name: str, config: str, ports: tuple[int, int]) -> Iterator[NatsNode]:
    binary = _binary("nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server")
    with ExitStack() as stack:
        workdir = stack.enter_context(_workdir(f"readiness-nats-{name}-"))
        port, monitor = ports
        head = f'server_name: "{name}"\nlisten: "{LOOPBACK}:{port}"\nhttp: "{LOOPBACK}:{monitor}"\n'
        conf = workdir / "nats.conf"
        conf.write_text(head + config.replace("@STORE@", str(workdir / "js")) + "\n")
        conf.chmod(0o600)
        proc = _start(
            [binary, "-c", str(conf)], workdir / "nats.log",
            lambda: port_open(port) and port_open(monitor),
        )  # fmt: skip
        stack.callback(_stop, proc)
        yield NatsNode(port, monitor, proc.pid, workdir)


@contextmanager
def nats_node(config: str = "", *, jetstream: bool = True) -> Iterator[NatsNode]:
    """A single nats-server; ``config`` is appended to its config file."""
    port, monitor = _free_ports(2)
    js = 'jetstream { store_dir: "@STORE@" }\n' if jetstream else ""
    with _nats_process("single", js + config, (port, monitor)) as node:
        yield node


@contextmanager
def nats_cluster(
    config: str = "", *, size: int = 3, start: int | None = None
) -> Iterator[list[NatsNode]]:
    """A JetStream cluster of ``size`` servers on loopback, every one routed to every other;
    ``start`` of them are started (default all: then it waits until all report healthy)."""
    ports = _free_ports(3 * size)
    clients, monitors, routes = ports[:size], ports[size : 2 * size], ports[2 * size :]
    with ExitStack() as stack:
        nodes = []
        for i in range(size if start is None else start):
            others = ", ".join(
                f'"nats-route://{LOOPBACK}:{p}"' for j, p in enumerate(routes) if j != i
            )
            text = (
                'jetstream { store_dir: "@STORE@" }\n'
                f'cluster {{ name: "readiness", listen: "{LOOPBACK}:{routes[i]}", routes: [{others}] }}\n'
                + config
            )
            nodes.append(
                stack.enter_context(_nats_process(f"n{i}", text, (clients[i], monitors[i])))
            )
        if start is None:
            for node in nodes:
                wait_until(lambda node=node: healthz_status(node) == 200, f"{node.url} healthy")  # type: ignore[misc]
        yield nodes
