"""The benchmarks' own problem schemas, each read into a Problem by a small reader chosen by
the record itself (the first whose fields it has):

- EvalPlus (HumanEval+ and MBPP+: `base_input`, `plus_input`, `canonical_solution`,
  `atol`): a function problem judged in two parts, the base inputs then the plus inputs,
  each call's value compared with the canonical solution's as EvalPlus compares;
- HumanEval (`prompt`, `test`, `entry_point`): a function problem;
- MBPP (`test_list` asserts, `test_setup_code`): a function problem whose check runs the asserts;
- DeepMind CodeContests (`public_tests`/`private_tests`/`generated_tests` as
  `{input: [...], output: [...]}`, `time_limit {seconds, nanos}`, `memory_limit_bytes`);
- APPS and TACO (`input_output`: JSON text with `inputs`/`outputs`, and `fn_name` for
  call-based problems);
- LiveCodeBench code generation (`public_test_cases`, `private_test_cases` as the dataset
  stores them, `metadata.func_name`, `testtype` stdin or functional, `contest_date`);
- open-r1/codeforces and ours (`official_tests`), the default.

Call-based problems (a function, or LeetCode's `Solution().method`, called with each
test's arguments, its value compared as APPS and LiveCodeBench do) are function problems
with a generated `check`: the same sandbox, limits and verdicts as every other program.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import zlib
from typing import Any

from batch_eval.errors import BatchEvalError


def schema_of(raw: dict[str, Any]) -> str:
    """Which schema a problem record follows (by the fields it has)."""
    if raw.get("entry_point") and "base_input" in raw and raw.get("canonical_solution"):
        return "evalplus"
    if raw.get("entry_point") and raw.get("test") is not None:
        return "humaneval"
    if isinstance(raw.get("test_list"), list):
        return "mbpp"
    if any(isinstance(raw.get(k), dict) for k in ("public_tests", "private_tests", "generated_tests")):
        return "codecontests"
    if "input_output" in raw:
        return "apps"
    if "public_test_cases" in raw:
        return "livecodebench"
    return "open-r1"


def problem_id(raw: dict[str, Any], row: int | None = None) -> Any:
    """A problem's id in any schema: ours/open-r1 `id`, HumanEval/MBPP `task_id`, APPS
    `problem_id`, LiveCodeBench `question_id`, CodeContests `cf_contest_id`/`cf_index` (else
    its `name`); TACO's `row` in its file (0-based) as a string (see numbered_by_row)."""
    for key in ("id", "task_id", "problem_id", "question_id"):
        if key in raw:
            return raw[key]
    contest, index = raw.get("cf_contest_id"), raw.get("cf_index")
    if contest and index:
        return f"{contest}/{index}"
    if numbered_by_row(raw):
        return None if row is None else str(row)
    return raw.get("name")


def numbered_by_row(raw: dict[str, Any]) -> bool:
    """Whether a problem's id is its row in the file: a TACO row (`input_output` and no id
    field). TACO publishes no id (BAAI/TACO's columns: question, solutions, starter_code,
    input_output, difficulty, raw_tags, name, source, ...; `name` is a title); its
    own files name a problem by its row: `task_id` in generation.json (FlagOpen/TACO README),
    `idx` in output_spj.jsonl, and compute_metric pairs generations with rows in order."""
    return "input_output" in raw and not any(
        k in raw for k in ("id", "task_id", "problem_id", "question_id", "cf_contest_id")
    )


def limits_of(raw: dict[str, Any], schema: str) -> tuple[Any, Any]:
    """(time limit in seconds, memory limit in MB) as the schema writes them, or the raw
    values for the caller to check (ours: numbers)."""
    if schema == "codecontests":
        t, m = raw.get("time_limit"), raw.get("memory_limit_bytes")
        seconds = (t.get("seconds") or 0) + (t.get("nanos") or 0) / 1e9 if isinstance(t, dict) else t
        megabytes = None
        if isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0:
            # 256000000 bytes is the problem's "256 megabytes", which judges give as 256 MiB
            megabytes = m / (1 << 20) if m % (1 << 20) == 0 else m / 1e6
        return seconds or None, megabytes
    time_limit, memory_limit = raw.get("time_limit"), raw.get("memory_limit")
    # TACO: "2 seconds", "256 megabytes" (other text stays, to be refused by name)
    if isinstance(time_limit, str) and _leading_number(time_limit) is not None:
        time_limit = _leading_number(time_limit)
    if isinstance(memory_limit, str) and _leading_number(memory_limit) is not None:
        memory_limit = _leading_number(memory_limit)
    return time_limit, memory_limit


