"""--readiness-suggest and --readiness-scaffold: act on the collected checklist, then stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.checklist.items import ChecklistItem


def run_commands(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") != "no":
        raise pytest.UsageError("--readiness-suggest and --readiness-scaffold run without -n")
    checklist_items = [i for i in items if isinstance(i, ChecklistItem)]
    lines: list[str] = []
    scaffold = config.getoption("readiness_scaffold", None)
    if scaffold:
        from pytest_readiness.checklist.scaffold import write_scaffold

        path = Path(config.invocation_params.dir, scaffold)
        write_scaffold(path, checklist_items)
        lines.append(f"readiness: wrote {len(checklist_items)} pending stubs to {path}")
    mode = config.getoption("readiness_suggest", None)
    if mode:
        from pytest_readiness.checklist.suggest import suggest_command

        lines += suggest_command(config, checklist_items, write=mode == "write")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for line in lines or ["readiness: no checklist items collected"]:
        if reporter is not None:
            reporter.write_line(line)
        else:  # -p no:terminal
            print(line)
    pytest.exit("readiness: done, no tests were run", returncode=0)
