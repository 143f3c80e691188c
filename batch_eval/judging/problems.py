"""Problems and their tests: the open-r1/codeforces schema, HumanEval-style function problems."""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError, json_error
from batch_eval.judging import hub, sources


@dataclass(frozen=True)
class TestCase:
    input: bytes
    output: bytes
    name: str = ""


@dataclass(frozen=True)
class Checker:
    """A checker program (Python source, or C++ for testlib) and the argument convention it follows."""

    source: str
    convention: str = "open-r1"  # or "testlib"


@dataclass
class Problem:
    """One problem. `kind` is "stdio" (tests of input/output) or "function" (HumanEval)."""

    id: str
    kind: str = "stdio"
    tests: list[TestCase] = field(default_factory=list)
    time_limit: float | None = None  # seconds, None: the user's default
    memory_limit: int | None = None  # MB, None: the user's default
    input_mode: str = "stdio"  # "file": also input.txt in, output.txt out
    checker: Checker | None = None
    float_tolerance: float | None = None
    # the benchmark's own output comparison (LiveCodeBench: decimal-lines), used where the
    # user asked for none (`--output-compare default`)
    compare_mode: str | None = None
    contest_id: str | None = None
    prompt: str = ""
    test_code: str = ""
    entry_point: str = ""
    # call-based (APPS, TACO, LiveCodeBench): the entry point may be LeetCode's
    # `Solution().entry_point` when the program defines no such function
    solution_class: bool = False
    # what the benchmark's runner runs in the program's module before the program (its imports)
    prelude: str = ""
    # call-based: how many calls its check makes, each with the time limit to itself (as the
    # runners time each test); 0: the program's run has the limit
    calls: int = 0
    interactive: bool = False
    # why the problem cannot be judged here (its records are SKIP lines with it), or ""
    unjudgeable: str = ""
    # an interactive problem's interactor (judging/interactive.py): Python source, or C++
    # (testlib's: not run, the problem is skipped with that reason)
    interactor: str = ""
    date: str = ""  # YYYY-MM-DD the problem was published (LiveCodeBench's contest_date), if known
    # how many generated tests open-r1 publishes for it (its `generated_tests` column, a count;
    # the tests are in test_cases_*.parquet): judged without them, it is said (records.py)
    generated_count: int = 0
    # a function problem judged in named parts, one run each, in this order (EvalPlus: base,
    # plus); none: one run named "check"
    parts: list[str] = field(default_factory=list)


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _number(raw: dict[str, Any], key: str, path: Path, line: int) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise BatchEvalError(
            f"problem {raw.get('id')!r}: {key} must be a positive number, not {value!r}", path, line
        )
    return float(value)


