"""`report`: one row per checkpoint (pass@1 with an interval, pass@k, verdict mix), the best
marked; `--diff` of two checkpoints or runs with a paired test; rendered as a table,
markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.judging.metrics import combine
from batch_eval.reporting.stats import bootstrap_interval, pass_at_k_estimate, pass_at_k_mean
from batch_eval.reporting.status import load_summary

FORMATS = ("table", "markdown", "csv", "json")
VERDICT_COLUMNS = ("WA", "TLE", "MLE", "OLE", "RE", "CE")
LEGEND = (
    "best pass@1 among complete checkpoints; ? incomplete (never ranked: its numbers may change); "
    "interval: 95% percentile bootstrap over problems; pass@k (n/m): over the n of m problems "
    "with at least k samples"
)


@dataclass
class Row:
    """One checkpoint's numbers, combined over its finished files."""

    name: str
    step: int | None
    status: str
    pass_at_k: dict[str, float]
    ci: tuple[float, float]
    problems: int
    solved: int
    records: int
    verdicts: dict[str, int]
    ie: int
    seconds: float
    metadata: dict[str, Any] = field(default_factory=dict)
    per_problem: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    # the judge's benchmark figures (CPU seconds, calibrate.py) of the files' checks
    speeds: list[float] = field(default_factory=list, repr=False)
    best: bool = False
    # EvalPlus: pass@k on the base inputs alone (pass_at_k is on base + plus); {} otherwise
    base_pass_at_k: dict[str, float] = field(default_factory=dict)
    # why this checkpoint's numbers are not final ("" when they are): it is never ranked best
    incomplete: str = ""
    # the pass@1 it was ranked by, over the problems every ranked checkpoint has, when their
    # problem sets differ (None: its own pass@1)
    ranked_pass1: float | None = None

    @property
    def pass1(self) -> float | None:
        return self.pass_at_k.get("1")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("per_problem")
        d.pop("speeds")
        d["ci"] = list(self.ci)
        return d


