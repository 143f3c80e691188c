"""Red team, interactive problems: a guess-the-number problem with its Python interactor, and
the programs a policy writes to pass it without playing (an answer printed blind, a flood of
questions, a wait for input that never comes, a look for the secret in the filesystem and
/proc), each judged not AC on every local path; a broken interactor is IE. Piston does not
run interactors: there these problems are SKIP with the reason (`unsupported`).
cases.py adds these cases to its CASES at its end: import this module through it.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.cases import AC, IE, OLE, TLE, WA, Case, stdio
from tests.test_interactive import BLIND, BROKEN, FLOOD, GUESS, HONEST, IDLE, LINEAR, SNOOP

#: the paths that cannot run an interactor (SKIP there)
PISTON = frozenset({"piston", "piston-stock", "piston-package"})


def _guess(pid: str, interactor: str = GUESS) -> dict[str, Any]:
    problem = stdio(pid, [("1000 777\n", ""), ("7 7\n", "")], time_limit=0.5)
    problem["interactor"] = interactor
    return problem


def _case(name: str, source: str, *expect: str, interactor: str = GUESS, **kw: Any) -> Case:
    problem = _guess(f"interactive-{name}", interactor)
    return Case(f"interactive-{name}", problem, source, frozenset(expect), unsupported=PISTON, **kw)


CASES: list[Case] = [
    _case("honest", HONEST, AC),
    _case("linear", LINEAR, WA),
    _case("blind", BLIND, WA),
    _case("idle", IDLE, TLE),
    _case("flood", FLOOD, WA, TLE, OLE),
    # root without a jail (the open paths) hides nothing from the program
    _case("snoop", SNOOP, WA, needs_a_user=True),
    _case("broken-interactor", HONEST, IE, interactor=BROKEN),
]