def parse_problem(
    raw: Any,
    path: Path,
    line: int,
    checker_convention: str = "open-r1",
    mbpp_challenge: bool = False,
    row: int | None = None,
) -> Problem:
    """One problem from its JSON object, in whichever schema it is written (sources.py);
    BatchEvalError names the file and line. `mbpp_challenge`: an MBPP problem's
    challenge_test_list asserts run too. `row`: its place among the file's records (0-based),
    the id of a problem that has none of its own (TACO's)."""
    if not isinstance(raw, dict):
        raise BatchEvalError("a problem must be a JSON object", path, line)
    pid = sources.problem_id(raw, row)
    if not isinstance(pid, (str, int)) or isinstance(pid, bool) or pid == "":
        raise BatchEvalError(
            f"problem without an id: none of {sources.describe_schemas()} names one", path, line
        )
    pid = str(pid)
    schema = sources.schema_of(raw)
    time_limit, memory_limit = sources.limits_of(raw, schema)
    limits = {"time_limit": time_limit, "memory_limit": memory_limit, "id": pid}
    memory = _number(limits, "memory_limit", path, line)
    problem = Problem(
        id=pid,
        time_limit=_number(limits, "time_limit", path, line),
        memory_limit=int(memory) if memory is not None else None,
        input_mode=str(raw.get("input_mode") or "stdio"),
        contest_id=str(raw["contest_id"]) if raw.get("contest_id") is not None else None,
        # open-r1 marks an interactive problem by its `interaction_format` text
        interactive=bool(raw.get("interactive")) or bool(str(raw.get("interaction_format") or "").strip()),
        date=str(raw.get("contest_date") or raw.get("date") or "")[:10],
    )
    tolerance = raw.get("float_tolerance")
    if isinstance(tolerance, dict):
        tolerance = tolerance.get("abs_or_rel")
    if isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool):
        problem.float_tolerance = float(tolerance)
    where = f"problem {pid!r}"
    try:
        if schema == "evalplus":
            problem.parts, check = sources.evalplus_check(raw, where)
            return _function(problem, str(raw.get("prompt") or ""), check, str(raw["entry_point"]))
        if schema == "humaneval":
            return _function(problem, str(raw.get("prompt") or ""), str(raw["test"]), str(raw["entry_point"]))
        if schema == "mbpp":
            entry, setup, check = sources.mbpp_check(raw, mbpp_challenge)
            return _function(problem, setup, check, entry)
        tests = sources.stdio_tests(raw, schema, where)
        if tests is None:  # call-based (APPS/TACO fn_name, LiveCodeBench functional)
            name, cases = sources.call_tests(raw, schema, where)
            problem.solution_class = True
            problem.calls = len(cases)
            problem.prelude = sources.PRELUDES["livecodebench" if schema == "livecodebench" else "apps"]
            # starter_code is the model's hint, never code to run: no runner prepends it
            return _function(problem, "", sources.call_check(schema, cases), name)
    except BatchEvalError as err:
        raise BatchEvalError(str(err), path, line) from None
    problem.tests = [TestCase(as_bytes(x), as_bytes(y), name) for name, x, y in tests]
    count = raw.get("generated_tests")
    if schema == "open-r1" and isinstance(count, int) and not isinstance(count, bool) and count > 0:
        problem.generated_count = count
    if schema == "codecontests":
        problem.input_mode, problem.unjudgeable = sources.codecontests_files(raw)
    if schema == "livecodebench":
        problem.compare_mode = "decimal-lines"
    interactor = raw.get("interactor")
    if isinstance(interactor, str) and interactor.strip():
        problem.interactor = interactor
        problem.interactive = True
    checker = raw.get("generated_checker") or raw.get("checker")
    if isinstance(checker, str) and checker.strip():
        convention = str(raw.get("checker_convention") or checker_convention)
        problem.checker = Checker(checker, convention)
    return problem


def _function(problem: Problem, prompt: str, test_code: str, entry_point: str) -> Problem:
    problem.kind = problem.input_mode = "function"
    problem.prompt, problem.test_code, problem.entry_point = prompt, test_code, entry_point
    return problem


#: parsed problems a ProblemSet keeps at once, by the size of their lines
KEPT_BYTES = 256 << 20
_INDEX_FORMAT = 2  # 2: TACO's problems are named by their row (an index of 1 has their titles)
_BOM = b"\xef\xbb\xbf"


class ProblemSet(Mapping[str, Problem]):
    """The problems of a file by id, read when asked for: a JSONL file is indexed (where each
    problem's line is) by one pass that validates every problem and keeps none, and the
    index is kept on disk, so a checker holds only the problems its solutions name (at most
    KEPT_BYTES of them, the least recently used let go). A JSON list is held whole."""

    def __init__(
        self,
        path: Path,
        checker_convention: str,
        index: dict[str, tuple[int, int, int]],
        held: dict[str, Problem] | None = None,
        mbpp_challenge: bool = False,
    ) -> None:
        self.path = path
        self.checker_convention = checker_convention
        self.mbpp_challenge = mbpp_challenge
        self._index = index
        self._held = held  # a JSON list: everything, parsed at once
        self._kept: OrderedDict[str, tuple[Problem, int]] = OrderedDict()
        self._kept_bytes = 0
        self._rows: list[str] | None = None
        self._numbered: bool | None = None

    def __len__(self) -> int:
        return len(self._held) if self._held is not None else len(self._index)

    def __iter__(self) -> Iterator[str]:
        return iter(self._held if self._held is not None else self._index)

    def __contains__(self, pid: object) -> bool:
        return pid in (self._held if self._held is not None else self._index)

    def id_at(self, row: int) -> str | None:
        """The problem TACO's generations mean by `task_id` `row`: when the problems' ids are
        numbers (TACO's rows, also as the `id` an audit writes; APPS's `problem_id`), the one
        numbered `row`; else the one on the file's `row` (0-based, blank lines not counted).
        None when there is none."""
        ids = self._held if self._held is not None else self._index
        if self._numbered is None:
            self._numbered = all(str(pid).isdigit() for pid in ids)
        if self._numbered:
            return str(row) if str(row) in ids else None
        if self._rows is None:
            self._rows = list(ids)
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def held(self) -> int:
        """How many parsed problems are in memory now."""
        return len(self._held) if self._held is not None else len(self._kept)

    def __getitem__(self, pid: str) -> Problem:
        if self._held is not None:
            return self._held[pid]
        kept = self._kept.get(pid)
        if kept is not None:
            self._kept.move_to_end(pid)
            return kept[0]
        offset, length, line = self._index[pid]
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                raw = f.read(length)
            problem = parse_problem(
                json.loads(_line_text(raw, offset)),
                self.path,
                line,
                self.checker_convention,
                self.mbpp_challenge,
                int(pid) if pid.isdigit() else None,  # a problem numbered by its row: that row
            )
        except (OSError, ValueError) as exc:
            raise BatchEvalError(
                f"the problems file changed while in use ({exc}): run again", self.path, line
            ) from None
        if problem.id != pid:
            raise BatchEvalError("the problems file changed while in use: run again", self.path, line)
        self._kept[pid] = (problem, length)
        self._kept_bytes += length
        while self._kept_bytes > KEPT_BYTES and len(self._kept) > 1:
            _, (_, size) = self._kept.popitem(last=False)
            self._kept_bytes -= size
        return problem


