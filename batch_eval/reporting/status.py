"""Where a run stands, read from its output folder alone (summary, heartbeat, running markers).

Everything here only reads files that the run writes atomically, so it works while a run is
writing, from another terminal or machine sharing the folder, with no locks.
"""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path
from typing import Any

from batch_eval.batch.heartbeat import run_alive
from batch_eval.batch.plan import count_lines, judged_so_far
from batch_eval.batch.summary import SUMMARY_NAME
from batch_eval.errors import BatchEvalError


def load_summary(output_dir: Path) -> dict[str, Any]:
    """The run's batch_eval_results.json; a clear error when there is none."""
    path = output_dir / SUMMARY_NAME
    for _ in range(3):  # renamed into place atomically; a retry covers a vanished file
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "checkpoints" in data:
                return data
            raise BatchEvalError("not a batch-eval summary", path)
        except FileNotFoundError:
            if not output_dir.is_dir():
                raise BatchEvalError("output folder not found", output_dir) from None
            time.sleep(0.05)
        except ValueError:
            raise BatchEvalError("summary is not valid JSON", path) from None
    raise BatchEvalError(
        f"no {SUMMARY_NAME}: not a batch-eval output folder, or the run has not started", output_dir
    )


def pace(judged: int, left: int, elapsed: float | None) -> tuple[float | None, float | None]:
    """(records judged per second, seconds to go): `judged` records judged by this run (cache
    hits are not work: left out) in `elapsed` seconds, `left` records still to judge. The one
    ETA the live bars, the log lines, `status` and `watch` all show; (None, None) before a
    record was judged."""
    if not elapsed or elapsed <= 0 or judged <= 0:
        return None, None
    rate = judged / elapsed
    return rate, max(left, 0) / rate


def clock(seconds: float | None) -> str:
    """`1:02:03` (hours past 24 too); `n/a` for None."""
    if seconds is None:
        return "n/a"
    whole = max(round(seconds), 0)
    return f"{whole // 3600}:{whole // 60 % 60:02}:{whole % 60:02}"


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def running_files(output_dir: Path) -> dict[str, dict[str, Any]]:
    """Files a checker is working on now, by solutions path, with records judged so far."""
    running: dict[str, dict[str, Any]] = {}
    registry = output_dir / ".batch_eval" / "running"
    if not registry.is_dir():
        return running
    for marker in registry.iterdir():
        try:
            argv = json.loads(marker.read_text(encoding="utf-8"))["argv"]
            check = argv.index("check")
            solutions, out_dir, stem = (
                Path(argv[check + 1]),
                Path(argv[argv.index("-o") + 1]),
                argv[argv.index("--stem") + 1],
            )
        except (OSError, ValueError, KeyError, IndexError):
            continue
        partial = sorted(out_dir.glob(f".{stem}.results.jsonl.*.tmp"), key=lambda p: p.stat().st_mtime)
        done, cached = _lines_and_hits(partial[-1]) if partial else (0, 0)
        entry = running.setdefault(str(solutions), {"records_done": 0, "records_cached": 0})
        entry["records_cached"] += cached
        if "--shard" in argv:  # one of a file's shards: the file's progress is theirs together
            whole, _, which = stem.rpartition(".shard-")
            if not entry.get("shards"):  # the shards already finished, counted once
                entry["shards"] = int(which.rpartition("-of-")[2] or 0)
                done += sum(count_lines(p) for p in out_dir.glob(f"{whole}.shard-*.results.jsonl"))
        entry["records_done"] += done
    return running


def _lines_and_hits(path: Path) -> tuple[int, int]:
    """A partial results file's lines, and those of them answered by the verdict cache."""
    lines = hits = 0
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    lines += 1
                    hits += b'"cached": true' in line
    except OSError:
        pass
    return lines, hits


