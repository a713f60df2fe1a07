"""Severity of a checklist entry: an inline tag, else the nearest heading that names one.

Headings are read for severity words in English and Portuguese ("Critical Success Criteria
(Must Pass)", "Importante", "Chaos Engineering (Optional but Recommended)": the first word
wins); an item only for explicit tags such as ``(CRITICAL)``, ``🔴``, ``[optional]`` or
``(se aplicável)``, so a plain "Required ports open" is not made critical by its wording.
Extra words come from the ``readiness_checklist_severity`` ini lines (``critical = P0, Sev1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_readiness.checklist.text import fold
from pytest_readiness.model import Severity

CRIT, IMP, NICE = Severity.CRITICAL, Severity.IMPORTANT, Severity.NICE_TO_HAVE

#: Words in a heading (folded: lower case, no accents).
HEADING_WORDS: tuple[tuple[str, Severity], ...] = (
    ("critical", CRIT), ("critico", CRIT), ("critica", CRIT), ("must", CRIT), ("blocker", CRIT),
    ("blockers", CRIT), ("blocking", CRIT), ("bloqueante", CRIT), ("required", CRIT), ("mandatory", CRIT),
    ("obrigatorio", CRIT), ("obrigatoria", CRIT), ("obrigatorios", CRIT), ("obrigatorias", CRIT),
    ("important", IMP), ("importante", IMP), ("importantes", IMP), ("should", IMP),
    ("recommended", IMP), ("recomendado", IMP), ("recomendados", IMP), ("recomendada", IMP),
    ("nice-to-have", NICE), ("nice to have", NICE), ("optional", NICE), ("opcional", NICE),
    ("opcionais", NICE), ("could", NICE), ("desejavel", NICE), ("desejaveis", NICE),
)  # fmt: skip

#: Tags inside an item: in parentheses or brackets, or a red circle.
ITEM_TAGS: tuple[tuple[str, Severity], ...] = (
    ("critical", CRIT), ("critico", CRIT), ("critica", CRIT), ("blocker", CRIT), ("required", CRIT),
    ("must", CRIT), ("obrigatorio", CRIT), ("obrigatoria", CRIT),
    ("important", IMP), ("importante", IMP), ("should", IMP), ("recommended", IMP), ("recomendado", IMP),
    ("optional", NICE), ("opcional", NICE), ("nice-to-have", NICE), ("nice to have", NICE), ("could", NICE),
    ("if applicable", NICE), ("se aplicavel", NICE), ("if used", NICE), ("if using", NICE),
    ("se usado", NICE), ("se utilizado", NICE), ("quando aplicavel", NICE),
)  # fmt: skip

_RED = "\U0001f534"  # 🔴


@dataclass(frozen=True)
class SeverityRules:
    """One alternation per kind: the leftmost match wins, the earlier word on a tie."""

    heading: tuple[re.Pattern[str], tuple[Severity, ...]]
    item: tuple[re.Pattern[str], tuple[Severity, ...]]

    def of_heading(self, text: str) -> Severity | None:
        if _RED in text:
            return CRIT
        return _first(self.heading, fold(text))

    def of_item(self, text: str) -> Severity | None:
        if _RED in text:
            return CRIT
        if "(" not in text and "[" not in text:  # every tag is in parentheses or brackets
            return None
        return _first(self.item, fold(text))


def rules(extra: Iterable[str] = ()) -> SeverityRules:
    """Built-in words plus ini lines ``severity = word, word``; the extra words win."""
    added: list[tuple[str, Severity]] = []
    for line in extra:
        name, sep, words = line.partition("=")
        if not sep:
            raise ValueError(f"readiness_checklist_severity: {line!r} is not 'severity = words'")
        severity = Severity(name.strip().replace("-", "_"))
        added += [(fold(w.strip()), severity) for w in words.split(",") if w.strip()]
    heading = _alternation([(_word(w), s) for w, s in [*added, *HEADING_WORDS]])
    item = _alternation([(_tag(w), s) for w, s in [*added, *ITEM_TAGS]])
    return SeverityRules(heading, item)


def severity_of(
    rules_: SeverityRules, item_texts: Sequence[str], heading_texts: Sequence[str]
) -> Severity | None:
    """The item's own tag (then its parents'), else the innermost heading naming a severity."""
    for text in item_texts:
        found = rules_.of_item(text)
        if found is not None:
            return found
    for text in reversed(heading_texts):
        found = rules_.of_heading(text)
        if found is not None:
            return found
    return None


def _word(word: str) -> str:
    return r"(?<![\w-])" + re.escape(word).replace(r"\ ", r"[\s-]+") + r"(?![\w-])"


def _tag(word: str) -> str:
    """``(optional)``, ``[critical]``, ``(if using containers)``, ``(optional but useful)``;
    not ``(recommended: 1 hour)``, which is a value, not a tag."""
    body = re.escape(word).replace(r"\ ", r"[\s-]+")
    tail = (
        r"[^)\]]*" if word.split()[0] in ("if", "se", "quando") else r"(?:\s+(?:but|mas)\b[^)\]]*)?"
    )
    return r"[(\[]\s*" + body + r"\b" + tail + r"\s*[)\]]"


def _alternation(
    patterns: Sequence[tuple[str, Severity]],
) -> tuple[re.Pattern[str], tuple[Severity, ...]]:
    joined = "|".join(f"(?P<g{n}>{p})" for n, (p, _) in enumerate(patterns))
    return re.compile(joined), tuple(s for _, s in patterns)


def _first(rule: tuple[re.Pattern[str], tuple[Severity, ...]], text: str) -> Severity | None:
    match = rule[0].search(text)
    if match is None or match.lastgroup is None:
        return None
    return rule[1][int(match.lastgroup[1:])]