def load_problems(
    path: Path,
    checker_convention: str = "open-r1",
    index_dir: Path | None = None,
    mbpp_challenge: bool = False,
) -> ProblemSet:
    """The problems of a JSONL file (or a JSON list, or Parquet), by id. Every problem is checked here,
    before any work: a bad one is fatal, naming the file and line. `index_dir`: where the
    index of a JSONL file is kept between processes (the next load of the same unchanged
    file reads it instead of the file); `mbpp_challenge`: MBPP's challenge_test_list too."""
    if hub.is_dataset(path):  # hf:NAME[:CONFIG][@SPLIT], or a folder saved with save_to_disk
        held = _problems_of(hub.rows(path), path, checker_convention, mbpp_challenge)
        return ProblemSet(path, checker_convention, {}, held, mbpp_challenge)
    if path.is_dir():
        raise BatchEvalError(
            "a folder, not a problems file: give a JSONL, JSON list or Parquet file, "
            "or a Hugging Face dataset saved with save_to_disk",
            path,
        )
    try:
        st = path.stat()
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except FileNotFoundError:
        raise BatchEvalError("problems file not found", path) from None
    except OSError as exc:
        raise BatchEvalError(f"cannot read problems: {exc.strerror or exc}", path) from None
    if head.startswith(b"PAR1"):  # Parquet, as open-r1 and Hugging Face datasets ship problems
        held = _load_parquet(path, checker_convention, mbpp_challenge)
        return ProblemSet(path, checker_convention, {}, held, mbpp_challenge)
    if head.removeprefix(_BOM).lstrip().startswith(b"["):
        held = _load_list(path, checker_convention, mbpp_challenge)
        return ProblemSet(path, checker_convention, {}, held, mbpp_challenge)
    key = hashlib.sha256(
        f"{_INDEX_FORMAT}\0{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{checker_convention}".encode()
    ).hexdigest()[:32]
    saved = index_dir / f"{key}.json" if index_dir is not None else None
    index = _read_index(saved) if saved is not None else None
    if index is None:
        index = _build_index(path, checker_convention)
        if saved is not None:
            _write_index(saved, index)
    if not index:
        raise BatchEvalError("no problems in file", path)
    return ProblemSet(path, checker_convention, index, None, mbpp_challenge)


def _line_text(raw: bytes, offset: int) -> str:
    if offset == 0:
        raw = raw.removeprefix(_BOM)
    return raw.decode("utf-8")


def _build_index(path: Path, checker_convention: str) -> dict[str, tuple[int, int, int]]:
    """One pass over the file: every line parsed and checked, where each problem starts kept.
    Lines end at \\n only (a JSON string may hold U+2028 and other line breaks)."""
    index: dict[str, tuple[int, int, int]] = {}
    variants: dict[str, str] = {}
    offset = 0
    row = 0  # records before this one (blank lines not counted)
    try:
        with open(path, "rb") as f:
            for line_no, raw in enumerate(f, start=1):
                start, offset = offset, offset + len(raw)
                try:
                    text = _line_text(raw, start)
                except UnicodeDecodeError as exc:
                    raise BatchEvalError(
                        f"not UTF-8 text (byte {exc.start + 1} of the line): save the file as UTF-8",
                        path,
                        line_no,
                    ) from None
                if not text.strip():
                    continue
                try:
                    value = json.loads(text.rstrip("\r\n"))  # an error at the line's end is on this line
                except json.JSONDecodeError as exc:
                    raise BatchEvalError(f"invalid JSON: {json_error(exc)}", path, line_no) from None
                problem = parse_problem(value, path, line_no, checker_convention, row=row)
                row += 1
                if _prompt_variant(value, problem.id, variants):
                    continue
                if problem.id in index:
                    first = index[problem.id][2]
                    raise BatchEvalError(
                        f"duplicate problem id {problem.id!r} (first on line {first}): keep one of them",
                        path,
                        line_no,
                    )
                index[problem.id] = (start, len(raw), line_no)
    except OSError as exc:
        raise BatchEvalError(f"cannot read problems: {exc.strerror or exc}", path) from None
    return index


