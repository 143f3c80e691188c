"""The conformance corpus: programs with the verdicts each must get, on every path.

A case is a problem, one program and the set of verdicts it may get. Problems are written
in the schemas users bring (open-r1's Codeforces rows, HumanEval rows); limits are small
so the whole corpus runs in a minute a path. `unsupported` names paths that cannot judge a
case at all and must say so with IE or a reasoned SKIP (never a verdict about the program).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from batch_eval.judging.sources import problem_id

AC, WA, TLE, MLE, OLE, RE, CE, IE = "AC", "WA", "TLE", "MLE", "OLE", "RE", "CE", "IE"

#: the output limit every path runs the corpus with (MB); cases below are sized against it
OUTPUT_LIMIT_MB = 32


@dataclass(frozen=True)
class Case:
    name: str
    problem: dict[str, Any]
    source: str
    expect: frozenset[str]
    language: str = "python"
    unsupported: frozenset[str] = field(default_factory=frozenset)  # path tags judged IE
    # False: judged on the executor paths only, not again under each switch (test order,
    # all tests, forced re-runs), which do not depend on the language (the languages' twins)
    every_switch: bool = True
    # True: judged only on the paths that jail a program (the red team's readers of answers)
    needs_jail: bool = False
    # True: not judged on the local open paths, where the program runs as root without a jail
    # (nothing of the judge's is hidden from root: a reader of the harness's memory passes
    # there); judged on every jailed and Piston path
    needs_a_user: bool = False
    # paths that would run this case through the same code as another path does (its cost,
    # not its verdict): not judged there
    skip_paths: frozenset[str] = frozenset()

    def record(self) -> dict[str, Any]:
        return {
            "id": problem_id(self.problem),
            "code": self.source,
            "language": self.language,
            "case": self.name,
        }


def stdio(
    pid: str,
    tests: list[tuple[str, str]],
    time_limit: float = 1.0,
    memory_limit: int = 128,
    input_mode: str = "stdio",
) -> dict[str, Any]:
    return {
        "id": pid,
        "contest_id": 9000,
        "index": pid,
        "title": pid,
        "time_limit": time_limit,
        "memory_limit": memory_limit,
        "official_tests": [{"input": i, "output": o} for i, o in tests],
        "generated_checker": None,
        "input_mode": input_mode,
    }


SUM = [("1 2\n", "3\n"), ("10 20\n", "30\n"), ("-5 5\n", "0\n")]
SUM_PY = "a, b = map(int, input().split())\nprint(a + b)\n"
SUM_RUST = (
    "use std::io::Read;\n"
    "fn main() {\n"
    "    let mut s = String::new();\n"
    "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
    "    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
    "    let (a, b) = (v[0], v[1]);\n"
    '    println!("{}", a + b);\n'
    "}\n"
)
SUM_JS = (
    'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(BigInt);\n'
    "console.log((a + b).toString());\n"
)
SUM_C = (
    '#include <stdio.h>\nint main(void){long long a,b;scanf("%lld %lld",&a,&b);'
    'printf("%lld\\n",a+b);return 0;}\n'
)
SUM_JAVA = (
    "import java.io.*;\nimport java.util.*;\n"
    "public class Main {\n  public static void main(String[] args) throws IOException {\n"
    "    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n"
    "    StringTokenizer t = new StringTokenizer(in.readLine());\n"
    "    long a = Long.parseLong(t.nextToken()), b = Long.parseLong(t.nextToken());\n"
    "    System.out.println(a + b);\n  }\n}\n"
)
SUM_CPP = '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n'


def function(pid: str, prompt: str, test: str, entry: str) -> dict[str, Any]:
    return {"task_id": pid, "prompt": prompt, "test": test, "entry_point": entry}


ADD_PROMPT = 'def add(a: int, b: int) -> int:\n    """Return a + b."""\n'
ADD_TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


SPLIT_CHECKER = (
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "try:\n"
    "    a, b = map(int, open(sys.argv[3]).read().split())\n"
    "    print(1 if a + b == n else 0)\n"
    "except ValueError:\n"
    "    print(0)\n"
)


def split(pid: str) -> dict[str, Any]:
    """Print any two numbers summing to n: only the problem's checker can judge it."""
    return {**stdio(pid, [("5\n", "2 3\n"), ("9\n", "4 5\n")]), "generated_checker": SPLIT_CHECKER}


