"""Read readiness.yaml as YAML with bounds: a config is small, flat and written by people.

Before anything is built: the file is at most 1 MiB, nests at most 64 levels, and expands to at
most 100,000 nodes once aliases are followed (a few hundred bytes of nested aliases otherwise
expand to gigabytes). Mapping keys must be text, duplicate keys are errors (a silently dropped
waiver is a bug), merge keys (``<<: *base``) work, and an impossible date such as 2099-02-30
stays text so the schema names its key.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class BoundExceeded(ValueError):
    """The document is larger, deeper or more aliased than a config can sensibly be."""


def load(text: str) -> Any:
    """Parse ``text``; raises yaml.YAMLError for syntax and BoundExceeded for size."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise BoundExceeded(f"the file is larger than {MAX_BYTES // 1024} KiB")
    _check_depth(text)
    node = yaml.compose(text, Loader=_BoundedLoader)
    if node is None:
        return None
    _check_expanded_size(node)
    loader = _BoundedLoader(text)
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_depth(text: str) -> None:
    """Scan events (iteratively: PyYAML's composer recurses and would overflow first)."""
    depth = 0
    for event in yaml.parse(text, Loader=_BoundedLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise BoundExceeded(f"nested more than {MAX_DEPTH} levels deep (line {line})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_expanded_size(root: yaml.Node) -> None:
    """Count nodes as if every alias were copied out, without copying (memoised per node)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done and any(id(c) not in sizes for c in children):
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
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
    pass


def _construct_mapping(
    loader: _BoundedLoader, node: yaml.MappingNode, deep: bool = False
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


def _construct_timestamp(loader: _BoundedLoader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist stays text, for the schema to report with its key."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
