"""Generated tests (open-r1's `generated_tests` Parquet files, one per contest), read per
problem with a filter and kept in a small LRU, after a problem's own tests."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.judging.problems import KEPT_BYTES, Problem, TestCase, as_bytes


class GeneratedTests:
    """open-r1's generated tests: `test_cases_{contest_id:04d}.parquet` as open-r1 publishes
    them (the unpadded name too), with the columns its reader needs (problem_id, input,
    output; test_i orders them where present), read one problem at a time (only its rows)
    and kept while they fit in KEPT_BYTES, the least recently used let go: a contest's file
    can be gigabytes. A problem whose contest has no file is said once (`warn`) and listed in
    `missing`: it is judged on its own tests only, never silently."""

    def __init__(self, folder: Path, max_tests: int, warn: Callable[[str], None] = lambda m: None) -> None:
        self.folder = folder
        self.max_tests = max_tests  # 0: none, -1: all
        self.warn = warn
        self.missing: set[str] = set()  # problems whose generated tests were asked for and absent
        self._kept: OrderedDict[str, tuple[list[TestCase], int]] = OrderedDict()
        self._kept_bytes = 0
        if max_tests != 0 and not folder.is_dir():
            raise BatchEvalError("generated tests folder not found", folder)

    def held(self) -> int:
        """How many problems' tests are in memory now."""
        return len(self._kept)

    def for_problem(self, problem: Problem) -> list[TestCase]:
        if self.max_tests == 0 or problem.kind != "stdio":
            return []
        kept = self._kept.get(problem.id)
        if kept is not None:
            self._kept.move_to_end(problem.id)
            tests = kept[0]
        else:
            tests = self._load(problem.contest_id or problem.id.split("/")[0], problem.id)
            size = sum(len(t.input) + len(t.output) for t in tests)
            self._kept[problem.id] = (tests, size)
            self._kept_bytes += size
            while self._kept_bytes > KEPT_BYTES and len(self._kept) > 1:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._kept_bytes -= dropped
        return tests if self.max_tests < 0 else tests[: self.max_tests]

    def _load(self, contest: str, pid: str) -> list[TestCase]:
        names = [f"test_cases_{contest}.parquet"]
        if contest.isdigit():
            names.insert(0, f"test_cases_{int(contest):04d}.parquet")
        path = next((self.folder / n for n in names if (self.folder / n).is_file()), None)
        if path is None:
            if pid not in self.missing:
                self.missing.add(pid)
                self.warn(
                    f"{self.folder}: no {' or '.join(names)}: problem {pid} is judged without its "
                    "generated tests"
                )
            return []
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchEvalError(
                "reading generated tests needs pyarrow: pip install 'batch-eval[parquet]'", path
            ) from None
        try:
            present = set(pq.read_schema(path).names)
            columns = ["problem_id", "input", "output"] + (["test_i"] if "test_i" in present else [])
            table = pq.read_table(path, columns=columns, filters=[("problem_id", "==", pid)])
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise BatchEvalError(f"cannot read generated tests: {exc}", path) from None
        inputs, outputs = table.column("input").to_pylist(), table.column("output").to_pylist()
        order = table.column("test_i").to_pylist() if "test_i" in columns else list(range(len(inputs)))
        rows = sorted(zip(order, inputs, outputs), key=lambda r: int(r[0]))
        return [TestCase(as_bytes(inp), as_bytes(outp), f"generated-{i}") for i, inp, outp in rows]
