"""Find checkpoint folders and their JSONL solution files; parse and order by training step."""

from __future__ import annotations

import fnmatch
import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.judging.solutions import ID_FIELDS

SORT_ORDERS = ("step", "name", "none")
_STEP = re.compile(r"(?:checkpoint|global[_-]?step|step|ckpt|iter(?:ation)?|epoch)[-_]?(\d+)$", re.IGNORECASE)


@dataclass
class Checkpoint:
    """One checkpoint folder: its name, training step (None when the name has none), files."""

    name: str
    path: Path
    step: int | None
    files: list[Path] = field(default_factory=list)

    @property
    def output_name(self) -> str:
        return f"eval_checkpoint_{self.step}" if self.step is not None else f"eval_{self.name}"


def parse_step(name: str) -> int | None:
    """`checkpoint-196`, `global_step_196`, `step_196`, `ckpt-196`, `checkpoint_196` → 196."""
    match = _STEP.search(name)
    return int(match.group(1)) if match else None


def expand_braces(pattern: str) -> list[str]:
    """`checkpoint-{196,392}` → [`checkpoint-196`, `checkpoint-392`] (nested braces too)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    out: list[str] = []
    for option in match.group(1).split(","):
        out.extend(expand_braces(head + option + tail))
    return out


def matches(name: str, filters: tuple[str, ...]) -> bool:
    if not filters:
        return True
    return any(fnmatch.fnmatchcase(name, p) for f in filters for p in expand_braces(f))


SOLUTION_SUFFIXES = (".jsonl", ".jsonl.gz", ".json")


def jsonl_files(folder: Path) -> list[Path]:
    """The solutions files under `folder`, recursively, in a stable order, hidden ones left
    out: JSONL, gzipped JSONL, and JSON files holding a list (a checkpoint folder's
    config.json, tokenizer.json and the like are objects: not solutions)."""
    files = [
        p
        for p in folder.rglob("*")
        if p.name.endswith(SOLUTION_SUFFIXES)
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (not p.name.endswith(".json") or _json_list(p))
    ]
    return sorted(files)


def unrecognised(checkpoint: Checkpoint, shown: int = 5) -> str | None:
    """For a checkpoint with files but no solutions file among them, the mistake in words
    (naming up to `shown` of its files); None when it has solutions or no files at all (a
    checkpoint whose generations are not written yet)."""
    if checkpoint.files:
        return None
    others = sorted(
        p.relative_to(checkpoint.path).as_posix()
        for p in checkpoint.path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(checkpoint.path).parts)
    )
    if not others:
        return None
    names = ", ".join(others[:shown]) + (f" and {len(others) - shown} more" if len(others) > shown else "")
    return (
        f"no solutions file among its files ({names}): solutions are JSONL records "
        "(.jsonl, .jsonl.gz, or a .json list or JSONL lines naming a problem)"
    )


def _json_list(path: Path) -> bool:
    """Whether a .json file holds solutions: a list (its first character that is not blank is
    `[`), or JSONL lines under a .json name (its first line alone is an object naming a
    problem). A checkpoint's config.json is one object over many lines: not solutions."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    if head.startswith(b"["):
        return True
    try:
        first = json.loads(head.split(b"\n", 1)[0])
    except ValueError:
        return False
    return isinstance(first, dict) and any(key in first for key in ID_FIELDS)


def find_checkpoints(
    solutions_dir: Path | None = None,
    pattern: str | None = None,
    list_file: Path | None = None,
    filters: tuple[str, ...] = (),
    sort_order: str = "step",
) -> list[Checkpoint]:
    """Checkpoints from exactly one source, filtered, ordered; each with its JSONL files."""
    # absolute: checkers, `status` and the summary may run from other folders
    folders = [f.resolve() for f in _folders(solutions_dir, pattern, list_file)]
    checkpoints = [
        Checkpoint(f.name, f, parse_step(f.name), jsonl_files(f)) for f in folders if matches(f.name, filters)
    ]
    if sort_order == "step":
        # unparsable names last, by name
        checkpoints.sort(key=lambda c: (c.step is None, c.step or 0, c.name))
    elif sort_order == "name":
        checkpoints.sort(key=lambda c: c.name)
    _check_unique_outputs(checkpoints)
    return checkpoints


def _folders(solutions_dir: Path | None, pattern: str | None, list_file: Path | None) -> list[Path]:
    given = [x for x in (solutions_dir, pattern, list_file) if x is not None]
    if len(given) != 1:
        raise BatchEvalError("give exactly one of --solutions-dir, --solutions-pattern, --solutions-list")
    if solutions_dir is not None:
        if solutions_dir.exists() and not solutions_dir.is_dir():
            raise BatchEvalError(
                "is a file, not a folder: --solutions-dir takes the folder of checkpoint folders "
                "(judge one file with `batch-eval check`)",
                solutions_dir,
            )
        if not solutions_dir.is_dir():
            raise BatchEvalError("solutions folder not found", solutions_dir)
        subdirs = sorted(
            p for p in solutions_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and not _ours(p)
        )
        # a folder holding JSONL files itself and no checkpoint folders is one checkpoint
        if not subdirs and jsonl_files(solutions_dir):
            return [solutions_dir]
        return subdirs
    if pattern is not None:
        found = sorted({Path(p) for e in expand_braces(pattern) for p in glob.glob(e) if Path(p).is_dir()})
        if not found:
            raise BatchEvalError(f"no folder matches --solutions-pattern {pattern!r}")
        return found
    assert list_file is not None
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BatchEvalError(f"cannot read checkpoint list: {exc.strerror}", list_file) from None
    folders = []
    for n, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = Path(entry)
        if not path.is_absolute():
            path = list_file.parent / path
        if not path.is_dir():
            raise BatchEvalError(f"not a folder: {entry}", list_file, n)
        folders.append(path)
    return folders


def _ours(folder: Path) -> bool:
    """A folder batch-eval wrote (an output folder, or a checkpoint's eval folder in one), never
    a checkpoint: an output folder inside the solutions folder must not be judged next time."""
    if (folder / "batch_eval_results.json").exists():
        return True
    written = ("*.metrics.json", "*.results.jsonl", ".*.journal*")
    return folder.name.startswith("eval_") and any(any(folder.glob(g)) for g in written)


def _check_unique_outputs(checkpoints: list[Checkpoint]) -> None:
    seen: dict[str, Checkpoint] = {}
    for c in checkpoints:
        other = seen.setdefault(c.output_name, c)
        if other is not c:
            raise BatchEvalError(
                f"checkpoints {other.path} and {c.path} would both write {c.output_name}: "
                "rename one or filter with --checkpoint-filter"
            )
