"""Which files of lambdas/ go into a function's zip."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED_DIR = "_shared"
SHARED_PACKAGE = "whimsy_runtime"
# Never shipped: tests, caches, build metadata, the dependency list itself.
EXCLUDED_DIRS = {"tests", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
EXCLUDED_FILES = {"requirements.txt", "conftest.py"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


def shipped(relative: Path) -> bool:
    """Whether a file of lambdas/ goes into a zip (path relative to lambdas/ or a function)."""
    if any(part in EXCLUDED_DIRS or part.startswith(".") for part in relative.parts):
        return False
    return relative.name not in EXCLUDED_FILES and not relative.name.endswith(EXCLUDED_SUFFIXES)


def tree_files(root: Path) -> dict[str, bytes]:
    """{posix path relative to root: bytes} for the files that ship."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and shipped(relative):
            files[relative.as_posix()] = path.read_bytes()
    return files


def imports_shared_runtime(files: dict[str, bytes]) -> bool:
    """Whether the function's Python code imports the shared runtime package."""
    for name, content in files.items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(content, filename=name)):
            if isinstance(node, ast.Import) and any(
                alias.name.split(".")[0] == SHARED_PACKAGE for alias in node.names
            ):
                return True
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").split(".")[0] == SHARED_PACKAGE
            ):
                return True
    return False


def shared_runtime_files(lambdas_dir: Path) -> dict[str, bytes]:
    root = lambdas_dir / SHARED_DIR
    files = tree_files(root)
    return {name: value for name, value in files.items() if name.startswith(SHARED_PACKAGE + "/")}
