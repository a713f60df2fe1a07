"""Built-in checks: find the ``checks/`` modules, select them from the profile, collect them.

Where they are: inside the installed package (a wheel force-includes the repository's
``checks/`` as ``pytest_readiness/checks``) or, for a source tree or editable install, the
repository's top-level ``checks/`` beside the ``pytest_readiness`` package. Either way they are
imported as the package ``pytest_readiness.checks`` (so a domain's private helper is imported
relatively: ``from ._k8s import ...``) and their node ids are ``checks/<module>::<test>[target]``
whatever the rootdir, so ids, ``--deselect`` and ``-k`` work the same for a pip user and here.

What runs (profile key ``checks:``):
- absent: every module whose ``TARGET_KIND`` has targets in the profile;
- a list of domains (``kubernetes``... each module's ``DOMAIN``) and/or check ids
  (``K8S-PROBE-READINESS``): those modules, and those single checks; ``[]``: none.
Checks left out are not collected at all, so they do not narrow the run's scope.

Each module declares ``DOMAIN``, ``TARGET_KIND`` and ``THRESHOLDS`` as literals; they and the
checks' markers and docstrings are read with ``ast``, without importing anything, for the
selection and for ``python -m pytest_readiness.builtin --docs`` (docs/checks.md).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_readiness.errors import ConfigError
from pytest_readiness.links import docs_page

PACKAGE = "pytest_readiness.checks"
#: xdist workerinput key: the controller's selection, so workers need not parse the modules again
WORKERINPUT_KEY = "readiness_builtin_selection"
NODEID_PREFIX = "checks"
SEVERITIES = ("critical", "important", "nice_to_have")
_DECLARED = ("DOMAIN", "TARGET_KIND", "THRESHOLDS")


@dataclass(frozen=True)
class CheckInfo:
    """One built-in check as declared in its module."""

    id: str
    function: str
    severity: str
    section: str
    title: str
    description: str
    remediation: str
    docs: str | None
    thresholds: Mapping[str, Any]
    line: int


@dataclass(frozen=True)
class CheckModule:
    """One ``checks/test_<domain>.py`` module."""

    path: Path
    domain: str
    target_kind: str
    checks: tuple[CheckInfo, ...]
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    doc: str = ""

    @property
    def nodeid(self) -> str:
        return f"{NODEID_PREFIX}/{self.path.name}"


class BuiltinError(Exception):
    """A ``checks/`` module that does not follow the convention (a bug of this package)."""


def checks_dir() -> Path | None:
    """The folder of the built-in checks: packaged (wheel) first, else the source tree's."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "checks", package.parent / "checks"):
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


@cache
def _discover(directory: Path) -> tuple[CheckModule, ...]:
    return tuple(read_module(path) for path in sorted(directory.glob("test_*.py")))


def discover(directory: Path | None = None) -> tuple[CheckModule, ...]:
    """Every built-in module, sorted by file name; raises BuiltinError for a malformed one."""
    directory = directory or checks_dir()
    return _discover(directory) if directory is not None else ()


def read_module(path: Path) -> CheckModule:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    constants: dict[str, Any] = {}
    checks: list[CheckInfo] = []
    for node in tree.body:  # module-level literals; markers may name them (section=SECTION)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                try:
                    constants[target.id] = _literal(path, node.value, target.id, constants)
                except BuiltinError:
                    if target.id in _DECLARED:
                        raise
    thresholds = constants.get("THRESHOLDS", {})
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            checks.append(_check_info(path, node, thresholds, constants))
    for name in ("DOMAIN", "TARGET_KIND"):
        if not isinstance(constants.get(name), str):
            raise BuiltinError(f"{path}: declare {name} = '<name>' at module level")
    if not isinstance(thresholds, dict):
        raise BuiltinError(f"{path}: THRESHOLDS must be a dict of check id -> {{key: default}}")
    ids = [c.id for c in checks]
    unknown = sorted(set(thresholds) - set(ids))
    if unknown:
        raise BuiltinError(f"{path}: THRESHOLDS names no check of the module: {', '.join(unknown)}")
    return CheckModule(
        path,
        constants["DOMAIN"],
        constants["TARGET_KIND"],
        tuple(checks),
        thresholds,
        ast.get_docstring(tree) or "",
    )


def _literal(path: Path, node: ast.expr | None, what: str, names: Mapping[str, Any]) -> Any:
    """A literal, or an expression of literals and module constants (``DOCS + "acl/"``)."""
    try:
        return _evaluate(node, names) if node is not None else None
    except (ValueError, KeyError, TypeError):
        line = getattr(node, "lineno", "?")
        raise BuiltinError(
            f"{path}:{line}: {what} must be a literal or built from module-level literals"
        ) from None


