"""The readiness data model: plain frozen records, stdlib only.

Everything a reporter needs is in :class:`Verdict`; reporters never look at pytest objects.
Values are builtins or these records so that they serialise to JSON without surprises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Any


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    IMPORTANT = "important"
    NICE_TO_HAVE = "nice_to_have"

    def __str__(self) -> str:
        return self.value


#: Severities from most to least severe; the order of every matrix column.
SEVERITIES: tuple[Severity, ...] = (Severity.CRITICAL, Severity.IMPORTANT, Severity.NICE_TO_HAVE)


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"
    PENDING = "pending"
    ATTESTED = "attested"

    def __str__(self) -> str:
        return self.value

    @property
    def met(self) -> bool:
        """Fail closed: only these three count as a met checklist item."""
        return self in MET_OUTCOMES

    @property
    def applicable(self) -> bool:
        """Skipped means "not applicable in this profile" and is not counted."""
        return self is not Outcome.SKIPPED


MET_OUTCOMES = frozenset({Outcome.PASSED, Outcome.ATTESTED, Outcome.WAIVED})


class Decision(str, enum.Enum):
    GO = "GO"
    NO_GO = "NO-GO"
    DELAY = "DELAY"
    NO_DATA = "NO DATA"
    INCOMPLETE = "INCOMPLETE"

    def __str__(self) -> str:
        return self.value


class RawOutcome(str, enum.Enum):
    """What pytest said about an item, before waivers and attestations are applied."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    CRASHED = "crashed"  # the xdist worker running it died
    NOT_RUN = "not_run"  # planned, selected, but no report arrived


@dataclass(frozen=True, slots=True)  # one per item: no __dict__ each
class ItemSpec:
    """A checklist item as declared: known at collection, before anything runs."""

    id: str
    nodeid: str
    title: str
    severity: Severity
    section: str
    weight: float
    owner: str | None = None
    docs: str | None = None
    remediation: str | None = None
    manual: bool = False

    @property
    def base_id(self) -> str:
        """The id without a parametrization suffix: ``PG-1[primary]`` -> ``PG-1``."""
        return self.id.split("[", 1)[0]


@dataclass(frozen=True, slots=True)  # one per item: no __dict__ each
class EvidenceRecord:
    """One observation a check made: what it saw against what it wanted."""

    label: str | None = None
    observed: Any = None
    expected: Any = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"observed": self.observed, "expected": self.expected}
        if self.label is not None:
            data["label"] = self.label
        if self.details:
            data["details"] = dict(self.details)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceRecord:
        return cls(
            label=data.get("label"),
            observed=data.get("observed"),
            expected=data.get("expected"),
            details=dict(data.get("details") or {}),
        )

    def summary(self) -> str:
        """``label: observed (expected ...)`` for one-line displays."""
        text = f"{self.label}: {self.observed!s}" if self.label else f"observed {self.observed!s}"
        if self.expected is not None:
            text += f" (expected {self.expected!s})"
        for key, value in self.details.items():
            text += f", {key}={value!s}"
        return text


@dataclass(frozen=True, slots=True)  # one per item: no __dict__ each
class RawResult:
    """The pytest side of one item's run, reduced from its setup/call/teardown reports."""

    outcome: RawOutcome
    message: str = ""
    duration: float = 0.0
    evidence: tuple[EvidenceRecord, ...] = ()


#: A skip reason starting with this is an explicit "not applicable"; any other skip of a
#: critical item means it was not evaluated, which blocks GO.
NOT_APPLICABLE = "N/A"


def is_not_applicable(reason: str) -> bool:
    return reason.strip().upper().startswith(NOT_APPLICABLE)


