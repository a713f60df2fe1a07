"""readiness.yaml read through libyaml means exactly what PyYAML's pure-Python parser says it means.

``config_yaml.load`` reads a config through libyaml's C parser when PyYAML has it. Over every
YAML file and docs sample in the repository, hand-picked hard cases and generated documents:
whatever the libyaml path returns equals what the pure-Python path returns (values and the type
of every part), and ``load`` returns or raises exactly what the pure-Python path does (the same
exception type and message, marks included).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness import config_yaml
from tests.plugin.test_usage import BAD_CONFIGS
from tests.unit.test_config import BAD, GOOD

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCES = {".git", ".venv", "node_modules", "site", "build", "dist", ".tox"}


def libyaml() -> type[yaml.CSafeLoader]:
    assert config_yaml._LIBYAML is not None, "the tests' PyYAML is built with libyaml"
    return config_yaml._LIBYAML


def pure_python(text: str) -> Any:
    return config_yaml._read(text, config_yaml._BoundedLoader)


def through_libyaml(text: str) -> Any:
    return config_yaml._read(text, libyaml())


def typed(value: Any) -> Any:
    """The value with the type of every part, so that 1, True and '1' differ, and a date its text."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def outcome(read: Callable[[str], Any], text: str) -> tuple[Any, ...]:
    try:
        return ("value", typed(read(text)))
    except Exception as exc:
        return ("error", type(exc), str(exc))


def assert_equivalent(text: str) -> None:
    """load() is the pure-Python reading; libyaml, where it is used and returns, agrees with it."""
    expected = outcome(pure_python, text)
    assert outcome(config_yaml.load, text) == expected
    if config_yaml._libyaml_reads_it_alike(text):
        from_libyaml = outcome(through_libyaml, text)
        if from_libyaml[0] == "value":
            assert from_libyaml == expected


def documents(text: str, loader_class: type[Any]) -> list[Any]:
    """Every document of a stream (Kubernetes manifests hold several), with our constructors."""
    loader = loader_class(text)
    try:
        values = []
        while loader.check_node():
            values.append(typed(loader.construct_document(loader.get_node())))
        return values
    finally:
        loader.dispose()


# -- every YAML text in the repository ----------------------------------------------------------


def repository_files() -> list[Path]:
    found = [
        path
        for pattern in ("*.yaml", "*.yml")
        for path in ROOT.rglob(pattern)
        if not NOT_SOURCES.intersection(path.relative_to(ROOT).parts)
    ]
    return sorted(found)


def docs_samples() -> list[Any]:
    samples = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for n, block in enumerate(
            re.findall(r"^```yaml\n(.*?)^```", page.read_text(), re.M | re.S)
        ):
            samples.append(pytest.param(block, id=f"{page.name}-{n}"))
    return samples


def test_the_corpus_holds_the_examples_and_docs_samples() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in repository_files()}
    assert "examples/quickstart/readiness.yaml" in names
    assert len(names) > 50
    assert len(docs_samples()) > 5


