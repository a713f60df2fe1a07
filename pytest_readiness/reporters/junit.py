"""JUnit XML enriched for CI: readiness data added to the file pytest's junitxml wrote.

Why post-process instead of hooking into junitxml: its ``LogXML`` exists only on the xdist
controller and ``record_testsuite_property`` is lost under xdist (pytest #7767), while the
written file is the same in every mode. So, after junitxml wrote it, this module adds:

- suite ``<properties>``: ``readiness.decision``, ``.score``, ``.profile``, ``.scope``, the baseline
  diff, per waiver ``readiness.waiver.<n> = "id|scope|state|until|days_left|covered|by|reason"``
  (the reason last: it may contain ``|``), and per item ``readiness.item.<id> = "severity|section|weight|outcome"`` (split the
  first field off the left and the last two off the right: a section may contain ``|``) and
  ``readiness.evidence.<id>``; valid in both families;
- per-testcase ``<properties>`` only for ``xunit1``/``legacy``: xunit2's schema forbids them.
  A testcase is matched to its item by the ``readiness.nodeid`` property pytest itself wrote
  into it (see ``pytest_readiness.junit_plugin``), never by re-deriving junitxml's names;
- a testcase ``classname="readiness" name="decision"`` that fails unless the run may pass, so
  Jenkins, GitLab and GitHub test reporters show the verdict; the counters are kept in step.

Every name and value added has its control characters written as visible escapes, and
evidence and reasons are cut (:mod:`pytest_readiness.text`).
"""

from __future__ import annotations

import functools
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import NamedTuple, cast
from xml.parsers import expat

from pytest_readiness.model import ItemResult, Verdict
from pytest_readiness.reporters.terminal import render
from pytest_readiness.text import (
    CONTROL_CLASS,
    EVIDENCE_LIMIT,
    MESSAGE_LIMIT,
    printable,
    shown,
)

DECISION_CLASSNAME = "readiness"
DECISION_NAME = "decision"
# The user property the pytest shell (junit_plugin) gives each report for junitxml to write.
NODEID_PROPERTY = "readiness.nodeid"
LEGACY_FAMILIES = ("xunit1", "legacy")

# XML 1.0 cannot carry these at all; pytest shows them as #xNN, and so do we.
# The complement of XML's legal characters, written out: the negated class took 8x longer to
# compile (a regex of every run that writes JUnit).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# What printable, _xml_safe or ElementTree's attribute escaping would change in a value.
_ATTR_SPECIAL = re.compile(f'[{CONTROL_CLASS}\ufffe\uffff&<>"]')


XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
#: Characters of a JUnit file parsed at a time, and elements serialized at a time, when streamed.
_FEED = 1 << 16
_BATCH = 500


def enrich_text(pristine: str, verdict: Verdict, family: str) -> str:
    """The JUnit file pytest wrote (``pristine``) with the readiness data added."""
    root = ET.fromstring(pristine)
    enrich(root, verdict, family)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode")


def enrich(root: ET.Element, verdict: Verdict, family: str) -> None:
    """Add the readiness data to the first ``<testsuite>`` under ``root`` (or ``root`` itself),
    and replace the ``readiness.nodeid`` tags with the item's properties (xunit1 only)."""
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name="pytest", tests="0", failures="0", errors="0")
    _properties(suite).extend(_property(n, v) for n, v in suite_properties(verdict))
    by_nodeid = _items_by_nodeid(verdict, family)
    _tag_cases(root, by_nodeid)
    case = _decision_case(verdict, family)
    suite.append(case)
    for node in (suite, root) if root is not suite else (suite,):
        _bump_for(node, case)


def is_streamable(pristine: str) -> bool:
    """Whether :func:`enrich_chunks` can enrich this file as it reads it: the layout pytest's
    junitxml writes (``<testsuites>`` whose first child is the ``<testsuite>``, a suite
    ``<properties>`` only as the suite's first child, no text around the two). Reads the whole
    file without keeping its tree; raises ``ET.ParseError`` if it is not XML."""
    return _verbatim_layout(pristine) is not None or _tree_streamable(pristine)