def _case(name: str, problem: dict[str, Any], source: str, *expect: str, **kw: Any) -> Case:
    return Case(name, problem, source, frozenset(expect), **kw)


def call(pid: str) -> dict[str, Any]:
    """A call-based problem as APPS writes one: `fn_name`, argument lists, the values wanted."""
    spec = {"fn_name": "add", "inputs": [[2, 3], [[1], [2, 3]]], "outputs": [[5], [[1, 2, 3]]]}
    return {"problem_id": pid, "input_output": json.dumps(spec), "time_limit": "1 second"}


def _call(name: str, source: str, *expect: str) -> Case:
    return _case(name, call(name), source, *expect)


def evalplus(pid: str) -> dict[str, Any]:
    """An EvalPlus problem: base then plus inputs, values compared with the canonical solution's
    (floats within 1e-6, as EvalPlus does when the task's atol is 0)."""
    base, plus = [[2, 3], [0.1, 0.2]], [[10**6, 10**6], [1e-9, 0.5]]
    return {**function(pid, ADD_PROMPT, "", "add"), "canonical_solution": "    return a + b\n"} | {
        "base_input": base,
        "plus_input": plus,
        "atol": 0,
    }


def mbpp_plus(number: int, entry: str, canonical: str, base: list[Any], plus: list[Any]) -> dict[str, Any]:
    """An MBPP+ problem as EvalPlus ships it: its inputs JSON, given their Python types back by
    task number (tuples, sets) before the canonical solution and the program see them."""
    return {
        "task_id": f"Mbpp/{number}",
        "prompt": f'"""\nWrite {entry}.\n"""\n',
        "canonical_solution": canonical,
        "entry_point": entry,
        "base_input": base,
        "plus_input": plus,
        "atol": 0,
    }


def append_tuple(number: int) -> dict[str, Any]:
    """An MBPP+ problem whose first argument is a tuple, which JSON made a list (the tasks EvalPlus
    types so, e.g. Mbpp/250 and Mbpp/405: the reference's `tuple + tuple` fails on a list)."""
    return mbpp_plus(
        number,
        "append_tuple",
        "def append_tuple(test_tup, x):\n    return test_tup + (x,)\n",
        [[[5, 6, 7], 9], [[6], 10]],
        [[[], 1], [[1, 2], 0]],
    )


def codecontests_files(pid: str, tests: list[tuple[str, str]]) -> dict[str, Any]:
    """A CodeContests row of a problem that reads input.txt and writes output.txt
    (`input_file`/`output_file`, as Codeforces' old problems have them)."""
    return {
        "name": pid,
        "public_tests": {"input": [i for i, _ in tests], "output": [o for _, o in tests]},
        "private_tests": {"input": [], "output": []},
        "time_limit": {"seconds": 1, "nanos": 0},
        "memory_limit_bytes": 128 << 20,
        "input_file": "input.txt",
        "output_file": "output.txt",
    }


def _plus(name: str, completion: str, *expect: str) -> Case:
    """An EvalPlus case: its verdict (base + plus) with its base verdict, `WA (base AC)`."""
    return _case(name, evalplus(f"plus/{name}"), completion, *expect)


def _fn(name: str, completion: str, *expect: str) -> Case:
    return _case(name, function(f"fn/{name}", ADD_PROMPT, ADD_TEST, "add"), completion, *expect)


def _sum(
    name: str,
    source: str,
    *expect: str,
    language: str = "python",
    unsupported: frozenset[str] = frozenset(),
    every_switch: bool = True,
    **problem: Any,
) -> Case:
    return _case(
        name,
        stdio(name, SUM, **problem),
        source,
        *expect,
        language=language,
        unsupported=unsupported,
        every_switch=every_switch,
    )


def _twin(name: str, source: str, *expect: str, language: str, **problem: Any) -> Case:
    """A case in another language with the verdicts of its C++ or Python twin."""
    return _sum(name, source, *expect, language=language, every_switch=False, **problem)


