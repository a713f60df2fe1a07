"""Golden files of the reports, and the verdicts they are rendered from.

Regenerate after an intended change with ``READINESS_UPDATE_GOLDEN=1 pytest tests/unit
tests/plugin`` and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent


def golden(name: str, text: str) -> str:
    """The golden file ``name``; written from ``text`` first when updating.

    Use as ``assert text == golden(name, text)`` so pytest shows the diff.
    """
    path = GOLDEN / name
    if os.environ.get("READINESS_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    if not path.is_file():
        raise AssertionError(f"no golden file {path}; run with READINESS_UPDATE_GOLDEN=1")
    return path.read_text(encoding="utf-8")
