"""A check's journal: every results line as it is judged, appended beside the results file,
so that a check killed part way (a `kill -9`, a crash, a full disk) resumes where it stood
instead of judging the whole file again.

The journal's first line names what it holds: the settings' fingerprint and the solutions
file's sha256; a journal of other settings or another content is ignored and replaced. A
line cut short by the kill is dropped. The journal is removed once the results file and the
metrics are in place.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from batch_eval.config import file_sha256
from batch_eval.judging.solutions import result_key
from batch_eval.verdict import Verdict

#: verdicts a resumed check takes from the journal (IE is judged again, SKIP decided again)
KEPT = frozenset(v.value for v in Verdict if v not in (Verdict.IE, Verdict.SKIP))


def journal_path(out_dir: Path, stem: str) -> Path:
    return out_dir / f".{stem}.journal.jsonl"


class Journal:
    def __init__(self, path: Path, fingerprint: str, solutions: Path) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.solutions = solutions
        self._file: IO[str] | None = None

    def earlier(self) -> dict[tuple[int, int], dict[str, Any]]:
        """The judged lines (by record line) of an interrupted check of the same content with
        the same settings; the journal is then open to go on from there (else started anew)."""
        try:
            content = file_sha256(self.solutions)
        except OSError:
            return {}  # no solutions to read: reading them says so
        self.header = {"journal": 1, "config_fingerprint": self.fingerprint, "input_sha256": content}
        kept: dict[tuple[int, int], dict[str, Any]] = {}
        good = 0  # bytes up to the last whole line
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        lines = data.split(b"\n")
        try:
            same = bool(lines) and json.loads(lines[0]) == self.header
        except ValueError:
            same = False
        if same:
            good = len(lines[0]) + 1
            for raw in lines[1:-1]:  # the last piece has no newline: cut short, or empty
                try:
                    line = json.loads(raw)
                    if line.get("verdict") in KEPT:
                        kept[result_key(line)] = line
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass
                good += len(raw) + 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if same:
            with open(self.path, "r+b") as f:
                f.truncate(good)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        else:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self._file.write(json.dumps(self.header) + "\n")
            self._file.flush()
        return kept

    def add(self, text: str) -> None:
        """One results line (ending in a newline), on disk at once (the kernel keeps it if we die)."""
        if self._file is not None:
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
