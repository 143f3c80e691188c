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

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

MODES = ("default", "exact", "lines", "tokens", "float", "decimal-lines")
_YES_NO = frozenset({b"yes", b"no"})
#: one way to match each number (digits, then a point only before more digits): a long token
#: of digits that is not a number fails in linear time (`\d+\.?\d*` backtracked quadratically)
_NUMBER = re.compile(rb"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BLANK = b" \t\n\x0b\x0c\r"
_TOKEN = re.compile(rb"[^ \t\n\x0b\x0c\r]+")


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
            return _compare_seq(_tokens(expected), _tokens(actual), _same)
        if self.mode == "decimal-lines":
            return _compare_seq(_stripped_lines(expected), _stripped_lines(actual), _same_decimals, "line")
        if self.mode == "float":
            tol = self.tolerance
            return _compare_seq(_tokens(expected), _tokens(actual), lambda e, a: _same_number(e, a, tol))
        return _compare_seq(_token_lines(expected), _token_lines(actual), _same_token_line, "line")


# Every mode reads the outputs lazily, a line or token at a time, and stops at the first
# difference: a program's output of many short lines or tokens (up to the output limit) costs
# the judge no more memory than the output itself, however short the expected one.


def _lines(text: bytes) -> Iterator[bytes]:
    start = 0
    while True:
        end = text.find(b"\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _filled_lines(text: bytes) -> Iterator[tuple[int, bytes]]:
    """The lines that hold a token, each with the count of blank lines before it (since the
    last such line, or the start); runs of blank lines are skipped without a loop of ours."""
    pos = 0
    while True:
        found = _TOKEN.search(text, pos)
        if found is None:
            return
        newline = text.rfind(b"\n", pos, found.start())
        start = pos if newline < 0 else newline + 1
        end = text.find(b"\n", found.start())
        end = len(text) if end < 0 else end
        yield text.count(b"\n", pos, start), text[start:end]
        pos = end + 1


def _tokens(text: bytes) -> Iterator[bytes]:
    for match in _TOKEN.finditer(text):
        yield match.group()


def _trimmed_lines(text: bytes) -> Iterator[bytes]:
    """Lines with their trailing whitespace stripped, without blank lines at the start and end."""
    for n, (blanks, line) in enumerate(_filled_lines(text.replace(b"\r", b""))):
        for _ in range(blanks if n else 0):
            yield b""
        yield line.rstrip(_BLANK)


def _stripped_lines(text: bytes) -> Iterator[bytes]:
    for line in _lines(text.strip(_BLANK)):
        yield line.strip(_BLANK)


def _same_decimals(e: bytes, a: bytes) -> bool:
    if e == a:
        return True
    from decimal import Decimal, InvalidOperation  # only this mode needs it (the launcher imports us)

    want = e.split()
    got = a.split(None, len(want))  # one more than wanted is enough to tell the counts apart
    if len(got) != len(want):
        return False
    try:
        x = [Decimal(t.decode("utf-8", "surrogateescape")) for t in want]
        y = [Decimal(t.decode("utf-8", "surrogateescape")) for t in got]
        return x == y
    except (InvalidOperation, ValueError):  # not numbers (or a signalling NaN)
        return False


def _token_lines(text: bytes) -> Iterator[bytes]:
    """The lines that hold a token (as bytes: a line is split only as far as it is compared)."""
    for _, line in _filled_lines(text.replace(b"\r", b"")):
        yield line


def _same(e: bytes, a: bytes) -> bool:
    return e == a


def _same_token(e: bytes, a: bytes) -> bool:
    return e == a or (e.lower() in _YES_NO and e.lower() == a.lower())


def _same_token_line(e: bytes, a: bytes) -> bool:
    want = e.split()
    got = a.split(None, len(want))
    return len(want) == len(got) and all(_same_token(x, y) for x, y in zip(want, got))


def _same_number(e: bytes, a: bytes, tol: float) -> bool:
    if _same_token(e, a):
        return True
    if not (_number(e) and _number(a)):
        return False
    x, y = float(e), float(a)
    return abs(x - y) <= tol * max(1.0, abs(x)) + 1e-15


def _number(token: bytes) -> bool:
    # only a number's characters (checked at C speed) before the pattern
    return not token.translate(None, b"0123456789+-.eE") and _NUMBER.fullmatch(token) is not None


#: how many items past the expected ones are counted for the reason (then "more than")
_COUNTED = 1000


def _compare_seq(
    exp: Iterable[T], act: Iterable[T], same: Callable[[T, T], bool], unit: str = "token"
) -> tuple[bool, str]:
    """Item by item; the reason names the first differing line or token."""
    expected, actual = iter(exp), iter(act)
    n = 0
    for e in expected:
        a = next(actual, None)
        if a is None:
            return False, f"expected {n + 1 + sum(1 for _ in expected)} {unit}s, got {n}"
        n += 1
        if not same(e, a):
            return False, f"{unit} {n}: expected {_show(e)}, got {_show(a)}"
    extra = sum(1 for _ in itertools.islice(actual, _COUNTED + 1))
    if extra > _COUNTED:
        return False, f"expected {n} {unit}s, got more than {n + _COUNTED}"
    if extra:
        return False, f"expected {n} {unit}s, got {n + extra}"
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
