"""Solution records: streamed from JSONL (or gzipped JSONL, or a JSON list), each turned into a
program or a reasoned rejection."""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from batch_eval.errors import BatchEvalError, json_error
from batch_eval.executors.base import Program
from batch_eval.executors.languages import LANGUAGE_ALIASES

#: where a record names its problem, first found wins (ours, open-r1, HumanEval/EvalPlus, LiveCodeBench)
ID_FIELDS = ("id", "problem_id", "task_id", "question_id")
#: where a record holds its program, first found wins: ours and open-r1 (`code`), EvalPlus
#: (`solution`: the whole program), HumanEval's samples (`completion`: what follows the
#: prompt; a function problem's prompt is put before it), a model's raw answer (`raw_response`:
#: its last fenced code block). LiveCodeBench's `code_list` (and, without it, its raw
#: `output_list`) is read as one record per element, as is TACO's `output`. Other files say where with
#: --code-field and --id-field (Shape).
PROGRAM_FIELDS = ("code", "solution", "completion", "raw_response")
LISTS = ("code_list", "output_list")
BULKY_FIELDS = (*PROGRAM_FIELDS, *LISTS, "generation")
#: what a results line says of a record (judging/records.py, check.py); a record's own field of
#: one of these names is kept under another (Record.kept_fields)
RESULT_FIELDS = (
    "line",
    "verdict",
    "passed",
    "reason",
    "tests",
    "error",
    "limits",
    "isolation",
    "program_sha256",
    "cached",
    "compile_output",
    "parts",
    "ie_attempts",
)
SAMPLE_INDEX = "code_list_index"  # which element of its line's code_list (output_list) a record is
#: TACO's generations (`{"task_id": ROW, "output": [programs]}`) name their problem by its row
#: in the problems file (0-based), as TACO's compute_metric pairs them; the row is kept here
#: until the check gives the record that row's problem id (problems.ProblemSet.id_at)
PROBLEM_ROW = "problems_row"
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Shape:
    """Where the records of a file keep their problem id and their program when not in the
    usual fields (--id-field, --code-field). A code field's text is the program, or, when it
    holds a fenced block, a raw answer whose last fenced block is."""

    id_field: str | None = None
    code_field: str | None = None


@dataclass
class Record:
    """One line of a solutions file: its number, its fields, or why it cannot be used."""

    line: int
    fields: dict[str, Any]
    error: str = ""  # non-empty: the record is skipped and reported

    @property
    def problem_id(self) -> str:
        return str(record_id(self.fields))

    @property
    def key(self) -> tuple[int, int]:
        """What names this record in a results file: its line, and which element of the
        line's `code_list` it is (0 for a line with one program)."""
        return self.line, int(self.fields.get(SAMPLE_INDEX) or 0)

    def kept_fields(self) -> dict[str, Any]:
        """The record's own fields minus the bulky code, for users to join on; one named as a
        field the results line writes is kept as `record_<name>` (codeforces-submissions'
        `verdict`, Codeforces' own, beside ours)."""
        # codeforces-cots' `messages` are its `prompt` and `generation` again
        bulky = (*BULKY_FIELDS, "messages") if "generation" in self.fields else BULKY_FIELDS
        kept = {k: v for k, v in self.fields.items() if k not in bulky}
        return {(f"record_{k}" if k in RESULT_FIELDS else k): v for k, v in kept.items()}


def record_id(fields: dict[str, Any]) -> Any:
    """The problem id a record (or its results line) names: the first of ID_FIELDS present."""
    return _first(fields, ID_FIELDS)


def result_key(line: dict[str, Any]) -> tuple[int, int]:
    """The Record.key of the record a results line was written for."""
    return int(line["line"]), int(line.get(SAMPLE_INDEX) or 0)


def read_records(path: Path, digest: Any = None, shape: Shape = Shape()) -> Iterator[Record]:
    """Stream a solutions file: JSONL (a record a line), gzipped JSONL (`.jsonl.gz`), or a
    JSON list (`.json`: item N is "line" N; a `.json` of JSONL lines is read as JSONL).
    Unreadable files raise; bad records come back as error records.

    `digest` (a hashlib object) sees every byte of the file as stored, so results can name
    the exact content they were judged from.
    """
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, streamed line by line
    except FileNotFoundError:
        raise BatchEvalError("solutions file not found", path) from None
    except OSError as exc:
        raise BatchEvalError(f"cannot read solutions: {exc.strerror}", path) from None
    with f:
        stored: BinaryIO = io.BufferedReader(_Hashing(f, digest), 1 << 16) if digest is not None else f
        if path.name.endswith(".json") and _holds_list(stored):
            yield from _json_list(stored, path, shape)
            return
        lines: BinaryIO = stored
        if path.name.endswith(".gz"):
            lines = gzip.GzipFile(fileobj=stored, mode="rb")  # type: ignore[assignment]
        try:
            for line_no, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue
                yield from samples(parse_record(raw, line_no, shape))
        except (OSError, EOFError) as exc:  # gzip: not gzip, or cut short
            raise BatchEvalError(f"cannot read solutions: {exc}", path) from None
        stored.read()  # the digest names the whole file


