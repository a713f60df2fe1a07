"""docs/architecture.md stays true: the import-linter contracts in pyproject.toml hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_layers_and_purity_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_package_module_is_placed_in_a_layer() -> None:
    """A new module must be given its place in the architecture, not slip in unchecked."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layered = pyproject.split('type = "layers"', 1)[1].split("]", 1)[0]
    package = ROOT / "pytest_readiness"
    top_level = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    placed = set(re.findall(r"pytest_readiness\.(\w+)", layered))
    missing = sorted(top_level - placed)
    assert missing == [], f"add these modules to a layer in pyproject.toml: {missing}"
