"""The house's rule: a package imports only from its own layer or the ones below it, and the
code that runs inside a sandbox imports only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "batch_eval"

#: bottom to top; a module belongs to the first entry its dotted name starts with
LAYERS = [
    (
        "core",
        (
            "batch_eval.errors",
            "batch_eval.files",
            "batch_eval.identity",
            "batch_eval.text",
            "batch_eval.verdict",
            "batch_eval.version",
        ),
    ),
    ("executors", ("batch_eval.executors",)),
    ("judging", ("batch_eval.config", "batch_eval.judging")),
    ("batch", ("batch_eval.batch",)),
    ("reporting", ("batch_eval.reporting",)),
    ("top", ("batch_eval.cli", "batch_eval.api", "batch_eval.__main__", "batch_eval")),
]
SANDBOX = "batch_eval.executors.sandbox"


def layer(module: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} belongs to no layer")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from batch_eval.judging import cache` imports the module batch_eval.judging.cache
            found += [
                (node.lineno, f"{node.module}.{alias.name}")
                for alias in node.names
                if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/"))
                .with_suffix(".py")
                .exists()
            ]
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name.startswith(SANDBOX):
            continue
        for line, target in imports(path):
            if target.startswith("batch_eval") and target != "batch_eval" and layer(target) > layer(name):
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {LAYERS[layer(name)][0]} imports "
                    f"{target} ({LAYERS[layer(target)][0]})"
                )
    assert wrong == []


def test_the_sandbox_side_imports_only_the_standard_library() -> None:
    """The sandbox programs import the standard library and their siblings only, and every
    sibling they import travels with them (copied beside the fork server, sent with the
    launcher), else a solution's run would fail to start."""
    from batch_eval.executors.local.forkserver import SANDBOX_PROGRAM
    from batch_eval.executors.piston.bodies import LAUNCHER_FILES

    folder = PACKAGE / "executors" / "sandbox"
    siblings = {path.stem for path in folder.glob("*.py")}
    shipped = {
        "zygote.py": {p.name for p in SANDBOX_PROGRAM},
        "launcher.py": {f["name"] for f in LAUNCHER_FILES},
    }
    for path in sorted(folder.glob("*.py")):
        for line, target in imports(path):
            top = target.split(".")[0]
            if top in siblings:
                assert f"{top}.py" in shipped.get(path.name, set()), (
                    f"{path.name}:{line}: {top} is not shipped"
                )
                continue
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name}:{line}: imports {target}"
            )


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer(module_name(path))


def test_the_two_executors_know_nothing_of_each_other() -> None:
    """Shared rules (the verdict of a raw outcome) live in executors/, not in one of them."""
    for mine, other in (("local", "piston"), ("piston", "local")):
        for path in sorted((PACKAGE / "executors" / mine).glob("*.py")):
            for line, target in imports(path):
                assert not target.startswith(f"batch_eval.executors.{other}"), f"{path.name}:{line}: {target}"
