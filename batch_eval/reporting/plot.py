"""`report --plot`: pass@k against the training step, each k with its 95% interval band
(bootstrap over problems), the best checkpoint marked; PNG, SVG or PDF by the file's suffix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.reporting.report import Row
from batch_eval.reporting.stats import pass_at_k_estimate

FORMATS = (".png", ".svg", ".pdf")


def check_path(path: Path) -> None:
    """Refuse a plot file matplotlib would not write as PNG, SVG or PDF (before any work)."""
    if path.suffix.lower() not in FORMATS:
        raise BatchEvalError(f"the plot is written as PNG, SVG or PDF: name it {path.stem}.png, .svg or .pdf")


def _over(k: int, used: list[int], problems: list[int]) -> str:
    """The legend's note of the problems a pass@k is over, in the report table's figures
    (`6/21` there is `6 of 21` here; `5 to 6` where checkpoints differ); none when every
    checkpoint's pass@k is over all its problems."""
    if used == problems:
        return ""

    def span(values: list[int]) -> str:
        low, high = min(values), max(values)
        return str(low) if low == high else f"{low} to {high}"

    return f" (over {span(used)} of {span(problems)} problems: those with ≥{k} samples)"


def default_ks(rows: Sequence[Row]) -> list[int]:
    """1, and the largest k every problem of every checkpoint has samples for (when > 1)."""
    common = min((n for r in rows for n, _ in r.per_problem.values()), default=1)
    return [1, common] if common > 1 else [1]


def plot_curve(
    rows: list[Row], path: Path, ks: Sequence[int] | None = None, title: str | None = None, run: str = ""
) -> list[str]:
    """The learning curve of `rows` written to `path`: one line and band per k in `ks`; the
    title is `title`, else the run's name and the number of problems. Returns what it left
    out (a k no problem has enough samples for)."""
    check_path(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        matplotlib.rcParams["svg.fonttype"] = "none"  # an SVG's text stays text (editable, searchable)
        import matplotlib.pyplot as plt
    except ImportError:
        raise BatchEvalError(
            "plotting needs matplotlib: pip install matplotlib (in a checkout: pip install -e '.[report]')"
        ) from None
    scored = [r for r in rows if r.pass1 is not None]
    if not scored:
        raise BatchEvalError("nothing to plot: no checkpoint has results yet")
    ks = sorted(set(ks or default_ks(scored)))
    by_step = all(r.step is not None for r in scored)
    xs = [float(r.step) if by_step and r.step is not None else float(i) for i, r in enumerate(scored)]
    problems = max(r.problems for r in scored)
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=150)
    drawn = 0
    left_out = []
    for n, k in enumerate(ks):
        points = []  # (x, pass@k, interval, problems with k samples, problems) where there are any
        for x, r in zip(xs, scored):
            value, interval, count = pass_at_k_estimate(r.per_problem, k)
            if value is not None:
                points.append((x, value, interval, count, r.problems))
        if not points:
            left_out.append(f"pass@{k} is not plotted: no problem has {k} or more samples")
            continue
        drawn += 1
        label = f"pass@{k}" + _over(k, [p[3] for p in points], [p[4] for p in points])
        color = f"C{n}"
        px = [p[0] for p in points]
        ax.fill_between(px, [p[2][0] for p in points], [p[2][1] for p in points], alpha=0.15, color=color)
        ax.plot(px, [p[1] for p in points], "o-" if k == 1 else "s--", color=color, label=label, markersize=4)
    if not drawn:
        raise BatchEvalError(
            f"nothing to plot: no checkpoint has {min(ks)} or more samples of a problem "
            "(choose a smaller --k)"
        )
    best = next((r for r in scored if r.best), None)
    if best is not None:
        bx, by = xs[scored.index(best)], best.pass1 or 0.0
        ax.axvline(bx, color="0.6", linestyle=":", linewidth=1, zorder=0)
        ax.plot([bx], [by], marker="*", markersize=14, color="gold", markeredgecolor="black", zorder=5)
        # the label goes above the top of the plot at the best step, clear of every marker
        ax.annotate(
            f"best: {best.name} (pass@1 {by:.3f})",
            (bx, 1.0),
            xytext=(0, 4),
            textcoords="offset points",
            # kept inside the plot's width at the first and last step
            ha="right" if bx == max(xs) > min(xs) else "left" if bx == min(xs) < max(xs) else "center",
            va="bottom",
            fontsize=8,
            annotation_clip=False,
        )
    ax.set_xlabel("training step" if by_step else "checkpoint")
    if not by_step:
        ax.set_xticks(xs, [r.name for r in scored], rotation=30, ha="right")
    ax.set_ylabel("pass@k (mean over problems, 95% interval)")
    ax.set_ylim(0, 1.0)
    ax.grid(alpha=0.3)
    default = f"{run + ': ' if run else ''}pass@k by checkpoint ({problems} problems)"
    ax.set_title(title or default, pad=18 if best is not None else 6)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise BatchEvalError(f"cannot write the plot: {exc.strerror}", path) from None
    finally:
        plt.close(fig)
    return left_out