def _evaluate(node: ast.expr, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _evaluate(node.left, names) + _evaluate(node.right, names)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(_evaluate(v.value, names)) if isinstance(v, ast.FormattedValue) else str(v.value)  # type: ignore[attr-defined]
            for v in node.values
        )
    if isinstance(node, ast.Dict):
        return {
            _evaluate(k, names): _evaluate(v, names)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.List | ast.Tuple):
        items = [_evaluate(e, names) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def _check_info(
    path: Path, node: ast.FunctionDef, thresholds: Mapping[str, Any], names: Mapping[str, Any]
) -> CheckInfo:
    where = f"{path}:{node.lineno} {node.name}"
    marks = [
        d
        for d in node.decorator_list
        if isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in SEVERITIES
        and ast.unparse(d.func.value) == "pytest.mark"
    ]
    if len(marks) != 1:
        raise BuiltinError(f"{where}: needs exactly one severity marker with keyword arguments")
    mark = marks[0]
    kwargs = {
        str(k.arg): _literal(path, k.value, f"{node.name} marker {k.arg}", names)
        for k in mark.keywords
    }
    check_id = kwargs.get("id")
    if not isinstance(check_id, str) or not check_id.isupper():
        raise BuiltinError(f"{where}: the severity marker needs an UPPERCASE id=")
    doc = ast.get_docstring(node) or ""
    first, _, rest = doc.partition("\n")
    title = str(kwargs.get("title") or first.strip())
    if not title or not kwargs.get("remediation") or not kwargs.get("section"):
        raise BuiltinError(f"{where}: needs a docstring title, section= and remediation=")
    assert isinstance(mark.func, ast.Attribute)
    return CheckInfo(
        id=check_id,
        function=node.name,
        severity=mark.func.attr,
        section=str(kwargs["section"]),
        title=title,
        description=" ".join(rest.split()),
        remediation=str(kwargs["remediation"]),
        docs=kwargs.get("docs"),
        thresholds=dict(thresholds.get(check_id, {})),
        line=node.lineno,
    )


# -- selection --------------------------------------------------------------------------------

Selection = tuple[tuple[CheckModule, frozenset[str] | None], ...]


def select(
    modules: Iterable[CheckModule],
    names: Iterable[str] | None,
    kinds_with_targets: Iterable[str],
    *,
    source: str,
    key: str,
) -> Selection:
    """(module, function names or None for all) for the run; ConfigError for an unknown name."""
    modules = tuple(modules)
    if names is None:
        kinds = set(kinds_with_targets)
        return tuple((m, None) for m in modules if m.target_kind in kinds)
    whole: set[Path] = set()
    single: dict[Path, set[str]] = {}
    by_id = {c.id: (m, c) for m in modules for c in m.checks}
    domains: dict[str, list[CheckModule]] = {}
    for module in modules:
        domains.setdefault(module.domain, []).append(module)
    for name in names:
        if name in domains:
            whole.update(m.path for m in domains[name])
        elif name in by_id:
            module, check = by_id[name]
            single.setdefault(module.path, set()).add(check.function)
        else:
            known = sorted(domains) + sorted(by_id)
            import difflib  # only for the hint of an error message

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                source,
                key,
                f"unknown built-in check or domain {name!r}",
                f"{hint}domains: {', '.join(sorted(domains)) or 'none'}; check ids: {docs_page('checks')}",
            )
    return tuple(
        (m, None if m.path in whole else frozenset(single[m.path]))
        for m in modules
        if m.path in whole or m.path in single
    )


# -- collection -------------------------------------------------------------------------------


