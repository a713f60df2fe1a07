"""JUnit integration (placeholder until the reports issue lands): does nothing yet."""

from __future__ import annotations

import pytest


class JunitIntegration:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