@pytest.mark.parametrize("path", repository_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_yaml_file_in_the_repository_reads_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_equivalent(text)
    if config_yaml._libyaml_reads_it_alike(text):  # multi-document files, document by document
        from_libyaml = outcome(lambda t: documents(t, libyaml()), text)
        if from_libyaml[0] == "value":
            assert from_libyaml == outcome(lambda t: documents(t, config_yaml._BoundedLoader), text)


def test_the_example_configs_are_read_by_libyaml() -> None:
    for name in ("quickstart", "checklist", "ci/suite"):
        text = (ROOT / "examples" / name / "readiness.yaml").read_text(encoding="utf-8")
        assert config_yaml._libyaml_reads_it_alike(text), name
        assert typed(through_libyaml(text)) == typed(pure_python(text))


@pytest.mark.parametrize("text", docs_samples())
def test_every_docs_yaml_sample_reads_alike(text: str) -> None:
    assert_equivalent(text)


INLINE_CONFIGS = {
    "good": GOOD,
    **{f"config-{case[0]}": case[1] for case in BAD},
    **{f"usage-{name}": text for name, text in BAD_CONFIGS.items()},
}


@pytest.mark.parametrize("text", INLINE_CONFIGS.values(), ids=INLINE_CONFIGS.keys())
def test_the_configs_of_the_config_and_usage_tests_read_alike(text: str) -> None:
    assert_equivalent(text)


# -- hand-picked hard cases -----------------------------------------------------------------------

HARD = {
    "anchors and aliases": "base: &b {timeout: 2, list: [1, 2]}\nprod: *b\nlist: &l [a, *b]\nagain: *l\n",
    "merge key": "base: &b {timeout: 2, x: 1}\nprod:\n  <<: *b\n  timeout: 3\n",
    "merge of a list": "a: &a {x: 1}\nb: &b {y: 2, x: 0}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "merge nested": "a: &a {x: {y: 1}}\nb: &b\n  <<: *a\n  w: 2\nc:\n  <<: *b\n",
    "merge of a scalar": "a: &a 1\nb:\n  <<: *a\n",
    "merge key quoted": "'<<': {a: 1}\n",
    "duplicate key": "profiles:\n  prod: {}\n  prod: {}\n",
    "duplicate key after merge": "a: &a {x: 1}\nb:\n  <<: *a\n  y: 1\n  y: 2\n",
    "duplicate flow key": "{a: 1, a: 2}\n",
    "int key": "severity: {1: critical}\n",
    "bool key": "on: 1\n",
    "null key": "~: 1\n",
    "date key": "2020-01-01: x\n",
    "float key": "1.5: x\n",
    "complex key": "? [a, b]\n: c\n",
    "explicit text key": "? a\n: b\n? c\n",
    "impossible date": "until: 2099-02-30\n",
    "dates": "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\nd: 2002-12-14T21:59:43Z\n",
    "odd dates": "a: 2001-1-1\nb: 2001-12-14T25:00:00\nc: 2001-13-01\nd: 2000-02-29\ne: 1900-02-29\n",
    "numbers": "a: 0o17\nb: 017\nc: 0x1F\nd: 1:30\ne: 190:20:30\nf: 1_000\ng: 0b101\nh: +12\ni: -0\nj: .5\nk: 1e3\nl: 1.0e+3\nm: 09\nn: 1:30.5\n",
    "specials": "a: .inf\nb: -.Inf\nc: .NaN\nd: ~\ne: null\nf: Null\ng: ''\nh:\n",
    "booleans": "a: on\nb: off\nc: yes\nd: no\ne: y\nf: n\ng: True\nh: FALSE\ni: Yes\nj: 'on'\nk: \"no\"\n",
    "unicode": "café: 'naïve'\n日本: 語\nemoji: 😀\nrtl: שלום\ncombining: e\u0301\n",
    "escapes": 'a: "\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\0\\a\\b\\v\\f\\/"\n',
    "surrogate escape": 'a: "\\ud800"\n',
    "lone surrogate": "a: \ud800\n",
    "control character": "a: \x07\n",
    "block scalars": "a: |\n  x\n   y\nb: >-\n  x\n\n  y\nc: |+\n  z\n\nd: |2-\n   w\n",
    "quoted folding": "a: 'x\n\n  y'\nb: \"x\\\n  y\"\nc: x\n  y\n",
    "crlf": "profiles:\r\n  prod:\r\n    timeout: 3\r\n",
    "cr": "a: 1\rb: 2\r",
    "nel and line separators": "a: 1\x85b: 2\u2028c: 'x\u2029y'\n",
    "bom at the start": "\ufeffprofiles: {}\n",
    "empty": "",
    "comment only": "# nothing\n",
    "document start only": "---\n",
    "document end only": "...\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document end then more": "a: 1\n...\n---\nb: 2\n",
    "directive 1.1": "%YAML 1.1\n---\na: 1\n",
    "directive 1.2": "%YAML 1.2\n---\na: 1\n",
    "directive 1.3": "%YAML 1.3\n---\na: 1\n",
    "directive 2.0": "%YAML 2.0\n---\na: 1\n",
    "undefined alias": "a: *nope\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\nc: *x\n",
    "anchor on a key": "&k a: 1\nb: *k\n",
    "alias as a key": "a: &k key\n*k : 2\n",
    "flow colons": "[a:b, http://x, {a:1}]\n",
    "flow trailing commas": "a: [1, 2,]\nb: {c: 1,}\n",
    "flow pairs": "[a: b, c: d]\n",
    "long simple key": "k" * 1100 + ": 1\n",
    "long unicode simple key": "é" * 600 + ": 1\n",
    "long line": "a: " + "x " * 5000 + "\n",
    "url with a query": "dsn: postgresql://u@h:5432/db?sslmode=require&x=1\n",
    "url with a query and a flow list": "dsn: http://h/?a=1\nl: [a, b]\n",
    "tab separator": "a:\tb\n",
    "tab before a comment": "a: b\t# c\n",
    "tab in a scalar": "a: x\ty\n",
    "tab indentation": "a:\n\t- 1\n",
    "tag": "a: !!str 1\nb: !!int '3'\n",
    "empty tag": "a: !\n",
    "local tag": "a: !foo x\n",
    "python tag": "a: !!python/tuple [1]\n",
    "set": "a: !!set {x, y}\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "comment after a block header": "a: |#\n  x\n",
    "question mark in flow": "[a?b]\n",
    "syntax error": "profiles:\n  prod: {timeout: 5\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "not printable": "a: \x00\n",
    "top-level scalar": "just text\n",
    "top-level list": "- a\n- b\n",
}


@pytest.mark.parametrize("text", HARD.values(), ids=HARD.keys())
def test_hard_cases_read_alike(text: str) -> None:
    assert_equivalent(text)


# Each of these is read otherwise by libyaml (accepted where PyYAML refuses it, or another value):
# the reason load() never gives such a text to libyaml.
LIBYAML_READS_OTHERWISE = {
    "tab separator": "a:\tb\n",
    "tab before a comment": "a: b\t# c\n",
    "tab in a plain scalar": "a: x\ty\n",
    "empty tag": "a: !\n",
    "empty tag as a key": "? !\n",
    "byte order mark inside": "a: 1\n\ufeffb: 2\n",
    "question mark in a flow sequence": "[a?b]\n",
    "question mark in a flow mapping": "{a?b: 1}\n",
    "comment after a literal header": "a: |#\n  x\n",
    "comment after a folded header with indicators": "a: >-2#\n   x\n",
}


@pytest.mark.parametrize(
    "text", LIBYAML_READS_OTHERWISE.values(), ids=LIBYAML_READS_OTHERWISE.keys()
)
def test_texts_libyaml_reads_otherwise_take_the_pure_python_path(text: str) -> None:
    assert outcome(through_libyaml, text) != outcome(pure_python, text)
    assert not config_yaml._libyaml_reads_it_alike(text)
    assert outcome(config_yaml.load, text) == outcome(pure_python, text)


# -- bounds --------------------------------------------------------------------------------------


def flow_nested(levels: int) -> str:
    return "a: " + "[" * levels + "]" * levels + "\n"


def block_nested(levels: int) -> str:
    return "".join(" " * n + f"k{n}:\n" for n in range(levels)) + " " * levels + "v\n"


@pytest.mark.parametrize(
    "text",
    [flow_nested(63), block_nested(63), flow_nested(64), block_nested(64)],
    ids=["flow-64", "block-64", "flow-65", "block-65"],
)
def test_nesting_at_the_bound_reads_alike(text: str) -> None:
    assert_equivalent(text)


@pytest.mark.parametrize(
    "text",
    [
        *(flow_nested(levels) for levels in (65, 1000, 1001, 5000, 500_000)),
        *(block_nested(levels) for levels in (65, 1000, 1001, 1400)),  # 1400: just under 1 MiB
    ],
    ids=[
        *(f"flow-{n}" for n in (65, 1000, 1001, 5000, 500_000)),
        "block-65",
        "block-1000",
        "block-1001",
        "block-1400",
    ],
)
def test_deep_nesting_stops_at_64_levels_with_the_pure_python_message(text: str) -> None:
    assert len(text.encode()) <= config_yaml.MAX_BYTES
    with pytest.raises(config_yaml.BoundExceeded) as from_load:
        config_yaml.load(text)
    with pytest.raises(config_yaml.BoundExceeded) as from_pure:
        pure_python(text)
    assert str(from_load.value) == str(from_pure.value)
    assert "nested more than 64 levels deep" in str(from_load.value)
    with pytest.raises(Exception):  # noqa: B017, PT011 - libyaml's path refuses it too, and does not crash
        through_libyaml(text)


def alias_bomb(levels: int) -> str:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for n in range(levels):
        text += f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 10) + "]\n"
    return text


