"""Fixtures every readiness check can use: ``evidence`` and ``readiness`` (the active profile)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.config import Profile
from pytest_readiness.evidence import Evidence, EvidenceStore
from pytest_readiness.redaction import Redactor

SESSION_KEY = pytest.StashKey[Any]()  # the ReadinessSession of a readiness run
_INERT_STORE = pytest.StashKey[EvidenceStore]()

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
            known = ", ".join(sorted(self.thresholds)) or "none"
            pytest.fail(
                f"threshold {name!r} is not set in profile {self.profile!r} (set: {known}); "
                f"add it under profiles.{self.profile}.thresholds",
                pytrace=False,
            )
        return default


def context_of(profile: Profile) -> ReadinessContext:
    return ReadinessContext(profile.name, profile.thresholds, profile.timeout, profile.description)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record what the check observed and expected: ``evidence(observed=3, expected=">= 1")``."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is not None:
        store: EvidenceStore = session.evidence
    else:  # not a readiness run: record into a store nobody reads, so checks still run
        store = request.config.stash.setdefault(_INERT_STORE, EvidenceStore(Redactor()))
    return store.recorder(request.node.nodeid)


@pytest.fixture(scope="session")
def readiness(request: pytest.FixtureRequest) -> ReadinessContext:
    """The active readiness profile: name, thresholds, timeout."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.skip("not a readiness run: pass --readiness=PROFILE to give checks a profile")
    return context_of(session.profile)
