"""A profile that can select no built-in check does not pay for reading them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_readiness import builtin


def profile(checks: list[str] | None, targets: dict[str, list[object]]) -> SimpleNamespace:
    return SimpleNamespace(name="p", source="readiness.yaml", checks=checks, targets=targets)


@pytest.mark.parametrize(
    ("checks", "targets"),
    [(None, {}), (None, {"postgres": []}), ([], {"postgres": [object()]})],
    ids=["no-targets", "empty-targets", "checks-empty-list"],
)
def test_nothing_selectable_parses_no_module(
    monkeypatch: pytest.MonkeyPatch, checks: list[str] | None, targets: dict[str, list[object]]
) -> None:
    def refuse(directory: object = None) -> tuple[builtin.CheckModule, ...]:
        raise AssertionError("the built-in modules were parsed")

    monkeypatch.setattr(builtin, "discover", refuse)
    plugin = builtin.plugin_for(profile(checks, targets))
    assert plugin is not None
    assert plugin.selection == ()


def test_a_profile_with_targets_still_selects_their_checks() -> None:
    plugin = builtin.plugin_for(profile(None, {"postgres": [object()]}))
    assert plugin is not None
    assert {module.target_kind for module, _ in plugin.selection} == {"postgres"}
