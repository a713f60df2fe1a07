"""Checklist severities from headings and inline tags, English and Portuguese."""

from __future__ import annotations

import pytest

from pytest_readiness.checklist.document import read_checklist
from pytest_readiness.checklist.severity import rules
from pytest_readiness.model import Severity

CRIT, IMP, NICE = Severity.CRITICAL, Severity.IMPORTANT, Severity.NICE_TO_HAVE


def severities(text: str, extra: tuple[str, ...] = ()) -> list[Severity | None]:
    return [e.severity for e in read_checklist(text.encode(), "t.md", rules(extra)).entries]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Critical Success Criteria (Must Pass)", CRIT),
        ("🔴 Pre-Deployment Fixes", CRIT),
        ("Blockers", CRIT),
        ("Requisitos Obrigatórios", CRIT),
        ("Important Criteria (Should Pass)", IMP),
        ("Itens Importantes", IMP),
        ("Chaos Engineering (Optional but Recommended)", NICE),
        ("Nice-to-Have Criteria", NICE),
        ("Melhorias Opcionais", NICE),
        ("Requirements overview", None),
    ],
)
def test_heading_words_set_the_severity(heading: str, expected: Severity | None) -> None:
    assert severities(f"## {heading}\n- [ ] item\n") == [expected]


def test_the_nearest_heading_with_a_severity_wins() -> None:
    text = "## Critical\n### Database\n- [ ] a\n### Optional extras\n- [ ] b\n"
    assert severities(text) == [CRIT, NICE]


def test_inline_tags_beat_headings_but_plain_words_do_not() -> None:
    text = (
        "## Important\n- [ ] a (CRITICAL)\n- [ ] b (if applicable)\n- [ ] c (se aplicável)\n"
        "- [ ] d 🔴\n- [ ] Required ports open\n- [ ] e [optional]\n- [ ] g (if using containers)\n"
    )
    assert severities(text) == [CRIT, NICE, NICE, CRIT, IMP, NICE, NICE]


def test_a_value_in_parentheses_is_not_a_tag() -> None:
    assert severities("## Compute\n- [ ] Instance type (recommended: 4 vCPU)\n") == [None]


def test_sub_items_inherit_a_tag_of_their_parent() -> None:
    assert severities("- [ ] group (optional)\n  - [ ] child\n") == [NICE, NICE]


def test_no_signal_leaves_the_profile_default() -> None:
    assert severities("## Database\n- [ ] a\n") == [None]


def test_extra_words_are_configurable_and_win() -> None:
    assert severities("## Showstoppers\n- [ ] a\n", ("critical = showstoppers",)) == [CRIT]
    with pytest.raises(ValueError, match="not 'severity = words'"):
        rules(("showstopper",))