@pytest.mark.parametrize("levels", [3, 4, 5, 8])
def test_aliases_expanding_past_the_bound_fail_alike(levels: int) -> None:
    text = alias_bomb(levels)
    assert config_yaml._libyaml_reads_it_alike(text)
    assert_equivalent(text)
    assert outcome(config_yaml.load, text)[0] == ("value" if levels < 4 else "error")


# -- which parser reads what ---------------------------------------------------------------------


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parsers load() used, in order ('libyaml' or 'pure')."""
    used: list[str] = []
    read = config_yaml._read

    def spy(text: str, loader_class: type[Any]) -> Any:
        used.append("pure" if loader_class is config_yaml._BoundedLoader else "libyaml")
        return read(text, loader_class)

    monkeypatch.setattr(config_yaml, "_read", spy)
    return used


def test_a_config_is_read_by_libyaml_alone(readers: list[str]) -> None:
    text = (ROOT / "examples" / "quickstart" / "readiness.yaml").read_text(encoding="utf-8")
    assert config_yaml.load(text)["version"] == 1
    assert readers == ["libyaml"]


def test_an_error_is_raised_by_the_pure_python_parser_with_its_marks(readers: list[str]) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as info:
        config_yaml.load("profiles:\n  prod: {timeout: 5\n")
    assert readers == ["libyaml", "pure"]
    mark = info.value.problem_mark
    assert mark is not None
    assert (mark.line, mark.column, mark.name) == (2, 0, "<unicode string>")
    assert str(info.value) == outcome(pure_python, "profiles:\n  prod: {timeout: 5\n")[2]


def test_a_text_libyaml_may_read_otherwise_is_read_by_pure_python_only(readers: list[str]) -> None:
    assert config_yaml.load("a: !!str 1\n") == {"a": "1"}
    assert readers == ["pure"]


def test_without_libyaml_every_config_is_read_by_pure_python(
    readers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_yaml, "_LIBYAML", None)
    for text in [GOOD, *HARD.values()]:
        assert outcome(config_yaml.load, text) == outcome(pure_python, text)
    assert set(readers) == {"pure"}


# -- generated documents --------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.dates(),
    st.datetimes(),
    st.text(max_size=12),
    st.text(alphabet="abc:#-?[]{},&*!|>'\" \n\t%@`~é", max_size=12),
)
TREES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


@st.composite
def dumped(draw: st.DrawFn) -> str:
    """A tree written by PyYAML's emitter in one of its styles, sometimes with aliases."""
    tree = draw(TREES)
    shared = draw(st.lists(TREES, max_size=2))
    document = {"profiles": tree, "shared": [*shared, *shared]} if shared else tree
    return yaml.safe_dump(
        document,
        default_flow_style=draw(st.sampled_from([False, True, None])),
        allow_unicode=draw(st.booleans()),
        width=draw(st.sampled_from([20, 80, 1000])),
        indent=draw(st.sampled_from([2, 4])),
        explicit_start=draw(st.booleans()),
        sort_keys=False,
    )


