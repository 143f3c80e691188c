"""What people read on stderr: one-line summaries of judged files."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def summary_line(path: Path, metrics: dict[str, Any]) -> str:
    """`file: pass@1 0.412 (170/413 AC) WA 120 TLE 3 ... | 2 skipped, 0 IE, 12.3 s`."""
    pass1 = metrics["pass_at_k"].get("1")
    head = f"pass@1 {pass1:.3f}" if pass1 is not None else "pass@1 n/a"
    verdicts = " ".join(f"{k} {v}" for k, v in metrics["verdicts"].items() if k != "AC")
    return (
        f"{path}: {head} ({metrics['passed']}/{metrics['judged']} AC) {verdicts} | "
        f"{metrics['skipped_records']} skipped, {metrics['ie']} IE, {metrics['seconds']:.1f} s"
    ).replace("  ", " ")