def read_status(output_dir: Path, now: float | None = None) -> dict[str, Any]:
    """Where the run stands: state, files and checkpoints by status, speed, ETA, pass@1 so far."""
    now = time.time() if now is None else now
    summary = load_summary(output_dir)
    alive, beat = run_alive(output_dir, now)
    state = summary.get("status", "unknown")
    if state == "running" and not alive:
        state = "dead"
    running = running_files(output_dir) if state == "running" else {}
    files = {"ok": 0, "failed": 0, "timeout": 0, "interrupted": 0, "running": 0, "pending": 0}
    checkpoints = []
    tests_this_run, durations = 0, []
    # of the files this run checks (their totals counted at its start): judged and kept, still
    # to judge, and left unjudged by files that stopped
    # (`cached`: of those done, the records the verdict cache answered: not work, no rate)
    records = {"done": 0, "left": 0, "stopped": 0, "cached": 0}
    for c in summary["checkpoints"]:
        states = []
        for f in c["files"]:
            s = f.get("status", "pending")
            total = f.get("records_total")
            if s == "pending" and f["solutions"] in running:
                s = "running"
                f["progress"] = running[f["solutions"]]
                # counted by the run at its start (an older summary: counted here)
                f["progress"]["records_total"] = (
                    total if total is not None else count_lines(Path(f["solutions"]))
                )
            if total is not None:
                # a finished file: all its records; any other: what its journals and results
                # hold now (an interrupted, timed-out or killed check kept those)
                done = (
                    total if s == "ok" else judged_so_far(Path(f["results"]), f["stem"]) if "stem" in f else 0
                )
                if s == "running":
                    done = max(done, (f.get("progress") or {}).get("records_done", 0))
                    records["cached"] += (f.get("progress") or {}).get("records_cached", 0)
                elif s == "ok":
                    records["cached"] += int((f.get("metrics") or {}).get("cache_hits") or 0)
                records["done"] += min(done, total)
                if s in ("pending", "running"):
                    records["left"] += max(total - done, 0)
                elif s != "ok":  # failed, timed out, interrupted: not judged by this run any more
                    records["stopped"] += max(total - done, 0)
            states.append(s)
            files[s if s in files else "failed"] += 1
            if s == "ok" and f.get("duration"):
                tests_this_run += int((f.get("metrics") or {}).get("tests_run") or 0)
                durations.append(float(f["duration"]))
        # the summary's words (done, pending, incomplete, empty), and running while a file is
        c_state = (
            "empty"
            if not states
            else "done"
            if all(s == "ok" for s in states)
            else "running"
            if "running" in states
            else "pending"
            if all(s == "pending" for s in states)
            else "incomplete"
        )
        checkpoints.append(
            {
                "name": c["name"],
                "step": c["step"],
                "status": c_state,
                "files_done": states.count("ok"),
                "files": len(states),
                "pass_at_1": (c.get("metrics") or {}).get("pass_at_k", {}).get("1"),
                "pass_at_k": (c.get("metrics") or {}).get("pass_at_k") or {},
                "ks": (c.get("metrics") or {}).get("ks") or [],
                "running": [f.get("progress") for f in c["files"] if "progress" in f],
            }
        )
    started = _epoch(summary.get("started_at"))
    end = now if state == "running" else (_epoch(summary.get("updated_at")) or now)
    elapsed = max(end - started, 1e-6) if started else None
    workers = int((summary.get("run") or {}).get("max_workers") or 1)
    remaining = files["pending"] + files["running"]
    records["cached"] = min(records["cached"], records["done"])
    records_rate, eta = pace(records["done"] - records["cached"], records["left"], elapsed)
    if state != "running":
        eta = None
    elif eta is None and durations:  # only cache hits so far: by the files' durations
        eta = remaining * (sum(durations) / len(durations)) / max(1, min(workers, remaining or 1))
    return {
        "output_dir": str(output_dir),
        "state": state,
        "heartbeat_age": round(now - float(beat["heartbeat"]), 1) if "heartbeat" in beat else None,
        "pid": beat.get("pid"),
        "host": beat.get("host"),
        "started_at": summary.get("started_at"),
        "updated_at": summary.get("updated_at"),
        "files": files,
        "checkpoints_by_status": {
            s: sum(1 for c in checkpoints if c["status"] == s)
            for s in ("done", "running", "pending", "incomplete", "empty")
        },
        "tests_per_second": round(tests_this_run / elapsed, 1) if elapsed and tests_this_run else None,
        "records": records,
        "records_per_second": round(records_rate, 2) if records_rate else None,
        "eta_seconds": round(eta) if eta is not None else None,
        "elapsed_seconds": round(elapsed) if elapsed is not None else None,
        "checkpoints": checkpoints,
        "failures": summary.get("failures", []),
    }