def _tree_streamable(pristine: str) -> bool:
    """:func:`is_streamable` for any file, element by element."""
    streamable = True
    path: list[ET.Element] = []
    root: ET.Element | None = None
    suite: ET.Element | None = None
    suite_children = 0
    for event, element in _events(pristine):
        if event == "start":
            if not path:
                root = element
                streamable &= element.tag == "testsuites"
            elif len(path) == 1 and suite is None:
                suite = element
                streamable &= element.tag == "testsuite"
            elif len(path) == 2 and path[1] is suite:
                suite_children += 1
                streamable &= element.tag != "properties" or suite_children == 1
            path.append(element)
            continue
        path.pop()
        if len(path) == 2:  # read: keep no tree
            _drop(path[1], element)
    for node in (root, suite):
        streamable &= node is not None and node.text is None and node.tail is None
    return streamable


def enrich_chunks(pristine: str, verdict: Verdict, family: str) -> Iterator[str]:
    """:func:`enrich_text`'s text for a file :func:`is_streamable` accepts, in pieces, so
    neither the tree of a 10,000-test file nor the enriched text is held whole. A file as
    pytest writes it without per-testcase properties (xunit2) is copied around what is added;
    otherwise each testcase is enriched and written as it is read."""
    layout = _verbatim_layout(pristine)
    if layout is not None:
        return _verbatim_chunks(pristine, layout, verdict, family)
    return _tree_chunks(pristine, verdict, family)


def _tree_chunks(pristine: str, verdict: Verdict, family: str) -> Iterator[str]:
    """:func:`enrich_chunks` for any streamable file: parsed, enriched and written again
    element by element."""
    by_nodeid = _items_by_nodeid(verdict, family)
    case = _decision_case(verdict, family)
    yield XML_DECLARATION
    path: list[ET.Element] = []
    suite: ET.Element | None = None
    suite_open = False
    batch: list[ET.Element] = []
    for event, element in _events(pristine):
        if event == "start":
            if len(path) == 1 and suite is None:
                suite = element
                _bump_for(path[0], case)
                yield _start_tag(path[0])
            elif len(path) == 2 and path[1] is suite and not suite_open:
                suite_open = True
                yield from _open_suite(suite, case, verdict, own=element.tag != "properties")
            path.append(element)
            continue
        path.pop()
        if len(path) == 2 and path[1] is suite:
            if element.tag == "properties":  # the suite's own, first (see is_streamable)
                element.extend(_property(n, v) for n, v in suite_properties(verdict))
            _tag_cases(element, by_nodeid)
            batch.append(element)
            _drop(suite, element)
            if len(batch) >= _BATCH:
                yield _children_text(batch)
                batch.clear()
        elif len(path) == 1:
            if element is suite:
                if not suite_open:
                    suite_open = True
                    yield from _open_suite(suite, case, verdict, own=True)
                batch.append(case)
                yield _children_text(batch)
                batch.clear()
                yield f"</{suite.tag}>"
            else:
                _tag_cases(element, by_nodeid)
                yield _children_text([element])
            _drop(path[0], element)
        elif not path:
            yield f"</{element.tag}>"


# -- A file as ElementTree writes it, copied instead of parsed and written again -------------
#
# pytest writes its file with ElementTree. Parsing such a file and writing it again gives the
# same text, except where the parser changes what it reads (a CR in text becomes LF, an empty
# ``<a></a>`` comes back as ``<a />``, namespaces get prefixes, other quoting or escapes are
# rewritten). _CANONICAL matches only text in the form ElementTree writes, none of those, so
# for such a file the untouched parts can be copied: the enriched text is the same, byte for
# byte, as the element-by-element path writes (tests/unit/test_report_junit_verbatim.py).