def _read_index(saved: Path) -> dict[str, tuple[int, int, int]] | None:
    try:
        body = json.loads(saved.read_text(encoding="utf-8"))
        return {str(pid): (int(o), int(n), int(ln)) for pid, (o, n, ln) in body["problems"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # none, or damaged: built again


def _write_index(saved: Path, index: dict[str, tuple[int, int, int]]) -> None:
    """Kept for the next process; a folder we cannot write in only costs the next one a pass."""
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_name(f".{saved.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": _INDEX_FORMAT, "problems": index}), encoding="utf-8")
        os.replace(tmp, saved)
    except OSError:
        pass


def _load_list(path: Path, checker_convention: str, mbpp_challenge: bool) -> dict[str, Problem]:
    """A JSON list of problems, parsed whole (small files: the JSONL form is the one indexed)."""
    try:
        text = path.read_bytes().removeprefix(_BOM).decode("utf-8")
        items = json.loads(text)
    except UnicodeDecodeError:
        raise BatchEvalError("not UTF-8 text: save the file as UTF-8", path) from None
    except json.JSONDecodeError as exc:
        raise BatchEvalError(f"invalid JSON: {json_error(exc)}", path, exc.lineno) from None
    except OSError as exc:
        raise BatchEvalError(f"cannot read problems: {exc.strerror or exc}", path) from None
    if not isinstance(items, list):
        raise BatchEvalError("a problems file is JSON lines, one JSON list or Parquet", path)
    return _problems_of(items, path, checker_convention, mbpp_challenge)


def _load_parquet(path: Path, checker_convention: str, mbpp_challenge: bool) -> dict[str, Problem]:
    """A Parquet file of problems (one row each, the columns a schema's fields), read whole."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchEvalError(
            "a Parquet problems file needs pyarrow: pip install pyarrow "
            "(in a checkout: pip install -e '.[parquet]')",
            path,
        ) from None
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:
        raise BatchEvalError(f"not a readable Parquet file: {exc}", path) from None
    return _problems_of(rows, path, checker_convention, mbpp_challenge)


def _problems_of(
    items: list[Any], path: Path, checker_convention: str, mbpp_challenge: bool = False
) -> dict[str, Problem]:
    """The problems of a list of records (a JSON list's items, a Parquet file's rows)."""
    problems: dict[str, Problem] = {}
    variants: dict[str, str] = {}
    for i, raw in enumerate(items, start=1):
        problem = parse_problem(raw, path, 1, checker_convention, mbpp_challenge, row=i - 1)
        if _prompt_variant(raw, problem.id, variants):
            continue
        if problem.id in problems:
            raise BatchEvalError(f"duplicate problem id {problem.id!r} (item {i}): keep one of them", path)
        problems[problem.id] = problem
    if not problems:
        raise BatchEvalError("no problems in file", path)
    return problems


def _prompt_variant(raw: dict[str, Any], pid: str, variants: dict[str, str]) -> bool:
    """Whether a problem record is another prompt of a problem already read: open-r1's
    verifiable-prompts has a row per prompt language (`language`, `prompt`: python, cpp) of
    one problem, the rest of the row the same. Such rows are one problem (the first kept),
    judged alike whatever the solution's language; rows that differ in anything else stay
    duplicates."""
    if not isinstance(raw.get("prompt"), str) or not isinstance(raw.get("language"), str):
        return False
    rest = {k: v for k, v in raw.items() if k not in ("prompt", "language")}
    key = hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()
    if pid not in variants:
        variants[pid] = key
        return False
    return variants[pid] == key


def closest_id(unknown: str, known: Mapping[str, Problem] | list[str]) -> str | None:
    """The known problem id a mistyped one most likely means: the same letters and digits
    (`173A` for `173/A`, `humaneval/0` for `HumanEval/0`), else a close spelling."""
    import difflib

    ids = list(known)
    plain = _letters(unknown)
    same = [k for k in ids if _letters(k) == plain]
    if same:
        return same[0]
    close = difflib.get_close_matches(unknown, ids, n=1, cutoff=0.8)
    return close[0] if close else None


def _letters(pid: str) -> str:
    return "".join(ch for ch in pid.lower() if ch.isalnum())
