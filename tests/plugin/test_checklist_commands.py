"""--readiness-writeback, --readiness-suggest[=write] and --readiness-scaffold in real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHECKLIST = """\
# Implantação

## Banco de Dados PostgreSQL

- [ ] SSL/TLS obrigatório nas conexões
- [x] Backups noturnos configurados
"""

CHECKS = '''\
import pytest

pytestmark = pytest.mark.critical(section="PostgreSQL")


@pytest.mark.critical(id="PG-SSL", title="PostgreSQL connections use SSL")
def test_ssl():
    pass


@pytest.mark.important(id="REDIS-PING")
def test_ping():
    """Redis answers PING."""
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    (pytester.path / "RELEASE.md").write_bytes(CHECKLIST.replace("\n", "\r\n").encode())
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_pg.py").write_text(CHECKS)
    return pytester


def test_writeback_writes_the_checklist_with_decision_reasons_and_unticked_hand_ticks(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("--readiness=prod", "--readiness-writeback=out", "RELEASE.md")
    assert result.ret == 1
    written = (project.path / "out" / "RELEASE.md").read_bytes().decode()
    assert "**Readiness: DELAY** · score 0/100 · 0/2 items met\r\n" in written  # no severity word
    assert written.endswith(
        "- [ ] Backups noturnos configurados\r\n"
        "  *readiness: pending - human item: no attestation in this profile"
        " (ticked by hand, not verified)*\r\n"
    )
    assert (project.path / "RELEASE.md").read_bytes() == CHECKLIST.replace("\n", "\r\n").encode()


def test_writeback_never_overwrites_the_original(project: pytest.Pytester) -> None:
    original = (project.path / "RELEASE.md").read_bytes()
    project.runpytest("--readiness=prod", "--readiness-writeback=.", "RELEASE.md")
    assert (project.path / "RELEASE.md").read_bytes() == original
    assert b"**Readiness: DELAY**" in (project.path / "RELEASE.readiness.md").read_bytes()


def test_suggest_ranks_builtin_checks_for_portuguese_items(project: pytest.Pytester) -> None:
    result = project.runpytest("--readiness-suggest", "RELEASE.md")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "RELEASE.md:5: banco-de-dados-postgresql.ssl-tls-obrigatorio-nas-conexoes: "
            "PG-SSL-REQUIRED (1.00), PG-SSL (0.62)",
            "RELEASE.md:6: banco-de-dados-postgresql.backups-noturnos-configurados: "
            # the score moves a little as built-in checks are added (shared word weights)
            "PG-BACKUP-RECENT (0.3?)",
        ]
    )
    assert "REDIS-PING" not in result.stdout.str()


def test_suggest_write_adds_only_the_annotation(project: pytest.Pytester) -> None:
    before = (project.path / "RELEASE.md").read_bytes()
    result = project.runpytest("--readiness-suggest=write", "RELEASE.md")
    assert result.ret == 0
    after = (project.path / "RELEASE.md").read_bytes()
    assert after == before.replace(
        "conexões\r\n".encode(), "conexões <!-- readiness: PG-SSL-REQUIRED -->\r\n".encode()
    ).replace(b"configurados\r\n", b"configurados <!-- readiness: PG-BACKUP-RECENT -->\r\n")


def test_scaffold_writes_one_pending_stub_per_item(project: pytest.Pytester) -> None:
    result = project.runpytest("--readiness-scaffold=test_release.py", "RELEASE.md")
    assert result.ret == 0
    module = Path(project.path / "test_release.py").read_text()
    assert module.count(", manual=True)\n") == 2
    assert "id='banco-de-dados-postgresql.ssl-tls-obrigatorio-nas-conexoes'" in module
    out = project.path / "result.json"
    run = project.runpytest(
        "--readiness=prod", "test_release.py", f"--readiness-json={out}", "-p", "no:cacheprovider"
    )
    data = json.loads(out.read_text())
    assert [i["outcome"] for i in data["items"]] == ["pending", "pending"]
    assert run.ret != 0
