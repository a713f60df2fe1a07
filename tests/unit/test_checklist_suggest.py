"""Suggestions: the check catalogue read from checks/, ranking, and the write-back of links."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.checklist.suggest import annotate, catalogue, rank

CHECKS = '''\
import pytest

pytestmark = pytest.mark.critical(section="PostgreSQL")


@pytest.mark.critical(id="PG-SSL", title="PostgreSQL connections use SSL")
def test_ssl(pg_conn):
    pass


@pytest.mark.important(id="PG-BACKUP")
def test_backup(pg_conn):
    """Recent base backups exist."""


@pytest.mark.parametrize("x", [1])
def test_not_a_check(x):
    pass
'''


def write_checks(root: Path) -> Path:
    (root / "checks" / "postgres").mkdir(parents=True)
    (root / "checks" / "postgres" / "test_pg.py").write_text(CHECKS)
    (root / "checks" / "test_broken.py").write_text("def (:\n")
    return root / "checks"


def test_catalogue_reads_ids_titles_and_sections_without_importing(tmp_path: Path) -> None:
    checks = catalogue(write_checks(tmp_path))
    assert [(c.id, c.title, c.section) for c in checks] == [
        ("PG-SSL", "PostgreSQL connections use SSL", "PostgreSQL"),
        ("PG-BACKUP", "Recent base backups exist.", "PostgreSQL"),
    ]


def test_portuguese_item_under_a_postgresql_heading_ranks_the_ssl_check_first(
    tmp_path: Path,
) -> None:
    checks = catalogue(write_checks(tmp_path))
    ranked = rank("SSL/TLS obrigatório nas conexões", "Banco de Dados PostgreSQL", checks)
    assert [c.id for _, c in ranked] == ["PG-SSL"]
    assert ranked[0][0] == 0.75


def test_a_matching_section_alone_suggests_nothing(tmp_path: Path) -> None:
    checks = catalogue(write_checks(tmp_path))
    assert rank("Team briefed on the launch", "PostgreSQL backups", checks) == []


def test_annotate_appends_the_comment_and_keeps_every_other_byte() -> None:
    data = b"# T\r\n- [ ] SSL on\r\n- [ ] other\r\n"
    assert annotate(data, [(2, "PG-SSL")]) == (
        b"# T\r\n- [ ] SSL on <!-- readiness: PG-SSL -->\r\n- [ ] other\r\n"
    )
