"""Repository-only test setup: pytester, and the integration gate. The plugin never needs this."""

from __future__ import annotations

pytest_plugins = ["pytester"]
