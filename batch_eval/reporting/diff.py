"""`report --diff A B`: per-problem gains and losses of one checkpoint over another, with a
paired test of whether the difference is more than chance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.reporting.report import Row, load_rows
from batch_eval.reporting.stats import METHOD, paired_p_value
from batch_eval.text import plural


def resolve(spec: str, default_dir: Path) -> tuple[str, Row]:
    """A checkpoint by name or step in `default_dir`, or a run folder (`DIR` when it has one
    checkpoint, or `DIR:NAME`)."""
    folder, name, prefix = default_dir, spec, ""
    if ":" in spec and Path(spec.rsplit(":", 1)[0]).is_dir():
        folder, name = Path(spec.rsplit(":", 1)[0]), spec.rsplit(":", 1)[1]
        prefix = f"{folder}:"
    elif Path(spec).is_dir():
        rows = load_rows(Path(spec))
        if len(rows) != 1:
            raise BatchEvalError(f"{spec} holds {len(rows)} checkpoints: name one as {spec}:NAME")
        return spec, rows[0]
    for row in load_rows(folder):
        if row.name == name or (row.step is not None and str(row.step) == name):
            return f"{prefix}{row.name}", row
    raise BatchEvalError(f"no checkpoint {name!r} in {folder} (give a name, a step, DIR or DIR:NAME)")


def compare(a: tuple[str, Row], b: tuple[str, Row]) -> dict[str, Any]:
    """Per-problem gains and losses of B over A, and whether the difference is significant."""
    (name_a, row_a), (name_b, row_b) = a, b
    common = sorted(set(row_a.per_problem) & set(row_b.per_problem))
    rate = {
        pid: (
            row_a.per_problem[pid][1] / row_a.per_problem[pid][0],
            row_b.per_problem[pid][1] / row_b.per_problem[pid][0],
        )
        for pid in common
        if row_a.per_problem[pid][0] and row_b.per_problem[pid][0]
    }
    diffs = [rb - ra for ra, rb in rate.values()]
    changed: list[dict[str, Any]] = [
        {"problem": pid, "a": round(ra, 4), "b": round(rb, 4), "change": round(rb - ra, 4)}
        for pid, (ra, rb) in rate.items()
        if abs(rb - ra) > 1e-12
    ]
    p = paired_p_value(diffs)
    return {
        "a": name_a,
        "b": name_b,
        "problems_compared": len(rate),
        "only_in_a": sorted(set(row_a.per_problem) - set(row_b.per_problem)),
        "only_in_b": sorted(set(row_b.per_problem) - set(row_a.per_problem)),
        "pass_at_1_a": round(sum(r for r, _ in rate.values()) / len(rate), 6) if rate else None,
        "pass_at_1_b": round(sum(r for _, r in rate.values()) / len(rate), 6) if rate else None,
        "difference": round(sum(diffs) / len(diffs), 6) if diffs else None,
        "gains": sorted((c for c in changed if c["change"] > 0), key=lambda c: -c["change"]),
        "losses": sorted((c for c in changed if c["change"] < 0), key=lambda c: c["change"]),
        "p_value": round(p, 6),
        "method": METHOD,
        "significant_at_0.05": p < 0.05,
    }


def compare_text(result: dict[str, Any]) -> str:
    lines = [
        f"compare: {result['a']} (A) vs {result['b']} (B) on {result['problems_compared']} common problems"
    ]
    if result["difference"] is None:
        return lines[0] + "\nno problem in common"
    lines.append(
        f"pass@1: A {result['pass_at_1_a']:.3f}, B {result['pass_at_1_b']:.3f}, "
        f"B - A = {result['difference']:+.3f}"
    )
    for title, key in (("gains (B better)", "gains"), ("losses (B worse)", "losses")):
        lines.append(f"{title}: {plural(len(result[key]), 'problem')}")
        lines += [
            f"  {c['problem']:20} {c['a']:.3f} -> {c['b']:.3f} ({c['change']:+.3f})" for c in result[key]
        ]
    verdict = "significant" if result["significant_at_0.05"] else "not significant"
    lines.append(f"p = {result['p_value']:.4g} ({result['method']}): {verdict} at the 0.05 level")
    for side in ("a", "b"):
        if result[f"only_in_{side}"]:
            lines.append(f"not compared, only in {side.upper()}: {', '.join(result[f'only_in_{side}'])}")
    return "\n".join(lines)