_NAME = r"[^\s<>&/=\"':!?]+"  # no ':': no namespace (the parser would rename it)
_ATTR_VALUE = r'(?:[^<>&"\r\n\t]++|&(?:amp|lt|gt|quot|#13|#10|#09);)*+'
_TEXT = r"(?:[^<>&\r]++|&(?:amp|lt|gt);)++"
#: Start tags (one space before each attribute, `` />`` or ``>`` not followed by its end tag),
#: end tags and text, each with only the escapes ElementTree writes. Possessive quantifiers
#: (Python 3.11) keep it linear, about 10 ms a megabyte; without them the same expression took
#: a second a megabyte, more than the copy saves, so before 3.11 every file takes the tree path.
_CANONICAL = (
    re.compile(
        rf'(?:<(?:/{_NAME}>|{_NAME}(?: (?!xmlns[ =]){_NAME}="{_ATTR_VALUE}")*+(?: />|>(?!</)))'
        rf"|{_TEXT})*+"
    )
    if sys.version_info >= (3, 11)
    else None
)
_ROOT_END = "</testsuites>"
#: ElementTree's attribute escapes, in its order (_writes_as_expected checks them).
_ATTRIBUTE_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)
_SUITE_END = "</testsuite>"


class _Layout(NamedTuple):
    """Where the parts of a file in ElementTree's form are (indexes into its text)."""

    root_tag: str  # ``<testsuites ...>``
    suite_tag: str  # ``<testsuite ...>`` or ``<testsuite ... />``
    properties_head: str | None  # the suite's ``<properties>`` up to its end tag, if it has one
    children: tuple[int, int]  # the suite's other children, with their tails
    after_suite: tuple[int, int]  # the root's children after the suite


@functools.lru_cache(maxsize=1)  # is_streamable, then enrich_chunks (once or twice), one text
def _verbatim_layout(pristine: str) -> _Layout | None:
    """The layout of a streamable file that can be copied: in ElementTree's form, well-formed,
    and with no ``<properties>`` but the suite's own (so no testcase has a tag to replace);
    ``None`` for any other file."""
    start = len(XML_DECLARATION) if pristine.startswith(XML_DECLARATION) else 0
    if not (
        pristine.startswith(("<testsuites ", "<testsuites>"), start)
        and pristine.endswith(_ROOT_END)
        and pristine.count("<testsuites ", start) + pristine.count("<testsuites>", start) == 1
        and pristine.count("<testsuite ", start) + pristine.count("<testsuite>", start) == 1
        and _CANONICAL is not None
        and _writes_as_expected()
        and _CANONICAL.fullmatch(pristine, start)
    ):
        return None
    try:  # well-formed (for a file that is not, the tree path raises the ParseError)
        expat.ParserCreate().Parse(pristine, True)
    except (expat.ExpatError, ValueError):
        return None
    # In this form '<' and '>' only delimit tags, and the one testsuite ends at the one
    # "</testsuite>".
    root_end = pristine.index(">", start) + 1
    if pristine[root_end - 2] == "/" or not pristine.startswith(
        ("<testsuite ", "<testsuite>"), root_end
    ):
        return None  # no suite, or text before it
    suite_end = pristine.index(">", root_end) + 1
    suite_tag = pristine[root_end:suite_end]
    properties_head = None
    first = last = after = suite_end
    if not suite_tag.endswith(" />"):
        if pristine[suite_end] != "<":
            return None  # text before the suite's first child
        last = pristine.index(_SUITE_END, suite_end)
        after = last + len(_SUITE_END)
        if pristine.startswith(("<properties ", "<properties>"), first):
            tag_end = pristine.index(">", first) + 1
            if pristine[tag_end - 2] == "/":  # <properties ... />
                properties_head, first = pristine[first : tag_end - 3] + ">", tag_end
            else:
                close = pristine.index("</properties>", tag_end)
                properties_head, first = pristine[first:close], close + len("</properties>")
    if pristine.count("<properties", start) != (0 if properties_head is None else 1):
        return None  # properties elsewhere: testcase tags to replace, or not the layout
    if pristine[after] != "<":
        return None  # text after the suite
    end = len(pristine) - len(_ROOT_END)
    return _Layout(
        pristine[start:root_end], suite_tag, properties_head, (first, last), (after, end)
    )


