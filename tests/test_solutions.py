from pathlib import Path

from batch_eval.executors.base import Program
from batch_eval.judging.solutions import extract_program, parse_record, read_records
from tests.conftest import write_jsonl


def test_code_field_wins_over_raw_response() -> None:
    program = extract_program({"code": "print(1)", "raw_response": "```python\nprint(2)\n```"})
    assert program == Program("python", "print(1)")


def test_last_fenced_block_of_raw_response_with_its_language() -> None:
    raw = "Idea:\n```python\nprint('draft')\n```\nFinal:\n```cpp\nint main(){}\n```\nDone."
    assert extract_program({"raw_response": raw}) == Program("cpp", "int main(){}\n")
    # an explicit `language` field overrides the fence
    assert extract_program({"raw_response": raw, "language": "c++"}) == Program("cpp", "int main(){}\n")


def test_no_code_at_all_is_a_reason_not_a_program() -> None:
    reason = extract_program({"code": None, "raw_response": "I cannot solve this."})
    assert isinstance(reason, str) and "no code" in reason


def test_bad_lines_become_error_records_with_their_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"id": "1/A", "code": "print(3)"},
            "{not json",
            "[1, 2]",
            {"code": "print(1)"},
            {"id": "1/A"},
            {"id": "1/A", "code": 5},
            {"id": "1/A", "code": "x", "language": "brainfuck"},
        ],
    )
    records = list(read_records(path))
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert records[0].error == ""
    assert "malformed JSON" in records[1].error
    assert "JSON object" in records[2].error
    assert "without an `id`" in records[3].error
    assert "neither" in records[4].error
    assert "must be strings" in records[5].error
    assert "unsupported language" in records[6].error


def test_invalid_utf8_is_an_error_record() -> None:
    assert "UTF-8" in parse_record(b'{"id": "\xff"}', 3).error
