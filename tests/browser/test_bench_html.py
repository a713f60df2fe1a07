"""bench/html_browser.py works (not how fast: that is the benchmark's own output): it measures
every filter, prints JSON for bench/run.py and rewrites only its own section of the docs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "html_browser.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    pytest.importorskip("playwright.sync_api")
    spec = importlib.util.spec_from_file_location("html_browser_bench", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_measures_the_load_and_every_filter_and_its_reset(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = bench.main(["--items", "300", "--repeat", "1", "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == summary
    names = [row["measure"] for row in summary["results"]]
    expected = ["load"]
    for label, _, _ in bench.FILTERS:
        expected += [label, f"{label}, reset"]
    assert names == expected
    assert all(row["median_ms"] > 0 for row in summary["results"])
    assert summary["items"] == 300


def test_update_docs_rewrites_only_its_section(bench: ModuleType, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text(f"# P\n\nbefore\n\n{bench.START}\nold\n{bench.END}\n\nafter\n")
    summary = {
        "items": 10,
        "repeat": 1,
        "size_bytes": 1000,
        "date": "2026-12-03",
        "load_average": 1.0,
        "results": [
            {"measure": "load", "median_ms": 5.0, "worst_ms": 6.0, "goal_ms": 1500.0, "met": True}
        ],
    }
    bench.update_docs(summary, "Chromium 1", docs)
    text = docs.read_text()
    assert text.startswith("# P\n\nbefore\n\n")
    assert text.endswith("\n\nafter\n")
    assert "old" not in text
    assert "| load | 5 ms | 6 ms | < 1500 ms | yes |" in text
    docs.write_text("no markers")
    with pytest.raises(SystemExit):
        bench.update_docs(summary, "Chromium 1", docs)