CASES: list[Case] = [
    # -- the basic verdicts, Python ---------------------------------------------------------
    _sum("py-ac", SUM_PY, AC),
    _sum("py-wa", "a, b = map(int, input().split())\nprint(a - b)\n", WA),
    _sum("py-re-exception", "raise ValueError('no')\n", RE),
    _sum("py-re-exit-3", "import sys\nsys.exit(3)\n", RE),
    _sum("py-tle-cpu", "while True:\n    pass\n", TLE, time_limit=0.25),
    _sum("py-tle-sleep", "import time\ntime.sleep(30)\n", TLE, time_limit=0.25),
    _sum("py-mle-touched", "x = b'x' * (300 << 20)\nprint(len(x))\n", MLE),
    _sum("py-ole", f"import sys\nsys.stdout.write('x' * ({OUTPUT_LIMIT_MB + 8} << 20))\n", OLE),
    _sum("py-ce-syntax", "a, b = map(int, input().split()\nprint(a + b)\n", CE),
    _sum("py-ce-indent", "if True:\nprint(1)\n", CE),
    # a SyntaxError raised while running (eval) is the program's runtime error, not a compile error
    _sum("py-re-runtime-syntaxerror", "eval('1 +')\n", RE),
    # -- outputs are bytes: non-ASCII travels whole, only ASCII whitespace separates tokens
    _case(
        "py-unicode-output",
        stdio("py-unicode-output", [("", "naïve ✓ 東京\n")]),
        "print('naïve ✓ 東京')\n",
        AC,
    ),
    _case("py-nbsp-is-no-space", stdio("py-nbsp-is-no-space", [("", "1 2\n")]), "print('1\\u00a02')\n", WA),
    # -- real memory, not address space (item 14) -------------------------------------------
    _sum("py-mmap-untouched", "import mmap\nm = mmap.mmap(-1, 1 << 30)\n" + SUM_PY, AC),
    _sum(
        "py-40-idle-threads",
        "import threading, time\n"
        "ts = [threading.Thread(target=time.sleep, args=(0.05,)) for _ in range(40)]\n"
        "[t.start() for t in ts]\n[t.join() for t in ts]\n" + SUM_PY,
        AC,
    ),
    # -- the previous test's output is not this test's memory (item 3) --------------------------
    _case(
        "py-output-then-memory",
        stdio("py-output-then-memory", [("1\n", "1\n"), ("2\n", "2\n")], memory_limit=48),
        "import sys\nn = int(input())\n"
        "if n == 1:\n    print(1)\n    for _ in range(30):\n        sys.stdout.write(' ' * (1 << 20))\n"
        "else:\n    x = b'y' * (24 << 20)\n    print(2)\n",
        AC,
    ),
    # -- slow but correct: timed again, and the re-run may not disturb the next test (item 2) ---
    _sum(
        "py-near-limit",
        "import time\nwhile time.process_time() < 0.4:\n    pass\n" + SUM_PY,
        AC,
        time_limit=0.5,
    ),
    # -- function problems: only a returned check() passes (item 1) --------------------------
    # -- call-based problems (APPS/TACO fn_name, LeetCode's Solution): the generated check ------
    _call("call-function-ac", "def add(a, b):\n    return a + b\n", AC),
    _call("call-solution-ac", "class Solution:\n    def add(self, a, b):\n        return a + b\n", AC),
    _call("call-tuple-ac", "def add(a, b):\n    return tuple(a + b) if isinstance(a, list) else a + b\n", AC),
    _call("call-wa", "def add(a, b):\n    return a\n", WA),
    _call("call-missing-re", "def plus(a, b):\n    return a + b\n", RE),
    _call("call-exit-0", "import sys\ndef add(a, b):\n    sys.exit(0)\n", WA, RE),
    _call("call-tle", "def add(a, b):\n    while True:\n        pass\n", TLE),
    # each call has the limit to itself (0.15 s of CPU twice passes 0.25 s), as the runners time it
    _case(
        "call-each-own-limit",
        {**call("call-each-own-limit"), "time_limit": 0.25},
        "import time\n"
        "def add(a, b):\n"
        "    end = time.process_time() + 0.15\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
        "    return a + b\n",
        AC,
    ),
    # -- EvalPlus: base then plus inputs against the canonical solution's values ------------------
    _plus("plus-ac", "    return a + b\n", "AC (base AC)"),
    _plus("plus-float-within-atol", "    return round(a + b, 9)\n", "AC (base AC)"),
    _plus("plus-wa-on-plus-only", "    return a + b if abs(a) < 100 else 0\n", "WA (base AC)"),
    _plus("plus-wa-on-base", "    return a - b\n", "WA (base WA)"),
    # values made to pass a comparison: equal to everything, a float whose difference and
    # absolute value are 0 (an atol check), NaN, a tuple subclass equal to everything
    _plus(
        "plus-eq-everything",
        "    class A:\n        __eq__ = lambda s, o: True\n        __hash__ = object.__hash__\n"
        "    return A()\n",
        "WA (base WA)",
    ),
    _plus(
        "plus-float-forged-atol",
        "    class F(float):\n"
        "        __eq__ = lambda s, o: True\n"
        "        __sub__ = __rsub__ = lambda s, o: F(0.0)\n"
        "        __abs__ = lambda s: 0.0\n"
        "        __lt__ = __le__ = lambda s, o: True\n"
        "        __hash__ = float.__hash__\n"
        "    return F(-1.0)\n",
        "WA (base WA)",
    ),
    _plus("plus-nan", "    return float('nan')\n", "WA (base WA)"),
    _plus(
        "plus-tuple-eq-everything",
        "    class T(tuple):\n        __eq__ = lambda s, o: True\n        __hash__ = tuple.__hash__\n"
        "    return T()\n",
        "WA (base WA)",
    ),
    _plus("plus-exit-0", "    import sys\n    sys.exit(0)\n", "WA (base WA)", "RE (base RE)"),
    # MBPP+: a tuple argument is a tuple (the reference's `tuple + tuple` runs), as in EvalPlus
    _case(
        "mbpp-plus-tuple-ac",
        append_tuple(250),
        "def append_tuple(test_tup, x):\n    return tuple(test_tup) + (x,)\n",
        "AC (base AC)",
    ),
    _case(
        "mbpp-plus-list-wa",
        append_tuple(405),
        "def append_tuple(test_tup, x):\n    return list(test_tup) + [x]\n",
        "WA (base WA)",
    ),
    _fn("fn-ac", "    return a + b\n", AC),
    _fn("fn-wa", "    return a - b\n", WA),
    _fn("fn-exit-0", "    return a - b\nexit(0)\n", WA, RE),
    _fn("fn-quit", "    return a - b\nquit()\n", WA, RE),
    _fn("fn-sys-exit", "    return a - b\nimport sys\nsys.exit(0)\n", WA, RE),
    _fn("fn-raise-systemexit", "    return a - b\nraise SystemExit(0)\n", WA, RE),
    _fn("fn-os-exit", "    return a - b\nimport os\nos._exit(0)\n", WA, RE),
    _fn("fn-atexit-os-exit", "    return a - b\nimport atexit, os\natexit.register(os._exit, 0)\n", WA, RE),
    _fn(
        "fn-excepthook",
        "    return a - b\nimport sys, os\nsys.excepthook = lambda *a: os._exit(0)\n",
        WA,
        RE,
    ),
    _fn(
        "fn-thread-exit",
        "    import os, threading\n    threading.Timer(0, os._exit, (0,)).start()\n    import time\n"
        "    time.sleep(1)\n    return a - b\n",
        WA,
        RE,
        TLE,
    ),
    _fn("fn-prints", "    print('debug', a, b)\n    return a + b\n", AC),
    _fn("fn-reads-stdin", "    import sys\n    sys.stdin.read()\n    return a + b\n", AC),
    _fn("fn-ce", "    return a +\n", CE),
    _case(
        "fn-tle",
        {**function("fn/fn-tle", ADD_PROMPT, ADD_TEST, "add"), "time_limit": 0.25},
        "    while True:\n        pass\n",
        TLE,
    ),
    _fn("fn-re", "    return {}[a]\n", RE),
    # -- file mode: input on stdin and as input.txt; output.txt when written, else stdout (item 4)
    _sum("file-stdin-stdout", SUM_PY, AC, input_mode="file"),
    _sum(
        "file-input-txt-stdout",
        "a, b = map(int, open('input.txt').read().split())\nprint(a + b)\n",
        AC,
        input_mode="file",
    ),
    _sum(
        "file-input-txt-output-txt",
        "a, b = map(int, open('input.txt').read().split())\nopen('output.txt', 'w').write(f'{a + b}\\n')\n",
        AC,
        input_mode="file",
    ),
    _sum(
        "file-output-txt-wins",
        "a, b = map(int, input().split())\nprint('noise')\nopen('output.txt', 'w').write(f'{a + b}\\n')\n",
        AC,
        input_mode="file",
    ),
    _sum(
        "file-empty-output-txt",
        "a, b = map(int, input().split())\nprint(a + b)\nopen('output.txt', 'w').close()\n",
        WA,
        input_mode="file",
    ),
    # CodeContests' input_file/output_file: the same file mode
    _case(
        "cc-input-txt-output-txt",
        codecontests_files("cc-input-txt-output-txt", SUM),
        "a, b = map(int, open('input.txt').read().split())\nopen('output.txt', 'w').write(f'{a + b}\\n')\n",
        AC,
    ),
    _case("cc-files-stdin-stdout", codecontests_files("cc-files-stdin-stdout", SUM), SUM_PY, AC),
    # -- a problem's checker program decides (any two numbers summing to n) ------------------
    _case("checker-ac", split("checker-ac"), "n = int(input())\nprint(1, n - 1)\n", AC),
    _case("checker-wa", split("checker-wa"), "n = int(input())\nprint(1, 1)\n", WA),
    # -- C++ ---------------------------------------------------------------------------------
    _sum("cpp-ac", SUM_CPP, AC, language="cpp"),
    _sum("cpp-wa", SUM_CPP.replace("a+b", "a-b"), WA, language="cpp"),
    _sum("cpp-ce", "int main() { return x; }\n", CE, language="cpp"),
    _sum("cpp-re-segv", "int main(){ volatile int *p = 0; *p = 1; }\n", RE, language="cpp"),
    # an allocation no machine can give: std::bad_alloc, MLE on every path (Piston per test too)
    _sum(
        "cpp-mle-bad-alloc",
        "int main(){ char *p = new char[1ULL << 44]; return p[7]; }\n",
        MLE,
        language="cpp",
    ),
    _sum(
        "cpp-tle",
        "int main(){ volatile unsigned long x = 0; for(;;) x++; }\n",
        TLE,
        language="cpp",
        time_limit=0.25,
    ),
    _sum(
        "cpp-near-limit",
        "#include <ctime>\n"
        + SUM_CPP.replace("int main(){", "int main(){while(clock()<0.4*CLOCKS_PER_SEC);"),
        AC,
        language="cpp",
        time_limit=0.5,
    ),
    # Codeforces defines ONLINE_JUDGE: the local-debugging template reads stdin there (item 5)
    _sum(
        "cpp-online-judge",
        '#include <cstdio>\nint main(){\n#ifndef ONLINE_JUDGE\nfreopen("input.txt","r",stdin);'
        'freopen("output.txt","w",stdout);\n#endif\n'
        'long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n',
        AC,
        language="cpp",
    ),
    _sum(
        "cpp-file-mode",
        '#include <cstdio>\nint main(){freopen("input.txt","r",stdin);freopen("output.txt","w",stdout);'
        'long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n',
        AC,
        language="cpp",
        input_mode="file",
        # stock Piston compiles every file it is sent: a C++ program cannot be given input.txt
        # there (our package can: the launcher gives it, as to Python)
        unsupported=frozenset({"piston-stock"}),
    ),
    # memory is real use on every path (a 256 MB vector, touched, under 128 MB)
    _sum(
        "cpp-mle",
        "#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(256<<20, 1);"
        'long long s=0;for(size_t i=0;i<v.size();i+=4096)s+=v[i];printf("%lld\\n",s);}\n',
        MLE,
        language="cpp",
    ),
    # -- C, Java and PyPy: the same verdicts as their C++ and Python twins ------------------------
    _twin("c-ac", SUM_C, AC, language="c"),
    _twin("c-wa", SUM_C.replace("a+b", "a-b"), WA, language="c"),
    _twin("c-ce", "int main(void) { return x; }\n", CE, language="c"),
    _twin("c-re-segv", "int main(void){ volatile int *p = 0; *p = 1; return 0; }\n", RE, language="c"),
    _twin(
        "c-tle",
        "int main(void){ volatile unsigned long x = 0; for(;;) x++; }\n",
        TLE,
        language="c",
        time_limit=0.25,
    ),
    _twin(
        "c-online-judge-and-libm",
        "#include <stdio.h>\n#include <math.h>\nint main(void){\n#ifndef ONLINE_JUDGE\n"
        'freopen("input.txt","r",stdin);\n#endif\nlong long a,b;scanf("%lld %lld",&a,&b);'
        'volatile double s = a + b;printf("%lld\\n",(long long)floor(s + 0.5));}\n',
        AC,
        language="c",
    ),
    _twin("java-ac", SUM_JAVA, AC, language="java"),
    # javac wants the file named after the public class: any name is found
    _twin("java-any-class-name", SUM_JAVA.replace("class Main", "class Solution"), AC, language="java"),
    _twin("java-wa", SUM_JAVA.replace("a + b", "a - b"), WA, language="java"),
    _twin(
        "java-ce",
        "public class Main { public static void main(String[] a) { int x = ; } }\n",
        CE,
        language="java",
    ),
    _twin(
        "java-re-exception",
        "public class Main { public static void main(String[] a) { throw new IllegalStateException(); } }\n",
        RE,
        language="java",
    ),
    _twin(
        "java-tle",
        "public class Main { public static void main(String[] a) { long x = 0; while (true) { x++; } } }\n",
        TLE,
        language="java",
        time_limit=0.5,
    ),
    _twin("pypy-ac", SUM_PY, AC, language="pypy"),
    _twin("pypy-wa", "a, b = map(int, input().split())\nprint(a - b)\n", WA, language="pypy"),
    _twin("pypy-re-exception", "raise ValueError('no')\n", RE, language="pypy"),
    _twin("pypy-tle-cpu", "while True:\n    pass\n", TLE, language="pypy", time_limit=0.25),
    _twin("pypy-ce-syntax", "a, b = map(int, input().split()\nprint(a + b)\n", CE, language="pypy"),
    _twin("rust-ac", SUM_RUST, AC, language="rust"),
    _twin("rust-wa", SUM_RUST.replace("a + b", "a - b"), WA, language="rust"),
    _twin("rust-ce", 'fn main() { let x: i32 = "a"; }\n', CE, language="rust"),
    _twin("rust-re-panic", 'fn main() { panic!("no"); }\n', RE, language="rust"),
    _twin("rust-tle-cpu", "fn main() { loop {} }\n", TLE, language="rust", time_limit=0.25),
    _twin("js-ac", SUM_JS, AC, language="javascript"),
    _twin("js-wa", SUM_JS.replace("a + b", "a - b"), WA, language="javascript"),
    _twin("js-re-exception", "throw new Error('no');\n", RE, language="javascript"),
    _twin("js-tle-cpu", "while (true) {}\n", TLE, language="javascript", time_limit=0.25),
    _twin("js-ce-syntax", "const x = ;\n", CE, language="javascript"),
    # a SyntaxError the program raises while running is its runtime error, as in Python
    _twin("js-re-runtime-syntax", "eval('let = ;');\n", RE, language="javascript"),
]


