"""The languages batch-eval judges, one declarative entry each, read by both executors: what
a record may call it, the file its source is written to, whether it is compiled, and the
names a Piston server lists its runtime under. How each executor builds and runs a language
lives with the executor (local/languages.py, piston/bodies.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the time a program's compile gets, on every executor (a shorter one is the server's, not CE)
COMPILE_SECONDS = 30.0


@dataclass(frozen=True)
class Language:
    name: str  # ours: what results and cache keys say
    file: str  # the source's file name (Java: the public class's name, see source_file)
    compiled: bool
    aliases: tuple[str, ...]  # what a record's `language` or a code fence may say
    piston: tuple[str, ...]  # the names (or aliases) a Piston server lists its runtime under


LANGUAGES = {
    lang.name: lang
    for lang in (
        Language("python", "main.py", False, ("python", "python3", "py", "py3"), ("python", "python3", "py")),
        Language("pypy", "main.py", False, ("pypy", "pypy3"), ("pypy", "pypy3")),
        Language("c", "main.c", True, ("c", "gcc", "c11", "c17", "gnu11"), ("c", "gcc")),
        Language(
            "cpp", "main.cpp", True, ("cpp", "c++", "cpp17", "c++17", "cxx", "g++"), ("c++", "cpp", "g++")
        ),
        Language("java", "Main.java", True, ("java", "java8", "java11", "java17", "java21"), ("java",)),
        Language("rust", "main.rs", True, ("rust", "rs", "rustc", "rust2021"), ("rust", "rs")),
        Language(
            "javascript",
            "main.js",
            False,
            ("javascript", "js", "node", "nodejs"),
            ("javascript", "js", "node-js", "node-javascript"),
        ),
    )
}

#: every name a record may give its language, to ours
LANGUAGE_ALIASES = {alias: lang.name for lang in LANGUAGES.values() for alias in (lang.name, *lang.aliases)}

_PUBLIC_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", re.M)
_MAIN_CLASS = re.compile(
    r"class\s+([A-Za-z_$][\w$]*)[^{]*\{(?:(?!\bclass\b).)*?static\s+void\s+main\s*\(", re.S
)


def java_class(source: str) -> str:
    """The class a Java program runs from: its public class (javac wants the file named after
    it), else the first class with a main method, else Main."""
    public = _PUBLIC_CLASS.search(source)
    if public:
        return public.group(1)
    main = _MAIN_CLASS.search(source)
    return main.group(1) if main else "Main"


def source_file(language: str, source: str) -> str:
    """The file name a program's source is written to."""
    if language == "java":
        return f"{java_class(source)}.java"
    return LANGUAGES[language].file


#: the JVM of a test, on every executor: one GC thread (the pids limit counts threads), a deep
#: stack as judges give, and a heap of the memory limit less the JVM's own ~40 MB ({heap_mb},
#: filled in per run), so that a program over the limit fails in the heap (OutOfMemoryError:
#: MLE) rather than thrashing against the memory cgroup
JAVA_FLAGS = ("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-Xss64m", "-Xmx{heap_mb}m")
JVM_OWN_MB = 48


def run_argv(argv: list[str], memory_mb: int) -> list[str]:
    """A compiled program's run argv with the test's memory limit filled in (Java's heap)."""
    heap = max(16, memory_mb - JVM_OWN_MB)
    return [part.replace("{heap_mb}", str(heap)) for part in argv]
