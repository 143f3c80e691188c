"""C++ interactors written for testlib, as open-r1's `checker_interactor` problems ship them,
judged for real with our own testlib-compatible header: guess-the-number (readInt ranges, a
token pattern, `tout`), an adaptive one, a broken one and one using what the header lacks,
against honest, wrong, idle, flooding and early-exiting programs; and C++ testlib checkers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_eval.errors import BatchEvalError
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.local.testlib import HEADER_ENV, OWN_HEADER, header
from batch_eval.judging.checker import CHECKER_BROKEN, CheckerRunner
from batch_eval.judging.problems import Checker
from batch_eval.verdict import Verdict
from tests.conftest import read_jsonl, write_jsonl
from tests.test_interactive import BLIND, FLOOD, HONEST, IDLE, LINEAR, guess_problem, judged

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")

Raw = dict[str, Any]

#: the test's input `n x`; the program gets `n`, asks `? y` (answered `<`, `>` or `=`), at
#: most 20 questions; the number of questions goes to the output file (`tout`)
GUESS_CPP = r"""
#include "testlib.h"
#include <iostream>
using namespace std;

int main(int argc, char* argv[]) {
    registerInteraction(argc, argv);
    int n = inf.readInt(1, 1000000000, "n");
    int x = inf.readInt(1, n, "x");
    cout << n << endl;
    for (int asked = 1; asked <= 20; asked++) {
        ouf.readToken("\\?", "query");
        int y = ouf.readInt(1, n, "y");
        if (y == x) {
            cout << "=" << endl;
            tout << asked << endl;
            quitf(_ok, "guessed %d in %d question%s", x, asked, asked == 1 ? "" : "s");
        }
        cout << (x < y ? "<" : ">") << endl;
    }
    quitf(_wa, "more than 20 questions");
}
"""

#: adaptive: no number is fixed; each answer keeps the larger part of what is still possible,
#: and `=` comes only once one number is left (the input's `x` is not used)
ADAPTIVE_CPP = r"""
#include "testlib.h"
#include <iostream>
using namespace std;

