"""The checklist plugin's stash key, apart from the parser: a run that collects no checklist
reads it without importing ``items`` and the Markdown parser behind it."""

from __future__ import annotations

from typing import Any

import pytest

#: checklist item node id -> its links and parents (see items.ChecklistFile.collect)
GRAPH_KEY = pytest.StashKey[dict[str, dict[str, Any]]]()