def codecontests_files(raw: dict[str, Any]) -> tuple[str, str]:
    """(input mode, why it cannot be judged or "") of a CodeContests problem by its
    `input_file`/`output_file` (empty: standard input/output): a problem that reads input.txt
    or writes output.txt is a file-mode problem (its input on stdin and as input.txt, its output
    output.txt when it wrote that regular file, else stdout); other file names are not judged."""
    names = (str(raw.get("input_file") or "").strip(), str(raw.get("output_file") or "").strip())
    if not any(names):
        return "stdio", ""
    if names[0] in ("", "input.txt") and names[1] in ("", "output.txt"):
        return "file", ""
    files = f"reads {names[0] or 'stdin'} and writes {names[1] or 'stdout'}"
    return "stdio", f"{files} (only input.txt and output.txt are judged)"


def stdio_tests(raw: dict[str, Any], schema: str, where: str) -> list[tuple[str, Any, Any]] | None:
    """(name, input, output) of a stdio problem's tests, or None when its tests are calls
    (see call_tests)."""
    if schema == "codecontests":
        tests = []
        for kind in ("public", "private", "generated"):
            block = raw.get(f"{kind}_tests") or {}
            inputs, outputs = block.get("input") or [], block.get("output") or []
            if len(inputs) != len(outputs):
                raise BatchEvalError(
                    f"{where}: {kind}_tests has {len(inputs)} inputs and {len(outputs)} outputs"
                )
            tests += [(f"{kind}-{i}", x, y) for i, (x, y) in enumerate(zip(inputs, outputs))]
        return tests
    if schema == "apps":
        io_spec = _json_field(raw, "input_output", where) or {}
        if io_spec.get("fn_name"):
            return None
        inputs, outputs = io_spec.get("inputs") or [], io_spec.get("outputs") or []
        return [(f"test-{i}", _text(x), _text(y)) for i, (x, y) in enumerate(zip(inputs, outputs))]
    if schema == "livecodebench":
        cases = livecodebench_cases(raw, where)
        if any(case.get("testtype") == "functional" for _, case in cases):
            return None
        return [(name, case["input"], case["output"]) for name, case in cases]
    official = raw.get("official_tests")
    if official is None:
        official = raw.get("tests", [])
    if not isinstance(official, list):
        raise BatchEvalError(f"{where}: official_tests must be a list")
    for i, test in enumerate(official):
        if not isinstance(test, dict) or "input" not in test or "output" not in test:
            raise BatchEvalError(f"{where}: test {i} needs `input` and `output`")
    return [(f"official-{i}", t["input"], t["output"]) for i, t in enumerate(official)]


def call_tests(raw: dict[str, Any], schema: str, where: str) -> tuple[str, list[tuple[list[Any], Any]]]:
    """The function a call-based problem calls and its (arguments, expected value) cases."""
    if schema == "apps":
        io_spec = _json_field(raw, "input_output", where) or {}
        cases = []
        for args, expected in zip(io_spec.get("inputs") or [], io_spec.get("outputs") or []):
            cases.append((args if isinstance(args, list) else [args], expected))
        return str(io_spec["fn_name"]), cases
    metadata = _json_field(raw, "metadata", where) or {}
    name = metadata.get("func_name")
    if not name:
        raise BatchEvalError(f"{where}: a functional LiveCodeBench problem needs metadata.func_name")
    calls = []
    for _, case in livecodebench_cases(raw, where):
        try:
            args = [json.loads(line) for line in str(case["input"]).split("\n") if line.strip()]
            calls.append((args, json.loads(case["output"])))
        except (json.JSONDecodeError, TypeError):
            raise BatchEvalError(f"{where}: a functional test's input or output is not JSON") from None
    return str(name), calls


