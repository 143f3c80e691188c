"""`batch-eval watch`: the status of a run, followed until it finishes, from before it
starts and across the reruns that resume it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, Any

#: states after which a run may come back (a rerun resumes it): `watch` keeps following
WAITING = ("interrupted", "dead")


def watch_status(output_dir: Path, interval: float, stream: IO[str] | None = None) -> int:
    """Follow the status until the run has finished (exit 0) or ended with failures (1):
    before the run has started, it waits for it; when a run is interrupted or dies, it
    waits for the rerun that resumes it (Ctrl-C stops watching, never the run)."""
    from batch_eval.errors import BatchEvalError
    from batch_eval.reporting.status import read_status, status_text

    out = stream or sys.stdout

    def current() -> tuple[dict[str, Any] | None, str]:
        try:
            state = read_status(output_dir)
        except BatchEvalError:
            return None, f"waiting for a run to write to {output_dir} (Ctrl-C to stop watching)"
        text = status_text(state)
        if state["state"] in WAITING:
            text += "\nwaiting for a rerun to resume it (Ctrl-C to stop watching)"
        return state, text

    def going(state: dict[str, Any] | None) -> bool:
        return state is None or state["state"] == "running" or state["state"] in WAITING

    state, text = current()
    if out.isatty():
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        with Live(Text(text), refresh_per_second=4, screen=False, console=Console(file=out)) as live:
            while going(state):
                time.sleep(interval)
                state, text = current()
                live.update(Text(text))
    else:
        # not a terminal: a new block only when something other than the clock changed
        shown = None
        while True:
            key = json.dumps(
                None
                if state is None
                else [state["state"], state["files"], [c["running"] for c in state["checkpoints"]]]
            )
            if key != shown:
                print(text, file=out, flush=True)
                print(file=out, flush=True)
                shown = key
            if not going(state):
                break
            time.sleep(interval)
            state, text = current()
    return 0 if state is not None and state["state"] == "finished" else 1