@dataclass(frozen=True)
class Waiver:
    """Accept a known failure of ``id`` until a date, for a reason, signed by someone."""

    id: str
    reason: str
    by: str
    until: date
    covers_critical: bool = False  # a wildcard id covers critical items only when this says so
    # Object scope (checks that list objects): ``namespace/Kind/name``, optionally one container.
    # Such a waiver never waives the item itself, only the findings the check reports for it.
    object: str | None = None
    container: str | None = None
    source: str | None = None  # where it was declared: the profile or the central waivers file

    @property
    def is_wildcard(self) -> bool:
        return any(ch in self.id for ch in "*?[")

    @property
    def scope(self) -> str:
        """``item``, or the object (and container) it is limited to: ``shop/Deployment/api``."""
        if self.object is None:
            return "item"
        return self.object + (f"/container:{self.container}" if self.container else "")

    def covers_object(self, obj: str, container: str | None) -> bool:
        """Object scope: the same object (glob allowed), and the container if one is named."""
        if self.object is None or not fnmatchcase(obj, self.object):
            return False
        return self.container is None or (
            container is not None and fnmatchcase(container, self.container)
        )


@dataclass(frozen=True)
class Attestation:
    """A person vouches for a human item on a date; valid for a number of days."""

    id: str
    by: str
    on: date
    valid_days: int
    evidence: str | None = None

    @property
    def expires(self) -> date:
        from datetime import timedelta

        try:
            return self.on + timedelta(days=self.valid_days)
        except OverflowError:
            return date.max


class WaiverState(str, enum.Enum):
    """What a waiver did in this run (``WaiverHealth`` says whether someone must act)."""

    APPLIED = "applied"  # covers a failing item (or a finding of an object it names)
    STALE = "stale"  # the items it names passed: remove it
    EXPIRED = "expired"  # past its date: ignored
    UNUSED = "unused"  # matched no failing item in this run

    def __str__(self) -> str:
        return self.value


#: Evidence detail a check sets on a finding an object-scoped profile waiver waived: its scope.
OBJECT_WAIVER_DETAIL = "profile_waiver"

#: A waiver ending within this many days is shown as ``expiring``.
EXPIRING_DAYS = 14


class WaiverHealth(str, enum.Enum):
    """The audit view of a waiver, the ``state`` column of every report's waivers section."""

    ACTIVE = "active"  # applies, and more than EXPIRING_DAYS left
    EXPIRING = "expiring"  # applies, EXPIRING_DAYS or fewer left
    EXPIRED = "expired"  # past its date: not applied
    UNMATCHED = "unmatched"  # names no item (or object) of this run: a typo, a renamed id

    def __str__(self) -> str:
        return self.value


class AttestationState(str, enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    FUTURE = "future"  # dated after today: not yet valid
    UNUSED = "unused"  # names no manual item of this run

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class WaiverStatus:
    """A waiver after the run. Field names are stable: every renderer reads them.

    ``items``: the items it covered, or the items it names when it covered none (as before);
    ``covered``: what it waived, item ids and, for object scope, ``ID: object/container:name``.
    """

    waiver: Waiver
    state: WaiverState
    items: tuple[str, ...] = ()
    health: WaiverHealth = WaiverHealth.ACTIVE
    days_left: int = 0  # until - today; negative once expired
    covered: tuple[str, ...] = ()

    @property
    def covered_count(self) -> int:
        return len(self.covered)

    @property
    def scope(self) -> str:
        return self.waiver.scope

    @property
    def note(self) -> str:
        """What to do about it, or "" when nothing: one wording in every report."""
        if self.health is WaiverHealth.EXPIRED:
            return "expired: not applied; renew or remove it"
        if self.health is WaiverHealth.UNMATCHED:
            what = "object" if self.waiver.object is not None else "item"
            return f"matched no {what} of this run: a typo, a renamed id or a removed object?"
        if self.state is WaiverState.STALE:
            return "its items passed: remove the waiver"
        if self.state is WaiverState.UNUSED:
            return "matched no failing item in this run"
        if self.health is WaiverHealth.EXPIRING:
            return f"expires in {self.days_left} days"
        return ""


@dataclass(frozen=True)
class AttestationStatus:
    attestation: Attestation
    state: AttestationState
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)  # one per item: no __dict__ each
class ItemResult:
    """A checklist item after the run: the spec, its final outcome and why."""

    spec: ItemSpec
    outcome: Outcome
    message: str = ""
    duration: float = 0.0
    evidence: tuple[EvidenceRecord, ...] = ()
    raw: RawOutcome | None = None

    @property
    def met(self) -> bool:
        return self.outcome.met


