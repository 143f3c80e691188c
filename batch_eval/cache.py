"""A verdict cache keyed by content: the same program on the same tests under the same rules
is judged once, across files, checkpoints and runs.

The key is a hash of everything that can change a verdict: the program's exact bytes and its
language, the problem's tests (or function-test code), its limits, checker (with the
interpreter that runs it) and input mode, every verdict-affecting setting of the check
(CheckConfig.verdict_settings: comparison, early stop, test order, runner, Piston batching,
...), the executor's identity as it stands after preflight (interpreter and compiler
versions and flags, Piston runtime versions, isolation) and the judging code's own identity
(a hash of the judging modules: batch_eval.identity). IE results are never stored (they must
be retried), nor TLE (load can cause them; a rerun judges them again).

SQLite in WAL mode: many checker processes of one run share it safely. A process about to
judge a program first claims its key; another process meeting the same key waits for that
result instead of judging it again (a claim whose owner died is taken over), so parallel
checkpoints holding the same programs execute each of them once.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

from batch_eval.identity import judging_code
from batch_eval.verdict import SolutionResult, TestResult, Verdict

NOT_CACHED = frozenset({Verdict.IE, Verdict.TLE})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "batch-eval"


def digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class VerdictCache:
    """get/put SolutionResults by key; `hits` and `stores` count this process's use."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "verdicts.sqlite"
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        # several checkers of one run open a new cache at once: switching it to WAL needs a
        # moment alone, and SQLite answers "locked" at once instead of waiting for it
        for attempt in range(200):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, result TEXT NOT NULL)"
                )
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, pid INTEGER, host TEXT)"
                )
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS failures (problem TEXT, test INTEGER, count INTEGER, "
                    "PRIMARY KEY (problem, test))"
                )
                break
            except sqlite3.OperationalError:
                if attempt == 199:
                    raise
                time.sleep(0.05)
        self.hits = 0
        self.stores = 0
        self.host = socket.gethostname()

    @staticmethod
    def key(program_key: str, problem_key: str, rules: dict[str, Any], environment: dict[str, Any]) -> str:
        return digest(judging_code(), program_key, problem_key, rules, environment)

    def get(self, key: str) -> SolutionResult | None:
        row = self.db.execute("SELECT result FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        self.hits += 1
        return SolutionResult(
            Verdict(data["verdict"]),
            [TestResult.from_dict(t) for t in data["tests"]],
            data.get("reason", ""),
            data.get("compile_output", ""),
        )

    def claim(self, key: str, wait: float) -> SolutionResult | None:
        """Before judging `key`: its result if another live process was judging it (waiting
        up to `wait` seconds), else None after taking the claim for ourselves."""
        deadline = time.monotonic() + wait
        while True:
            # the result first: its owner stores it, then releases the claim
            found = self.get(key)
            if found is not None:
                return found
            cur = self.db.execute(
                "INSERT OR IGNORE INTO claims (key, pid, host) VALUES (?, ?, ?)",
                (key, os.getpid(), self.host),
            )
            if cur.rowcount == 1:
                # the owner before us may have stored its result and released just now
                found = self.get(key)
                if found is not None:
                    self.release(key)
                return found
            owner = self.db.execute("SELECT pid, host FROM claims WHERE key = ?", (key,)).fetchone()
            if owner is None:
                continue  # released without a result (IE, TLE): try to claim again
            if (owner[1] == self.host and not _alive(int(owner[0]))) or time.monotonic() > deadline:
                self.db.execute("DELETE FROM claims WHERE key = ? AND pid = ?", (key, owner[0]))
                continue
            time.sleep(0.05)

    def release(self, key: str) -> None:
        self.db.execute("DELETE FROM claims WHERE key = ? AND pid = ?", (key, os.getpid()))

    def put(self, key: str, result: SolutionResult) -> None:
        if result.verdict in NOT_CACHED or any(t.verdict in NOT_CACHED for t in result.tests):
            return
        body = {
            "verdict": result.verdict.value,
            "tests": [t.to_dict() for t in result.tests],
            "reason": result.reason,
            "compile_output": result.compile_output,
        }
        self.db.execute(
            "INSERT OR REPLACE INTO verdicts (key, result) VALUES (?, ?)", (key, json.dumps(body))
        )
        self.stores += 1

    def failures(self, problem_key: str) -> dict[int, int]:
        """How often each test of a problem was the one a solution failed (test order "failures")."""
        rows = self.db.execute("SELECT test, count FROM failures WHERE problem = ?", (problem_key,))
        return {int(test): int(count) for test, count in rows}

    def failed(self, problem_key: str, test: int) -> None:
        self.db.execute(
            "INSERT INTO failures (problem, test, count) VALUES (?, ?, 1) "
            "ON CONFLICT (problem, test) DO UPDATE SET count = count + 1",
            (problem_key, test),
        )

    def close(self) -> None:
        self.db.close()
