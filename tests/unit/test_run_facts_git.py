"""The run's git commit: git runs only where it could find a repository."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import run_facts

ROOT = Path(__file__).resolve().parents[2]


def test_outside_any_repository_no_git_process_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if run_facts._maybe_in_git(tmp_path):
        pytest.skip("the temporary folder is inside a git repository here")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("git was started")

    monkeypatch.setattr(subprocess, "run", refuse)
    assert run_facts.git_commit(tmp_path) is None


@pytest.mark.parametrize("layout", ["work tree", "bare"])
def test_a_repository_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    if layout == "work tree":
        (tmp_path / ".git").write_text("gitdir: /elsewhere\n")  # a worktree's .git is a file
    else:
        (tmp_path / "HEAD").write_text("ref: refs/heads/main\n")
        (tmp_path / "objects").mkdir()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    asked: list[Path] = []

    def fake_git(*args: Any, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        asked.append(cwd)
        return subprocess.CompletedProcess(args, 0, "0123456789ab\n", "")

    monkeypatch.setattr(subprocess, "run", fake_git)
    assert run_facts.git_commit(nested) == "0123456789ab"
    assert asked == [nested]


def test_git_dir_in_the_environment_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_DIR", str(ROOT / ".git"))
    assert run_facts._maybe_in_git(tmp_path)
