"""Run the shell commands that the docs and the CI recipes show, as a user would type them.

A command is split with shlex. ``pip install`` commands are not run (no network in the tests):
the extras they name must exist in pyproject. ``pytest`` commands run in a copy of
``examples/ci/suite`` with this interpreter, so what a page or recipe tells users to type
reaches a decision here.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "examples" / "ci" / "suite"
#: how the docs and recipes start pytest: all mean this interpreter's pytest
_PYTHONS = {"python", "python3", ".venv/bin/python", "$(which python)"}
_OPTION_ONLY_IF_LISTED = ("--readiness-sarif",)


@dataclass(frozen=True)
class Ran:
    argv: tuple[str, ...]
    dropped: tuple[str, ...]  # options this checkout's pytest does not list yet
    returncode: int
    output: str


def words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def is_pip_install(argv: list[str]) -> bool:
    return "pip" in argv and "install" in argv


def is_pytest(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] == "pytest" or argv[1:3] == ["-m", "pytest"])


def pytest_args(argv: list[str]) -> list[str]:
    """The arguments after ``pytest`` / ``python -m pytest``."""
    if argv[0] == "pytest":
        return argv[1:]
    if argv[0] not in _PYTHONS:
        raise AssertionError(f"pytest started by an unknown interpreter: {argv[0]!r}")
    return argv[3:]


def pyproject() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data


def extras() -> set[str]:
    return set(pyproject()["project"]["optional-dependencies"])


def unknown_extras(argv: list[str]) -> list[str]:
    """Extras named by ``pip install 'pytest-readiness[a,b]'`` that pyproject does not define."""
    named: list[str] = []
    for word in argv:
        found = re.fullmatch(r"pytest-readiness\[([a-z0-9,_-]+)\]", word)
        if found:
            named += found.group(1).split(",")
    assert named or "pytest-readiness" in argv, f"installs something else: {argv}"
    return sorted(set(named) - extras())


@functools.cache
def pytest_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def _listed(option: str) -> bool:
    return re.search(rf"^\s+{re.escape(option)}\b", pytest_help(), re.MULTILINE) is not None


def supported(args: list[str]) -> tuple[list[str], list[str]]:
    """(args this checkout's pytest takes, dropped options that are not listed in its --help)."""
    kept: list[str] = []
    dropped: list[str] = []
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in _OPTION_ONLY_IF_LISTED and not _listed(name):
            dropped.append(arg)
        else:
            kept.append(arg)
    return kept, dropped


def suite_copy(where: Path) -> Path:
    """A fresh copy of the example suite the recipes and docs run against."""
    target = where / "suite"
    shutil.copytree(SUITE, target, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    return target


def run_pytest(
    argv: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> Ran:
    """Run with this environment less GITHUB_STEP_SUMMARY, plus ``env``."""
    args, dropped = supported(pytest_args(argv))
    env = {**{k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(tuple(args), tuple(dropped), done.returncode, done.stdout + done.stderr)


REPORT_OPTIONS = (
    "--junitxml",
    "--readiness-html",
    "--readiness-json",
    "--readiness-md",
    "--readiness-sarif",
)


def report_paths(args: tuple[str, ...]) -> list[str]:
    """Paths given to the report options (``--junitxml=PATH``, ``--readiness-html=PATH``...)."""
    return [a.partition("=")[2] for a in args if a.partition("=")[0] in REPORT_OPTIONS]
