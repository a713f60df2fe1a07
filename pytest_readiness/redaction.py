"""Secret redaction: one place that knows the run's secrets and hides them in any text.

Secrets are values that came from the environment through ``${VAR}`` in the config, and
passwords found in DSNs and URLs of targets. Every report and message passes through
:meth:`Redactor.redact` before it leaves the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"

#: Shorter values would mask ordinary words and numbers everywhere; see docs/configuration.md.
MIN_SECRET_LENGTH = 4

_KEYWORD_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


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
        for variant in (repr(secret)[1:-1], unquote(secret)):
            if len(variant) >= MIN_SECRET_LENGTH:
                self._secrets.add(variant)
        self._pattern = None

    def add_from_url(self, url: str | None) -> None:
        """Register the password of ``scheme://user:password@host`` or ``password=...`` DSNs."""
        if not url:
            return
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            self.add(password)
            self.add(unquote(password))
        for match in _KEYWORD_PASSWORD.finditer(url):
            value = match.group(1)
            if value.startswith("'") and value.endswith("'"):
                value = value[1:-1].replace("\\'", "'").replace("\\\\", "\\")
            self.add(value)

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
