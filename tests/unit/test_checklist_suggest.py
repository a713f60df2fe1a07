"""Suggestions: the check catalogue read from checks/, ranking, and the write-back of links."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.checklist.suggest import Check, annotate, builtin_checks, catalogue, rank
from pytest_readiness.checklist.vocabulary import words

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
    assert 0.5 < ranked[0][0] <= 1


def test_a_matching_section_alone_suggests_nothing(tmp_path: Path) -> None:
    checks = catalogue(write_checks(tmp_path))
    assert rank("Team briefed on the launch", "PostgreSQL backups", checks) == []


def test_annotate_appends_the_comment_and_keeps_every_other_byte() -> None:
    data = b"# T\r\n- [ ] SSL on\r\n- [ ] other\r\n"
    assert annotate(data, [(2, "PG-SSL")]) == (
        b"# T\r\n- [ ] SSL on <!-- readiness: PG-SSL -->\r\n- [ ] other\r\n"
    )


def test_builtin_catalogue_keeps_sections_named_by_module_constants() -> None:
    checks = {c.id: c for c in builtin_checks()}
    assert checks["PG-SSL-REQUIRED"].section == "PostgreSQL"
    assert checks["K8S-RESOURCES"].section.startswith("Kubernetes")


def test_the_builtin_postgresql_ssl_check_wins_for_the_portuguese_item() -> None:
    ranked = rank("SSL/TLS obrigatório nas conexões", "Banco de Dados PostgreSQL", builtin_checks())
    assert ranked[0][1].id == "PG-SSL-REQUIRED"


def test_a_technology_check_needs_its_technology_in_the_item_or_section() -> None:
    checks = builtin_checks()
    assert [c.id for _, c in rank("Memory policies configured", "Cache Redis", checks)][:1] == [
        "REDIS-MAXMEMORY-POLICY"
    ]
    assert all(
        not c.id.startswith("REDIS-")
        for _, c in rank("Memory policies configured", "Hosts", checks)
    )


def test_status_words_alone_suggest_nothing() -> None:
    assert rank("Everything enabled, configured and tested", "Launch", builtin_checks()) == []


def test_a_minimum_version_is_read_from_a_plus_or_greater_or_equal() -> None:
    assert {"version", "minimum"} <= words("PostgreSQL 15+ deployed")
    assert {"version", "minimum"} <= words("Cluster version >= 1.28")
    assert "minimum" not in words("Cache size (50+)")
    assert "minimum" not in words("Coverage ≥ 80%")


def test_a_word_shared_by_many_checks_weighs_less_than_a_rare_one() -> None:
    common = [Check(f"C-{n}", f"service health {n}", "S", "x") for n in range(8)]
    rare = Check("RARE", "jetstream service", "S", "x")
    ranked = rank("jetstream service up", "", [*common, rare])
    assert [c.id for _, c in ranked] == ["RARE"]
