"""Exceptions of pytest-readiness, stdlib only.

Messages follow one shape: ``<what failed> <where>: <observed>; <fix>.`` and never contain
a secret (connector messages pass through :mod:`pytest_readiness.redaction` first).
"""

from __future__ import annotations


class ReadinessError(Exception):
    """Base of every error the plugin raises on purpose."""


class ConfigError(ReadinessError):
    """The readiness config cannot be used: the run stops with exit status 4."""

    def __init__(self, source: str, key: str | None, problem: str, fix: str | None = None) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        self.fix = fix
        where = f"{source}: {key}" if key else source
        text = f"{where}: {problem}"
        if fix:
            text += f"; {fix}"
        super().__init__(text)


class MarkerError(ReadinessError):
    """A severity marker is misused on a test (two severities, unknown keyword, bad weight)."""


class ConnectorError(ReadinessError):
    """A target could not be used; the checks depending on it end as ``error``."""


class Unreachable(ConnectorError):
    """The target did not accept a connection (refused, DNS, TLS handshake, timeout)."""


class AuthFailed(ConnectorError):
    """The target answered but refused the credentials."""


class TimedOut(Unreachable):
    """The target accepted the connection but did not answer within the timeout."""


class MissingExtra(ReadinessError):
    """An optional driver is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"the {module!r} package is missing; install it with "
            f"pip install 'pytest-readiness[{extra}]'"
        )