@functools.cache
def _writes_as_expected() -> bool:
    """Whether this Python's ElementTree writes what it read as _CANONICAL expects (every
    escape it reads back, short empty elements): the copy is taken only where it is the text
    the tree path writes."""
    probe = '<p a="&amp;&lt;&gt;&quot;&#13;&#10;&#09;\'">&amp;&lt;&gt;"\'\n\t<q /></p>'
    return ET.tostring(ET.fromstring(probe), encoding="unicode") == probe


def _verbatim_chunks(
    pristine: str, layout: _Layout, verdict: Verdict, family: str
) -> Iterator[str]:
    """:func:`enrich_chunks` for a file :func:`_verbatim_layout` accepts: the suite's
    properties and the decision testcase added, the counters bumped, the rest copied."""
    case = _decision_case(verdict, family)
    root = ET.fromstring(layout.root_tag + _ROOT_END)
    suite_tag = layout.suite_tag
    suite = ET.fromstring(suite_tag if suite_tag.endswith(" />") else suite_tag + _SUITE_END)
    yield XML_DECLARATION
    _bump_for(root, case)
    yield _start_tag(root)
    _bump_for(suite, case)
    yield _start_tag(suite)
    yield "<properties>" if layout.properties_head is None else layout.properties_head
    yield from _properties_text(suite_properties(verdict))
    yield "</properties>"
    yield from _slices(pristine, *layout.children)
    yield _children_text([case])
    yield _SUITE_END
    yield from _slices(pristine, *layout.after_suite)
    yield _ROOT_END


def _slices(text: str, start: int, end: int) -> Iterator[str]:
    for offset in range(start, end, _FEED):
        yield text[offset : min(offset + _FEED, end)]


def _properties_text(properties: list[tuple[str, str]]) -> Iterator[str]:
    """``<property>`` elements as ElementTree writes them, a batch at a time: as text where
    this Python's ElementTree escapes as :func:`_attribute` does, else as elements."""
    direct = _writes_as_expected()
    for start in range(0, len(properties), _BATCH):
        batch = properties[start : start + _BATCH]
        if direct:
            yield "".join([_property_text(name, value) for name, value in batch])
        else:
            yield _children_text([_property(name, value) for name, value in batch])


def _property_text(name: str, value: str) -> str:
    """``_property(name, value)`` as ElementTree writes it."""
    return f'<property name="{_attribute(name)}" value="{_attribute(value)}" />'


def _attribute(text: str) -> str:
    """An attribute value as :func:`_property` makes it and ElementTree escapes it."""
    if _ATTR_SPECIAL.search(text) is None:
        return text  # nothing to make visible, replace or escape: most values
    text = _xml_safe(printable(text))
    for char, entity in _ATTRIBUTE_ESCAPES:
        if char in text:
            text = text.replace(char, entity)
    return text


def _open_suite(
    suite: ET.Element, case: ET.Element, verdict: Verdict, *, own: bool
) -> Iterator[str]:
    """The suite's start tag, counters bumped, and its ``<properties>`` if it had none."""
    _bump_for(suite, case)
    yield _start_tag(suite)
    if own:
        yield "<properties>"
        yield from _properties_text(suite_properties(verdict))  # never empty: the decision
        yield "</properties>"