int main(int argc, char* argv[]) {
    registerInteraction(argc, argv);
    int n = inf.readInt();
    int lo = 1, hi = n;
    printf("%d\n", n);
    fflush(stdout);
    for (int asked = 1; asked <= 20; asked++) {
        string q = ouf.readToken();
        if (q != "?")
            quitf(_pe, "expected '?', found '%s'", compress(q).c_str());
        long long y = ouf.readLong(1LL, (long long)n, "y");
        string answer;
        if (y == lo && y == hi) {
            answer = "=";
        } else if (y < lo || (y <= hi && y - lo < hi - y) || (y <= hi && y - lo == hi - y && rnd.next(2))) {
            answer = ">";
            lo = max<long long>(lo, y + 1);
        } else {
            answer = "<";
            hi = min<long long>(hi, y - 1);
        }
        printf("%s\n", answer.c_str());
        fflush(stdout);
        if (answer == "=")
            quitf(_ok, "found in %d questions", asked);
    }
    quitf(_wa, "more than 20 questions");
}
"""

#: says FAIL on every test: the problem is broken
BROKEN_CPP = '#include "testlib.h"\nint main(int argc, char* argv[]) {\n'
BROKEN_CPP += '    registerInteraction(argc, argv);\n    quitf(_fail, "the test is invalid");\n}\n'

#: uses what our header lacks (testlib's validator API): it does not compile here
MISSING_CPP = GUESS_CPP.replace("registerInteraction(argc, argv);", "registerValidation(argc, argv);")

#: leaves after reading `n`: the interactor meets the end of its input
EARLY = "n = int(input())\n"

#: a question outside [1, n]: the interactor's readInt range rejects it
OUT_OF_RANGE = "n = int(input())\nprint('?', n + 1, flush=True)\ninput()\n"


def problem(interactor: str = GUESS_CPP, tests: tuple[str, ...] = ("1000 777", "1000 1", "7 7")) -> Raw:
    return guess_problem(interactor, tests)


@pytest.fixture(scope="module")
def runners() -> Iterator[dict[str, LocalExecutor]]:
    """The local executor with each runner (interactive tests run a process per test in both)."""
    python = os.path.realpath(sys.executable)
    made = {runner: LocalExecutor(python=python, python_runner=runner) for runner in ("fork", "process")}
    yield made
    for each in made.values():
        each.close()


@pytest.fixture(scope="module")
def executor(runners: dict[str, LocalExecutor]) -> LocalExecutor:
    return runners["fork"]


def _judge(executor: LocalExecutor, code: str, raw: Raw | None = None) -> tuple[Verdict, str]:
    return judged(executor, code, raw or problem())


def test_honest_player_is_accepted_on_both_runners(runners: dict[str, LocalExecutor]) -> None:
    for executor in runners.values():
        assert _judge(executor, HONEST) == (Verdict.AC, "")


def test_wrong_players_get_the_interactors_words(executor: LocalExecutor) -> None:
    verdict, reason = _judge(executor, LINEAR)
    assert verdict is Verdict.WA and "more than 20 questions" in reason
    verdict, reason = _judge(executor, OUT_OF_RANGE, problem(tests=("1000 777",)))
    assert verdict is Verdict.WA
    assert "Integer parameter [name=y] equals to 1001, violates the range [1, 1000]" in reason


def test_blind_and_early_exits_are_wrong_answers(executor: LocalExecutor) -> None:
    # the interactor meets the end of the program's output: testlib's unexpected eof
    verdict, reason = _judge(executor, EARLY)
    assert verdict is Verdict.WA and "Unexpected end of file" in reason
    assert _judge(executor, BLIND)[0] is Verdict.WA


def test_idle_is_tle_and_flood_is_not_accepted(executor: LocalExecutor) -> None:
    one = problem(tests=("1000 777",))
    assert _judge(executor, IDLE, one)[0] is Verdict.TLE
    assert _judge(executor, FLOOD, one)[0] in (Verdict.WA, Verdict.TLE, Verdict.OLE)


def test_adaptive_interactor(executor: LocalExecutor) -> None:
    raw = problem(ADAPTIVE_CPP, ("1000 0", "1 0", "1000000 0"))
    assert _judge(executor, HONEST, raw) == (Verdict.AC, "")
    # a number guessed from the input, without playing: the adaptive interactor never says `=`
    assert _judge(executor, "n = int(input())\nprint('? 1', flush=True)\ninput()\n", raw)[0] is Verdict.WA


def test_broken_interactor_is_ie(executor: LocalExecutor) -> None:
    verdict, reason = _judge(executor, HONEST, problem(BROKEN_CPP, ("1000 777",)))
    assert verdict is Verdict.IE and "FAIL the test is invalid" in reason


def test_interactor_needing_what_the_header_lacks_is_ie_naming_it(executor: LocalExecutor) -> None:
    verdict, reason = _judge(executor, HONEST, problem(MISSING_CPP, ("1000 777",)))
    assert verdict is Verdict.IE
    assert "problem guess's interactor is broken: it does not compile" in reason, reason
    assert "registerValidation" in reason


def test_header_is_ours_unless_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HEADER_ENV, raising=False)
    assert header() == OWN_HEADER and OWN_HEADER.is_file()
    mine = tmp_path / "testlib.h"
    mine.write_text(OWN_HEADER.read_text())
    assert header(str(tmp_path)) == mine.resolve()
    monkeypatch.setenv(HEADER_ENV, str(mine))
    assert header() == mine.resolve()
    with pytest.raises(BatchEvalError, match=r"testlib\.h .*nowhere\.h: no readable file there"):
        header(str(tmp_path / "nowhere.h"))


def test_check_judges_cpp_interactors_with_the_named_header(tmp_path: Path) -> None:
    """`batch-eval check` as a user runs it, with --testlib: a header that lacks what the
    interactor uses makes every record IE naming the problem, and `audit` counts the problem
    as broken; our header judges it."""
    guess = {"id": "g", "interactor": GUESS_CPP, "official_tests": [{"input": "1000 777", "output": ""}]}
    problems = write_jsonl(tmp_path / "p.jsonl", [guess])
    solutions = write_jsonl(tmp_path / "s.jsonl", [{"problem_id": "g", "code": c} for c in (HONEST, BLIND)])
    argv = [sys.executable, "-m", "batch_eval", "check", str(solutions), "--problems", str(problems)]
    argv += ["-o", str(tmp_path / "out"), "--no-cache"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert [line["verdict"] for line in read_jsonl(tmp_path / "out" / "s.results.jsonl")] == ["AC", "WA"], (
        proc.stderr
    )
    bare = tmp_path / "bare" / "testlib.h"
    bare.parent.mkdir()
    bare.write_text("#include <cstdio>\n")
    proc = subprocess.run([*argv, "--testlib", str(bare)], capture_output=True, text=True, check=False)
    lines = read_jsonl(tmp_path / "out" / "s.results.jsonl")
    assert [line["verdict"] for line in lines] == ["IE", "IE"], proc.stderr
    assert "problem g's interactor is broken: it does not compile" in lines[0]["reason"]


#: a testlib checker of `a + b`: the answer in range, compared with the jury's, nothing after it
SUM_CHECKER_CPP = r"""
#include "testlib.h"

