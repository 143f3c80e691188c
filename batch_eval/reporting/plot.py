"""`report --plot`: pass@1 with its interval band and pass@k against the training step."""

from __future__ import annotations

from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.reporting.report import Row


def plot_curve(rows: list[Row], path: Path) -> None:
    """A PNG (or any format matplotlib knows by the suffix) of the learning curve."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise BatchEvalError(
            "plotting needs matplotlib: pip install matplotlib (in a checkout: pip install -e '.[report]')"
        ) from None
    scored = [r for r in rows if r.pass1 is not None]
    if not scored:
        raise BatchEvalError("nothing to plot: no checkpoint has results yet")
    by_step = all(r.step is not None for r in scored)
    xs = [float(r.step) if by_step and r.step is not None else float(i) for i, r in enumerate(scored)]
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    ax.fill_between(
        xs,
        [r.ci[0] for r in scored],
        [r.ci[1] for r in scored],
        alpha=0.2,
        color="C0",
        label="pass@1 95% interval (bootstrap over problems)",
    )
    ax.plot(xs, [r.pass1 or 0.0 for r in scored], "o-", color="C0", label="pass@1")
    common = min(max((int(k) for k in r.pass_at_k), default=1) for r in scored)
    for n, k in enumerate(sorted({k for k in (2, 5, 10, common) if 1 < k <= common})):
        ax.plot(xs, [r.pass_at_k[str(k)] for r in scored], "s--", color=f"C{n + 1}", label=f"pass@{k}")
    best = next((r for r in scored if r.best), None)
    if best is not None:
        bx = xs[scored.index(best)]
        ax.annotate(
            f"best: {best.name}",
            (bx, best.pass1 or 0.0),
            textcoords="offset points",
            xytext=(0, 12),
            ha="center",
            fontsize=9,
        )
    ax.set_xlabel("training step" if by_step else "checkpoint")
    if not by_step:
        ax.set_xticks(xs, [r.name for r in scored], rotation=30, ha="right")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title(f"pass@k by checkpoint ({scored[0].problems} problems)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise BatchEvalError(f"cannot write the plot: {exc.strerror}", path) from None
    finally:
        plt.close(fig)
