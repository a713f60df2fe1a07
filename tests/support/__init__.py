"""Helpers for the repository's own tests: ports, private servers, secret-leak checks."""

from __future__ import annotations

import traceback

__all__ = ["assert_secret_free", "exception_texts"]


def exception_texts(exc: BaseException) -> list[str]:
    """``str``, ``repr`` and args of ``exc`` and of every exception chained to it, plus the
    fully formatted traceback, so a test can prove that a secret appears in none of them."""
    texts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), *map(repr, current.args)]
        texts += traceback.format_exception(type(current), current, current.__traceback__)
        todo += [current.__cause__, current.__context__]
    return texts


def assert_secret_free(exc: BaseException, *secrets: str) -> None:
    __tracebackhide__ = True
    for text in exception_texts(exc):
        for secret in secrets:
            assert secret not in text, f"secret leaked into {text!r}"
