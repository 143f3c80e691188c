"""The plan of a run: one task per solutions file, split into done and to-do from the disk alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from batch_eval.batch.scan import Checkpoint
from batch_eval.config import file_sha256
from batch_eval.errors import BatchEvalError
from batch_eval.judging.check import output_stem
from batch_eval.judging.journal import journal_path
from batch_eval.judging.solutions import count_records


def judged_so_far(results: Path, stem: str) -> int:
    """How many records of a file its unfinished checks have judged and kept (an
    interrupted, timed-out or killed check keeps them for the rerun): its journal's lines
    (the first names the settings), its shards' journals and finished shards' results."""
    folder = results.parent
    journals = [folder / f".{stem}.journal.jsonl", *folder.glob(f".{stem}.shard-*.journal.jsonl")]
    done = sum(max(count_lines(j) - 1, 0) for j in journals)
    return done + sum(count_lines(r) for r in folder.glob(f"{stem}.shard-*.results.jsonl"))


def count_lines(path: Path) -> int:
    """A file's non-blank lines (0 when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return 0


@dataclass
class FileTask:
    """One solutions file of one checkpoint and where its results go."""

    checkpoint: Checkpoint
    solutions: Path
    out_dir: Path
    stem: str

    @property
    def results_path(self) -> Path:
        return self.out_dir / f"{self.stem}.results.jsonl"

    @property
    def metrics_path(self) -> Path:
        return self.out_dir / f"{self.stem}.metrics.json"

    @property
    def log_path(self) -> Path:
        return self.out_dir / f"{self.stem}.log"

    @cached_property
    def earlier_metrics(self) -> dict[str, Any] | None:
        """The metrics file an earlier check left (read once per plan), or None."""
        try:
            metrics = json.loads(self.metrics_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return metrics if isinstance(metrics, dict) else None

    @cached_property
    def records(self) -> int:
        """How many records the solutions file holds (counted once per plan: sharding and
        progress both ask)."""
        return count_records(self.solutions)

    @cached_property
    def content_sha256(self) -> str | None:
        """The solutions file's sha256 now (hashed once per plan), None when unreadable."""
        try:
            return file_sha256(self.solutions)
        except OSError:
            return None

    def _same_content(self) -> bool:
        metrics = self.earlier_metrics
        return metrics is not None and metrics.get("input_sha256") == self.content_sha256

    def changed_settings(self, settings: dict[str, Any]) -> list[str]:
        """The settings (`name old -> new`) its finished results of this same content were
        judged with that differ from `settings`; empty when none differ or nothing is known."""
        earlier = (self.earlier_metrics or {}).get("settings")
        if not isinstance(earlier, dict) or not self._same_content():
            return []
        return [
            f"{name} {earlier.get(name)!r} -> {settings.get(name)!r}"
            for name in sorted(set(earlier) | set(settings))
            if earlier.get(name) != settings.get(name)
        ]

    def why_check(self, fingerprint: str, settings: dict[str, Any] | None = None) -> str:
        """Why this file is checked (again): new, killed part way, its content or the
        verdict-affecting settings changed since its results were made."""
        metrics = self.earlier_metrics
        if metrics is None:
            journal = journal_path(self.out_dir, self.stem)
            return "interrupted: resumes from its journal" if journal.exists() else "new"
        if not self.results_path.is_file():
            return "results missing"
        if self.content_sha256 is None:
            return "unreadable"
        if not self._same_content():
            return "its content changed"
        if metrics.get("config_fingerprint") != fingerprint:
            changed = self.changed_settings(settings) if settings is not None else []
            return f"settings changed: {', '.join(changed)}" if changed else "problems or judge changed"
        return "forced"

    def finished_metrics(self, fingerprint: str) -> dict[str, Any] | None:
        """The metrics of a complete earlier check of this very content with these settings."""
        metrics = self.earlier_metrics
        if metrics is None or not self.results_path.is_file():
            return None
        if metrics.get("config_fingerprint") != fingerprint or not self._same_content():
            return None
        return metrics


@dataclass(frozen=True)
class Unit:
    """One check a run starts: a whole file, or shard k of n of it (`task` is then the
    shard's, with its own output stem)."""

    index: int  # the file's task index in the plan
    task: FileTask
    shard: tuple[int, int] | None = None
    redo_ie: bool = False


@dataclass
class Plan:
    """Checkpoints in order, their tasks, which are done (with their metrics), what is empty."""

    checkpoints: list[Checkpoint]
    tasks: list[FileTask]
    done: dict[int, dict[str, Any]]  # task index -> metrics of the finished check
    output_dir: Path
    # task index -> IE records of a finished check: only those are judged again
    redo_ie: dict[int, int] = field(default_factory=dict)
    # task index -> why it is checked (new, content changed, settings changed, ...)
    why: dict[int, str] = field(default_factory=dict)
    # task index -> the record shards it is judged in side by side (absent: one check)
    shards: dict[int, int] = field(default_factory=dict)

    def action(self, i: int) -> str:
        if i in self.done:
            return "skip (done)"
        if i in self.redo_ie:
            return f"redo {self.redo_ie[i]} IE"
        action = f"check ({self.why[i]})" if i in self.why else "check"
        return f"{action} in {self.shards[i]} shards" if i in self.shards else action

    @property
    def todo(self) -> list[int]:
        return [i for i in range(len(self.tasks)) if i not in self.done]

    def tasks_of(self, checkpoint: Checkpoint) -> list[int]:
        return [i for i, t in enumerate(self.tasks) if t.checkpoint is checkpoint]

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_dir": str(self.output_dir),
            "checkpoints": [
                {
                    "name": c.name,
                    "step": c.step,
                    "path": str(c.path),
                    "output_dir": str(self.output_dir / c.output_name),
                    "files": [
                        {
                            "solutions": str(self.tasks[i].solutions),
                            "results": str(self.tasks[i].results_path),
                            "action": self.action(i),
                        }
                        for i in self.tasks_of(c)
                    ],
                }
                for c in self.checkpoints
            ],
            "files": len(self.tasks),
            "done": len(self.done),
            "todo": len(self.todo),
            "empty_checkpoints": [c.name for c in self.checkpoints if not c.files],
        }


