"""Problems from Hugging Face datasets, through the optional `datasets` library (extra `hf`):

- `hf:NAME[:CONFIG][@SPLIT]`: `datasets.load_dataset(NAME, CONFIG, split=SPLIT)` — a dataset
  of the Hub (downloaded once into the Hugging Face cache), or a local folder of data files;
- `FOLDER[@SPLIT]`: a dataset saved with `save_to_disk` (`datasets.load_from_disk`).

Without @SPLIT, a dataset with splits uses `test`, else its only split. The rows are read
whole, each a problem in whichever schema it is written (sources.py).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError

PREFIX = "hf:"
_SAVED = ("dataset_info.json", "state.json", "dataset_dict.json")


def _split_off(text: str) -> tuple[str, str | None]:
    name, at, split = text.rpartition("@")
    return (name, split) if at and name else (text, None)


def _saved_folder(path: Path) -> tuple[Path, str | None] | None:
    folder, split = _split_off(str(path))
    candidate = Path(folder)
    if candidate.is_dir() and any((candidate / name).exists() for name in _SAVED):
        return candidate, split
    return None


def is_dataset(path: Path) -> bool:
    """Whether `--problems` names a dataset rather than a file."""
    return str(path).startswith(PREFIX) or _saved_folder(path) is not None


def _library() -> Any:
    try:
        import datasets
    except ImportError:
        raise BatchEvalError(
            "Hugging Face datasets need the `datasets` library: pip install 'batch-eval[hf]' "
            "(in a checkout: pip install -e '.[hf]')"
        ) from None
    return datasets


def _one_split(loaded: Any, split: str | None, where: str) -> Any:
    """The split asked for, `test`, or the only one (a plain Dataset is its own split)."""
    if not hasattr(loaded, "keys"):
        return loaded
    names = list(loaded.keys())
    choice = split or ("test" if "test" in names else names[0] if len(names) == 1 else None)
    if choice not in names:
        raise BatchEvalError(f"{where}: no split {choice!r}; name one of {', '.join(names)} as {where}@SPLIT")
    return loaded[choice]


def load(path: Path) -> Any:
    """The dataset (one split) that `path` names, loaded once per process (its rows and its
    fingerprint are both asked for by every check)."""
    return _load(str(path))


@cache
def _load(spec: str) -> Any:
    path = Path(spec)
    datasets = _library()
    saved = _saved_folder(path)
    try:
        if saved is not None:
            folder, split = saved
            return _one_split(datasets.load_from_disk(str(folder)), split, str(folder))
        named, split = _split_off(spec[len(PREFIX) :])
        name, _, config = named.partition(":") if not named.startswith("/") else (named, "", "")
        loaded = datasets.load_dataset(name, config or None, split=split)
        return _one_split(loaded, None, str(path))
    except BatchEvalError:
        raise
    except Exception as exc:
        raise BatchEvalError(f"cannot load the dataset {path}: {type(exc).__name__}: {exc}") from None


def rows(path: Path) -> list[dict[str, Any]]:
    """Every row of the dataset `path` names, as plain records."""
    table: list[dict[str, Any]] = load(path).to_list()
    return table


def fingerprint(path: Path) -> str:
    """What the dataset is now: the library's fingerprint of its content (changes with it)."""
    return hashlib.sha256(f"{path}\0{load(path)._fingerprint}".encode()).hexdigest()[:16]
