"""What a check may know about the run: the active profile's name, thresholds and timeout.

Pure (no pytest at import), so the public API can be imported by tools that never run pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True)
class ReadinessContext:
    """What a check may know about the run: the profile's name, thresholds and timeout."""

    profile: str
    thresholds: Mapping[str, Any]
    timeout: float
    description: str = ""

    def threshold(self, name: str, default: Any = _MISSING) -> Any:
        """A threshold from the profile (``thresholds:``), or ``default``; fails clearly if neither."""
        __tracebackhide__ = True
        if name in self.thresholds:
            return self.thresholds[name]
        if default is _MISSING:
            import pytest  # only a running check gets here

            known = ", ".join(sorted(self.thresholds)) or "none"
            pytest.fail(
                f"threshold {name!r} is not set in profile {self.profile!r} (set: {known}); "
                f"add it under profiles.{self.profile}.thresholds",
                pytrace=False,
            )
        return default
