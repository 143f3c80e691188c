"""Output comparison: is the program's output the expected one?

Modes (`--compare`):

- `default`: what open-r1's Codeforces grader publishes, a `diff -b`-style line
  comparison made lenient on purpose: `\r` is ignored, blank lines are ignored, the
  amount of whitespace between and around tokens is ignored, and the tokens `YES`/`NO`
  match in any letter case. A problem's own `float_tolerance` switches it to `float`.
- `exact`: byte for byte.
- `lines`: line by line after stripping trailing whitespace of each line and blank lines
  at the start and the end (the rule of simple harnesses such as E2H's).
- `tokens`: the whitespace-separated tokens, ignoring line structure (Codeforces' own
  default checker).
- `float`: tokens; two tokens that both parse as numbers match when their absolute or
  relative difference is at most the tolerance (`--float-tolerance`, default 1e-6).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

MODES = ("default", "exact", "lines", "tokens", "float")
_YES_NO = frozenset({"yes", "no"})


@dataclass(frozen=True)
class Comparison:
    """A comparison rule with its tolerance; `compare` returns (match, short reason)."""

    mode: str = "default"
    tolerance: float = 1e-6

    def compare(self, expected: bytes, actual: bytes) -> tuple[bool, str]:
        if self.mode == "exact":
            return (True, "") if expected == actual else (False, _first_difference(expected, actual))
        exp = expected.decode("utf-8", "replace")
        act = actual.decode("utf-8", "replace")
        if self.mode == "lines":
            return _compare_seq(_trimmed_lines(exp), _trimmed_lines(act), _same, "line")
        if self.mode == "tokens":
            return _compare_seq(exp.split(), act.split(), _same_token)
        if self.mode == "float":
            tol = self.tolerance
            return _compare_seq(exp.split(), act.split(), lambda e, a: _same_number(e, a, tol))
        return _compare_seq(_token_lines(exp), _token_lines(act), _same_token_line, "line")


def _trimmed_lines(text: str) -> list[str]:
    lines = [ln.rstrip() for ln in text.replace("\r", "").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _token_lines(text: str) -> list[list[str]]:
    return [ln.split() for ln in text.replace("\r", "").split("\n") if ln.strip()]


def _same(e: str, a: str) -> bool:
    return e == a


def _same_token(e: str, a: str) -> bool:
    return e == a or (e.lower() in _YES_NO and e.lower() == a.lower())


def _same_token_line(e: list[str], a: list[str]) -> bool:
    return len(e) == len(a) and all(_same_token(x, y) for x, y in zip(e, a))


def _same_number(e: str, a: str, tol: float) -> bool:
    if _same_token(e, a):
        return True
    try:
        x, y = float(e), float(a)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return False
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
    text = " ".join(value) if isinstance(value, list) else value
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _first_difference(expected: bytes, actual: bytes) -> str:
    for i, (x, y) in enumerate(zip(expected, actual)):
        if x != y:
            return f"byte {i} differs"
    return f"expected {len(expected)} bytes, got {len(actual)}"
