"""`report --per-sample FILE`: one row per judged sample across every checkpoint of a run —
the table researchers build by hand for pandas — as CSV, JSON lines or Parquet (by suffix)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.files import AtomicFile
from batch_eval.judging.solutions import SAMPLE_INDEX, record_id
from batch_eval.reporting.status import load_summary

COLUMNS = (
    "checkpoint",
    "step",
    "file",
    "problem_id",
    "line",
    "sample",
    "language",
    "verdict",
    "tests_passed",
    "tests_run",
    "tests_total",
    "time_s",
    "memory_kb",
    "cached",
    "reason",
)
FORMATS = (".csv", ".jsonl", ".parquet")


def check_path(path: Path) -> None:
    """Refuse a table file we would not write (before any work)."""
    if path.suffix.lower() not in FORMATS:
        raise BatchEvalError(
            f"the per-sample table is CSV, JSONL or Parquet: name it {path.stem}.csv, .jsonl or .parquet"
        )


def rows(output_dir: Path) -> Iterator[dict[str, Any]]:
    """Every judged sample of the run in `output_dir`, checkpoint by checkpoint, in file order
    (records skipped unjudged are left out: they have no verdict about a program)."""
    summary = load_summary(output_dir)
    for c in summary["checkpoints"]:
        for f in c["files"]:
            if f.get("status") != "ok":
                continue
            results = Path(f["results"])
            try:
                lines = results.read_text(encoding="utf-8").splitlines()
            except OSError:
                raise BatchEvalError("results file missing or unreadable: rerun the batch", results) from None
            for text in lines:
                line = json.loads(text)
                if line.get("verdict") == "SKIP":
                    continue
                tests = line.get("tests") or []
                yield {
                    "checkpoint": c["name"],
                    "step": c["step"],
                    "file": Path(f["solutions"]).name,
                    "problem_id": str(record_id(line)),
                    "line": line["line"],
                    "sample": int(line.get(SAMPLE_INDEX) or 0),
                    "language": line.get("language"),
                    "verdict": line["verdict"],
                    "tests_passed": sum(1 for t in tests if t.get("verdict") == "AC"),
                    # run: the tests judged before an early stop; total: the problem's tests
                    "tests_run": sum(1 for t in tests if t.get("verdict") != "SKIP"),
                    "tests_total": len(tests),
                    "time_s": max((t.get("time") or 0.0 for t in tests), default=None),
                    "memory_kb": max((t.get("memory_kb") or 0 for t in tests), default=None),
                    "cached": bool(line.get("cached")),
                    "reason": line.get("reason") or "",
                }


def write_samples(output_dir: Path, path: Path) -> int:
    """Write the table to `path` (its suffix picks the format); how many rows it has."""
    check_path(path)
    table = list(rows(output_dir))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchEvalError(
                "a Parquet table needs pyarrow: pip install pyarrow "
                "(in a checkout: pip install -e '.[parquet]')"
            ) from None
        columns = {name: [row[name] for row in table] for name in COLUMNS}
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            pq.write_table(pa.table(columns), tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return len(table)
    with AtomicFile(path) as f:
        if suffix == ".csv":
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(table)
        else:
            for row in table:
                f.write(json.dumps(row) + "\n")
    return len(table)
