"""`report --mlflow`: each checkpoint's metrics logged at its step, beside the training curves."""

from __future__ import annotations

from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.reporting.report import Row


def log_to_mlflow(rows: list[Row], uri: str | None, experiment: str, run_name: str) -> str:
    """One MLflow run holding every checkpoint's metrics at its step; returns the run id."""
    try:
        import mlflow
    except ImportError:
        raise BatchEvalError("--mlflow needs mlflow: pip install 'batch-eval[mlflow]'") from None
    try:
        if uri:
            mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=run_name) as run:
            for i, row in enumerate(rows):
                if row.pass1 is None:
                    continue
                step = row.step if row.step is not None else i
                metrics: dict[str, Any] = {f"pass_at_{k}": v for k, v in row.pass_at_k.items()}
                metrics.update(
                    pass_at_1_ci_low=row.ci[0],
                    pass_at_1_ci_high=row.ci[1],
                    problems_solved=row.solved,
                    internal_errors=row.ie,
                )
                mlflow.log_metrics(metrics, step=step)
                params = {f"{row.name}.{k}": v for k, v in row.metadata.items()}
                if params:
                    mlflow.log_params(params)
            return str(run.info.run_id)
    except BatchEvalError:
        raise
    except Exception as exc:  # mlflow raises many types for an unreachable or bad store
        raise BatchEvalError(f"MLflow logging failed: {exc}") from None
