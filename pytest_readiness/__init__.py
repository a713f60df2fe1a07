"""pytest-readiness: production-readiness checklists as pytest suites with a Go / No-Go decision.

The public names below are imported on first use: importing one submodule (the pytest plugin
of a run without ``--readiness``, ``pytest_readiness.errors``) does not import the policy.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
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

#: public name -> the module that defines it
_EXPORTS = {
    "ReadinessContext": "context",
    "AuthFailed": "errors",
    "ConfigError": "errors",
    "ConnectorError": "errors",
    "MarkerError": "errors",
    "MissingExtra": "errors",
    "ReadinessError": "errors",
    "TimedOut": "errors",
    "Unreachable": "errors",
    "Evidence": "evidence",
    "Decision": "model",
    "EvidenceRecord": "model",
    "ItemResult": "model",
    "ItemSpec": "model",
    "Outcome": "model",
    "Severity": "model",
    "Verdict": "model",
    "Policy": "policy",
    "evaluate": "policy",
}

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


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
