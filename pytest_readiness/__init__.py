"""pytest-readiness: production-readiness checklists as pytest suites with a Go / No-Go decision."""

from __future__ import annotations

from pytest_readiness.context import ReadinessContext
from pytest_readiness.errors import (
    AuthFailed,
    ConfigError,
    ConnectorError,
    MarkerError,
    MissingExtra,
    ReadinessError,
    TimedOut,
    Unreachable,
)
from pytest_readiness.evidence import Evidence
from pytest_readiness.model import (
    Decision,
    EvidenceRecord,
    ItemResult,
    ItemSpec,
    Outcome,
    Severity,
    Verdict,
)
from pytest_readiness.policy import Policy, evaluate

__version__ = "0.1.0"

__all__ = [
    "AuthFailed",
    "ConfigError",
    "ConnectorError",
    "Decision",
    "Evidence",
    "EvidenceRecord",
    "ItemResult",
    "ItemSpec",
    "MarkerError",
    "MissingExtra",
    "Outcome",
    "Policy",
    "ReadinessContext",
    "ReadinessError",
    "Severity",
    "TimedOut",
    "Unreachable",
    "Verdict",
    "__version__",
    "evaluate",
]