def _lcb(name: str, source: str, *expect: str) -> Case:
    """A LiveCodeBench stdin problem: outputs compared as its runner compares (Decimal lines)."""
    tests = [{"input": "1\n", "output": "0.5\n", "testtype": "stdin"}]
    return _case(name, {"question_id": name, "public_test_cases": json.dumps(tests)}, source, *expect)


CASES += [
    _lcb("lcb-decimal-equal-ac", "input()\nprint('0.50')\n", AC),
    _lcb("lcb-yes-case-wa", "input()\nprint('0.5 yes')\n", WA),
    # interactive (open-r1's interaction_format) and no interactor: never judged as plain stdin
    _case(
        "interactive-no-interactor-skip",
        {**stdio("interactive", [("1 2\n", "3\n")]), "interaction_format": "Ask, then answer."},
        "print(3)\n",
        "SKIP",
    ),
]

# the red-team families: programs written to fool the judge, each judged not AC (or, for a
# broken problem, IE) on every path; kept in files of their own, built from the helpers above
from tests.conformance import (  # noqa: E402
    redteam_accounting,
    redteam_checker,
    redteam_function,
    redteam_interactive,
    redteam_jail,
    redteam_neighbours,
    redteam_piston,
)

# judged on the executor paths (every runner, executor and language), not again under each
# switch (test order, all tests, forced re-runs, shards, a fleet), which contains nothing
_REDTEAM = [
    *redteam_function.CASES,
    *redteam_checker.CASES,
    *redteam_accounting.CASES,
    *redteam_piston.CASES,
    *redteam_jail.CASES,
    *redteam_neighbours.CASES,
    *redteam_interactive.CASES,
]
CASES += [replace(case, every_switch=False) for case in _REDTEAM]
