"""Solution records: streamed from JSONL, each turned into a program or a reasoned rejection."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import LANGUAGE_ALIASES, Program

BULKY_FIELDS = ("code", "raw_response")
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


@dataclass
class Record:
    """One line of a solutions file: its number, its fields, or why it cannot be used."""

    line: int
    fields: dict[str, Any]
    error: str = ""  # non-empty: the record is skipped and reported

    @property
    def problem_id(self) -> str:
        return str(self.fields.get("id", self.fields.get("problem_id", self.fields.get("task_id"))))

    def kept_fields(self) -> dict[str, Any]:
        """The record's own fields minus the bulky code, for users to join on."""
        return {k: v for k, v in self.fields.items() if k not in BULKY_FIELDS}


def read_records(path: Path, digest: Any = None) -> Iterator[Record]:
    """Stream a solutions file. Unreadable files raise; bad lines come back as error records.

    `digest` (a hashlib object) sees every byte read, so results can name the exact
    content they were judged from.
    """
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, streamed line by line
    except FileNotFoundError:
        raise BatchEvalError("solutions file not found", path) from None
    except OSError as exc:
        raise BatchEvalError(f"cannot read solutions: {exc.strerror}", path) from None
    with f:
        for line_no, raw in enumerate(f, start=1):
            if digest is not None:
                digest.update(raw)
            if not raw.strip():
                continue
            yield parse_record(raw, line_no)


def parse_record(raw: bytes, line_no: int) -> Record:
    try:
        fields = json.loads(raw)
    except UnicodeDecodeError:
        return Record(line_no, {}, "not valid UTF-8")
    except json.JSONDecodeError as exc:
        return Record(line_no, {}, f"malformed JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return Record(line_no, {}, "JSON nested too deeply")
    if not isinstance(fields, dict):
        return Record(line_no, {}, f"expected a JSON object, got {type(fields).__name__}")
    pid = fields.get("id", fields.get("problem_id", fields.get("task_id")))
    if not isinstance(pid, (str, int)) or isinstance(pid, bool) or pid == "":
        return Record(line_no, fields, "record without an `id`")
    code, raw_resp = fields.get("code"), fields.get("raw_response")
    if not isinstance(code, (str, type(None))) or not isinstance(raw_resp, (str, type(None))):
        return Record(line_no, fields, "`code` and `raw_response` must be strings")
    if "code" not in fields and "raw_response" not in fields:
        return Record(line_no, fields, "record has neither `code` nor `raw_response`")
    if record_language(fields) is None:
        return Record(line_no, fields, f"unsupported language {fields.get('language')!r}")
    return Record(line_no, fields)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def extract_program(fields: dict[str, Any]) -> Program | str:
    """The program of a record: `code`, else the last fenced block of `raw_response`.

    A string instead is why there is no program: the model produced no code, which is
    judged as a failure (CE), not skipped. The language is the record's `language`, else
    the fence's, else Python.
    """
    code = fields.get("code")
    fence_lang = ""
    if not _is_text(code):
        raw = fields.get("raw_response")
        blocks = _FENCE.findall(raw) if isinstance(raw, str) else []
        if not blocks:
            return "no code: `code` is empty and `raw_response` has no fenced code block"
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
    return LANGUAGE_ALIASES.get(str(declared).strip().lower())
