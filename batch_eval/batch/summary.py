"""batch_eval_results.json: the batch summary, rebuilt from the plan and outcomes (and the
checkpoints an earlier run left here), written atomically."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch_eval.batch.plan import Plan
from batch_eval.batch.pool import FileOutcome
from batch_eval.config import CheckConfig
from batch_eval.files import write_json_atomic
from batch_eval.judging.metrics import SUMMARY_KEYS, combine

SUMMARY_NAME = "batch_eval_results.json"


@dataclass
class Summary:
    """The state of a batch: which files ended how. `write` puts it on disk."""

    plan: Plan
    config: CheckConfig
    environment: dict[str, Any]
    outcomes: dict[int, FileOutcome] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    status: str = "running"
    plan_fingerprint: str = ""
    run: dict[str, Any] = field(default_factory=dict)

    #: checkpoints an earlier run put in this folder's summary that this run did not select
    #: (a --checkpoint-filter, another solutions folder): kept, so the summary describes
    #: every checkpoint here, each marked `"selected": false`
    carried: list[dict[str, Any]] = field(default_factory=list)

    #: records in each file this run checks (counted once at the start): progress and ETA
    records_total: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, metrics in self.plan.done.items():
            self.outcomes[i] = FileOutcome("ok", "done in an earlier run", 0.0, 0, metrics)
        if not self.records_total:
            self.records_total = {i: self.plan.tasks[i].records for i in self.plan.todo}
        if not self.carried:
            self.carried = self._earlier_checkpoints()

    def _earlier_checkpoints(self) -> list[dict[str, Any]]:
        try:
            earlier = json.loads(self.path.read_text(encoding="utf-8"))
            entries = earlier["checkpoints"]
            fingerprint = earlier.get("config_fingerprint")
        except (OSError, ValueError, KeyError, TypeError):
            return []
        selected = {c.name for c in self.plan.checkpoints}
        return [
            {**c, "selected": False, "config_fingerprint": c.get("config_fingerprint", fingerprint)}
            for c in entries
            if isinstance(c, dict) and c.get("name") not in selected
        ]

    @property
    def path(self) -> Path:
        return self.plan.output_dir / SUMMARY_NAME

    def record(self, i: int, outcome: FileOutcome) -> None:
        self.outcomes[i] = outcome

    def failures(self) -> list[dict[str, Any]]:
        return [
            {
                "checkpoint": self.plan.tasks[i].checkpoint.name,
                "solutions": str(self.plan.tasks[i].solutions),
                **o.to_dict(),
            }
            for i, o in sorted(self.outcomes.items())
            if not o.ok
        ]

    def to_dict(self) -> dict[str, Any]:
        checkpoints = []
        for c in self.plan.checkpoints:
            indices = self.plan.tasks_of(c)
            files = []
            for i in indices:
                task, outcome = self.plan.tasks[i], self.outcomes.get(i)
                entry: dict[str, Any] = {
                    "solutions": str(task.solutions),
                    "stem": task.stem,
                    "results": str(task.results_path),
                    "metrics_file": str(task.metrics_path),
                }
                if i in self.records_total:
                    entry["records_total"] = self.records_total[i]
                if outcome is None:
                    entry["status"] = "pending"
                else:
                    entry.update(outcome.to_dict())
                    if outcome.ok:
                        entry["metrics"] = {k: outcome.metrics.get(k) for k in SUMMARY_KEYS}
                files.append(entry)
            finished = [
                self.outcomes[i].metrics for i in indices if i in self.outcomes and self.outcomes[i].ok
            ]
            states = {f["status"] for f in files}
            status = (
                "empty"
                if not files
                else "done"
                if states == {"ok"}
                else ("pending" if states == {"pending"} else "incomplete")
            )
            metrics = combine(finished) if finished else {}
            metadata = (self.run.get("metadata") or {}).get(c.name)
            checkpoints.append(
                {
                    "name": c.name,
                    "step": c.step,
                    "path": str(c.path),
                    "output_dir": str(self.plan.output_dir / c.output_name),
                    "status": status,
                    "files": files,
                    "metrics": {k: metrics.get(k) for k in SUMMARY_KEYS} if metrics else {},
                    **({"metadata": metadata} if metadata else {}),
                }
            )
        checkpoints += self.carried
        checkpoints.sort(key=lambda c: (c.get("step") is None, c.get("step") or 0, str(c.get("name"))))
        ok = sum(1 for o in self.outcomes.values() if o.ok)
        return {
            "status": self.status,
            "started_at": _iso(self.started),
            "updated_at": _iso(time.time()),
            "run": self.run,
            "config": self.config.to_dict(),
            "config_fingerprint": self.plan_fingerprint,
            "environment": self.environment,
            "totals": {
                "files": len(self.plan.tasks),
                "ok": ok,
                "failed": sum(1 for o in self.outcomes.values() if o.status == "failed"),
                "timeout": sum(1 for o in self.outcomes.values() if o.status == "timeout"),
                "interrupted": sum(1 for o in self.outcomes.values() if o.status == "interrupted"),
                "pending": len(self.plan.tasks) - len(self.outcomes),
            },
            "checkpoints": checkpoints,
            "failures": self.failures(),
        }

    def write(self) -> None:
        write_json_atomic(self.path, self.to_dict())


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
