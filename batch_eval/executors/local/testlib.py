"""Problems' C++ testlib programs (interactors, checkers): compiled once per source, header and compiler
on a machine (kept in the cache folder: $BATCH_EVAL_TESTLIB_BUILDS, else
$XDG_CACHE_HOME/batch-eval/testlib, ours alone), as the judging user (trusted problem code),
against our testlib-compatible header
(`executors/sandbox/testlib/testlib.h`) or the real testlib.h a user points us at
(`--testlib PATH`, or BATCH_EVAL_TESTLIB). A source that does not compile is the problem's
fault: the reason says so with the compiler's first error line, never a verdict on a program."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from batch_eval.executors.local.languages import COMPILE_LIMITS, CXX_FLAGS, first_error, version_of
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.local.process import Command, run_command
from batch_eval.executors.testlib import HEADER_ENV, OWN_HEADER, header, header_digest, is_cpp
from batch_eval.files import default_cache_dir
from batch_eval.verdict import Verdict

__all__ = ["BUILDS", "HEADER_ENV", "OWN_HEADER", "TestlibBuilds", "header", "header_digest", "is_cpp"]


class TestlibBuilds:
    """Compiled testlib sources, by source, header and compiler: each compiled once on this
    machine (parallel checkers may race: the first finished build is kept) and looked up once
    per process, whichever lane (thread) asks first; the others wait for that lookup."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builds: dict[str, tuple[threading.Lock, list[str]]] = {}

    def build(self, source: str, cxx: str, testlib: Path, what: str = "interactor") -> tuple[str, str]:
        """(the binary's path, '') or ('', why the problem's `what` (interactor, checker) could
        not be built: "the problem's WHAT is broken: it does not compile ..." with the
        compiler's first error when the source does not compile; our fault otherwise)."""
        tool = shutil.which(cxx)
        if tool is None:
            return "", f"cannot compile the problem's C++ {what}: compiler {cxx!r} not found"
        parts = [what.encode(), source.encode("utf-8", "surrogatepass"), testlib.read_bytes(), tool.encode()]
        parts += [version_of((tool, "--version")).encode(), " ".join(CXX_FLAGS).encode()]
        key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:24]
        with self._lock:
            entry = self._builds.setdefault(key, (threading.Lock(), []))
        lock, done = entry
        with lock:
            if not done:
                done.extend(_built(source, tool, testlib, key, what))
            binary, why = done
        return binary, why


def _cache() -> Path:
    base = Path(os.environ.get("BATCH_EVAL_TESTLIB_BUILDS") or default_cache_dir() / "testlib")
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)  # trusted binaries: no program under judgment may replace one
    return base


def _built(source: str, tool: str, testlib: Path, key: str, what: str) -> tuple[str, str]:
    """The cached build `key` (made now when missing): (binary, '') or ('', why not)."""
    try:
        base = _cache()
        kept = base / key
        if not kept.is_dir():
            box = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=base))
            try:
                _compile(source, tool, testlib, box, what)
                os.rename(box, kept)
            except OSError:
                if not kept.is_dir():  # not a parallel checker's finished build: ours failed
                    raise
            finally:
                shutil.rmtree(box, ignore_errors=True)
    except OSError as exc:
        return "", f"cannot compile the problem's C++ {what}: {exc}"
    if (kept / "program").is_file():
        return str(kept / "program"), ""
    return "", (kept / "error.txt").read_text(encoding="utf-8")


def _compile(source: str, tool: str, testlib: Path, box: Path, what: str) -> None:
    """The build in `box`: `program`, or `error.txt` saying why the source does not compile
    (an OSError when the compiler could not run at all: nothing is kept)."""
    include = box / "include"
    include.mkdir()
    shutil.copyfile(testlib, include / "testlib.h")
    (box / f"{what}.cpp").write_text(source, encoding="utf-8", errors="surrogatepass")
    empty = box / "empty.in"
    empty.write_bytes(b"")
    argv = [tool, *CXX_FLAGS, "-I", str(include), "-o", "program", f"{what}.cpp"]
    ex = run_command(Command(argv, box, solution_env(box)), empty, COMPILE_LIMITS, box, "compile")
    if ex.verdict is Verdict.RE and ex.exit_code is not None:  # the compiler's own errors
        line = first_error(ex.stderr) or "compilation failed"
        why = f"the problem's {what} is broken: it does not compile with {testlib.name} ({line})"
        (box / "error.txt").write_text(why, encoding="utf-8")
    elif ex.verdict is not Verdict.AC:
        raise OSError(f"the compiler did not finish: {ex.reason or ex.verdict}")


#: one per process: every lane's executor shares its builds
BUILDS = TestlibBuilds()
