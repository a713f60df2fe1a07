"""Secrets: which values are secret, and hiding them in everything that leaves the process.

One place knows the run's secrets: values from the environment (``${VAR}`` in the config),
target settings the connector registry marks secret, passwords and tokens inside URLs and DSNs,
and the values of credential-like headers and query parameters (:data:`SECRET_NAMES`).
Connectors add what they learn later (refreshed tokens). Every message, report, pytest
failure report and verdict passes through :class:`Redactor` before it is shown or written;
pytest's reports are also made printable and bounded here (:class:`ReportRedactor`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pluggy

from pytest_readiness.model import EvidenceRecord, ItemResult, Verdict
from pytest_readiness.registry import CONNECTORS
from pytest_readiness.text import STORED_LIMIT, capped, printable

if TYPE_CHECKING:
    import pytest

    from pytest_readiness.config import Profile
    from pytest_readiness.connectors.base import Target

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SECRET_NAMES",
    "OutputRedactor",
    "Redactor",
    "ReportRedactor",
    "is_secret_name",
    "redact_verdict",
    "redactor_for",
]

MASK = "***"

#: Shorter values would mask ordinary words and numbers everywhere; see docs/configuration.md.
MIN_SECRET_LENGTH = 4

#: A header, query parameter or setting whose name contains one of these holds a credential
#: ("auth" covers Authorization and Proxy-Authorization, "key" X-Api-Key and apikey).
SECRET_NAMES = (
    "auth",
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "cookie",
    "session",
    "signature",
    "credential",
)

#: URL schemes of NATS servers: ``nats://TOKEN@host`` carries a token as its only user info.
_TOKEN_USER_SCHEMES = ("nats", "tls", "ws", "wss")

_KEYWORD_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether a header, parameter or setting called ``name`` holds a credential."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_NAMES)


class Redactor:
    """Replaces every known secret by ``***``; cheap when there is nothing to hide."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < MIN_SECRET_LENGTH or secret in self._secrets:
            return
        self._secrets.add(secret)
        # Quoted and percent-encoded forms of the secret show up in reprs and URLs.
        for variant in (repr(secret)[1:-1], unquote(secret), quote(secret, safe="")):
            if len(variant) >= MIN_SECRET_LENGTH:
                self._secrets.add(variant)
        self._pattern = None

    def add_credential(self, value: str | None) -> None:
        """A header value such as ``Bearer abc``: the whole value and the credential alone."""
        if not value:
            return
        self.add(value)
        self.add(value.partition(" ")[2].strip() or None)

    def add_from_url(self, url: str | None) -> None:
        """The secrets inside a URL or keyword DSN: ``user:password@``, a NATS token
        (``nats://TOKEN@host``), credential-like query parameters and ``password=...``."""
        if not url:
            return
        try:
            parts = urlsplit(url)
            password, username = parts.password, parts.username
        except ValueError:
            parts, password, username = None, None, None
        if password:
            self.add(password)
            self.add(unquote(password))
        elif username and parts is not None and parts.scheme.lower() in _TOKEN_USER_SCHEMES:
            self.add(username)
            self.add(unquote(username))
        if parts is not None:
            for name, value in parse_qsl(parts.query):
                if is_secret_name(name):
                    self.add(value)
        for match in _KEYWORD_PASSWORD.finditer(url):
            value = match.group(1)
            if value.startswith("'") and value.endswith("'"):
                value = value[1:-1].replace("\\'", "'").replace("\\\\", "\\")
            self.add(value)

    def add_target(self, target: Target) -> None:
        """Every secret in a target's settings, known before anything connects: settings the
        registry marks secret, credential-like entries of mappings it marks (headers), and
        passwords and tokens in any URL or DSN."""
        connector = CONNECTORS.get(target.kind)
        for name, value in target.settings.items():
            setting = connector.setting(name) if connector else None
            if setting is None:  # not declared (a hand-made target): judge by the name
                secret, by_entry = is_secret_name(name), True
            else:
                secret, by_entry = setting.secret, setting.secret_entries
            self._add_setting(value, secret=secret, by_entry=by_entry)

    def _add_setting(self, value: Any, *, secret: bool, by_entry: bool) -> None:
        if isinstance(value, str):
            if secret:
                self.add_credential(value)
            elif "://" in value or "password" in value.lower():
                self.add_from_url(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                entry_secret = secret or (by_entry and is_secret_name(str(key)))
                self._add_setting(item, secret=entry_secret, by_entry=by_entry)
        elif isinstance(value, list | tuple):
            for item in value:
                self._add_setting(item, secret=secret, by_entry=by_entry)

    def redact(self, text: str) -> str:
        if not self._secrets or not text:
            return text
        if self._pattern is None:
            # Longest first so that a secret containing another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern.sub(MASK, text)

    def redact_value(self, value: object) -> object:
        """Redact strings inside JSON-like values, leaving numbers and booleans alone."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(v) for v in value]
        return value


def redactor_for(profile: Profile) -> Redactor:
    """The run's redactor: the profile's ${ENV} values and every target's secrets."""
    redactor = Redactor(profile.secrets)
    for targets in profile.targets.values():
        for target in targets:
            redactor.add_target(target)
    return redactor


# -- what leaves the process ------------------------------------------------------------------


def redact_verdict(verdict: Verdict, redactor: Redactor) -> Verdict:
    """Mask secrets in everything free-form a check produced: messages and evidence."""
    if not redactor.secrets:
        return verdict
    items = tuple(_redact_item(item, redactor) for item in verdict.items)
    reasons = tuple(redactor.redact(r) for r in verdict.reasons)
    return replace(verdict, items=items, reasons=reasons)


def _redact_item(item: ItemResult, redactor: Redactor) -> ItemResult:
    evidence = tuple(
        EvidenceRecord(
            label=redactor.redact(e.label) if e.label else e.label,
            observed=redactor.redact_value(e.observed),
            expected=redactor.redact_value(e.expected),
            details=_as_dict(redactor.redact_value(e.details)),
        )
        for e in item.evidence
    )
    spec = item.spec
    spec = replace(  # a ${ENV} secret may reach an id or a title through parametrize or a marker
        spec,
        id=redactor.redact(spec.id),
        nodeid=redactor.redact(spec.nodeid),
        title=redactor.redact(spec.title),
        section=redactor.redact(spec.section),
    )
    return replace(item, spec=spec, message=redactor.redact(item.message), evidence=evidence)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# pytest's own hookimpl marker, made without importing pytest: the core stays pytest-free.
_hookimpl = pluggy.HookimplMarker("pytest")


class ReportRedactor:
    """Plugin cleaning pytest's own reports before anything prints or ships them.

    Failure tracebacks (also with ``--showlocals``), the short summary, captured output and
    collection errors pass through here on the process that made the report (single process
    or xdist worker), so the terminal, JUnit, pytest-html and the xdist controller only ever
    see ``***`` for a secret, visible escapes (``\\x1b``) for control characters, no lone
    surrogate, and at most 64 KiB per string. Costs nothing for passing tests without
    captured output.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @_hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.longrepr is not None or report.sections or getattr(report, "wasxfail", None):
            self.scrub(report)

    @_hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.longrepr is not None:
            self.scrub(report)

    def scrub(self, report: Any) -> None:
        report.longrepr = _scrub(report.longrepr, self.clean, set())
        report.sections = [(name, self.clean(text)) for name, text in report.sections]
        reason = getattr(report, "wasxfail", None)
        if isinstance(reason, str):  # the xfail reason: shown by -rx and -v, kept by reports
            report.wasxfail = self.clean(reason)

    def clean(self, text: str) -> str:
        """Masked before it is cut (a cut must not split a secret), cut before it is escaped
        (escaping a 10 MB string first would cost for nothing)."""
        return printable(capped(self.redactor.redact(text), STORED_LIMIT), keep_lines=True)


def _scrub(value: Any, clean: Callable[[str], str], seen: set[int]) -> Any:
    """Clean every string inside pytest's failure representation objects, in place where possible."""
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, int | float | bool) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        value[:] = [_scrub(v, clean, seen) for v in value]
        return value
    if isinstance(value, tuple):
        return tuple(_scrub(v, clean, seen) for v in value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _scrub(value[key], clean, seen)
        return value
    if type(value).__module__.startswith("_pytest") and hasattr(value, "__dict__"):
        for key, item in list(vars(value).items()):
            object.__setattr__(value, key, _scrub(item, clean, seen))
    return value


class OutputRedactor:
    """Masks secrets where pytest itself prints or writes, beyond test reports: the warnings
    summary, log records (live logs, ``--log-file``, captured logs) and parametrize ids made
    from values. Registered in every process of a readiness run."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.filter = _RedactingFilter(redactor)

    @_hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        text = str(warning_message.message)
        masked = self.redactor.redact(text)
        if masked != text:
            warning_message.message = type(warning_message.message)(masked)

    @_hookimpl(tryfirst=True)
    def pytest_make_parametrize_id(self, val: object, argname: str) -> str | None:
        text = str(val)
        return f"{argname}-{MASK}" if self.redactor.redact(text) != text else None

    def guard_terminal(self, writer: Any) -> None:
        """Everything pytest prints goes through one TerminalWriter: mask in its ``write``
        (fixture parameters under ``--setup-show``, reprs, anything a plugin prints)."""
        if not self.redactor.secrets:
            return
        write = writer.write
        redact = self.redactor.redact

        def masked_write(text: str, **markup: Any) -> None:
            write(redact(text), **markup)

        writer.write = masked_write

    @_hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: Any) -> None:
        """Before the header: the terminal writer, and the handlers of pytest's logging plugin
        that every record passes through."""
        if session.config.pluginmanager.get_plugin("terminalreporter") is not None:
            self.guard_terminal(session.config.get_terminal_writer())
        logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("log_cli_handler", "log_file_handler", "caplog_handler", "report_handler"):
            handler = getattr(logging_plugin, name, None)
            if isinstance(handler, logging.Handler):
                handler.addFilter(self.filter)


class _RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if self.redactor.secrets:
            message = record.getMessage()
            masked = self.redactor.redact(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True
