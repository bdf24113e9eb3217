"""What goes into a function's zip: its code, the shared runtime when imported, nothing else."""

from __future__ import annotations

from pathlib import Path

from generator.package.sources import imports_shared_runtime, shared_runtime_files, tree_files


def test_tests_caches_and_requirements_do_not_ship(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_handler.py").write_text("def test(): pass\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__/handler.cpython-312.pyc").write_bytes(b"\0")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "requirements.txt").write_text("stripe==16.1.0\n")
    (tmp_path / "handler.py").write_text("def handler(e, c): ...\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/404.html").write_text("<h1>not here</h1>")
    assert sorted(tree_files(tmp_path)) == ["handler.py", "templates/404.html"]


def test_shared_runtime_is_detected_from_imports() -> None:
    assert imports_shared_runtime({"handler.py": b"import whimsy_runtime.http\n"})
    assert imports_shared_runtime({"handler.py": b"from whimsy_runtime import http\n"})
    assert imports_shared_runtime(
        {"lib/x.py": b"def f():\n    from whimsy_runtime.auth import x\n"}
    )
    assert not imports_shared_runtime({"handler.py": b"import json  # whimsy_runtime\n"})
    assert not imports_shared_runtime({"handler.py": b"from .whimsy_runtime import x\n"})
    assert not imports_shared_runtime({"notes.txt": b"import whimsy_runtime"})


def test_shared_runtime_files_are_the_package_only(repo: Path) -> None:
    files = shared_runtime_files(repo / "lambdas")
    assert files, "lambdas/_shared/whimsy_runtime is missing"
    assert all(name.startswith("whimsy_runtime/") for name in files)
    assert not any("/tests/" in name or name.endswith(".pyc") for name in files)
