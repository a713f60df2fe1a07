"""What a check may know about the run: the active profile's name, thresholds and timeout,
and the profile's waivers limited to one object (``object:``) for checks that list objects.

Pure (no pytest at import), so the public API can be imported by tools that never run pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from pytest_readiness.model import OBJECT_WAIVER_DETAIL, Waiver

_MISSING: Any = object()


@dataclass(frozen=True)
class ReadinessContext:
    """What a check may know about the run: the profile's name, thresholds and timeout."""

    profile: str
    thresholds: Mapping[str, Any]
    timeout: float
    description: str = ""
    waivers: tuple[Waiver, ...] = ()  # the object-scoped ones (``object:``)

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

    def object_waiver(self, check_id: str, obj: str, container: str | None = None) -> Waiver | None:
        """The profile's unexpired waiver of ``check_id`` for this object (``shop/Deployment/api``)
        and container, if any. A check honours it like its own annotations: the finding stays
        in the evidence, marked with :meth:`waived_details`, and does not fail the check."""
        today = date.today()
        for waiver in self.waivers:
            if waiver.until < today or not waiver.covers_object(obj, container):
                continue
            if waiver.id == check_id or fnmatchcase(check_id, waiver.id):
                return waiver
        return None

    @staticmethod
    def waived_details(waiver: Waiver) -> dict[str, str]:
        """Evidence details for a finding ``waiver`` waived; the reports count them as what it
        covered (the waivers section's ``covers``)."""
        return {
            "waived": f"{waiver.reason} (by {waiver.by} until {waiver.until.isoformat()})",
            OBJECT_WAIVER_DETAIL: waiver.scope,
        }
