"""Problems' C++ testlib programs (interactors): compiled once per source in a process, as
the judging user (trusted problem code), against our testlib-compatible header
(`executors/sandbox/testlib/testlib.h`) or the real testlib.h a user points us at
(`--testlib PATH`, or BATCH_EVAL_TESTLIB). A source that does not compile is the problem's
fault: the reason says so with the compiler's first error line, never a verdict on a program."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import INTERACTOR_BROKEN
from batch_eval.executors.local.languages import COMPILE_LIMITS, CXX_FLAGS, first_error
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.local.process import Command, run_command
from batch_eval.verdict import Verdict

#: the environment variable naming a testlib.h to use instead of ours
HEADER_ENV = "BATCH_EVAL_TESTLIB"
#: our own header, shipped in the package
OWN_HEADER = Path(__file__).resolve().parents[1] / "sandbox" / "testlib" / "testlib.h"


def is_cpp(source: str) -> bool:
    """Whether a problem's interactor source is C++ (testlib's) rather than Python."""
    return "#include" in source


def header(explicit: str | None = None) -> Path:
    """The testlib.h to compile against: `explicit`, else $BATCH_EVAL_TESTLIB, else ours;
    a named one that is not a readable file is bad input (BatchEvalError)."""
    named = explicit or os.environ.get(HEADER_ENV) or ""
    if not named:
        return OWN_HEADER
    path = Path(named).expanduser()
    if path.is_dir():
        path = path / "testlib.h"
    if not (path.is_file() and os.access(path, os.R_OK)):
        origin = "--testlib" if explicit else HEADER_ENV
        raise BatchEvalError(f"{origin} {named}: no readable testlib.h there — pass the path of testlib.h")
    return path.resolve()


def header_digest(path: Path) -> str:
    """What identifies a header's content (for the verdict cache's keys)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class TestlibBuilds:
    """Compiled testlib sources of this process, by source, header and compiler: each compiled
    once, whichever lane (thread) asks first; the others wait for that build."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builds: dict[str, tuple[threading.Lock, list[str]]] = {}
        self._dir: Path | None = None

    def _folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="batch-eval-testlib-"))
            atexit.register(shutil.rmtree, self._dir, True)
        return self._dir

    def build(self, source: str, cxx: str, testlib: Path) -> tuple[str, str]:
        """(the binary's path, '') or ('', why it could not be built: INTERACTOR_BROKEN and the
        compiler's first error when the source does not compile; our fault otherwise)."""
        key = hashlib.sha256(
            b"\0".join([source.encode("utf-8", "surrogatepass"), testlib.read_bytes(), cxx.encode()])
        ).hexdigest()[:24]
        with self._lock:
            entry = self._builds.setdefault(key, (threading.Lock(), []))
            folder = self._folder()
        lock, done = entry
        with lock:
            if not done:
                done.extend(self._compile(source, cxx, testlib, folder / key))
            binary, why = done
        return binary, why

    def _compile(self, source: str, cxx: str, testlib: Path, box: Path) -> tuple[str, str]:
        tool = shutil.which(cxx)
        if tool is None:
            return "", f"cannot compile the problem's C++ interactor: compiler {cxx!r} not found"
        box.mkdir(mode=0o700)
        include = box / "include"
        include.mkdir()
        shutil.copyfile(testlib, include / "testlib.h")
        (box / "interactor.cpp").write_text(source, encoding="utf-8", errors="surrogatepass")
        empty = box / "empty.in"
        empty.write_bytes(b"")
        argv = [tool, *CXX_FLAGS, "-I", str(include), "-o", "interactor", "interactor.cpp"]
        ex = run_command(Command(argv, box, solution_env(box)), empty, COMPILE_LIMITS, box, "compile")
        if ex.verdict is Verdict.AC:
            return str(box / "interactor"), ""
        if ex.verdict is Verdict.RE and ex.exit_code is not None:  # the compiler's own errors
            line = first_error(ex.stderr) or "compilation failed"
            return "", f"{INTERACTOR_BROKEN}: it does not compile with {testlib.name} ({line})"
        return "", f"cannot compile the problem's C++ interactor: {ex.reason or ex.verdict}"


#: one per process: every lane's executor shares its builds
BUILDS = TestlibBuilds()
