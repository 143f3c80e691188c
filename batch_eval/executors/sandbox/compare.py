"""Output comparison: is the program's output the expected one?

Every mode works on bytes: whitespace is ASCII whitespace only (space, \\t, \\n, \\v, \\f,
\\r), as in testlib; a non-breaking space or any other byte is part of a token, and two
different invalid UTF-8 outputs are two different outputs.

Modes (`--output-compare`):

- `default`: what open-r1's Codeforces grader publishes, a `diff -b`-style line
  comparison made lenient on purpose: `\\r` is ignored, blank lines are ignored, the
  amount of whitespace between and around tokens is ignored, and the tokens `YES`/`NO`
  match in any letter case (Codeforces problems accept either for yes/no answers). A
  problem's own `float_tolerance` switches it to `float`.
- `exact`: byte for byte.
- `lines`: line by line after stripping trailing whitespace of each line and blank lines
  at the start and the end (the rule of simple harnesses such as E2H's).
- `tokens`: the whitespace-separated tokens, ignoring line structure, compared exactly
  (testlib's `wcmp`, Codeforces' default checker).
- `float`: tokens; two tokens that are both decimal numbers (digits, an optional point and
  exponent: no `inf`, `nan` or `1_0`) match when their absolute or relative difference is
  at most the tolerance (`--float-tolerance`, default 1e-6; testlib's `doubleCompare`);
  other tokens compare as in `default` (`YES`/`NO` in any case).
- `decimal-lines`: LiveCodeBench's rule for its stdin problems (the default for them): the
  whole output stripped, then line by line, each line stripped; a line matches when it is
  the same, or when both are whitespace-separated decimal numbers that are equal as
  Python's `Decimal` (`0.50` = `0.5`, `1e2` = `100`); the line counts must agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

MODES = ("default", "exact", "lines", "tokens", "float", "decimal-lines")
_YES_NO = frozenset({b"yes", b"no"})
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BLANK = b" \t\n\x0b\x0c\r"


@dataclass(frozen=True)
class Comparison:
    """A comparison rule with its tolerance; `compare` returns (match, short reason)."""

    mode: str = "default"
    tolerance: float = 1e-6

    def compare(self, expected: bytes, actual: bytes) -> tuple[bool, str]:
        if self.mode == "exact":
            return (True, "") if expected == actual else (False, _first_difference(expected, actual))
        if self.mode == "lines":
            return _compare_seq(_trimmed_lines(expected), _trimmed_lines(actual), _same, "line")
        if self.mode == "tokens":
            return _compare_seq(expected.split(), actual.split(), _same)
        if self.mode == "decimal-lines":
            return _compare_seq(_stripped_lines(expected), _stripped_lines(actual), _same_decimals, "line")
        if self.mode == "float":
            tol = self.tolerance
            return _compare_seq(expected.split(), actual.split(), lambda e, a: _same_number(e, a, tol))
        return _compare_seq(_token_lines(expected), _token_lines(actual), _same_token_line, "line")


def _trimmed_lines(text: bytes) -> list[bytes]:
    lines = [ln.rstrip(_BLANK) for ln in text.replace(b"\r", b"").split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _stripped_lines(text: bytes) -> list[bytes]:
    return [ln.strip(_BLANK) for ln in text.strip(_BLANK).split(b"\n")]


def _same_decimals(e: bytes, a: bytes) -> bool:
    if e == a:
        return True
    from decimal import Decimal, InvalidOperation  # only this mode needs it (the launcher imports us)

    try:
        x = [Decimal(t.decode("utf-8", "surrogateescape")) for t in e.split()]
        y = [Decimal(t.decode("utf-8", "surrogateescape")) for t in a.split()]
        return x == y
    except (InvalidOperation, ValueError):  # not numbers (or a signalling NaN)
        return False


def _token_lines(text: bytes) -> list[list[bytes]]:
    return [ln.split() for ln in text.replace(b"\r", b"").split(b"\n") if ln.strip(_BLANK)]


def _same(e: bytes, a: bytes) -> bool:
    return e == a


def _same_token(e: bytes, a: bytes) -> bool:
    return e == a or (e.lower() in _YES_NO and e.lower() == a.lower())


def _same_token_line(e: list[bytes], a: list[bytes]) -> bool:
    return len(e) == len(a) and all(_same_token(x, y) for x, y in zip(e, a))


def _same_number(e: bytes, a: bytes, tol: float) -> bool:
    if _same_token(e, a):
        return True
    if not (_NUMBER.fullmatch(e) and _NUMBER.fullmatch(a)):
        return False
    x, y = float(e), float(a)
    return abs(x - y) <= tol * max(1.0, abs(x)) + 1e-15


def _compare_seq(
    exp: Sequence[T], act: Sequence[T], same: Callable[[T, T], bool], unit: str = "token"
) -> tuple[bool, str]:
    """Item by item; the reason names the first differing line or token."""
    for i, (e, a) in enumerate(zip(exp, act), start=1):
        if not same(e, a):
            return False, f"{unit} {i}: expected {_show(e)}, got {_show(a)}"
    if len(exp) != len(act):
        return False, f"expected {len(exp)} {unit}s, got {len(act)}"
    return True, ""


def _show(value: Any) -> str:
    raw = b" ".join(value) if isinstance(value, list) else value
    text = raw.decode("utf-8", "backslashreplace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _first_difference(expected: bytes, actual: bytes) -> str:
    for i, (x, y) in enumerate(zip(expected, actual)):
        if x != y:
            return f"byte {i} differs"
    return f"expected {len(expected)} bytes, got {len(actual)}"
