"""Zips are byte-identical whatever the checkout's mtimes, modes or umask."""

from __future__ import annotations

import os
import shutil
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from generator.config import load_config
from generator.package import package_functions
from generator.package.zips import FIXED_DATE, deterministic_zip


def checkout(repo: Path, destination: Path, *, mtime: int, umask: int, mode: int) -> Path:
    old = os.umask(umask)
    try:
        destination.mkdir(parents=True)
        shutil.copy(repo / "whimsy_config.yaml", destination / "whimsy_config.yaml")
        shutil.copytree(repo / "lambdas", destination / "lambdas", copy_function=shutil.copy)
    finally:
        os.umask(old)
    for path in (destination / "lambdas").rglob("*"):
        if path.is_file():
            path.chmod(mode)
            os.utime(path, (mtime, mtime))
    return destination / "whimsy_config.yaml"


def test_packaging_twice_from_different_checkouts_is_byte_identical(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHIMSY_CACHE_DIR", str(tmp_path / "cache"))
    first = checkout(repo, tmp_path / "a", mtime=0, umask=0o022, mode=0o644)
    second = checkout(repo, tmp_path / "b", mtime=2_000_000_000, umask=0o077, mode=0o755)
    zips_a = package_functions(load_config(first).config, first.parent / "lambdas")
    zips_b = package_functions(load_config(second).config, second.parent / "lambdas")
    assert {n: p.archive for n, p in zips_a.items()} == {n: p.archive for n, p in zips_b.items()}
    committed = {n: (repo / "out/lambdas" / f"{n}.zip").read_bytes() for n in zips_a}
    assert {n: p.archive for n, p in zips_a.items()} == committed


def test_entries_are_sorted_dated_and_plain_files() -> None:
    archive = deterministic_zip({"b.py": b"b", "a/x.py": b"x", "a.py": b"a"})
    with zipfile.ZipFile(BytesIO(archive)) as opened:
        infos = opened.infolist()
        assert [i.filename for i in infos] == ["a.py", "a/x.py", "b.py"]
        for info in infos:
            assert info.date_time == FIXED_DATE
            assert info.external_attr >> 16 == 0o100644
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.create_system == 3
        assert opened.read("a/x.py") == b"x"
    assert deterministic_zip({"a.py": b"a", "b.py": b"b"}) == deterministic_zip(
        {"b.py": b"b", "a.py": b"a"}
    )