def _holds_list(f: BinaryIO) -> bool:
    """Whether a .json file is one JSON list (else JSONL lines under a .json name), told by
    its first character that is not blank, without consuming anything."""
    head = f.peek(4096)[:4096] if hasattr(f, "peek") else b"["
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def count_records(path: Path) -> int:
    """How many records a solutions file holds (its non-blank lines; a JSON list's items),
    read without parsing them; 0 when it cannot be read (reading it for real says why)."""
    try:
        if (
            path.name.endswith(".json")
            and path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["
        ):
            items = json.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
            return sum(_samples_in(json.dumps(i).encode()) for i in items) if isinstance(items, list) else 0
        opener: Any = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as f:
            return sum(_samples_in(line) for line in f if line.strip())
    except (OSError, ValueError, EOFError):
        return 0


def _samples_in(line: bytes) -> int:
    """A line's records: one, or each element of its `code_list` or `output_list` (parsed
    only then)."""
    if b'"code_list"' not in line and b'"output_list"' not in line and b'"output"' not in line:
        return 1
    try:
        fields = json.loads(line)
        _known_shapes(fields)
        items = fields.get(_list_field(fields) or "")
    except (ValueError, AttributeError):
        return 1
    return len(items) if isinstance(items, list) and items else 1


class _Hashing(io.RawIOBase):
    """A file read through, every byte also given to `digest`."""

    def __init__(self, f: BinaryIO, digest: Any) -> None:
        self.f = f
        self.digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.f.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _json_list(f: BinaryIO, path: Path, shape: Shape) -> Iterator[Record]:
    """The records of a file holding one JSON list (read whole: lists are for small files)."""
    try:
        items = json.loads(f.read().removeprefix(b"\xef\xbb\xbf"))
    except UnicodeDecodeError as exc:
        raise BatchEvalError(f"not a JSON list of solutions: {exc}", path) from None
    except json.JSONDecodeError as exc:  # where the editor shows it: the line, its column
        raise BatchEvalError(f"not a JSON list of solutions: {json_error(exc)}", path, exc.lineno) from None
    if not isinstance(items, list):
        raise BatchEvalError("a .json solutions file must hold a list of records", path)
    for n, item in enumerate(items, start=1):
        yield from samples(parse_record(json.dumps(item).encode(), n, shape))


def parse_record(raw: bytes, line_no: int, shape: Shape = Shape()) -> Record:
    try:
        fields = json.loads(raw.rstrip(b"\r\n"))  # an error at the line's end is on this line
    except UnicodeDecodeError:
        return Record(line_no, {}, "not valid UTF-8")
    except json.JSONDecodeError as exc:
        return Record(line_no, {}, f"malformed JSON ({json_error(exc)})")
    except RecursionError:
        return Record(line_no, {}, "JSON nested too deeply")
    if not isinstance(fields, dict):
        return Record(line_no, {}, f"expected a JSON object, got {type(fields).__name__}")
    for name, flag in ((shape.id_field, "--id-field"), (shape.code_field, "--code-field")):
        if name is not None and name not in fields:
            return Record(line_no, fields, f"record has no `{name}` ({flag})")
    if shape.id_field is not None:
        fields["id"] = fields[shape.id_field]
    if shape.code_field is not None:
        text = fields[shape.code_field]
        if not isinstance(text, (str, type(None))):
            return Record(line_no, fields, f"`{shape.code_field}` (--code-field) must be a string")
        fields["raw_response" if text and _FENCE.search(text) else "code"] = text
    _known_shapes(fields)
    pid = record_id(fields)
    if not isinstance(pid, (str, int)) or isinstance(pid, bool) or pid == "":
        return Record(line_no, fields, f"record without an id ({', '.join(f'`{f}`' for f in ID_FIELDS)})")
    listed = _list_field(fields)
    if listed is not None:
        items = fields[listed]
        if not isinstance(items, list) or not all(isinstance(c, (str, type(None))) for c in items):
            return Record(line_no, fields, f"`{listed}` must be a list of strings")
    elif not any(f in fields for f in PROGRAM_FIELDS):
        names = ", ".join(f"`{f}`" for f in (*PROGRAM_FIELDS, *LISTS))
        return Record(line_no, fields, f"record has no program (none of {names}; or say which: --code-field)")
    if any(not isinstance(fields.get(f), (str, type(None))) for f in PROGRAM_FIELDS):
        return Record(line_no, fields, f"{', '.join(f'`{f}`' for f in PROGRAM_FIELDS)} must be strings")
    if record_language(fields) is None:
        return Record(line_no, fields, f"unsupported language {fields.get('language')!r}")
    fenced = _unsupported_fence(fields)
    if fenced:
        return Record(line_no, fields, f"unsupported language {fenced!r} (the fence of its code block)")
    return Record(line_no, fields)


def _known_shapes(fields: dict[str, Any]) -> None:
    """open-r1's other sets, read in place: codeforces-cots' `generation` (a model's whole
    answer: its last fenced block is the program) and codeforces-submissions' `source` with
    its `programmingLanguage` (Codeforces' name of the compiler)."""
    if "generation" in fields and not any(f in fields for f in (*PROGRAM_FIELDS, *LISTS)):
        fields["raw_response"] = fields["generation"]
    if "programmingLanguage" in fields and "source" in fields and "code" not in fields:
        fields["code"] = fields.pop("source")
        fields.setdefault("language", fields["programmingLanguage"])
    if _is_taco(fields):
        fields["code_list"] = fields.pop("output")
        fields[PROBLEM_ROW] = int(fields["task_id"])


def _is_taco(fields: dict[str, Any]) -> bool:
    """A line of TACO's generation.json: its row's `task_id` and the programs in `output`."""
    row = fields.get("task_id")
    a_row = (isinstance(row, str) and row.isdigit()) or (isinstance(row, int) and not isinstance(row, bool))
    listed = isinstance(fields.get("output"), list)
    return listed and a_row and not any(f in fields for f in (*PROGRAM_FIELDS, *LISTS))


def _list_field(fields: dict[str, Any]) -> str | None:
    """The field holding a line's samples: `code_list`, else LiveCodeBench's raw `output_list`."""
    return next((name for name in LISTS if name in fields), None)


def _unsupported_fence(fields: dict[str, Any]) -> str:
    """The language tag of the fenced block a record's program would come from, when it names
    a language we cannot run ('' when it names none, one we run, or the program is not
    fenced): judging it as Python would make a CE of our own limitation."""
    if fields.get("language") or any(_is_text(fields.get(f)) for f in PROGRAM_FIELDS if f != "raw_response"):
        return ""
    raw = fields.get("raw_response")
    blocks = _FENCE.findall(raw) if isinstance(raw, str) else []
    tag = blocks[-1][0].lower() if blocks else ""
    return tag if tag and tag not in LANGUAGE_ALIASES else ""


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((fields[name] for name in names if name in fields), None)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def samples(record: Record) -> Iterator[Record]:
    """A record, or one record per element of its `code_list` (LiveCodeBench's samples of
    one problem; its raw `output_list` without one), each with `code` (`raw_response`) and
    its index (SAMPLE_INDEX, kept in its results line)."""
    listed = _list_field(record.fields)
    items = record.fields.get(listed) if listed else None
    if record.error or not isinstance(items, list):
        yield record
        return
    rest = {k: v for k, v in record.fields.items() if k not in LISTS}
    target = "code" if listed == "code_list" else "raw_response"
    for i, text in enumerate(items):
        sample = Record(record.line, {**rest, target: text or "", SAMPLE_INDEX: i})
        fenced = _unsupported_fence(sample.fields)
        if fenced:
            sample.error = f"unsupported language {fenced!r} (the fence of its code block)"
        yield sample


def extract_program(fields: dict[str, Any]) -> Program | str:
    """The program of a record: the first of `code`, `solution`, `completion` that holds
    text, else the last fenced block of `raw_response`.

    A string instead is why there is no program: the model produced no code, which is
    judged as a failure (CE), not skipped. The language is the record's `language`, else
    the fence's, else Python.
    """
    code = next((fields[f] for f in PROGRAM_FIELDS if f != "raw_response" and _is_text(fields.get(f))), None)
    fence_lang = ""
    if code is None:
        raw = fields.get("raw_response")
        blocks = _FENCE.findall(raw) if isinstance(raw, str) else []
        if not blocks:
            return "no code: the record's program is empty and `raw_response` has no fenced code block"
        fence_lang, code = blocks[-1]
    language = LANGUAGE_ALIASES.get(fence_lang.lower(), "python")
    if fields.get("language"):
        language = record_language(fields) or language
    return Program(language, str(code))


def record_language(fields: dict[str, Any]) -> str | None:
    """The record's declared language, normalised; None when it names one we cannot run."""
    declared = fields.get("language")
    if declared is None or declared == "":
        return "python"
    name = str(declared).strip().lower()
    return LANGUAGE_ALIASES.get(name) or next((lang for part, lang in _COMPILERS if part in name), None)


#: Codeforces' compiler names (`GNU C++17 (64)`, `PyPy 3-64`, `Java 21`, ...) by what they
#: contain, first match wins
_COMPILERS = (
    ("pypy", "pypy"),
    ("python", "python"),
    ("c++", "cpp"),
    ("javascript", "javascript"),
    ("node", "javascript"),
    ("java", "java"),
    ("rust", "rust"),
    ("gnu c", "c"),
)