class BuiltinChecks:
    """Plugin adding the selected built-in modules to the session's collection.

    Registered in every process that collects (serial run, xdist workers); it changes no
    ``config.args``, so each process adds them exactly once, in the same order. On the xdist
    controller it hands its selection to each worker (``request`` says what it answers).
    """

    def __init__(self, directory: Path, selection: Selection, request: Any = None) -> None:
        self.directory = directory
        self.selection = selection
        self.request = request

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: ship the parsed selection (a worker would parse every module)."""
        if self.request is not None and self.selection:
            import pickle  # xdist only: a serial run does without it

            node.workerinput[WORKERINPUT_KEY] = {
                "request": self.request,
                "selection": pickle.dumps(self.selection),
            }

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Any:  # Generator[None, CollectReport, CollectReport]
        report: pytest.CollectReport = yield
        if (
            isinstance(collector, pytest.Session)
            and report.passed
            and self.selection
            and not self._in_args(collector.config)
        ):
            folder = ChecksFolder.from_parent(
                collector, name=NODEID_PREFIX, path=self.directory, nodeid=NODEID_PREFIX
            )
            folder.selection = self.selection
            report.result.append(folder)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(
        self, module_path: Path, parent: pytest.Collector
    ) -> pytest.Module | None:
        """A built-in module named on the command line: same import and node ids as added ones."""
        if module_path.parent != self.directory:
            return None
        nodeid = f"{NODEID_PREFIX}/{module_path.name}"
        module: pytest.Module = BuiltinModule.from_parent(parent, path=module_path, nodeid=nodeid)
        return module

    def _in_args(self, config: pytest.Config) -> bool:
        """True when the command line already collects the checks folder (developing them)."""
        for arg in config.args:
            path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
            if path == self.directory or self.directory in path.parents:
                return True
            if path in self.directory.parents:
                return True
        return False


class ChecksFolder(pytest.Collector):
    """The ``checks`` node: one :class:`BuiltinModule` per selected module."""

    selection: Selection = ()

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        result: list[pytest.Item | pytest.Collector] = []
        for module, functions in self.selection:
            node = BuiltinModule.from_parent(self, path=module.path, nodeid=module.nodeid)
            node.functions = functions
            result.append(node)
        return result


class BuiltinModule(pytest.Module):
    """A built-in module imported as ``pytest_readiness.checks.<name>``; keeps selected checks.

    Test functions are found by the ``test`` prefix whatever the project's python_functions.
    """

    functions: frozenset[str] | None = None

    def _getobj(self) -> ModuleType:
        import_package(self.path.parent)
        return importlib.import_module(f"{PACKAGE}.{self.path.stem}")

    def funcnamefilter(self, name: str) -> bool:
        return name.startswith("test")

    def classnamefilter(self, name: str) -> bool:
        return name.startswith("Test")

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        nodes = list(super().collect())
        if self.functions is None:
            return nodes
        return [n for n in nodes if getattr(n, "originalname", n.name) in self.functions]


def import_package(directory: Path) -> ModuleType:
    """``pytest_readiness.checks`` for ``directory``, wherever it is (wheel or source tree)."""
    existing = sys.modules.get(PACKAGE)
    if existing is not None and list(getattr(existing, "__path__", [])) == [str(directory)]:
        return existing
    spec = importlib.util.spec_from_file_location(
        PACKAGE, directory / "__init__.py", submodule_search_locations=[str(directory)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


def plugin_for(profile: Any, shipped: Mapping[str, Any] | None = None) -> BuiltinChecks | None:
    """The collection plugin for a profile (None when no built-in checks are installed).

    ``shipped``: what the xdist controller selected (its workerinput), used when it answers the
    same request (same checks folder, ``checks:`` and target kinds), else selected here again.
    Raises ConfigError for an unknown name in ``checks:`` or missing built-in checks.
    """
    names = getattr(profile, "checks", None)
    key = f"profiles.{profile.name}.checks"
    directory = checks_dir()
    if directory is None:
        if names:
            raise ConfigError(
                profile.source,
                key,
                "the built-in checks are not installed with pytest-readiness",
                "reinstall pytest-readiness (its wheel ships them under pytest_readiness/checks)",
            )
        return None
    kinds = [kind for kind, targets in profile.targets.items() if targets]
    if not (kinds if names is None else names):  # nothing selectable: spare every process the parse
        return BuiltinChecks(directory, ())
    request = [str(directory), None if names is None else list(names), sorted(kinds)]
    if shipped is not None and shipped.get("request") == request:
        import pickle

        return BuiltinChecks(directory, pickle.loads(shipped["selection"]), request)
    try:
        modules = discover(directory)
    except BuiltinError as exc:
        raise ConfigError(profile.source, key, f"broken built-in check: {exc}") from None
    selection = select(modules, names, kinds, source=profile.source, key=key)
    return BuiltinChecks(directory, selection, request)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from pytest_readiness.builtin_docs import render

    parser = argparse.ArgumentParser(prog="python -m pytest_readiness.builtin")
    parser.add_argument("--docs", action="store_true", help="print docs/checks.md to stdout")
    parser.add_argument("--list", action="store_true", help="print one line per check")
    args = parser.parse_args(argv)
    modules = discover()
    if args.docs:
        sys.stdout.write(render(modules))
    elif args.list:
        for module in modules:
            for check in module.checks:
                print(f"{check.id}\t{check.severity}\t{module.nodeid}::{check.function}")
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
