"""A profile that can select no built-in check does not pay for reading them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

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


class Node:
    """What xdist's pytest_configure_node hands the controller's plugins."""

    def __init__(self) -> None:
        self.workerinput: dict[str, object] = {}


def shipped_by_controller(
    checks: list[str] | None, targets: dict[str, list[object]]
) -> dict[str, Any]:
    controller = builtin.plugin_for(profile(checks, targets))
    assert controller is not None
    node = Node()
    controller.pytest_configure_node(node)
    shipped = node.workerinput[builtin.WORKERINPUT_KEY]
    assert isinstance(shipped, dict)
    return shipped


def test_a_worker_uses_the_controllers_selection_without_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    targets: dict[str, list[object]] = {"postgres": [object()]}
    expected = builtin.plugin_for(profile(["kubernetes"], targets))
    assert expected is not None
    shipped = shipped_by_controller(["kubernetes"], targets)

    def refuse(directory: object = None) -> tuple[builtin.CheckModule, ...]:
        raise AssertionError("the worker parsed the built-in modules again")

    monkeypatch.setattr(builtin, "discover", refuse)
    worker = builtin.plugin_for(profile(["kubernetes"], targets), shipped)
    assert worker is not None
    assert worker.selection == expected.selection


def test_a_selection_for_another_request_is_not_used() -> None:
    """Fail closed: a worker whose profile selects differently selects for itself."""
    shipped = shipped_by_controller(["kubernetes"], {})
    worker = builtin.plugin_for(profile(["postgres"], {}), shipped)
    assert worker is not None
    assert {module.domain for module, _ in worker.selection} == {"postgres"}


def test_nothing_selected_ships_nothing() -> None:
    controller = builtin.plugin_for(profile(None, {}))
    assert controller is not None
    node = Node()
    controller.pytest_configure_node(node)
    assert node.workerinput == {}
