"""A generated tree is a mapping of relative POSIX paths to bytes; write and compare it."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Tree = dict[str, bytes]

# Files Terraform or a local run leave in out/ that generate must neither own nor delete.
UNOWNED_NAMES = {".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup"}
UNOWNED_SUFFIXES = ("override.tf.json", "override.tf")


def render_json(value: Any) -> bytes:
    """The one JSON style of out/: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _owned(relative: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return False
    return relative.name not in UNOWNED_NAMES and not relative.name.endswith(UNOWNED_SUFFIXES)


def read_tree(root: Path) -> Tree:
    """The files generate owns under root (dot-folders and Terraform's own files excluded)."""
    if not root.is_dir():
        return {}
    tree: Tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and _owned(relative):
            tree[relative.as_posix()] = path.read_bytes()
    return tree


@dataclass(frozen=True)
class TreeDiff:
    changed: list[str]
    missing: list[str]
    extra: list[str]

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.extra)

    def render(self, root: str) -> str:
        lines = [f"  changed: {root}/{p}" for p in self.changed]
        lines += [f"  missing: {root}/{p}" for p in self.missing]
        lines += [f"  stale:   {root}/{p} (generate would remove it)" for p in self.extra]
        return "\n".join(lines)


def diff_trees(expected: Tree, actual: Tree) -> TreeDiff:
    return TreeDiff(
        changed=sorted(p for p in expected.keys() & actual.keys() if expected[p] != actual[p]),
        missing=sorted(expected.keys() - actual.keys()),
        extra=sorted(actual.keys() - expected.keys()),
    )


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)  # the same mode whatever the umask
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_tree(root: Path, tree: Tree) -> TreeDiff:
    """Make root hold exactly tree (for the files generate owns); return what changed."""
    current = read_tree(root)
    difference = diff_trees(tree, current)
    for relative in difference.changed + difference.missing:
        _atomic_write(root / relative, tree[relative])
    for relative in difference.extra:
        (root / relative).unlink()
    for directory in sorted({(root / p).parent for p in difference.extra}, reverse=True):
        while directory != root and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent
    return difference
