"""`check`: judge every record of one solutions file and write its results and metrics."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch_eval.config import CheckConfig, file_sha256, problems_digest, problems_index_dir
from batch_eval.errors import ExitCode
from batch_eval.executors import Executor
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.files import (
    AtomicFile,
    default_cache_dir,
    ensure_folder,
    previous_metrics,
    remove_stale_temporaries,
    stamped,
    write_json_atomic,
)
from batch_eval.judging import calibrate
from batch_eval.judging.cache import digest
from batch_eval.judging.inflight import InFlight
from batch_eval.judging.journal import Journal, journal_path
from batch_eval.judging.metrics import Metrics
from batch_eval.judging.problems import Problem, ProblemSet, closest_id, load_problems
from batch_eval.judging.records import Judged, RecordJudge, Warn, make_executor, select
from batch_eval.judging.solutions import PROBLEM_ROW, Record, read_records, result_key
from batch_eval.text import plural
from batch_eval.verdict import SolutionResult, Verdict


@dataclass
class CheckOutcome:
    """What a check produced; decides the exit code."""

    results_path: Path
    metrics_path: Path
    metrics: dict[str, Any]

    @property
    def exit_code(self) -> ExitCode:
        empty = not self.metrics["records"] and "shard" not in self.metrics  # a shard may hold none
        if self.metrics["skipped_records"] or self.metrics["ie"] or empty:
            return ExitCode.INCOMPLETE
        return ExitCode.OK


def file_mistake(records: int, unknown: int, unknown_ids: list[str], problems: Mapping[str, Problem]) -> str:
    """What makes a solutions file a mistake rather than data ('' when nothing): no records
    at all, or most records naming no known problem (then the ids they likely mean)."""
    if records == 0:
        return "no records: an empty file (nothing to judge)"
    if unknown * 2 <= records:
        return ""
    guesses = [f"{pid!r} -> {closest!r}" for pid in unknown_ids[:3] if (closest := closest_id(pid, problems))]
    hint = f"; did you mean {', '.join(guesses)}?" if guesses else ": is --problems the right file?"
    return f"{unknown} of {records} records name no problem of {len(problems)} known{hint}"


def output_stem(solutions: Path) -> str:
    name = solutions.name
    for suffix in (".jsonl.gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return solutions.stem


def check_file(
    config: CheckConfig,
    solutions: Path,
    out_dir: Path,
    stem: str | None = None,
    executor: Executor | None = None,
    warn: Warn = lambda message: None,
    on_record: Callable[[dict[str, Any]], None] = lambda line: None,
    redo_ie: bool = False,
    shard: tuple[int, int] | None = None,
) -> CheckOutcome:
    """Judge every selected record of `solutions`; write `<stem>.results.jsonl` and
    `<stem>.metrics.json` atomically in `out_dir`. Bad records are reported through
    `warn` with file and line, written as SKIP lines, counted, and the rest is judged.
    `redo_ie`: an earlier check of this same content with these settings keeps its
    verdicts; only its IE records (the infrastructure failed) are judged again.
    `shard` (k, n): judge only every n-th selected record, from the k-th (0-based): one of n
    checks judging one file side by side, whose results `batch.shards.merge` joins."""
    problems = load_problems(
        config.problems, config.checker_convention, problems_index_dir(config), config.mbpp_challenge
    )
    own_executor = executor is None
    executor = executor or make_executor(config)
    started = time.monotonic()
    metrics = Metrics(config.ks)
    unknown_ids: dict[str, None] = {}  # the unknown problem ids records named, in order
    stem = stem or output_stem(solutions)
    input_digest = hashlib.sha256()
    results_path = out_dir / f"{stem}.results.jsonl"
    metrics_path = out_dir / f"{stem}.metrics.json"
    ensure_folder(out_dir, "the output folder")
    records_judge = RecordJudge(config, problems, executor, warn)
    fingerprint = config.fingerprint(problems_digest(config))
    previous: dict[tuple[int, int], dict[str, Any]] = {}
    if redo_ie:  # `run` puts the earlier metrics aside (a stale metrics file must not stay)
        for earlier in (previous_metrics(metrics_path), metrics_path):
            previous = previous or _previous_verdicts(solutions, results_path, earlier, fingerprint)
    journal = Journal(journal_path(out_dir, stem), fingerprint, solutions)
    try:
        for message in executor.preflight(config.limits_for(None, None)):
            warn(message)
        judge_identity = digest(records_judge.environment)
        figure = calibrate.remembered(
            config.cache_dir or default_cache_dir() if config.cache else None, judge_identity, executor
        )
        if config.time_scale_auto:
            records_judge.time_scale = calibrate.time_scale(figure)
        calibration = {
            "benchmark_s": figure,
            "reference_s": calibrate.REFERENCE_S,
            "time_scale": records_judge.time_scale,
        }
        stream = by_row(read_records(solutions, input_digest, config.shape()), problems)
        resumed = journal.earlier()  # what a check killed part way had judged
        if resumed:
            n = plural(len(resumed), "record")
            warn(f"{solutions}: resuming an interrupted check: {n} already judged")
        with AtomicFile(results_path) as out:

            def emit(record: Record, item: Judged | dict[str, Any]) -> None:
                """Count and write one record's line (in file order)."""
                if isinstance(item, dict):  # known from an earlier check: counted, not judged
                    if item["verdict"] == Verdict.SKIP.value:  # an IE given up on: still undecided
                        metrics.skip(GIVEN_UP)
                        metrics.ie_by_problem[record.problem_id] += 1
                    else:
                        metrics.reuse(record.problem_id, item)
                    out.write(json.dumps(item, ensure_ascii=False) + "\n")
                    on_record(item)
                    return
                line, result, skip = item
                if result is not None and result.verdict is Verdict.IE:
                    line["ie_attempts"] = int((previous.get(record.key) or {}).get("ie_attempts") or 0) + 1
                if result is None:
                    warn(f"{solutions}:{record.line}: skipped{_named(record)}: {skip}")
                    metrics.skip(_reason_kind(skip))
                    if skip.startswith("unknown problem id"):
                        unknown_ids.setdefault(record.problem_id)
                else:
                    cached = bool(line.get("cached"))
                    metrics.add(
                        record.problem_id, result.verdict, 0 if cached else _tests_run(result), cached
                    )
                    metrics.add_base(record.problem_id, line.get("parts"))
                    if not cached:
                        metrics.timing(result.tests)
                    if result.verdict is Verdict.IE:
                        warn(f"{solutions}:{record.line}: IE (not judged): {result.reason}")
                text = json.dumps(line, ensure_ascii=False) + "\n"
                out.write(text)
                out.flush()  # `status` counts the partial file's lines to show progress
                journal.add(text)
                on_record(line)

            in_flight = InFlight(records_judge, emit)
            try:
                dated = _published_after(stream, problems, config.after, warn, solutions)
                for j, record in enumerate(select(dated, config.limit, config.sample, config.seed)):
                    if shard is not None and j % shard[1] != shard[0]:
                        continue  # another shard's
                    # same content: the same record on the same line
                    known = previous.get(record.key) or resumed.get(record.key)
                    if known is not None and known["verdict"] == Verdict.IE.value:
                        attempts = int(known.get("ie_attempts") or 1)
                        if attempts >= MAX_IE_ATTEMPTS:
                            known = _given_up(known, attempts)
                            warn(f"{solutions}:{record.line}: skipped{_named(record)}: {known['error']}")
                        else:
                            known = None  # judged again below
                    if known is not None:
                        in_flight.known(record, known)
                    else:
                        in_flight.add(record)
                in_flight.drain()
            finally:
                in_flight.close()
        for _ in stream:  # the digest names the whole file, also under --max-records
            pass
        metrics.seconds = time.monotonic() - started
        records = metrics.records + sum(metrics.skipped.values())
        unknown = metrics.skipped["unknown problem id"]
        mistake = "" if shard else file_mistake(records, unknown, list(unknown_ids), problems)
        if mistake:
            warn(f"{solutions}: {mistake}")
        body = {
            "solutions_file": str(solutions),
            "problems_file": str(config.problems),
            "input_sha256": input_digest.hexdigest(),
            "config_fingerprint": fingerprint,
            "settings": config.settings(),
            "environment": {
                **executor.describe(),
                "languages": records_judge.languages,
                "calibration": calibration,
            },
            "limits_default": config.limits_for(None, None, records_judge.time_scale).to_dict(),
            **metrics.to_dict(),
            **({"shard": list(shard)} if shard is not None else {}),
            **({"mistake": mistake} if mistake else {}),
            **(
                {"generated_tests_missing": sorted(records_judge.generated.missing)}
                if records_judge.generated is not None and records_judge.generated.missing
                else {}
            ),
            **(
                {"generated_tests_not_given": sorted(records_judge.not_given)}
                if records_judge.not_given
                else {}
            ),
        }
        write_json_atomic(metrics_path, body)
        previous_metrics(metrics_path).unlink(missing_ok=True)
        journal.remove()
        for done in (results_path, metrics_path):  # what a killed check left half written
            remove_stale_temporaries(done, sandboxlib.alive)
    finally:
        journal.close()
        records_judge.close()
        if own_executor:
            executor.close()
    return CheckOutcome(results_path, metrics_path, stamped(body))


