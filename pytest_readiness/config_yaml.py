"""Read readiness.yaml as YAML with bounds: a config is small, flat and written by people.

Before anything is built: the file is at most 1 MiB, nests at most 64 levels, and expands to at
most 100,000 nodes once aliases are followed (a few hundred bytes of nested aliases otherwise
expand to gigabytes). Mapping keys must be text, duplicate keys are errors (a silently dropped
waiver is a bug), merge keys (``<<: *base``) work, and an impossible date such as 2099-02-30
stays text so the schema names its key.

PyYAML's pure-Python parser defines what a config means and every error message users see.
Where PyYAML was built with libyaml, a config is read through libyaml's C parser first (the same
constructors and resolver, so the same values, at a fraction of the cost); a text the two parsers
could read differently never takes that path, and anything but a value from it (an error, a
bound exceeded) is read again by the pure-Python parser, which raises exactly what it always has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Block scalar header indicators, deleted to find a header followed right away by '#' (`|-#`).
_HEADER_INDICATORS = str.maketrans("", "", "-+0123456789")


class BoundExceeded(ValueError):
    """The document is larger, deeper or more aliased than a config can sensibly be."""


def load(text: str) -> Any:
    """Parse ``text``; raises yaml.YAMLError for syntax and BoundExceeded for size."""
    if _LIBYAML is not None and _libyaml_reads_it_alike(text):
        try:
            return _read(text, _LIBYAML)
        except Exception:
            pass  # anything but a value: the pure-Python parser decides, and raises what it always has
    return _read(text, _BoundedLoader)


def _libyaml_reads_it_alike(text: str) -> bool:
    """False where libyaml accepts or reads a text otherwise than PyYAML's pure-Python scanner
    (found by differential fuzzing, tests/unit/test_config_yaml_libyaml_equivalence.py)."""
    if "\t" in text or "!" in text or "\ufeff" in text:
        # a tab as a separator (`a:\tb`: an error for PyYAML), a tag (`a: !` is '' for libyaml,
        # None for PyYAML), a byte order mark (libyaml skips one at the start of any line)
        return False
    if "?" in text and ("[" in text or "{" in text):
        return False  # `[a?b]` is one string for libyaml, an error for PyYAML
    if "#" in text and ("|" in text or ">" in text):
        # a comment right after a block scalar's header (`key: |-#`): an error for PyYAML
        headers = text.translate(_HEADER_INDICATORS)
        return "|#" not in headers and ">#" not in headers
    return True


def _read(text: str, loader_class: type[_Loader]) -> Any:
    """Size, then depth from the event stream (iteratively: a composer recurses and would
    overflow first), then the node graph, its expanded size, and the values."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise BoundExceeded(f"the file is larger than {MAX_BYTES // 1024} KiB")
    _check_depth(text, loader_class)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_depth(text: str, loader_class: type[_Loader]) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise BoundExceeded(f"nested more than {MAX_DEPTH} levels deep (line {line})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_expanded_size(root: yaml.Node) -> None:
    """Count nodes as if every alias were copied out, without copying (memoised per node).

    An alias inside the collection it names (``a: &x [*x]``) would expand for ever: refused."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # collections whose children are still being counted
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done and any(id(c) not in sizes for c in children):
            if any(id(c) in open_ for c in children):
                line = node.start_mark.line + 1 if node.start_mark else "?"
                raise BoundExceeded(
                    f"an alias refers to a collection it is inside, which would expand for "
                    f"ever (line {line})"
                )
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        open_.discard(id(node))
        size = 1 + sum(sizes.get(id(c), 0) for c in children)
        if size > MAX_NODES:
            raise BoundExceeded(f"aliases expand it to more than {MAX_NODES:,} values")
        sizes[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python parser: what a config means, and every error message."""


if yaml.__with_libyaml__:

    class _CBoundedLoader(yaml.CSafeLoader):
        """libyaml's parser with the same constructors and resolver as ``_BoundedLoader``."""

    _LIBYAML: type[yaml.CSafeLoader] | None = _CBoundedLoader
else:  # PyYAML built without libyaml: every config is read as before
    _LIBYAML = None

if TYPE_CHECKING:
    _Loader = _BoundedLoader | yaml.CSafeLoader


def _construct_mapping(
    loader: _Loader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:  # keys merged in may be overridden here: not duplicates
            continue
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is not text; quote it", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist stays text, for the schema to report with its key."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


for _loader in (_BoundedLoader, _LIBYAML):
    if _loader is not None:
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