@settings(max_examples=300, deadline=None)
@given(dumped())
def test_generated_documents_read_alike(text: str) -> None:
    assert_equivalent(text)


PLAIN = [
    *[
        "on",
        "off",
        "yes",
        "no",
        "y",
        "n",
        "True",
        "FALSE",
        "~",
        "null",
        "0o17",
        "017",
        "0x1F",
        "1:30",
        "190:20:30",
        "1_000",
        "0b101",
        "+12",
        "-0",
        ".5",
    ],
    *[
        "1e3",
        "1.0e+3",
        ".inf",
        "-.Inf",
        ".NaN",
        "2099-02-30",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "1.5",
        "é",
    ],
    *["日本", "a b", "x:y", "http://h:1/p?q=1", "-x", "=", "'quoted'", '"dq"', "a#b", "a #b", "''"],
]
KEYS = ["a", "b", "timeout", "'1'", "x y", "é", "c-d", "'on'", "k:v"]
NOT_TEXT_KEYS = ["on", "1", "~", "2001-12-14"]


@st.composite
def handwritten(draw: st.DrawFn) -> str:
    """Block and flow configs with plain scalars the resolver reads as many types, anchors,
    aliases and merge keys; now and then a key that is not text, an alias merged that is not a
    mapping."""
    anchors: list[str] = []

    def keys(count: int) -> list[str]:
        chosen = draw(st.lists(st.sampled_from(KEYS), min_size=count, max_size=count, unique=True))
        if chosen and draw(st.integers(0, 9)) == 0:
            chosen[0] = draw(st.sampled_from(NOT_TEXT_KEYS))
        return chosen

    def flow(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "list", "map"] if depth < 3 else ["scalar"]))
        if kind == "scalar":
            return draw(st.sampled_from(PLAIN))
        items = [flow(depth + 1) for _ in range(draw(st.integers(0, 3)))]
        if kind == "list":
            return "[" + ", ".join(items) + "]"
        return (
            "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys(len(items)), items, strict=True)) + "}"
        )

    def block(indent: int, depth: int) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        merge: bool = draw(st.booleans())
        if merge and anchors:
            lines.append(f"{pad}<<: *{draw(st.sampled_from(anchors))}")
        for key in keys(draw(st.integers(1, 3))):
            choice = draw(st.sampled_from(["scalar", "flow", "alias", "map", "list"]))
            name = f"n{len(anchors)}" if draw(st.booleans()) else ""
            anchor = f"&{name} " if name else ""
            if choice == "alias" and anchors:
                lines.append(f"{pad}{key}: *{draw(st.sampled_from(anchors))}")
            elif choice in ("map", "list") and depth < 4:
                lines.append(f"{pad}{key}: {anchor}".rstrip())
                if choice == "map":
                    lines += block(indent + 2, depth + 1)
                else:
                    for _ in range(draw(st.integers(1, 2))):
                        lines.append(f"{pad}  - {flow(depth + 1)}")
            else:
                lines.append(f"{pad}{key}: {anchor}{flow(depth)}")
            if name:  # known once complete: an alias inside its own node would be a cycle
                anchors.append(name)
        return lines

    return "\n".join(block(0, 0)) + "\n"


@settings(max_examples=300, deadline=None)
@given(handwritten())
def test_generated_configs_with_merges_and_ambiguous_scalars_read_alike(text: str) -> None:
    assert_equivalent(text)


FRAGMENTS = [
    *["a", "b", "1", " ", "  ", "\n", "\n", "\n  ", "\n- ", ":", ": ", "- ", "-", "?", "? "],
    *["[", "]", "{", "}", ",", ", ", "'", '"', "#", " #", "&a ", "*a", "&b ", "*b", "!", "!!str "],
    *["|", ">", "|-", "\t", "\\", "%", "@", "`", "...", "---", "\r\n", "\r", "\x85", "\u2028"],
    *["\ufeff", "é", "<<", "=", "~", ".", "x", "\\t", "\\x41", "2001-01-01", "1:2", "yes", "on"],
    *["0o7", "_", "|2", "%YAML 1.1\n", "!<x>", "!x ", '"\\\n', "http://h/p?q=1", "a?b", "+", ">2-"],
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=30).map("".join))
def test_arbitrary_texts_read_alike(text: str) -> None:
    """Mostly invalid YAML: where libyaml is used and returns a value, it is PyYAML's value."""
    assert_equivalent(text)