def _events(text: str) -> Iterator[tuple[str, ET.Element]]:
    """Start and end events, each handed on only once the next one was read: by then the
    parser has set the element's text and tail."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    held: tuple[str, ET.Element] | None = None
    for offset in range(0, len(text) + _FEED, _FEED):
        if offset < len(text):
            parser.feed(text[offset : offset + _FEED])
        else:
            parser.close()
        for event in parser.read_events():  # (kind, element) for start and end events
            if held is not None:
                yield held
            held = cast(tuple[str, ET.Element], event)
    if held is not None:
        yield held


def _start_tag(element: ET.Element) -> str:
    """``<tag attributes>`` as ElementTree writes it."""
    shell = ET.Element(element.tag, element.attrib)
    text = ET.tostring(shell, encoding="unicode", short_empty_elements=False)
    return text[: -len(f"</{element.tag}>")]


def _children_text(elements: list[ET.Element]) -> str:
    """The elements as ElementTree writes them inside their parent (one call for many)."""
    wrapper = ET.Element("w")
    wrapper.extend(elements)
    return ET.tostring(wrapper, encoding="unicode")[len("<w>") : -len("</w>")]


def _drop(parent: ET.Element, child: ET.Element) -> None:
    if len(parent) and parent[0] is child:
        del parent[0]
    else:
        parent.remove(child)


def _items_by_nodeid(verdict: Verdict, family: str) -> dict[str, ItemResult]:
    """Items whose testcases get properties: xunit1 only (xunit2's schema forbids them)."""
    if family not in LEGACY_FAMILIES:
        return {}
    # pytest wrote the tag's value as it writes any value: illegal XML characters as #xNN.
    return {_xml_safe(item.spec.nodeid): item for item in verdict.items}


def _tag_cases(root: ET.Element, by_nodeid: dict[str, ItemResult]) -> None:
    for case, nodeid in _take_nodeid_tags(root):
        item = by_nodeid.get(nodeid)
        if item is not None:
            _properties(case).extend(_property(n, v) for n, v in _item_properties(item))


def _decision_case(verdict: Verdict, family: str) -> ET.Element:
    case = decision_testcase(verdict)
    if family in LEGACY_FAMILIES:  # xunit1 testcases carry file/line (annotation actions)
        file, line = config_location(verdict)
        if file:
            case.set("file", _xml_safe(file))
            case.set("line", str(line))
    return case


def _bump_for(node: ET.Element, case: ET.Element) -> None:
    """Count the decision testcase in a suite's (or the root's) counters."""
    _bump(node, "tests", 1)
    _bump(node, "failures", 1 if case.find("failure") is not None else 0)


def decision_passes(verdict: Verdict) -> bool:
    """The decision case passes exactly when the process exits 0: GO, or DELAY where the policy
    lets it pass, and only if every report could be written."""
    return verdict.exit_status == 0


def suite_properties(verdict: Verdict) -> list[tuple[str, str]]:
    props = [
        ("readiness.decision", verdict.decision.value),
        ("readiness.score", str(verdict.score)),
        ("readiness.profile", verdict.run.profile),
        ("readiness.scope", verdict.scope.describe()),
        ("readiness.reasons", "; ".join(shown(r, MESSAGE_LIMIT) for r in verdict.reasons)),
    ]
    diff = verdict.baseline
    if diff is not None:
        props += [
            ("readiness.baseline.source", diff.source),
            ("readiness.baseline.previous_decision", diff.previous_decision),
            ("readiness.baseline.previous_score", str(diff.previous_score)),
            ("readiness.baseline.score_change", f"{diff.score_change:+d}"),
            ("readiness.baseline.newly_failing", " ".join(diff.newly_failing)),
            ("readiness.baseline.fixed", " ".join(diff.fixed)),
            ("readiness.baseline.added", " ".join(diff.added)),
            ("readiness.baseline.removed", " ".join(diff.removed)),
        ]
    for number, status in enumerate(verdict.waivers, 1):
        w = status.waiver
        fields = [w.id, status.scope, status.health.value, w.until.isoformat()]
        fields += [str(status.days_left), str(status.covered_count), w.by, w.reason]
        props.append((f"readiness.waiver.{number}", shown("|".join(fields), MESSAGE_LIMIT)))
    for item in verdict.items:
        spec = item.spec
        props.append(
            (
                f"readiness.item.{shown(spec.id, MESSAGE_LIMIT)}",
                f"{spec.severity.value}|{shown(spec.section, MESSAGE_LIMIT)}|{spec.weight:g}|{item.outcome.value}",
            )
        )
        if item.evidence:
            props.append(
                (f"readiness.evidence.{shown(spec.id, MESSAGE_LIMIT)}", _evidence_text(item))
            )
    return props


def decision_testcase(verdict: Verdict) -> ET.Element:
    case = ET.Element("testcase", classname=DECISION_CLASSNAME, name=DECISION_NAME, time="0.000")
    text = summary_text(verdict)
    if decision_passes(verdict):
        ET.SubElement(case, "system-out").text = _xml_safe(text)
    else:
        message = f"{verdict.headline()} - exit status {verdict.exit_status}"
        failure = ET.SubElement(
            case, "failure", message=_xml_safe(message), type=verdict.decision.value
        )
        failure.text = _xml_safe(f"{text}exit status {verdict.exit_status}\n")
    return case


def config_location(verdict: Verdict) -> tuple[str, int]:
    """The readiness config (relative to the working directory when below it) and the 0-based
    line of the profile's key in it, as junitxml writes a testcase's file and line; the
    decision's annotation then points at the profile that decided."""
    path = verdict.run.config_path
    if not path:
        return "", 0
    try:
        shown_path = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown_path = path
    if shown_path.startswith(".."):
        shown_path = path
    try:
        with open(path, encoding="utf-8") as handle:
            for number, text in enumerate(handle):
                if text.strip().startswith(f"{verdict.run.profile}:"):
                    return shown_path, number
    except (OSError, UnicodeDecodeError):
        pass
    return shown_path, 0


def summary_text(verdict: Verdict) -> str:
    """The terminal summary as plain text: matrix, what is not met and why, the decision."""
    lines = []
    for line in render(verdict, 0):
        lines.append(f"--- {line.text} ---" if line.sep else line.text)
    return "\n".join(lines) + "\n"


def _take_nodeid_tags(root: ET.Element) -> list[tuple[ET.Element, str]]:
    """Each tagged testcase with its node id, the tag removed (and ``<properties>`` if that
    leaves it empty: pytest writes none for a testcase without properties)."""
    tagged = []
    for case in list(root.iter("testcase")):
        props = case.find("properties")
        if props is None:
            continue
        for prop in props.findall(f"property[@name='{NODEID_PROPERTY}']"):
            props.remove(prop)
            tagged.append((case, prop.get("value", "")))
        if len(props) == 0:
            case.remove(props)
    return tagged


def _item_properties(item: ItemResult) -> Iterable[tuple[str, str]]:
    spec = item.spec
    yield "readiness.id", shown(spec.id, MESSAGE_LIMIT)
    yield "readiness.severity", spec.severity.value
    yield "readiness.section", shown(spec.section, MESSAGE_LIMIT)
    yield "readiness.weight", f"{spec.weight:g}"
    yield "readiness.outcome", item.outcome.value
    if item.message:  # e.g. who attested it and when, who waived it until when
        yield "readiness.message", shown(item.message, MESSAGE_LIMIT)
    for record in item.evidence:
        yield "readiness.evidence", shown(record.summary(), EVIDENCE_LIMIT)


def _properties(node: ET.Element) -> ET.Element:
    """The ``<properties>`` of a testsuite or testcase, made first child if it has none."""
    props = node.find("properties")
    if props is None:
        props = ET.Element("properties")
        node.insert(0, props)
    return props


def _property(name: str, value: str) -> ET.Element:
    return ET.Element(
        "property", name=_xml_safe(printable(name)), value=_xml_safe(printable(value))
    )


def _evidence_text(item: ItemResult) -> str:
    return " ; ".join(shown(record.summary(), EVIDENCE_LIMIT) for record in item.evidence)


def _bump(node: ET.Element, counter: str, by: int) -> None:
    value = node.get(counter)
    if value is not None and value.isdigit():
        node.set(counter, str(int(value) + by))


def _xml_safe(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"

    return _ILLEGAL_XML.sub(repl, text)
