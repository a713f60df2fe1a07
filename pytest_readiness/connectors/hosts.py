"""Hosts inspected through testinfra: local, ssh, docker, kubectl (any testinfra backend).

Its settings are declared in :mod:`~pytest_readiness.registry` (``spec``
is a testinfra host spec).

``connect()`` runs ``true`` on the host once. The ssh and paramiko backends get the target's
timeout as their connect timeout (and ssh runs with ``BatchMode=yes``, so it never prompts);
for backends without one (docker, kubectl, local with sudo) connect() stops waiting after the
timeout. The local backend without sudo is not probed: there is nothing to reach or log in to,
and ``true`` in this machine's shell would only cost a process per run.
Checks inspect, they do not change: :meth:`TargetHost.run` is for read-only commands.
"""

from __future__ import annotations

import math
import threading
from typing import Any
from urllib.parse import urlsplit

from pytest_readiness.connectors.base import Target, fail
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

__all__ = ["TargetHost", "connect"]

_SSH = ("ssh", "safe-ssh")
_CONNECT_TIMEOUT = ("ssh", "safe-ssh", "paramiko")
_AUTH_WORDS = (
    "permission denied",
    "authentication",
    "unauthorized",
    "forbidden",
    "password is required",
    "host key verification failed",
)
#: Extra wait beyond the timeout for backends that enforce it themselves, so that their own,
#: more precise error arrives first.
_GRACE = 1.0


class TargetHost:
    """The facade of a host; ``client`` is the ``testinfra.host.Host``.

    The convenience methods return testinfra's own modules (``File``, ``Service``, ...), so
    their attributes run commands when read.
    """

    def __init__(self, target: Target, redactor: Redactor, host: Any, spec: str) -> None:
        self.target = target
        self.client = host
        self.spec = spec
        self._redactor = redactor

    @property
    def backend(self) -> str:
        """The testinfra connection type: ``local``, ``ssh``, ``docker``, ``kubectl``, ..."""
        return str(self.client.backend.get_connection_type())

    def file(self, path: str) -> Any:
        return self.client.file(path)

    def service(self, name: str) -> Any:
        return self.client.service(name)

    def package(self, name: str) -> Any:
        return self.client.package(name)

    def socket(self, spec: str) -> Any:
        """A listening socket, e.g. ``tcp://0.0.0.0:443`` or ``unix:///run/app.sock``."""
        return self.client.socket(spec)

    def run(self, command: str, *args: str) -> Any:
        """Run a read-only command (``%s`` placeholders are quoted from ``args``).

        Returns testinfra's ``CommandResult`` (``rc``, ``stdout``, ``stderr``, ``succeeded``).
        A lost ssh connection raises Unreachable rather than a bare ``RuntimeError``.
        """
        try:
            return self.client.run(command, *args)
        except RuntimeError as exc:
            raise _failure(
                self.target, self._redactor, _stderr_of(exc), "run a command on"
            ) from None

    def close(self) -> None:
        """Close a paramiko connection; the command-line backends hold none open."""
        backend = self.client.backend
        if backend.get_connection_type() == "paramiko" and "client" in vars(backend):
            backend.client.close()


def connect(target: Target, redactor: Redactor) -> TargetHost:
    """Build the testinfra host for a ``hosts`` target and check that it runs ``true``."""
    import testinfra

    spec = target.settings.get("spec")
    if not isinstance(spec, str) or not spec:
        raise ConfigError(
            str(target),
            "spec",
            "expected a testinfra host spec",
            "e.g. local://, ssh://user@host, docker://container",
        )
    redactor.add_from_url(spec)
    kwargs: dict[str, Any] = {}
    if target.settings.get("sudo"):
        kwargs["sudo"] = True
    if target.settings.get("sudo_user"):
        kwargs["sudo_user"] = str(target.settings["sudo_user"])
    scheme = spec.partition("://")[0] if "://" in spec else "paramiko"
    if scheme in _CONNECT_TIMEOUT:
        kwargs["timeout"] = max(1, math.ceil(target.timeout))
    userinfo = urlsplit(spec).netloc.rpartition("@")[0]
    if scheme in _SSH and ":" not in userinfo:  # with a password, sshpass answers the prompt
        kwargs["ssh_extra_args"] = "-o BatchMode=yes"
    try:
        host = testinfra.get_host(spec, **kwargs)
    except (RuntimeError, ImportError) as exc:
        raise ConfigError(
            str(target),
            "spec",
            redactor.redact(str(exc)),
            "check the backend name and install its driver",
        ) from None
    facade = TargetHost(target, redactor, host, spec)
    if _needs_probe(host):
        wait = target.timeout + (_GRACE if scheme in _CONNECT_TIMEOUT else 0)
        _probe(facade, redactor, wait=wait)
    return facade


def _needs_probe(host: Any) -> bool:
    """Whether reaching the host can fail: anything but the local shell without sudo (sudo
    may want a password). Read from the backend, since the spec's query may also set sudo."""
    backend = host.backend
    return bool(backend.get_connection_type() != "local" or backend.sudo)


def _probe(host: TargetHost, redactor: Redactor, wait: float) -> None:
    """Run ``true`` in a helper thread, so a backend without a timeout cannot hang connect."""
    outcome: list[Any] = []

    def attempt() -> None:
        try:
            outcome.append(host.client.run("true"))
        except Exception as exc:  # reported below, in the caller's thread
            outcome.append(exc)

    worker = threading.Thread(
        target=attempt, name=f"readiness-probe-{host.target.name}", daemon=True
    )
    worker.start()
    worker.join(wait)
    if not outcome:
        raise fail(host.target, redactor, "timed out", kind=TimedOut)
    result = outcome[0]
    if isinstance(result, RuntimeError):  # testinfra's ssh backend: exit status 255
        raise _failure(host.target, redactor, _stderr_of(result), "connect to")
    if isinstance(result, Exception):
        raise _failure(host.target, redactor, f"{type(result).__name__}: {result}", "connect to")
    if result.rc != 0:
        raise _failure(
            host.target, redactor, result.stderr or f"exit status {result.rc}", "connect to"
        )


def _stderr_of(exc: RuntimeError) -> str:
    result = exc.args[0] if exc.args else None
    return str(getattr(result, "stderr", "") or exc)


def _failure(target: Target, redactor: Redactor, stderr: str, action: str) -> ConnectorError:
    """Classify what the backend printed; the last meaningful line is the cause."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    cause = " ".join(lines[-1].split()) if lines else "unknown error"
    cause = cause if len(cause) <= 200 else cause[:197] + "..."
    text = stderr.lower()
    kind: type[ConnectorError] = Unreachable
    if any(word in text for word in _AUTH_WORDS):
        kind = AuthFailed
    elif "timed out" in text or "timeout" in text:
        kind = TimedOut
    return fail(target, redactor, cause, kind=kind, action=action)
