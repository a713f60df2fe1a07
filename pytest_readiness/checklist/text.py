"""Bytes to text for a checklist: UTF-8 only, no binaries, mojibake repaired for display.

Mojibake here is UTF-8 that was decoded as a single-byte encoding (Mac Roman, Windows-1252,
...) and saved again as UTF-8 (``üìã`` for ``📋``). Every byte of such damage is non-ASCII, so
the Markdown structure is intact and line numbers are unchanged: the parser reads the repaired
text, write-back edits the original.
"""

from __future__ import annotations

import re
import unicodedata

from pytest_readiness.errors import MissingExtra, ReadinessError

#: More items than this in one file is an error, not a slow run (a generated or wrong file).
MAX_ITEMS = 50_000

_SNIFF = 8192
_NON_ASCII = re.compile(r".?[^\x00-\x7f]+.?")
_BOX_LINE = re.compile(rb"^[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX]\]", re.MULTILINE)


class ChecklistFileError(ReadinessError):
    """A file that cannot be a checklist; the message is one line naming the file."""


def decode(data: bytes, name: str) -> str:
    """The file's text; ChecklistFileError for binaries, invalid UTF-8 and absurd sizes."""
    if b"\x00" in data[:_SNIFF]:
        raise ChecklistFileError(f"{name}: a binary file, not a Markdown checklist")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecklistFileError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    count = len(_BOX_LINE.findall(data))
    if count > MAX_ITEMS:
        raise ChecklistFileError(
            f"{name}: {count} checklist items, more than the {MAX_ITEMS} one file may hold; "
            "split the file"
        )
    return text


def repair(text: str) -> tuple[str, bool]:
    """The text with mojibake undone, and whether anything was repaired.

    Falls back to the original when the repair would change the line structure.
    """
    if text.isascii():
        return text, False
    try:
        import ftfy
        from ftfy.badness import is_bad
    except ImportError:
        raise MissingExtra("checklist", "ftfy") from None

    # Only non-ASCII runs (with a character of context) can be mojibake: test their distinct
    # set, which is small even when the file is large, before repairing the whole text.
    if not is_bad("\n".join(set(_NON_ASCII.findall(text)))):
        return text, False
    fixed = ftfy.fix_encoding(text)
    if fixed == text or fixed.count("\n") != text.count("\n"):
        return text, False
    return fixed, True


def newline_of(text: str) -> str:
    """The file's line ending, kept by everything that writes the file back."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def fold(text: str) -> str:
    """Lower-case ASCII for matching words in English and Portuguese: ``Obrigatório`` -> ``obrigatorio``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