def by_row(records: Iterable[Record], problems: ProblemSet) -> Iterator[Record]:
    """The records, each of TACO's generations given the id of the problem its `task_id`
    numbers (ProblemSet.id_at)."""
    for record in records:
        row = record.fields.get(PROBLEM_ROW)
        if isinstance(row, int) and not record.error:
            pid = problems.id_at(row)
            if pid is None:
                record.error = f"task_id {row}: the problems file has no problem {row} (TACO counts from 0)"
            else:
                record.fields["id"] = pid
        yield record


def _named(record: Record) -> str:
    """` (problem ID)` for a skip line, when the record names one."""
    pid = record.problem_id if record.fields else ""
    return f" (problem {pid})" if pid not in ("", "None") else ""


#: an IE record judged this many times in a row is given up on: a reasoned skip, not a redo
#: on every run forever (its problem stays undecided in the metrics)
MAX_IE_ATTEMPTS = 3
GIVEN_UP = "internal error on every try"


def _given_up(line: dict[str, Any], attempts: int) -> dict[str, Any]:
    """The SKIP line of a record whose judging failed (IE) `attempts` times in a row."""
    kept = {k: v for k, v in line.items() if k not in ("tests", "reason", "passed", "verdict", "cached")}
    why = f"{GIVEN_UP} ({attempts} tries): {line.get('reason') or 'IE'}"
    return {**kept, "verdict": Verdict.SKIP.value, "passed": False, "error": why}


