"""Where the documentation lives: the one address that messages send users to.

Repository paths such as ``docs/configuration.md`` do not ship in the wheel, so a message points
at the published site instead. mkdocs.yml's ``site_url`` and pyproject's ``Documentation`` URL
are the same address (tests/docs/test_links.py).
"""

from __future__ import annotations

__all__ = ["DOCS_URL", "docs_page"]

DOCS_URL = "https://pytest-readiness.github.io/pytest-readiness/"


def docs_page(page: str, anchor: str = "") -> str:
    """The site address of ``docs/<page>.md`` (mkdocs publishes each page as a folder)."""
    return f"{DOCS_URL}{page}/" + (f"#{anchor}" if anchor else "")
