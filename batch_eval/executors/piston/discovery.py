"""Where a Piston fleet's endpoints come from, as fleets publish them: `--endpoint URL`
(repeatable), `PISTON_ENDPOINTS` (a comma list), `--endpoints-file FILE` (a URL a line, read
again while a run goes on, so a fleet can grow and shrink), and the word `slurm` (either
way): the running Slurm jobs named `piston-worker-PORT`, as open-r1 launches its workers
(`squeue --format="%j %N %T" --noheader --states=RUNNING`; job name, node, state)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from batch_eval.errors import BatchEvalError

SLURM = "slurm"
ENV = "PISTON_ENDPOINTS"


def normal(url: str) -> str:
    """A server's base URL: without a trailing slash or the API path open-r1's lists carry."""
    url = url.strip().rstrip("/")
    return url[: -len("/api/v2")] if url.endswith("/api/v2") else url


def from_env() -> list[str]:
    """PISTON_ENDPOINTS: a comma list of URLs, or `slurm`."""
    return [normal(part) for part in os.environ.get(ENV, "").split(",") if part.strip()]


def read_file(path: Path) -> list[str]:
    """A URL a line (blank lines and `#` comments left out); `slurm` may be one of them."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BatchEvalError(f"cannot read the endpoints file: {exc.strerror}", path) from None
    urls = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [normal(url) for url in urls if url]


def slurm() -> list[str]:
    """The endpoints of the running `piston-worker-PORT` Slurm jobs."""
    try:
        listed = subprocess.run(
            ["squeue", '--format="%j %N %T"', "--noheader", "--states=RUNNING"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise BatchEvalError("--endpoint slurm: squeue is not on PATH (is this a Slurm cluster?)") from None
    except subprocess.TimeoutExpired:
        raise BatchEvalError("--endpoint slurm: squeue did not answer in 60 s") from None
    if listed.returncode != 0:
        raise BatchEvalError(f"--endpoint slurm: squeue failed: {listed.stderr.strip()[:200]}")
    found = []
    for line in listed.stdout.splitlines():
        fields = line.strip().strip('"').split()
        match = re.fullmatch(r"piston-worker-(\d+)", fields[0]) if len(fields) >= 2 else None
        if match:
            found.append(f"http://{fields[1]}:{match.group(1)}")
    return found


def resolve(given: Sequence[str], endpoints_file: Path | None = None) -> list[str]:
    """The endpoints to use now: the given ones, else PISTON_ENDPOINTS, with the file's; each
    `slurm` replaced by the jobs squeue lists. One line naming where to look when none."""
    urls = [normal(u) for u in given] or from_env()
    if endpoints_file is not None:
        urls += read_file(endpoints_file)
    out: list[str] = []
    for url in urls:
        for found in slurm() if url == SLURM else [url]:
            if found not in out:
                out.append(found)
    if not out:
        where = "squeue lists no running piston-worker-PORT job" if SLURM in urls else "no endpoint given"
        raise BatchEvalError(
            f"no Piston endpoint ({where}): pass --endpoint URL, --endpoints-file FILE or set {ENV}"
        )
    return out
