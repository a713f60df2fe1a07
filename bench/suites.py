"""Generated suites for the benchmarks: trivial tests in two layouts, markers registered.

Both variants of a comparison run the same files with the same ``pytest.ini``, which
registers the severity markers, so plain pytest (``-p no:readiness``) pays no unknown-marker
warnings: the baseline gets every advantage.
"""

from __future__ import annotations

from pathlib import Path

INI = """[pytest]
addopts = -p no:cacheprovider
markers =
    critical: readiness item (registered here so plain pytest knows it too)
    important: readiness item
    nice_to_have: readiness item
"""
SEVERITIES = ("critical", "important", "nice_to_have")
LAYOUTS = ("modules", "params")


def project(root: Path, profile: str = "profiles:\n  bench: {}\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(INI)
    (root / "readiness.yaml").write_text(profile)
    return root


def trivial(root: Path, tests: int, layout: str) -> Path:
    """``modules``: modules of 100 tests, one severity mark each and a module-level section;
    ``params``: four parametrized functions in one module, one severity each."""
    project(root)
    if layout == "modules":
        for m in range(0, tests, 100):
            lines = ["import pytest", "", f"pytestmark = pytest.mark.important(section='s{m % 7}')"]
            for n in range(m, min(m + 100, tests)):
                lines += ["", f"@pytest.mark.{SEVERITIES[n % 3]}", f"def test_{n}():", "    pass"]
            (root / f"test_mod_{m // 100:04d}.py").write_text("\n".join(lines) + "\n")
    else:
        lines = ["import pytest"]
        for f in range(4):
            lines += [
                "",
                f"@pytest.mark.{SEVERITIES[f % 3]}(section='s{f}')",
                f"@pytest.mark.parametrize('n', range({tests // 4}))",
                f"def test_f{f}(n):",
                "    pass",
            ]
        (root / "test_params.py").write_text("\n".join(lines) + "\n")
    return root


def io_bound(root: Path, tests: int, seconds: float) -> Path:
    """Tests that wait like a network check does (sleep stands in for the round trip)."""
    project(root)
    body = (
        "import time\nimport pytest\n\n"
        f"@pytest.mark.important(section='io')\n@pytest.mark.parametrize('n', range({tests}))\n"
        f"def test_waits(n):\n    time.sleep({seconds})\n"
    )
    (root / "test_io.py").write_text(body)
    return root
