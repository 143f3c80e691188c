"""The local executor's start-up probes, remembered per boot: asked again whenever what
decides their answer changes, and never read from a memo someone else could write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batch_eval.executors.local import probes


@pytest.fixture
def memo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if os.geteuid() != 0:
        pytest.skip("the memo is kept only by root")
    folder = tmp_path / "memo"
    folder.mkdir(mode=0o755)
    monkeypatch.setattr(probes, "FOLDER", folder)
    return folder


def test_an_answer_is_remembered_and_asked_again_when_its_key_changes(memo_folder: Path) -> None:
    asked: list[str] = []

    def probe() -> int | None:
        asked.append("x")
        return 65534

    assert probes.remembered("uid", "k1", probe) == 65534
    assert probes.remembered("uid", "k1", probe) == 65534
    assert len(asked) == 1
    assert probes.remembered("uid", "k2", lambda: None) is None  # another key: asked again
    assert probes.remembered("uid", "k2", probe) is None
    assert probes.remembered("uid", "k1", lambda: None) == 65534  # another judge's answer kept beside


def test_a_memo_others_may_write_is_never_trusted(memo_folder: Path) -> None:
    probes.remembered("uid", "k", lambda: 65534)
    (memo_folder / "probes.json").chmod(0o666)  # a solution could have planted the answer
    assert probes.remembered("uid", "k", lambda: None) is None
    (memo_folder / "probes.json").chmod(0o644)
    memo_folder.chmod(0o777)
    assert probes.remembered("uid", "k", lambda: 7) == 7


def test_the_key_follows_a_permission_change_on_the_way_to_the_interpreter(tmp_path: Path) -> None:
    folder = tmp_path / "python" / "lib"
    folder.mkdir(parents=True)
    target = folder / "libpython.so"
    target.write_bytes(b"")
    before = probes.fingerprint(["python"], [str(target)])
    assert probes.fingerprint(["python"], [str(target)]) == before
    (tmp_path / "python").chmod(0o700)  # a parent folder nobody can no longer enter
    assert probes.fingerprint(["python"], [str(target)]) != before
    assert probes.fingerprint(["pypy"], [str(target)]) != probes.fingerprint(["python"], [str(target)])
