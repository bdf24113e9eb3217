"""The out/ writer: atomic writes, fixed modes, stale removal, ownership of files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator.output.files import diff_trees, read_tree, render_json, write_tree


def test_render_json_is_canonical() -> None:
    assert render_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}\n'.encode()


def test_write_tree_sets_exact_content_and_mode(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_tree(tmp_path, {"a/b.json": b"1", "c.json": b"2"})
    finally:
        os.umask(old)
    assert read_tree(tmp_path) == {"a/b.json": b"1", "c.json": b"2"}
    assert stat.S_IMODE((tmp_path / "a/b.json").stat().st_mode) == 0o644
    assert not list(tmp_path.rglob("*.tmp"))


def test_write_tree_removes_stale_files_and_empty_folders(tmp_path: Path) -> None:
    write_tree(tmp_path, {"gone/x.json": b"1", "kept.json": b"2"})
    (tmp_path / "backend_override.tf.json").write_text("{}")
    difference = write_tree(tmp_path, {"kept.json": b"3"})
    assert difference.extra == ["gone/x.json"] and difference.changed == ["kept.json"]
    assert not (tmp_path / "gone").exists()
    assert (tmp_path / "backend_override.tf.json").exists()  # local overrides are not ours


def test_diff_trees() -> None:
    difference = diff_trees({"a": b"1", "b": b"2"}, {"a": b"0", "c": b"3"})
    assert (difference.changed, difference.missing, difference.extra) == (["a"], ["b"], ["c"])
    assert diff_trees({"a": b"1"}, {"a": b"1"}).clean
