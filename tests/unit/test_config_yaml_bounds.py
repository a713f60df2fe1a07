"""readiness.yaml bounds that no parser enforces: a self-containing alias ends in an error."""

from __future__ import annotations

import pytest

from pytest_readiness.config_yaml import BoundExceeded, load


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [*x]\n",
        "a: &x {b: *x}\n",
        "a:\n  b: &x [1, [2, {c: *x}]]\n",
    ],
)
def test_an_alias_inside_the_collection_it_names_is_refused_with_its_line(text: str) -> None:
    with pytest.raises(BoundExceeded, match=r"alias refers to a collection it is inside") as info:
        load(text)
    assert str(info.value).endswith(f"(line {text.count(chr(10), 0, text.index('&')) + 1})")


def test_an_alias_used_twice_beside_its_anchor_is_read_as_copies() -> None:
    assert load("a: &x [1]\nb: &y [*x, *x]\nc: [*y, *x]\n") == {
        "a": [1],
        "b": [[1], [1]],
        "c": [[[1], [1]], [1]],
    }
