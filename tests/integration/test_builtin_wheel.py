"""The built-in checks run from an installed wheel as they do from the source tree.

Real: `python -m build` makes the sdist from this checkout and the wheel from that sdist
(hatchling), `twine check --strict` accepts both, the wheel is installed with its dependencies
into a fresh virtual environment without system site-packages, and pytest runs there on offline
manifests; the same run from the source tree must give the same node ids, item ids and
outcomes. Needs the package index pip is configured with (the machine's mirror).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import __version__
from pytest_readiness.links import DOCS_URL

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "tests" / "data" / "manifests"
PROFILE = f"""
profiles:
  ci:
    kubernetes:
      - {{name: rendered, manifests: ["{MANIFESTS}"]}}
  picked:
    checks: [K8S-REPLICAS]
    kubernetes:
      - {{name: rendered, manifests: ["{MANIFESTS}"]}}
"""


def _run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode in (0, 1), (
        f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    )
    return done.stdout


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing Python at this checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel `python -m build` makes (the wheel built from the sdist)."""
    base = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(base), str(ROOT)], _clean_env(), base)
    return base


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("pytest_readiness-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    env = _clean_env()
    wheel = _wheel(dist)
    _run([sys.executable, "-m", "venv", str(base / "venv")], env, base)
    python = base / "venv" / "bin" / "python"
    # the k8s extra brings kubernetes-validate, which the offline schema check needs
    _run([str(python), "-m", "pip", "install", "-q", f"{wheel}[k8s]"], env, base)
    return python


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "readiness.yaml").write_text(PROFILE)
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    return tmp_path


def _result(python: Path, project: Path, profile: str, env: dict[str, str]) -> dict[str, Any]:
    out = project / f"{profile}-{python.parent.parent.name}.json"
    _run(
        [
            str(python),
            "-m",
            "pytest",
            f"--readiness={profile}",
            f"--readiness-json={out}",
            "-p",
            "no:cacheprovider",
        ],
        env,
        project,
    )
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _outcomes(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i["nodeid"], i["id"], i["outcome"]) for i in data["items"]]


def test_twine_accepts_the_sdist_and_the_wheel(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert [f.name for f in files] == [
        f"pytest_readiness-{__version__}-py3-none-any.whl",
        f"pytest_readiness-{__version__}.tar.gz",
    ]
    out = _run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], _clean_env(), dist
    )
    assert out.count("PASSED") == 2, out


def test_the_wheel_metadata_has_the_version_and_the_project_urls(dist: Path) -> None:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(wheel.read(name).decode())
    assert metadata["Version"] == __version__
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert urls["Documentation"] == DOCS_URL
    assert urls["Issues"].endswith("/issues")
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_the_sdist_holds_what_its_tests_and_docs_build_need(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {
        "mkdocs.yml",
        "CHANGELOG.md",
        "LICENSE",
        "docs/index.md",
        "examples/ci/github-actions.yml",
        "examples/ci/suite/readiness.yaml",
        "checks/test_k8s_workloads.py",
        "tests/docs/test_site.py",
    } <= names
    assert not any(n.startswith((".git/", ".venv/", "site/")) for n in names)


def test_the_wheel_ships_the_checks_inside_the_package(venv_python: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [
            str(venv_python),
            "-c",
            "from pytest_readiness.builtin import checks_dir; print(checks_dir())",
        ],
        env=_clean_env(),
        cwd=tmp_path,  # not this checkout, which `python -c` would put first on sys.path
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert "site-packages" in where
    assert where.endswith(os.path.join("pytest_readiness", "checks"))
    assert not where.startswith(str(ROOT))


@pytest.mark.parametrize("profile", ["ci", "picked"])
def test_builtins_from_the_wheel_match_the_source_tree(
    venv_python: Path, project: Path, profile: str
) -> None:
    from_wheel = _result(venv_python, project, profile, _clean_env())
    from_source = _result(
        Path(sys.executable), project, profile, {**_clean_env(), "PYTHONPATH": str(ROOT)}
    )
    assert _outcomes(from_wheel) == _outcomes(from_source)
    nodeids = [nodeid for nodeid, _, _ in _outcomes(from_wheel)]
    assert any(n.startswith("checks/test_k8s_workloads.py::") for n in nodeids)
    assert "test_own.py::test_own" in nodeids
    if profile == "picked":
        assert [i for _, i, _ in _outcomes(from_wheel)] == [
            "test_own.py::test_own",
            "K8S-REPLICAS[rendered]",
        ]
