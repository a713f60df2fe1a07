"""Inline Markdown to display text, without markdown-it's inline pass.

The block structure (lists, quotes, fences, tables, front matter) comes from markdown-it; the
text of an item only has to read well and give stable ids, so a few substitutions do: code
spans kept literally, HTML and comments dropped (readiness comments read first), links and
images reduced to their text, escapes resolved, emphasis markers removed. Skipping the inline
pass makes collection several times faster on large checklists (bench/checklist_collect.py).
"""

from __future__ import annotations

import html
import re

_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINKS = re.compile(r"<!--\s*readiness\s*:(.*?)-->", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_EMPHASIS = re.compile(r"(?<![\w*_\\])[*_]{1,2}(?=[^\s*_])|(?<=[^\s*_\\])[*_]{1,2}(?![\w*_])")


def link_ids(source: str) -> list[str]:
    """Check ids named by ``<!-- readiness: A, B -->`` comments (outside code spans)."""
    if "<!--" not in source:  # most items: no comment at all
        return []
    ids: list[str] = []
    for match in _LINKS.finditer(_CODE.sub("", source)):
        ids += [p for p in re.split(r"[\s,]+", match.group(1)) if p]
    return ids


def render(source: str) -> str:
    """Display text of an inline Markdown source."""
    if "`" not in source:  # no code span: the whole text is prose
        return _collapsed(_prose(source))
    parts: list[str] = []
    last = 0
    for match in _CODE.finditer(source):
        parts.append(_prose(source[last : match.start()]))
        parts.append(match.group(2).strip() or match.group(2))
        last = match.end()
    parts.append(_prose(source[last:]))
    return _collapsed("".join(parts))


def _collapsed(text: str) -> str:
    r"""Runs of whitespace as one space, none at the ends: ``re.sub(r"\s+", " ", text).strip()``
    several times faster (str.split and ``\s`` agree on what is whitespace)."""
    return " ".join(text.split())


def _prose(text: str) -> str:
    if "<" in text:
        text = _TAG.sub("", _AUTOLINK.sub(r"\1", _COMMENT.sub("", text)))
    if "](" in text:
        text = _IMAGE_OR_LINK.sub(r"\1", text)
    if "*" in text or "_" in text:
        text = _EMPHASIS.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    return html.unescape(text) if "&" in text else text