int main(int argc, char* argv[]) {
    registerTestlibCmd(argc, argv);
    long long a = inf.readLong(), b = inf.readLong();
    long long jury = ans.readLong();
    ensuref(jury == a + b, "the jury's answer %lld is not %lld", jury, a + b);
    long long got = ouf.readLong(-2000000000LL, 2000000000LL, "sum");
    if (got != jury)
        quitf(_wa, "expected %lld, found %lld", jury, got);
    quitf(_ok, "%lld", got);
}
"""


def test_cpp_testlib_checker_judges_outputs() -> None:
    """A C++ checker is of testlib's convention whatever the problem says (its arguments:
    input, output, answer), and its verdicts are testlib's."""
    runner = CheckerRunner(Checker(SUM_CHECKER_CPP, "open-r1"), sys.executable)
    try:
        assert runner.judge(b"1 2\n", b"3\n", b"3\n") == (Verdict.AC, "")
        verdict, reason = runner.judge(b"1 2\n", b"3\n", b"4\n")
        assert verdict is Verdict.WA and "expected 3, found 4" in reason
        verdict, reason = runner.judge(b"1 2\n", b"3\n", b"3 3\n")
        assert verdict is Verdict.WA and "Extra information in the output file" in reason
        verdict, reason = runner.judge(b"1 2\n", b"3\n", b"")
        assert verdict is Verdict.WA and "Unexpected end of file" in reason
        # the jury's own answer rejected: the checker (or the test) is broken, never the program's fault
        verdict, reason = runner.judge(b"1 2\n", b"4\n", b"4\n")
        assert verdict is Verdict.IE and reason.startswith(CHECKER_BROKEN)
    finally:
        runner.close()


def test_cpp_checker_that_does_not_compile_is_ie() -> None:
    source = SUM_CHECKER_CPP.replace("registerTestlibCmd(argc, argv);", "registerGen(argc, argv, 1);")
    runner = CheckerRunner(Checker(source, "testlib"), sys.executable)
    try:
        verdict, reason = runner.judge(b"1 2\n", b"3\n", b"3\n")
        assert verdict is Verdict.IE
        assert reason.startswith(f"{CHECKER_BROKEN}: it does not compile") and "registerGen" in reason
    finally:
        runner.close()


def test_interactor_reads_the_tests_answer(executor: LocalExecutor) -> None:
    """testlib's `ans`: the test's expected output is the interactor's ANSWER file (here the
    number to guess, which the input does not hold)."""
    source = GUESS_CPP.replace('int x = inf.readInt(1, n, "x");', 'int x = ans.readInt(1, n, "x");')
    raw = problem(source, ())
    raw["tests"] = [{"input": "1000", "output": "777"}, {"input": "7", "output": "7"}]
    assert _judge(executor, HONEST, raw) == (Verdict.AC, "")
    verdict, reason = _judge(executor, LINEAR, raw)
    assert verdict is Verdict.WA and "more than 20 questions" in reason


def test_audit_counts_a_broken_interactor_as_the_problems_fault(tmp_path: Path) -> None:
    """`batch-eval audit`: a reference on an interactor that does not compile, or says FAIL,
    is the problem's fault (rejected, left out); on a working one it passes."""
    rows = [
        {"id": "ok", "interactor": GUESS_CPP, "official_tests": [{"input": "1000 777", "output": ""}]},
        {"id": "fail", "interactor": BROKEN_CPP, "official_tests": [{"input": "1000 777", "output": ""}]},
        {"id": "bad", "interactor": MISSING_CPP, "official_tests": [{"input": "1000 777", "output": ""}]},
    ]
    problems = write_jsonl(tmp_path / "p.jsonl", rows)
    reference = write_jsonl(tmp_path / "ref.jsonl", [{"id": row["id"], "code": HONEST} for row in rows])
    argv = [sys.executable, "-m", "batch_eval", "audit", "--problems", str(problems)]
    proc = subprocess.run(
        [*argv, "--reference", str(reference), "-o", str(tmp_path / "a")], capture_output=True, text=True
    )
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["rejected"] == ["bad", "fail"], proc.stderr
    assert report["problems"]["ok"]["passed"] == 1
    assert "does not compile" in report["problems"]["bad"]["failure"]
