"""Red team, the problem's checker: outputs written to make a checker fail so that the problem
is IE (out of pass@k) instead of a wrong answer, or to pass for its accept words; and a
broken checker, IE for every program whatever it prints; the same for a C++ testlib checker.

The checkers are what generated checkers look like: they parse the output and trust it.
cases.py adds these cases to its CASES at its end: import this module through it.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.cases import AC, IE, WA, Case, stdio
from tests.test_testlib import SUM_CHECKER_CPP

#: "print two numbers summing to n": int() on whatever the output holds, unguarded
TRUSTING = (
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "a, b = map(int, open(sys.argv[3]).read().split())\n"
    "print(1 if a + b == n else 0)\n"
)

#: "print a permutation of 1..n that is one cycle": it follows the cycle from 1, so an
#: output that is no permutation (2 2 2) sends it round forever
CYCLE = (
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "p = [0] + list(map(int, open(sys.argv[3]).read().split()))\n"
    "seen, i = 0, 1\n"
    "while True:\n"
    "    i = p[i]\n"
    "    seen += 1\n"
    "    if i == 1:\n"
    "        break\n"
    "print(1 if seen == n and sorted(p[1:]) == list(range(1, n + 1)) else 0)\n"
)

#: off by one: it rejects the tests' own expected outputs
BROKEN = TRUSTING.replace("a + b == n", "a + b == n + 1")

RIGHT = "n = int(input())\nprint(1, n - 1)\n"


def _problem(pid: str, checker: str, tests: list[tuple[str, str]], time_limit: float = 1.0) -> dict[str, Any]:
    return {**stdio(pid, tests, time_limit=time_limit), "generated_checker": checker}


def _trusting(name: str, source: str, expect: str = WA) -> Case:
    # judged on the executor paths only: how a checker reads an output does not depend on
    # the switches (test order, all tests, re-runs, shards), and each case costs checker runs
    problem = _problem(name, TRUSTING, [("5\n", "2 3\n"), ("9\n", "4 5\n")])
    return Case(name, problem, source, frozenset({expect}), every_switch=False)


CASES: list[Case] = [
    # a checker that crashes on what it reads: the output's doing, WA (was IE)
    _trusting("checker-rt-garbage", "print('x')\n"),
    _trusting("checker-rt-empty", "pass\n"),
    _trusting("checker-rt-nul", "import sys\nsys.stdout.buffer.write(b'1\\x004\\n')\n"),
    _trusting("checker-rt-not-utf8", "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe 1 4\\n')\n"),
    _trusting("checker-rt-flood", "import sys\nsys.stdout.write('1 ' * (4 << 20))\n"),
    # its accept words as the output: the checker's verdict is its own stdout, not the file
    _trusting("checker-rt-mimic-1", "print(1)\n"),
    _trusting("checker-rt-mimic-words", "print('ok')\nprint('AC')\nprint(100)\nprint(1)\n"),
    # an output that sends the checker round forever: its time limit ends it, WA
    Case(
        "checker-rt-loop",
        _problem("checker-rt-loop", CYCLE, [("3\n", "2 3 1\n")], time_limit=0.5),
        "print(2, 2, 2)\n",
        frozenset({WA}),
        every_switch=False,
    ),
    # a checker that rejects the expected output: IE for every program, right or not
    Case(
        "checker-rt-broken-right",
        _problem("checker-rt-broken-right", BROKEN, [("5\n", "2 3\n")]),
        RIGHT,
        frozenset({IE}),
    ),
    Case(
        "checker-rt-broken-garbage",
        _problem("checker-rt-broken-garbage", BROKEN, [("5\n", "2 3\n")]),
        "print('x')\n",
        frozenset({IE}),
    ),
]


def _cpp(name: str, source: str, expect: str = WA, checker: str = SUM_CHECKER_CPP) -> Case:
    """A problem whose checker is C++ for testlib (built with our header), `a + b` on each test."""
    problem = {**stdio(name, [("1 2\n", "3\n"), ("10 -4\n", "6\n")]), "checker": checker}
    return Case(name, problem, source, frozenset({expect}), every_switch=False)


_SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
CASES += [
    _cpp("checker-cpp-ac", _SUM, AC),
    _cpp("checker-cpp-wa", _SUM.replace("a + b", "a - b")),
    # the right sum, then more: testlib's "Extra information in the output file"
    _cpp("checker-cpp-dirt", _SUM.replace("print(a + b)", "print(a + b, 'ok')")),
    # out of the range the checker reads, or no number at all: its reading rejects it
    _cpp("checker-cpp-huge", "print(10 ** 30)\n"),
    _cpp("checker-cpp-garbage", "print('ok')\n"),
    _cpp("checker-cpp-empty", "pass\n"),
    # the jury's answers rejected (a checker that wants one more): IE, whatever the program does
    _cpp(
        "checker-cpp-broken", _SUM, IE, checker=SUM_CHECKER_CPP.replace("jury == a + b", "jury == a + b + 1")
    ),
]
