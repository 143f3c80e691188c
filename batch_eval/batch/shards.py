"""One big solutions file on every core: `run` splits a file into record shards when it has
fewer files to check than workers, judges the shards side by side (a `check --shard K/N`
each, a process of its own with its own sandbox) and merges their results into the one
results file a whole check would write, in record order.

Shard K of N judges the selected records N·i + K (every N-th record: a run of hard problems
is spread over every shard). Each shard is a check of its own: its own results, metrics and
journal (`<stem>.shard-K-of-N.*`), so a run killed part way resumes each shard where it
stood, and a finished shard is not judged again. The merge writes the file's results and
metrics (metrics last: their presence says the file is done) and removes the shards' files.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from batch_eval.batch.plan import FileTask
from batch_eval.errors import BatchEvalError
from batch_eval.files import AtomicFile, stamped, write_json_atomic
from batch_eval.judging.journal import journal_path
from batch_eval.judging.metrics import combine
from batch_eval.judging.solutions import result_key

#: fewer records than this in a shard cost more in a checker's start than they save
MIN_SHARD_RECORDS = 16
#: what a merged metrics file takes from its shards' (the same in every shard)
HEADER_KEYS = (
    "solutions_file",
    "problems_file",
    "input_sha256",
    "config_fingerprint",
    "settings",
    "environment",
    "limits_default",
)


def shard_stem(stem: str, k: int, n: int) -> str:
    """The output stem of shard k (0-based) of n: `solutions.shard-1-of-2`."""
    return f"{stem}.shard-{k + 1}-of-{n}"


def shard_task(task: FileTask, k: int, n: int) -> FileTask:
    return replace(task, stem=shard_stem(task.stem, k, n))


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (1-based, as `check --shard` takes it) -> (k, n), k 0-based."""
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise BatchEvalError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 1/4")
    return int(match[1]) - 1, int(match[2])


def earlier_shards(task: FileTask) -> int:
    """The number of shards an earlier, unfinished run split this file into (0: none)."""
    pattern = re.compile(re.escape(task.stem) + r"\.shard-\d+-of-(\d+)\.(results\.jsonl|metrics\.json|log)$")
    journals = re.compile(r"\." + re.escape(task.stem) + r"\.shard-\d+-of-(\d+)\.journal\.jsonl$")
    found = []
    with contextlib.suppress(OSError):
        for path in task.out_dir.iterdir():
            match = pattern.match(path.name) or journals.match(path.name)
            if match:
                found.append((path.stat().st_mtime, int(match[1])))
    return max(found)[1] if found else 0


def shard_counts(todo: dict[int, FileTask], records: dict[int, int], max_workers: int) -> dict[int, int]:
    """How many shards each file to check is judged in (files left out: one). With fewer files
    than workers, each file gets ceil(workers / files) shards, as far as each shard has
    MIN_SHARD_RECORDS records. A file an earlier run sharded keeps its count (its finished
    shards and journals are reused); one an earlier whole check left a journal of is not
    sharded."""
    counts = {i: n for i, task in todo.items() if (n := earlier_shards(task)) > 1}
    if 0 < len(todo) < max_workers:
        wanted = math.ceil(max_workers / len(todo))
        for i, task in todo.items():
            n = min(wanted, records.get(i, 0) // MIN_SHARD_RECORDS)
            # a whole check killed part way resumes from its journal as it was
            if i not in counts and n > 1 and not journal_path(task.out_dir, task.stem).exists():
                counts[i] = n
    return counts


def finished_shard(task: FileTask, k: int, n: int, fingerprint: str) -> dict[str, Any] | None:
    """The metrics of shard k of n when an earlier check finished it for this very content
    and these settings, else None."""
    metrics = shard_task(task, k, n).finished_metrics(fingerprint)
    return metrics if metrics is not None and metrics.get("shard") == [k, n] else None


def merge(task: FileTask, n: int, ks: tuple[int, ...]) -> dict[str, Any]:
    """Join the n finished shards of `task` into its results and metrics files (results in
    record order; metrics as one check of the whole file would count them, with the k of
    pass@k `ks` asked for) and remove the shards' files. Returns the file's metrics."""
    shards = [shard_task(task, k, n) for k in range(n)]
    parts = []
    for shard in shards:
        metrics = json.loads(shard.metrics_path.read_text(encoding="utf-8"))
        parts.append(metrics)
    first = parts[0]
    for part in parts[1:]:
        if any(part.get(key) != first.get(key) for key in ("input_sha256", "config_fingerprint")):
            raise BatchEvalError(
                "its shards were judged from other contents or settings: run again with --force",
                task.solutions,
            )
    with AtomicFile(task.results_path) as out:
        files = [open(shard.results_path, encoding="utf-8") for shard in shards]  # noqa: SIM115
        try:
            for _, text in heapq.merge(*(_keyed(f) for f in files)):
                out.write(text)
        finally:
            for f in files:
                f.close()
    body = {
        **{key: first[key] for key in HEADER_KEYS if key in first},
        **combine(parts, ks),
        # the check's wall time: its shards ran side by side
        "seconds": max(float(p.get("seconds") or 0) for p in parts),
        "shards": n,
    }
    nodes = sorted({str(p["node"]) for p in parts if p.get("node")})
    if nodes:  # judged on a Ray cluster: where
        body["nodes"] = nodes
    for key in ("generated_tests_missing", "generated_tests_not_given"):  # problems judged on fewer tests
        ids = sorted({str(pid) for p in parts for pid in p.get(key) or []})
        if ids:
            body[key] = ids
    _join_logs(task, shards)
    write_json_atomic(task.metrics_path, body)
    for shard in shards:
        for path in (shard.results_path, shard.metrics_path, journal_path(shard.out_dir, shard.stem)):
            path.unlink(missing_ok=True)
    return stamped(body)


def _keyed(lines: Iterator[str]) -> Iterator[tuple[tuple[int, int], str]]:
    for text in lines:
        if text.strip():
            yield result_key(json.loads(text)), text


def _join_logs(task: FileTask, shards: list[FileTask]) -> None:
    """The shards' warnings, in shard order, as the file's log (none: no log)."""
    texts = []
    for shard in shards:
        with contextlib.suppress(FileNotFoundError):
            texts.append(shard.log_path.read_text(encoding="utf-8", errors="replace"))
            shard.log_path.unlink()
    text = "".join(texts)
    if text:
        task.log_path.write_text(text, encoding="utf-8")
    else:
        task.log_path.unlink(missing_ok=True)
