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

A damaged cache never stops a check nor changes a verdict: each entry carries a checksum of
its key and result (a damaged or misplaced one is a miss, judged again); a file SQLite finds
damaged is moved aside with a warning and a new one started; a failure while in use turns
the cache off for the rest of the check, with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from batch_eval.errors import BatchEvalError
from batch_eval.executors.sandbox.sandboxlib import alive
from batch_eval.files import ensure_folder
from batch_eval.identity import judging_code
from batch_eval.verdict import SolutionResult, TestResult, Verdict

NOT_CACHED = frozenset({Verdict.IE, Verdict.TLE})
#: a cache file larger than this is not checked whole when opened (it would take seconds per
#: checker); damage found while in use still turns it off
CHECKED_BYTES = 64 << 20
T = TypeVar("T")


def digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class VerdictCache:
    """get/put SolutionResults by key; `hits` and `stores` count this process's use; `warn`
    hears about damage (the cache then heals itself or stays off)."""

    def __init__(self, folder: Path, warn: Callable[[str], None] = lambda message: None) -> None:
        try:
            ensure_folder(folder, "the verdict cache folder")
        except BatchEvalError as exc:
            raise BatchEvalError(f"{exc.message} (or pass --no-cache)", exc.path) from None
        self.path = folder / "verdicts.sqlite"
        self.warn = warn
        self.hits = 0
        self.stores = 0
        self.host = socket.gethostname()
        self.db: sqlite3.Connection | None = None
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            try:
                self.db = self._open()
            except sqlite3.DatabaseError as again:
                self._off(again)

    def _open(self) -> sqlite3.Connection:
        if self.path.exists() and self.path.stat().st_size <= CHECKED_BYTES:
            with sqlite3.connect(self.path, timeout=60) as probe:
                verdict = probe.execute("PRAGMA quick_check").fetchone()
            probe.close()
            if verdict is None or verdict[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {verdict[0] if verdict else 'no answer'}")
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        # several checkers of one run open a new cache at once: switching it to WAL needs a
        # moment alone, and SQLite answers "locked" at once instead of waiting for it
        for attempt in range(200):
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, pid INTEGER, host TEXT)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS failures (problem TEXT, test INTEGER, count INTEGER, "
                    "PRIMARY KEY (problem, test))"
                )
                return db
            except sqlite3.OperationalError as exc:
                if attempt == 199 or "locked" not in str(exc):
                    db.close()
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def _set_aside(self, exc: Exception) -> None:
        """Move a damaged cache file (and its journal) out of the way; the next open starts anew."""
        aside = self.path.with_name(
            f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        )
        for suffix in ("", "-wal", "-shm"):
            # gone already (another checker moved it) or never there: nothing to move
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        self.warn(
            f"{self.path}: the verdict cache is damaged ({exc}): moved aside to {aside}, starting a new one"
        )

    def _off(self, exc: Exception) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None
        self.warn(f"{self.path}: the verdict cache failed ({exc}): off for the rest of this check")

    def _use(self, action: Callable[[sqlite3.Connection], T], otherwise: T) -> T:
        """`action` on the database; if it fails, the cache is off and `otherwise` stands."""
        if self.db is None:
            return otherwise
        try:
            return action(self.db)
        except sqlite3.DatabaseError as exc:
            self._off(exc)
            return otherwise

    @staticmethod
    def _check(key: str, body: str) -> str:
        return hashlib.sha256(f"{key}\0{body}".encode()).hexdigest()[:16]

    @staticmethod
    def key(program_key: str, problem_key: str, rules: dict[str, Any], environment: dict[str, Any]) -> str:
        return digest(judging_code(), program_key, problem_key, rules, environment)

    def get(self, key: str) -> SolutionResult | None:
        row = self._use(
            lambda db: db.execute("SELECT result FROM verdicts WHERE key = ?", (key,)).fetchone(), None
        )
        if row is None:
            return None
        try:
            stored = json.loads(row[0])
            if stored["check"] != self._check(key, stored["body"]):
                raise ValueError("checksum mismatch")
            data = json.loads(stored["body"])
            result = SolutionResult(
                Verdict(data["verdict"]),
                [TestResult.from_dict(t) for t in data["tests"]],
                data.get("reason", ""),
                data.get("compile_output", ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.warn(f"{self.path}: a damaged verdict cache entry ({exc}): judged again")
            self._use(lambda db: db.execute("DELETE FROM verdicts WHERE key = ?", (key,)), None)
            return None
        self.hits += 1
        return result

    def claim(self, key: str, wait: float) -> SolutionResult | None:
        """Before judging `key`: its result if another live process was judging it (waiting
        up to `wait` seconds), else None after taking the claim for ourselves (or when the
        cache is off)."""
        deadline = time.monotonic() + wait
        while self.db is not None:
            # the result first: its owner stores it, then releases the claim
            found = self.get(key)
            if found is not None:
                return found
            claimed = self._use(
                lambda db: (
                    db.execute(
                        "INSERT OR IGNORE INTO claims (key, pid, host) VALUES (?, ?, ?)",
                        (key, os.getpid(), self.host),
                    ).rowcount
                ),
                0,
            )
            if claimed == 1:
                # the owner before us may have stored its result and released just now
                found = self.get(key)
                if found is not None:
                    self.release(key)
                return found
            owner = self._use(
                lambda db: db.execute("SELECT pid, host FROM claims WHERE key = ?", (key,)).fetchone(), None
            )
            if owner is None:
                continue  # released without a result (IE, TLE), or the cache is off
            if (owner[1] == self.host and not alive(int(owner[0]))) or time.monotonic() > deadline:
                self._drop_claim(key, int(owner[0]))
                continue
            time.sleep(0.05)
        return None

    def _drop_claim(self, key: str, pid: int) -> None:
        self._use(lambda db: db.execute("DELETE FROM claims WHERE key = ? AND pid = ?", (key, pid)), None)

    def release(self, key: str) -> None:
        self._drop_claim(key, os.getpid())

    def put(self, key: str, result: SolutionResult) -> None:
        if result.verdict in NOT_CACHED or any(t.verdict in NOT_CACHED for t in result.tests):
            return
        body = json.dumps(
            {
                "verdict": result.verdict.value,
                "tests": [t.to_dict() for t in result.tests],
                "reason": result.reason,
                "compile_output": result.compile_output,
            }
        )
        stored = json.dumps({"body": body, "check": self._check(key, body)})
        if (
            self._use(
                lambda db: db.execute(
                    "INSERT OR REPLACE INTO verdicts (key, result) VALUES (?, ?)", (key, stored)
                ),
                None,
            )
            is not None
        ):
            self.stores += 1

    def failures(self, problem_key: str) -> dict[int, int]:
        """How often each test of a problem was the one a solution failed (test order "failures")."""
        rows: list[tuple[int, int]] = self._use(
            lambda db: db.execute(
                "SELECT test, count FROM failures WHERE problem = ?", (problem_key,)
            ).fetchall(),
            [],
        )
        return {int(test): int(count) for test, count in rows}

    def failed(self, problem_key: str, test: int) -> None:
        self._use(
            lambda db: db.execute(
                "INSERT INTO failures (problem, test, count) VALUES (?, ?, 1) "
                "ON CONFLICT (problem, test) DO UPDATE SET count = count + 1",
                (problem_key, test),
            ),
            None,
        )

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