def livecodebench_cases(raw: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """LiveCodeBench's public then private test cases; the private ones as the dataset
    stores them (JSON text, or base64 of zlib of a pickled JSON string, unpickled with
    every class refused: a pickle can run code)."""
    public = _json_field(raw, "public_test_cases", where) or []
    private = raw.get("private_test_cases") or []
    if isinstance(private, str):
        try:
            private = json.loads(private)
        except json.JSONDecodeError:
            try:
                unpacked = _SafeUnpickler(io.BytesIO(zlib.decompress(base64.b64decode(private)))).load()
                private = json.loads(unpacked)
            except Exception as exc:
                raise BatchEvalError(f"{where}: private_test_cases cannot be read ({exc})") from None
    cases = [(f"public-{i}", c) for i, c in enumerate(public)] + [
        (f"private-{i}", c) for i, c in enumerate(private)
    ]
    for name, case in cases:
        if not isinstance(case, dict) or "input" not in case or "output" not in case:
            raise BatchEvalError(f"{where}: test case {name} needs `input` and `output`")
    return cases


def mbpp_check(raw: dict[str, Any], challenge: bool = False) -> tuple[str, str, str]:
    """(entry point, setup code, the check function) of an MBPP problem: its asserts call
    the function by name, so check() runs them and the entry point must exist. The asserts
    are `test_list`, as the papers score MBPP (`challenge_test_list` too with `challenge`);
    the setup is `test_setup_code` and MBPP-sanitized's `test_imports`, which the official
    evaluation runs in the program's module before the asserts."""
    asserts = [str(a) for a in raw["test_list"]]
    if challenge:
        asserts += [str(a) for a in raw.get("challenge_test_list") or []]
    called = (
        re.search(r"assert\s+(?:not\s+)?\(?\s*(?:set\()?\s*([A-Za-z_]\w*)\s*\(", asserts[0])
        if asserts
        else None
    )
    entry = called.group(1) if called else ""
    body = "\n".join(f"    {a}" for a in asserts) or "    pass"
    imports = raw.get("test_imports") or []
    setup = "".join(f"{line}\n" for line in [*imports, raw.get("test_setup_code") or ""] if str(line).strip())
    return entry, setup, f"def check(candidate):\n{body}\n"


#: what each benchmark's runner runs before a call-based program (its import prelude):
#: LiveCodeBench's `lcb_runner` (everything of the listed modules, recursion limit 50000) and
#: APPS's `testing_util` (TACO's is the same; numpy where it is installed)
_LCB_MODULES = (
    "string re datetime collections heapq bisect copy math random statistics itertools functools "
    "operator io sys json"
)
PRELUDES = {
    "livecodebench": "".join(f"from {m} import *\n" for m in [*_LCB_MODULES.split(), "builtins", "typing"])
    + "".join(f"import {m}\n" for m in _LCB_MODULES.split())
    + "sys.setrecursionlimit(50000)\n",
    "apps": (
        "import sys\nimport time\nimport itertools\n"
        "from itertools import accumulate, product, permutations, combinations\n"
        "import collections\nfrom collections import Counter, OrderedDict, deque, defaultdict, ChainMap\n"
        "from functools import lru_cache\nimport math\n"
        "from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2\n"
        "import fractions\nfrom typing import List, Tuple\n"
        "try:\n    import numpy as np\nexcept ImportError:\n    pass\n"
        "import random\nimport heapq\nfrom heapq import *\n"
    ),
}

#: the check of a call-based problem as LiveCodeBench's runner grades one: each case's
#: arguments passed to the candidate, a tuple returned taken as a list, then `==`
_LCB_CHECK = """\
def check(candidate):
    import json

    for n, (args, expected) in enumerate(json.loads({cases!r})):
        got = candidate(*args)
        if isinstance(got, tuple):
            got = list(got)
        assert got == expected, f"test {{n + 1}}: returned {{got!r:.200}}, expected {{expected!r:.200}}"
"""

#: ... and as APPS's (and TACO's) grades one: a singleton dict argument or expected value
#: gets its int keys back (JSON made them strings), a tuple returned is a list, and the value
#: may equal the expected one or, as APPS wraps most, its first element (a list of tuples
#: compared as lists there too)
_APPS_CHECK = """\
def check(candidate):
    import json

    def int_keys(value):
        return {{int(k): v for k, v in value.items()}}

    for n, (args, expected) in enumerate(json.loads({cases!r})):
        try:
            if isinstance(args[0], dict):
                args = [int_keys(args[0])]
        except Exception:
            pass
        try:
            if isinstance(expected, dict):
                expected = [int_keys(expected)]
        except Exception:
            pass
        try:
            if isinstance(expected[0], dict):
                expected = [int_keys(expected[0])]
        except Exception:
            pass
        got = candidate(*args)
        if isinstance(got, tuple):
            got = list(got)
        ok = got == expected
        if isinstance(expected, list) and expected:
            ok = ok or got == expected[0]
        try:
            if isinstance(got[0], tuple):
                ok = ok or [list(x) for x in got] == expected[0]
        except Exception:
            pass
        assert ok, f"test {{n + 1}}: returned {{got!r:.200}}, expected {{expected!r:.200}}"
"""


def call_check(schema: str, cases: list[tuple[list[Any], Any]]) -> str:
    """The check code of a call-based problem, graded as its benchmark's runner grades it;
    check() is given the function (or LeetCode's `Solution().name`: see
    Problem.solution_class)."""
    template = _LCB_CHECK if schema == "livecodebench" else _APPS_CHECK
    return template.format(cases=json.dumps([[a, e] for a, e in cases]))


#: MBPP+'s inputs whose JSON lost their Python types, and how EvalPlus's `mbpp_deserialize_inputs`
#: gives them back before calling anything (by task number; each input is an argument list):
#: "args" every argument a tuple; "args-items" every argument a list of tuples; "first-items"
#: the first argument a list of tuples; "first"/"second" that argument a tuple; "args-items-tuple"
#: every argument a tuple of tuples; "items-then-args" the first argument's list items tuples,
#: then every argument a tuple; "sets" the first argument's items sets (an empty one `{}`, as
#: the task's own test writes it); "dict-values" the first argument's values tuples; "complex"
#: the first argument complex; "float-complex" (float, complex); "nested" every list a tuple
_MBPP_PLUS_TYPES: dict[int, str] = {
    **dict.fromkeys(
        (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726),
        "args",
    ),
    **dict.fromkeys((740, 744, 809), "args"),
    **dict.fromkeys((63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780), "args-items"),
    **dict.fromkeys((75, 413, 444, 753), "first-items"),
    **dict.fromkeys((106, 750), "second"),
    115: "sets",
    124: "float-complex",
    **dict.fromkeys((250, 405, 446, 617, 720, 763, 808, 307), "first"),
    **dict.fromkeys((259, 401, 445), "args-items-tuple"),
    278: "items-then-args",
    722: "dict-values",
    252: "complex",
    **dict.fromkeys((580, 615, 791), "nested"),
}


def _typed_args(kind: str, args: list[Any]) -> Any:
    """One input's arguments with the Python types EvalPlus gives them (_MBPP_PLUS_TYPES)."""
    if kind == "args":
        return [tuple(a) for a in args]
    if kind == "args-items":
        return [[tuple(x) for x in a] for a in args]
    if kind == "first-items":
        return [[tuple(x) for x in args[0]], *args[1:]]
    if kind == "first":
        return [tuple(args[0]), *args[1:]]
    if kind == "second":
        return [args[0], tuple(args[1]), *args[2:]]
    if kind == "args-items-tuple":
        return [tuple(tuple(x) for x in a) for a in args]
    if kind == "items-then-args":
        return [tuple(tuple(x) if isinstance(x, list) else x for x in args[0]), *map(tuple, args[1:])]
    if kind == "sets":
        return [[set(x) if isinstance(x, list) and x else {} for x in args[0]]]
    if kind == "dict-values":
        return [{k: tuple(v) for k, v in args[0].items()}, *args[1:]]
    if kind == "complex":
        return [complex(args[0])]
    if kind == "float-complex":
        return [float(args[0]), complex(args[1])]

    def nested(value: Any) -> Any:
        return tuple(nested(v) for v in value) if isinstance(value, list) else value

    return nested(args)


def _tagged(value: Any) -> Any:
    """A value as JSON that keeps its Python types (tuple, set, complex, dict), for _TYPED."""
    if isinstance(value, tuple):
        return {"t": [_tagged(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"s": [_tagged(v) for v in value]}
    if isinstance(value, complex):
        return {"c": [value.real, value.imag]}
    if isinstance(value, dict):
        return {"d": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    return value


#: how an IE caused by the problem's own reference solution begins (audit counts it as a rejection)
REFERENCE_FAILS = "the reference solution fails"

#: the check of an EvalPlus problem: each input of this run's part (`_batch_eval_part`, set
#: by the harness in the tests' namespace), its Python types given back (_tagged), given to the
#: canonical solution (run by the harness, never by the candidate) and to the candidate, on
#: copies; values compared as EvalPlus compares them: equal, or within `atol` (1e-6 for floats
#: when the task has none) with a relative 1e-7, as numpy.testing.assert_allclose; `find_zero`
#: (HumanEval/32) by the polynomial at the root; MBPP+'s special oracles as EvalPlus applies
#: them per input (_MBPP_ORACLES: any value for `are_equivalent`, 0 too for `sum_div`, the
#: rounded area for `surface_Area`, the zero-padded digit distance for `digit_distance_nums`,
#: equal as sets for the set tasks, None-ness for the not-None tasks). A reference that fails
#: on an input makes the problem unjudgeable (IE), never the sample's fault.
_EVALPLUS_CHECK = """\
def check(candidate):
    import copy, json, math

    reference = {{}}
    exec({reference!r}, reference)
    expected_of = reference[{entry!r}]

    def typed(x):
        if isinstance(x, list):
            return [typed(i) for i in x]
        if isinstance(x, dict):
            (tag, v), = x.items()
            if tag == "t":
                return tuple(typed(i) for i in v)
            if tag == "s":
                return set(typed(i) for i in v)
            if tag == "c":
                return complex(v[0], v[1])
            return {{typed(k): typed(i) for k, i in v}}
        return x

    inputs = typed(json.loads({inputs!r})[_batch_eval_part])

    def is_floats(x):
        if isinstance(x, float):
            return True
        return isinstance(x, (list, tuple)) and all(isinstance(i, float) for i in x)

    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    def flat(x):
        return [v for i in x for v in flat(i)] if isinstance(x, (list, tuple)) else [x]

    def close(out, exp, atol):
        a, b = flat(out), flat(exp)
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if not (number(x) and number(y)):
                if x != y:
                    return False
            elif not (math.isnan(x) and math.isnan(y)) and not abs(x - y) <= atol + 1e-7 * abs(y):
                return False
        return True

    oracle = {oracle!r}

    def area(edge, height):
        return round(edge**2 + 2 * edge * math.sqrt((edge / 2) ** 2 + height**2))

    def digit_distance(a, b):
        x, y = str(a), str(b)
        width = max(len(x), len(y))
        return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))

    failed = None
    atol = {atol!r}  # once raised to 1e-6 for floats it stays, for the later inputs too (EvalPlus)
    for n, args in enumerate(inputs):
        try:
            expected = expected_of(*copy.deepcopy(args))
        except Exception as exc:
            where = f"{{_batch_eval_part}} input {{n + 1}}"
            _batch_eval_problem_fails(f"{fails} on {{where}}: {{exc!r:.200}}")
        got = candidate(*copy.deepcopy(args))
        if {entry!r} == "find_zero":
            at = sum(c * math.pow(got, i) for i, c in enumerate(args[0])) if number(got) else 1
            ok = abs(at) <= max(atol, 1e-6)
        else:
            ok = got == expected
            if oracle == "are_equivalent":
                ok = True
            elif oracle == "sum_div":
                ok = ok or got == 0
            elif oracle == "surface_Area":
                ok = ok or (number(got) and abs(got - area(*args)) <= atol)
            elif oracle == "digit_distance_nums":
                ok = ok or got == digit_distance(*args)
            elif oracle == "set":
                try:
                    ok = set(got) == set(expected)
                except TypeError:
                    ok = False
            elif oracle == "not-none":
                ok = got == expected if isinstance(got, bool) else expected == (got is not None)
            if atol == 0 and is_floats(expected):
                atol = 1e-6
            if not ok and atol != 0:
                ok = close(got, expected, atol)
        why = f"returned {{repr(got)[:200]}}, expected {{repr(expected)[:200]}}"
        if not ok and failed is None:
            failed = f"{{_batch_eval_part}} input {{n + 1}}: {{why}}"
        if not ok:
            break
    assert failed is None, failed
"""

#: MBPP+'s special oracles by entry point, as EvalPlus's evaluation applies them (its
#: `_special_oracle.py`): the check's `oracle` names the rule
_MBPP_ORACLES = {
    "are_equivalent": "are_equivalent",  # Mbpp/164: any value
    "sum_div": "sum_div",  # Mbpp/295: 0 too
    "surface_Area": "surface_Area",  # Mbpp/581: the area with the slant height, rounded
    "digit_distance_nums": "digit_distance_nums",  # Mbpp/558: digits padded with zeros
    **dict.fromkeys(
        (
            "similar_elements",
            "find_char_long",
            "common_in_nested_lists",
            "extract_singly",
            "larg_nnum",
            "intersection_array",
            "find_dissimilar",
            "Diff",
        ),
        "set",  # lists equal as sets
    ),
    **dict.fromkeys(("check_str", "text_match_three", "text_starta_endb"), "not-none"),
}


def evalplus_check(raw: dict[str, Any], where: str) -> tuple[list[str], str]:
    """(the parts, the check code) of an EvalPlus problem: `base` runs the base inputs and
    `plus` the extra ones (a sample passes EvalPlus's plus score when it passes both). MBPP+'s
    inputs get back the Python types EvalPlus gives them (tuples, sets, complex numbers)."""
    base, plus = _json_field(raw, "base_input", where), _json_field(raw, "plus_input", where) or []
    if not isinstance(base, list) or not isinstance(plus, list):
        raise BatchEvalError(f"{where}: base_input and plus_input must be lists of argument lists")
    atol = raw.get("atol") or 0
    if isinstance(atol, bool) or not isinstance(atol, (int, float)):
        raise BatchEvalError(f"{where}: atol must be a number, not {atol!r}")
    reference = str(raw.get("prompt") or "") + str(raw["canonical_solution"])
    entry = str(raw["entry_point"])
    task = str(raw.get("task_id") or "")
    kind = _MBPP_PLUS_TYPES.get(int(task.rsplit("/", 1)[-1])) if re.fullmatch(r"Mbpp/\d+", task) else None
    if kind is not None:
        try:
            base, plus = ([_typed_args(kind, list(args)) for args in part] for part in (base, plus))
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise BatchEvalError(f"{where}: an input is not in MBPP+'s shape for {task} ({exc})") from None
    inputs = json.dumps({"base": _tagged(base), "plus": _tagged(plus)})
    oracle = _MBPP_ORACLES.get(entry, "") if task.startswith("Mbpp/") else ""
    check = _EVALPLUS_CHECK.format(
        reference=reference, entry=entry, inputs=inputs, atol=atol, oracle=oracle, fails=REFERENCE_FAILS
    )
    return (["base", "plus"] if plus else ["base"]), check


def _json_field(raw: dict[str, Any], key: str, where: str) -> Any:
    value = raw.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except json.JSONDecodeError:
            raise BatchEvalError(f"{where}: `{key}` is not JSON") from None
    return value


def _text(value: Any) -> Any:
    """APPS writes some tests as lists of lines."""
    return "\n".join(map(str, value)) + "\n" if isinstance(value, list) else value


def _leading_number(text: str) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")


def describe_schemas() -> str:
    """For error messages: the fields each schema is known by."""
    return (
        "`official_tests` (open-r1), `prompt`+`test`+`entry_point` (HumanEval), `base_input`+"
        "`canonical_solution` (EvalPlus), `test_list` (MBPP), "
        "`public_tests`/`private_tests` (CodeContests), `input_output` (APPS, TACO), "
        "`public_test_cases` (LiveCodeBench)"
    )
