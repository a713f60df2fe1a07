"""The merge command line: report options from REPORT_RENDERERS, labels, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pytest_readiness import reporting
from pytest_readiness.cli import main
from pytest_readiness.model import ItemSpec, RawOutcome, RawResult, RunInfo, Severity
from pytest_readiness.policy import Policy, evaluate, policy_facts
from pytest_readiness.reporters.json_report import render


def write_result(path: Path, profile: str = "prod") -> None:
    spec = ItemSpec("C-1", "test_c.py::test_c", "c", Severity.CRITICAL, "S", 5.0)
    verdict = evaluate(
        [spec], {spec.nodeid: RawResult(RawOutcome.PASSED)}, Policy(), today=date(2026, 12, 3),
        run=RunInfo(profile, policy=policy_facts(Policy())),
    )  # fmt: skip
    path.write_text(render(verdict))


def test_a_report_format_added_to_the_renderers_is_a_merge_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What reporters/sarif.py registers as readiness_sarif becomes --sarif with no change here."""
    monkeypatch.setitem(
        reporting.REPORT_RENDERERS, "readiness_sarif", "pytest_readiness.reporters.json_report"
    )
    write_result(tmp_path / "r.json")
    status = main(["merge", str(tmp_path / "r.json"), "--sarif", str(tmp_path / "out.sarif")])
    assert status == 0
    assert json.loads((tmp_path / "out.sarif").read_text())["decision"] == "GO"
    assert "readiness decision: GO" in capsys.readouterr().out


def test_a_label_names_the_environment_but_a_path_with_an_equals_sign_stays_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_result(tmp_path / "a=b.json")
    write_result(tmp_path / "plain.json")
    status = main(["merge", "a=b.json", "eu=plain.json", "--json", "m.json"])
    merged = json.loads((tmp_path / "m.json").read_text())
    assert [item["id"] for item in merged["items"]] == ["prod:C-1", "eu:C-1"]
    assert status == 0


def test_a_profile_file_without_a_profile_name_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_result(tmp_path / "r.json")
    status = main(["merge", str(tmp_path / "r.json"), "--readiness-config", "x.yaml"])
    assert status == 4
    assert capsys.readouterr().err.strip() == (
        "pytest-readiness merge: --readiness-config needs --readiness PROFILE"
    )
