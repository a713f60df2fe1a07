"""The public API is what ``__all__`` says, sorted, and every name in it exists."""

from __future__ import annotations

import pytest_readiness


def test_all_is_sorted_and_complete() -> None:
    names = pytest_readiness.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(pytest_readiness, name), name
    public = {n for n in vars(pytest_readiness) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(names)