@dataclass(frozen=True)
class Tally:
    """Counts and weights of met items among the applicable ones."""

    met: int = 0
    total: int = 0
    weight_met: float = 0.0
    weight_total: float = 0.0

    @property
    def percent(self) -> float | None:
        """Weighted completion, 0-100; None when nothing was applicable."""
        if self.weight_total <= 0:
            return None if self.total == 0 else (100.0 if self.met == self.total else 0.0)
        return 100.0 * self.weight_met / self.weight_total

    @property
    def fraction(self) -> str:
        """``met/total`` for a matrix cell, ``-`` when nothing was applicable."""
        return f"{self.met}/{self.total}" if self.total else "-"

    @property
    def percent_label(self) -> str:
        """Completion rounded down, ``75%``, or ``n/a``; one wording in every report."""
        value = self.percent
        return "n/a" if value is None else f"{int(value)}%"


@dataclass(frozen=True)
class SectionRow:
    """One row of the section x severity matrix, plus the section's completion."""

    section: str
    cells: dict[Severity, Tally]
    completion: Tally


@dataclass(frozen=True)
class Shard:
    """One part of a suite split by ``--readiness-shard=INDEX/COUNT`` (pytest_readiness.shards).

    ``suite`` is every node id of the selection before the split, so that a merge can tell
    which items of the suite no shard result holds.
    """

    index: int
    count: int
    suite: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"shard {self.index}/{self.count}"


@dataclass(frozen=True)
class Scope:
    """What part of the checklist this run looked at."""

    selected: int
    total: int
    narrowed_by: tuple[str, ...] = ()  # human descriptions: "-m critical", "paths: tests/db"
    critical_left_out: int = 0  # critical items of the suite the selection did not run
    shard: Shard | None = None  # a shard run is a part of a decision, not one (merge decides)

    @property
    def full(self) -> bool:
        return not self.narrowed_by and self.shard is None and self.selected == self.total

    def describe(self) -> str:
        noun = "item" if self.total == 1 else "items"
        if self.full:
            return f"full, {self.selected} {noun}"
        parts = ([self.shard.describe()] if self.shard else []) + list(self.narrowed_by)
        what = ", ".join(parts) if parts else "narrowed"
        text = f"{what}, {self.selected} of {self.total} {noun}"
        if self.critical_left_out:
            left = self.critical_left_out
            text += f", {left} critical {'item' if left == 1 else 'items'} not evaluated"
        return text


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run for report headers; never contains secrets."""

    profile: str
    config_path: str | None = None
    started_at: str | None = None  # ISO 8601, UTC
    duration: float = 0.0
    hostname: str | None = None
    git_commit: str | None = None
    pytest_version: str | None = None
    plugin_version: str | None = None
    python_version: str | None = None
    workers: int = 0
    # The decision rules the run applied (policy.policy_facts), so a merge can check that
    # every result it combines was decided under the same policy.
    policy: dict[str, Any] | None = None


@dataclass(frozen=True)
class BaselineDiff:
    """This run against a previous JSON result (``--readiness-baseline``)."""

    source: str
    previous_decision: str
    previous_score: int
    score_change: int
    newly_failing: tuple[str, ...] = ()  # item ids met before, not met now
    fixed: tuple[str, ...] = ()  # item ids not met before, met now
    added: tuple[str, ...] = ()  # item ids new in this run
    removed: tuple[str, ...] = ()  # item ids gone since the previous run


@dataclass(frozen=True)
class Verdict:
    """The decision and everything that explains it; the input of every reporter."""

    decision: Decision
    score: int
    reasons: tuple[str, ...]
    items: tuple[ItemResult, ...]
    sections: tuple[SectionRow, ...]
    totals: dict[Severity, Tally]
    waivers: tuple[WaiverStatus, ...]
    attestations: tuple[AttestationStatus, ...]
    scope: Scope
    run: RunInfo
    exit_status: int = 0
    baseline: BaselineDiff | None = None

    @property
    def counts(self) -> dict[Outcome, int]:
        counts = dict.fromkeys(Outcome, 0)
        for item in self.items:
            counts[item.outcome] += 1
        return counts

    def headline(self) -> str:
        """The one decision line: ``NO-GO - score 72/100 - scope: full, 12 items``."""
        return f"{self.decision} - score {self.score}/100 - scope: {self.scope.describe()}"
