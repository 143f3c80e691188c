"""Endpoints the way fleets publish them: PISTON_ENDPOINTS, `--endpoint slurm` (squeue's
piston-worker-PORT jobs, as open-r1 launches them) and an endpoints file read again while a
check runs, so a fleet can grow and shrink under it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from batch_eval.api import check_file
from batch_eval.executors.piston import client as client_module
from tests.conftest import SUM_PROBLEM, write_jsonl
from tests.fake_piston import FakePiston, FakePistonConfig

RIGHT = "a, b = map(int, input().split())\nprint(a + b)"


def executes(server: FakePiston) -> int:
    """The programs a server judged (its preflight probes left out)."""
    return sum(
        1 for r in server.requests for f in r["files"] if f["name"] == "main.py" and "# n" in f["content"]
    )


def files(tmp_path: Path, n: int) -> tuple[Path, Path]:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": f"{RIGHT}\n# n{i}"} for i in range(n)])
    return problems, sols


def check_cli(
    sols: Path, problems: Path, out: Path, *extra: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "batch_eval",
        "check",
        str(sols),
        "--problems",
        str(problems),
        "-o",
        str(out),
    ]
    return subprocess.run(
        [*argv, "--executor", "piston", "--no-cache", *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def verdicts(out: Path) -> list[str]:
    return [json.loads(x)["verdict"] for x in (out / "s.results.jsonl").read_text().splitlines()]


def test_piston_endpoints_from_the_environment_and_from_slurm(tmp_path: Path) -> None:
    problems, sols = files(tmp_path, 8)
    config = FakePistonConfig(body_limit=10_000_000)
    with FakePiston(config) as a, FakePiston(config) as b:
        # open-r1's lists carry the API path: taken as the server's URL
        env = {**os.environ, "PISTON_ENDPOINTS": f"{a.url},{b.url}/api/v2"}
        result = check_cli(sols, problems, tmp_path / "env", env=env)
        assert result.returncode == 0, result.stderr
        assert verdicts(tmp_path / "env") == ["AC"] * 8 and executes(a) and executes(b)
        # a fake squeue on PATH: two workers running, one pending, another job
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        ports = [u.rsplit(":", 1)[1] for u in (a.url, b.url)]
        listing = [
            f"piston-worker-{ports[0]} 127.0.0.1 RUNNING",
            f"piston-worker-{ports[1]} 127.0.0.1 RUNNING",
        ]
        listing.append("train-llama node7 RUNNING")
        squeue = bin_dir / "squeue"
        squeue.write_text("#!/bin/sh\n" + "".join(f"echo '\"{line}\"'\n" for line in listing))
        squeue.chmod(0o755)
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        before = executes(a), executes(b)
        result = check_cli(sols, problems, tmp_path / "slurm", "--endpoint", "slurm", env=env)
        assert result.returncode == 0, result.stderr
        assert verdicts(tmp_path / "slurm") == ["AC"] * 8
        assert executes(a) > before[0] and executes(b) > before[1]
    # no worker running: one line saying where it looked, exit 2, no traceback
    squeue.write_text("#!/bin/sh\necho '\"train-llama node7 RUNNING\"'\n")
    result = check_cli(sols, problems, tmp_path / "none", "--endpoint", "slurm", env=env)
    assert result.returncode == 2 and "squeue lists no running piston-worker-PORT job" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_endpoints_file_is_read_again_so_a_fleet_can_grow_and_shrink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "REFRESH_S", 0.2)
    problems, sols = files(tmp_path, 24)
    config = FakePistonConfig(body_limit=10_000_000, delay_s=0.1)
    other = FakePistonConfig(body_limit=10_000_000)
    other.runtimes = [{"language": "python", "version": "3.8.0", "aliases": ["py"]}]
    listed = tmp_path / "fleet.txt"
    with FakePiston(config) as a, FakePiston(config) as b, FakePiston(other) as odd:
        listed.write_text(f"# the fleet\n{a.url}\n")

        def replace_the_fleet() -> None:
            deadline = time.monotonic() + 60  # the check's assertions say what went wrong then
            while executes(a) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            # a server of another Python never joins: its verdicts could differ
            listed.write_text(f"{b.url}\n{odd.url}\n")

        swap = threading.Thread(target=replace_the_fleet)
        swap.start()
        outcome: Any = check_file(
            sols,
            problems,
            tmp_path / "out",
            progress=False,
            executor="piston",
            endpoints_file=listed,
            piston_concurrency=1,
            cache=False,
        )
        swap.join(timeout=60)
    assert verdicts(tmp_path / "out") == ["AC"] * 24 and outcome.exit_code == 0
    assert executes(a) >= 4 and executes(b) >= 4 and executes(odd) == 0
    assert executes(a) + executes(b) == 24
