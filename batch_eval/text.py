"""Words for people: a count with its noun in the right number."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """`1 file`, `2 files`, `0 files`; `nouns` where adding an s is wrong (`1 entry`, `2 entries`)."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"
