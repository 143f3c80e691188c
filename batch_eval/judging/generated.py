"""Generated tests (open-r1's `generated_tests` Parquet files, one per contest), read per
problem with a filter and kept in a small LRU, after a problem's own tests."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.judging.problems import KEPT_BYTES, Problem, TestCase, as_bytes


class GeneratedTests:
    """open-r1's generated tests: `test_cases_{contest_id}.parquet` (problem_id, test_i, input,
    output), read one problem at a time (only its rows) and kept while they fit in
    KEPT_BYTES, the least recently used let go: a contest's file can be gigabytes."""

    def __init__(self, folder: Path, max_tests: int) -> None:
        self.folder = folder
        self.max_tests = max_tests  # 0: none, -1: all
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
        path = self.folder / f"test_cases_{contest}.parquet"
        if not path.is_file():
            return []
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchEvalError(
                "reading generated tests needs pyarrow: pip install 'batch-eval[parquet]'", path
            ) from None
        columns = ["problem_id", "test_i", "input", "output"]
        try:
            table = pq.read_table(path, columns=columns, filters=[("problem_id", "==", pid)])
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise BatchEvalError(f"cannot read generated tests: {exc}", path) from None
        rows = sorted(zip(*(table.column(c).to_pylist() for c in columns[1:])), key=lambda r: int(r[0]))
        return [TestCase(as_bytes(inp), as_bytes(outp), f"generated-{test_i}") for test_i, inp, outp in rows]