def load_metadata(path: Path | None) -> dict[str, dict[str, Any]]:
    """`--run-metadata`: a JSON or YAML mapping of checkpoint name to training parameters."""
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BatchEvalError(f"cannot read run metadata: {exc.strerror}", path) from None
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise BatchEvalError(
                "YAML metadata needs PyYAML: pip install pyyaml (in a checkout: pip install -e '.[report]')",
                path,
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BatchEvalError(f"invalid YAML: {exc}", path) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BatchEvalError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BatchEvalError("run metadata must map checkpoint names to mappings of parameters", path)
    return {str(k): v for k, v in data.items()}


def load_rows(output_dir: Path, metadata: dict[str, dict[str, Any]] | None = None) -> list[Row]:
    """The rows of a run in its plan order (step order by default), from its files on disk."""
    summary = load_summary(output_dir)
    config = summary.get("config") or {}
    selected = [f"--{k}" for k in ("limit", "sample") if config.get(k) is not None]
    rows = []
    for c in summary["checkpoints"]:
        parts = []
        for f in c["files"]:
            if f.get("status") != "ok":
                continue
            metrics_path = Path(f["metrics_file"])
            try:
                parts.append(json.loads(metrics_path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                raise BatchEvalError(
                    "metrics file missing or unreadable: rerun the batch", metrics_path
                ) from None
        m = combine(parts)
        pp = {pid: (n, k) for pid, (n, k) in m["per_problem"].items()}
        rates = [k / n for n, k in pp.values() if n]
        meta = dict(c.get("metadata") or {})
        meta.update((metadata or {}).get(c["name"], {}))
        rows.append(
            Row(
                name=c["name"],
                step=c["step"],
                status=c.get("status", "?"),
                pass_at_k=m["pass_at_k"],
                ci=bootstrap_interval(rates),
                problems=m["problems"],
                solved=m["problems_solved"],
                records=m["records"],
                verdicts=m["verdicts"],
                ie=m["ie"],
                seconds=round(m["seconds"], 1),
                metadata=meta,
                per_problem=pp,
                incomplete=_incomplete(c["files"], m, selected),
                base_pass_at_k=(m.get("base") or {}).get("pass_at_k") or {},
                # limits made alike by --time-multiplier auto: speeds then need no warning
                speeds=[] if config.get("time_scale_auto") else [s for s in map(_speed, parts) if s],
            )
        )
    rank(rows)
    return rows


def rank(rows: list[Row]) -> None:
    """Mark the best complete checkpoint by pass@1; when their problem sets differ, by
    pass@1 over the problems every one of them has (a checkpoint judged on fewer, easier
    problems must not win by that), kept in `ranked_pass1`."""
    scored = [r for r in rows if r.pass1 is not None and not r.incomplete]
    if not scored:
        return
    common = set.intersection(*(set(r.per_problem) for r in scored))
    if any(set(r.per_problem) != common for r in scored):
        for r in scored:
            rates = [k / n for pid, (n, k) in r.per_problem.items() if pid in common and n]
            r.ranked_pass1 = sum(rates) / len(rates) if rates else 0.0
    best = max(
        scored,
        key=lambda r: (r.ranked_pass1 if r.ranked_pass1 is not None else r.pass1 or 0.0, -rows.index(r)),
    )
    best.best = True


def notes(rows: list[Row], ks: list[int] | None) -> list[str]:
    """What the table's `-` and ranking mean here, said once under it."""
    out = []
    ranked = [r for r in rows if r.ranked_pass1 is not None]
    if ranked:
        common = set.intersection(*(set(r.per_problem) for r in ranked))
        sizes = sorted({r.problems for r in ranked})
        out.append(
            f"the complete checkpoints were judged on different problems ({'/'.join(map(str, sizes))}): "
            f"best is ranked by pass@1 over the {len(common)} every one of them has"
        )
    for k in ks or []:
        short = [r.name for r in rows if r.per_problem and pass_at_k_mean(r.per_problem, k)[0] is None]
        if short:
            out.append(f"pass@{k} -: no problem of {', '.join(short)} has {k} samples")
    return out


def _speed(metrics: dict[str, Any]) -> float | None:
    figure = ((metrics.get("environment") or {}).get("calibration") or {}).get("benchmark_s")
    return float(figure) if isinstance(figure, (int, float)) else None


#: benchmark figures further apart than this say the checkpoints were judged at different speeds
SPEED_SPREAD = 1.25


def speed_warning(rows: list[Row]) -> str:
    """A warning when the run's checks ran at different speeds (other machines, interpreters,
    or a loaded machine) without --time-multiplier auto making their limits alike; '' else."""
    speeds = [s for r in rows for s in r.speeds]
    if len(speeds) < 2 or max(speeds) <= SPEED_SPREAD * min(speeds):
        return ""
    return (
        f"checkpoints were judged at different speeds (benchmark {min(speeds):.2f}-{max(speeds):.2f} s CPU): "
        "verdicts near the time limit may not compare; judge with --time-multiplier auto"
    )


def _incomplete(files: list[dict[str, Any]], metrics: dict[str, Any], selected: list[str]) -> str:
    """Why a checkpoint's numbers may still change ("" when they are final)."""
    why = []
    by_status: dict[str, int] = {}
    for f in files:
        by_status[f.get("status", "?")] = by_status.get(f.get("status", "?"), 0) + 1
    why += [f"{n} file{'s' * (n > 1)} {status}" for status, n in sorted(by_status.items()) if status != "ok"]
    if not files:
        why.append("no files")
    for key, label in (
        ("ie", "IE"),
        ("skipped_records", "skipped"),
        ("problems_undecided", "problems undecided"),
    ):
        if metrics.get(key):
            why.append(f"{metrics[key]} {label}")
    if selected:
        why.append(f"records selected by {' and '.join(selected)}")
    return ", ".join(why)


def _estimates(row: Row, ks: list[int]) -> dict[str, Any]:
    out = {}
    for k in [1, *ks]:
        value, interval, used = pass_at_k_estimate(row.per_problem, k)
        out[str(k)] = {"value": value, "interval": list(interval), "problems": used}
    return out


def _csv_at_k(row: Row, k: int, stored: bool) -> Any:
    if stored:
        return row.pass_at_k.get(str(k), "")
    value = pass_at_k_mean(row.per_problem, k)[0]
    return "" if value is None else value


def _top_k(row: Row) -> str:
    """pass@k at the largest k every problem has."""
    k = min((n for n, _ in row.per_problem.values()), default=0)
    value = pass_at_k_mean(row.per_problem, k)[0] if k > 1 else None
    return "- (1 sample)" if value is None else f"{value:.3f} (k={k})"


def _at_k(row: Row, k: int) -> str:
    value, used = pass_at_k_mean(row.per_problem, k)
    if value is None:
        return "-"
    return f"{value:.3f}" + (f" ({used}/{row.problems})" if used < row.problems else "")


def _base1(row: Row) -> str:
    value = row.base_pass_at_k.get("1")
    return "-" if value is None else f"{value:.3f}"


def _cells(row: Row, meta_keys: list[str], ks: list[int] | None, base: bool, top_k: bool) -> list[str]:
    p1 = f"{row.pass1:.3f}" if row.pass1 is not None else "-"
    ci = f"[{row.ci[0]:.3f}, {row.ci[1]:.3f}]" if row.pass1 is not None else "-"
    return [
        "*" if row.best else ("?" if row.incomplete else ""),
        row.name,
        "-" if row.step is None else str(row.step),
        p1,
        ci,
        *([_base1(row)] if base else []),
        *(([_top_k(row)] if top_k else []) if ks is None else [_at_k(row, k) for k in ks]),
        f"{row.solved}/{row.problems}",
        *(str(row.verdicts.get(v, 0)) for v in VERDICT_COLUMNS),
        str(row.ie),
        f"{row.seconds:.0f}",
        *(str(row.metadata.get(k, "")) for k in meta_keys),
    ]


def render(rows: list[Row], fmt: str, ks: list[int] | None = None) -> str:
    """The report in `fmt` (table, markdown, csv, json); `ks`: the pass@k columns beside
    pass@1 (each over the problems with at least k samples), else the largest k there is."""
    meta_keys = sorted({k for r in rows for k in r.metadata})
    ks = None if ks is None else sorted({k for k in ks if k > 1})
    base = any(r.base_pass_at_k for r in rows)  # EvalPlus: pass@1 is base + plus, base@1 beside it
    # without --k, the largest k every problem has, shown only where a problem has two samples
    top_k = ks is not None or any(n > 1 for r in rows for n, _ in r.per_problem.values())
    header = [
        "best",
        "checkpoint",
        "step",
        "pass@1",
        "95% CI",
        *(["base@1"] if base else []),
        *(([] if not top_k else ["pass@k"]) if ks is None else [f"pass@{k}" for k in ks]),
        "solved",
        *VERDICT_COLUMNS,
        "IE",
        "seconds",
        *meta_keys,
    ]
    said = notes(rows, ks)
    if fmt == "json":
        return json.dumps(
            {
                "checkpoints": [
                    {**r.to_dict(), **({"pass_at": _estimates(r, ks)} if ks is not None else {})}
                    for r in rows
                ],
                "best": next((r.name for r in rows if r.best), None),
                "interval": "95% percentile bootstrap over problems",
            },
            indent=2,
        )
    if fmt == "csv":
        columns = sorted({int(k) for r in rows for k in r.pass_at_k}) if ks is None else [1, *ks]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "checkpoint",
                "step",
                "best",
                "ci_low",
                "ci_high",
                *(f"pass@{k}" for k in columns),
                *(["base_pass@1"] if base else []),
                "problems",
                "solved",
                "records",
                "AC",
                *VERDICT_COLUMNS,
                "IE",
                "seconds",
                *meta_keys,
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.name,
                    r.step,
                    int(r.best),
                    r.ci[0],
                    r.ci[1],
                    *(_csv_at_k(r, k, ks is None) for k in columns),
                    *([r.base_pass_at_k.get("1", "")] if base else []),
                    r.problems,
                    r.solved,
                    r.records,
                    r.verdicts.get("AC", 0),
                    *(r.verdicts.get(v, 0) for v in VERDICT_COLUMNS),
                    r.ie,
                    r.seconds,
                    *(r.metadata.get(k, "") for k in meta_keys),
                ]
            )
        return out.getvalue().rstrip("\n")
    body = [_cells(r, meta_keys, ks, base, top_k) for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        lines.append("")
        lines.append(f"`*` {LEGEND}.")
        lines += [f"{note}." for note in said]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in body]
    lines.append(f"* {LEGEND}")
    lines += said
    return "\n".join(lines)


# -- compare ---------------------------------------------------------------------------------