def _previous_verdicts(
    solutions: Path, results_path: Path, metrics_path: Path, fingerprint: str
) -> dict[tuple[int, int], dict[str, Any]]:
    """The results lines (by record line) of an earlier complete check of this same file
    content with these settings; SKIP lines are left out (judged again) unless they give up
    on an IE; IE lines are kept for their count of tries (judged again below the limit)."""
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        if metrics.get("config_fingerprint") != fingerprint or metrics.get("input_sha256") != file_sha256(
            solutions
        ):
            return {}
        kept = {}
        with open(results_path, encoding="utf-8") as f:
            for text in f:
                line = json.loads(text)
                verdict = line.get("verdict")
                if verdict is None or (verdict == Verdict.SKIP.value and not line.get("ie_attempts")):
                    continue
                kept[result_key(line)] = line
        return kept
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # nothing usable: judge everything


def _published_after(
    records: Iterator[Record], problems: Mapping[str, Problem], after: str | None, warn: Warn, solutions: Path
) -> Iterator[Record]:
    """The records whose problem was published on or after `after` (YYYY-MM-DD; all when
    None): a benchmark window, as LiveCodeBench's, not a skip. Problems without a date stay."""
    if after is None:
        yield from records
        return
    left_out = undated = 0
    for record in records:
        problem = problems.get(record.problem_id) if not record.error else None
        if problem is not None and not problem.date:
            undated += 1
        if problem is not None and problem.date and problem.date < after:
            left_out += 1
            continue
        yield record
    if left_out:
        n = plural(left_out, "record")
        warn(f"{solutions}: {n} of problems published before {after} left out (--after)")
    if undated:
        n = plural(undated, "record")
        warn(f"{solutions}: {n} of problems without a date judged (--after cannot place them)")


def _tests_run(result: SolutionResult) -> int:
    return sum(1 for t in result.tests if t.verdict is not Verdict.SKIP)


def _reason_kind(reason: str) -> str:
    """Group skip reasons for the metrics ("unknown problem id '1/A'" -> "unknown problem id";
    "problem 1/A is interactive …" -> "problem is interactive …": one kind, not one a problem)."""
    reason = re.sub(r"^problem \S+? ", "problem ", reason.replace("'s interactor", " interactor", 1))
    for marker in (" '", " (", ":"):
        if marker in reason:
            reason = reason.split(marker)[0]
    return reason