def file_stem(checkpoint: Checkpoint, solutions: Path) -> str:
    """`solutions` for `ckpt/solutions.jsonl` (or `.jsonl.gz`, `.json`), `sub__part` for
    `ckpt/sub/part.jsonl`."""
    relative = solutions.relative_to(checkpoint.path)
    return "__".join([*relative.parent.parts, output_stem(relative)])


def make_plan(
    checkpoints: list[Checkpoint],
    output_dir: Path,
    fingerprint: str,
    force: bool,
    settings: dict[str, Any] | None = None,
) -> Plan:
    output_dir = output_dir.resolve()
    tasks = [
        FileTask(c, f, output_dir / c.output_name, file_stem(c, f)) for c in checkpoints for f in c.files
    ]
    owner: dict[Path, FileTask] = {}
    for task in tasks:
        other = owner.setdefault(task.results_path, task)
        if other is not task:
            raise BatchEvalError(
                f"{other.solutions} and {task.solutions} would share one results file "
                f"({task.results_path}): rename one of them"
            )
    done: dict[int, dict[str, Any]] = {}
    redo_ie: dict[int, int] = {}
    why: dict[int, str] = {}
    for i, task in enumerate(tasks):
        metrics = None if force else task.finished_metrics(fingerprint)
        if metrics is None:
            why[i] = task.why_check(fingerprint, settings)
        elif int(metrics.get("ie") or 0) > 0:
            redo_ie[i] = int(metrics["ie"])  # a fault (a server down) left these unjudged
        else:
            done[i] = metrics
    return Plan(checkpoints, tasks, done, output_dir, redo_ie, why)