def _score(scores: dict[str, float], k: int) -> str:
    value = scores.get(str(k))
    return "-" if value is None else f"{value:.3f}"


def status_text(status: dict[str, Any], ks: list[int] | None = None) -> str:
    """The status for people, a few lines plus one per checkpoint; `ks`: the pass@k columns
    beside pass@1 (default: those the run was asked for with --k)."""
    state = status["state"]
    head = f"run: {state}"
    if state == "running":
        head += f" (pid {status['pid']} on {status['host']}, heartbeat {status['heartbeat_age']} s ago)"
    elif state == "dead":
        head += f" (no heartbeat for {status['heartbeat_age']} s: the run was killed; rerun it to resume)"
    lines = [f"{head}  {status['output_dir']}"]
    f = status["files"]
    total = sum(f.values())
    lines.append(
        f"files: {f['ok']}/{total} done, {f['running']} running, {f['pending']} pending, "
        f"{f['failed']} failed, {f.get('timeout', 0)} timed out, {f['interrupted']} interrupted"
    )
    speed = status["tests_per_second"]
    eta = status["eta_seconds"]
    records = status.get("records") or {}
    if records.get("done") or records.get("left") or records.get("stopped"):
        whole = records["done"] + records["left"] + records.get("stopped", 0)
        cached = f" ({records['cached']} from the verdict cache)" if records.get("cached") else ""
        lines.append(f"records: {records['done']}/{whole} judged in this run{cached}")
    elapsed = status.get("elapsed_seconds")
    if speed is not None or eta is not None or status.get("records_per_second") or elapsed is not None:
        lines.append(
            f"speed: {status.get('records_per_second') or 'n/a'} records judged/s, "
            f"{speed if speed is not None else 'n/a'} tests run/s (finished files); "
            f"elapsed {clock(elapsed)}" + (f", ETA {clock(eta)}" if eta is not None else "")
        )
    if ks is None:
        ks = sorted({int(k) for c in status["checkpoints"] for k in c.get("ks") or ()})
    ks = [k for k in ks if k > 1]
    at_k = "".join(f" {f'pass@{k}':>8}" for k in ks)
    lines.append(f"{'checkpoint':32} {'step':>7} {'status':9} {'files':>7}  pass@1{at_k}")
    for c in status["checkpoints"]:
        p1 = f"{c['pass_at_1']:.3f}" if c["pass_at_1"] is not None else "-"
        p1 += "".join(f" {_score(c.get('pass_at_k') or {}, k):>8}" for k in ks)
        progress = "".join(
            f" ({r['records_done']}/{r['records_total']} records"
            + (f", {r['shards']} shards)" if r.get("shards") else ")")
            for r in c["running"]
            if r
        )
        step = c["step"] if c["step"] is not None else "-"
        lines.append(
            f"{c['name']:32} {step:>7} {c['status']:9} {c['files_done']:>3}/{c['files']:<3}  {p1}{progress}"
        )
    if status["failures"]:
        lines.append("failures:")
        for fail in status["failures"]:
            lines.append(
                f"  {fail['checkpoint']} {Path(fail['solutions']).name}: {fail['status']}: {fail['reason']}"
            )
    return "\n".join(lines)
