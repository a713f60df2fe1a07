"""Hooks of the checklist feature, loaded by ``pytest_readiness.plugin`` (``pytest_plugins``).

Inert unless ``--readiness``, ``--readiness-suggest`` or ``--readiness-scaffold`` is given:
only then are checklist files collected.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.checklist.keys import GRAPH_KEY

WORKEROUTPUT_KEY = "readiness-checklist"
GLOB_HELP = "globs of Markdown checklists to collect as readiness items (e.g. RELEASE.md docs/*-checklist.md)"
SUGGEST_PRINT = "--readiness-suggest=print"
SEVERITY_HELP = "extra checklist severity words, one line each: 'critical = P0, showstopper'"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness")
    group.addoption(
        "--readiness-suggest",
        metavar="print|write",
        default=None,
        help="list built-in checks that probably verify each unlinked checklist item; "
        "=write adds the best one to the file as a readiness comment",
    )
    group.addoption(
        "--readiness-scaffold",
        metavar="PATH",
        default=None,
        help="write a Python test module with one pending stub per collected checklist item",
    )
    group.addoption(
        "--readiness-writeback",
        metavar="DIR",
        default=None,
        help="write each checklist to DIR with boxes ticked from evidence, a score and reasons",
    )
    parser.addini("readiness_checklists", GLOB_HELP, type="args", default=[])
    parser.addini("readiness_checklist_severity", SEVERITY_HELP, type="linelist", default=[])


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(args: list[str]) -> None:
    """A bare ``--readiness-suggest`` means ``=print`` (an optional value would swallow the
    checklist path that follows it)."""
    args[:] = [SUGGEST_PRINT if a == "--readiness-suggest" else a for a in args]


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("readiness_suggest", None)
    if mode not in (None, "print", "write"):
        raise pytest.UsageError(f"--readiness-suggest={mode}: use print or write")


def active(config: pytest.Config) -> bool:
    return bool(
        config.getoption("readiness", None)
        or config.getoption("readiness_suggest", None)
        or config.getoption("readiness_scaffold", None)
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if file_path.suffix == ".py" or not active(config):
        return None
    if parent.session.isinitpath(file_path) or _matches_glob(config, file_path):
        # The parser (about a dozen modules and regexes) only once a checklist is collected.
        from pytest_readiness.checklist.items import ChecklistFile

        return ChecklistFile.from_parent(parent, path=file_path)
    return None


def _matches_glob(config: pytest.Config, path: Path) -> bool:
    globs: list[str] = config.getini("readiness_checklists")
    if not globs:
        return False
    try:
        relative = path.relative_to(config.rootpath).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(fnmatch(relative, g) or fnmatch(path.name, g) for g in globs)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Before -m deselects: every link must name a check of this collection."""
    graph = config.stash.get(GRAPH_KEY, {})
    if graph:
        from pytest_readiness.checklist.validate import check_links

        check_links(session, items, graph)
    if config.getoption("readiness_suggest", None) or config.getoption("readiness_scaffold", None):
        from pytest_readiness.checklist.commands import run_commands

        run_commands(config, items)


def pytest_collection_finish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    graph = session.config.stash.get(GRAPH_KEY, None)
    if workeroutput is not None and graph:
        workeroutput[WORKEROUTPUT_KEY] = graph


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    shipped = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
    if shipped:
        node.config.stash.setdefault(GRAPH_KEY, {}).update(shipped)


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    """Before the readiness session decides: set linked items and parents from what they
    depend on (controller or single process only)."""
    _resolve(session.config)
    return (yield)


def _resolve(config: pytest.Config) -> None:
    from pytest_readiness.fixtures import SESSION_KEY

    readiness = config.stash.get(SESSION_KEY, None)
    graph = config.stash.get(GRAPH_KEY, {})
    if readiness is None or readiness.is_worker or not graph or config.option.collectonly:
        return
    from pytest_readiness.checklist.linking import Resolver

    Resolver(readiness, graph, date.today()).resolve_all()


def pytest_readiness_verdict(verdict: Any, config: pytest.Config) -> None:
    target = config.getoption("readiness_writeback", None)
    if target:
        from pytest_readiness.checklist.writeback import write_all

        write_all(verdict, config, Path(config.invocation_params.dir, target))
