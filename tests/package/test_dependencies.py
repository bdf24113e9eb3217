"""Requirements are locks, installed as manylinux wheels for the function's platform."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from generator.errors import UserError
from generator.package.dependencies import Platform, install, read_lock

ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}  # e_machine: EM_AARCH64, EM_X86_64


def requirements(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


def test_lock_must_pin_every_line(tmp_path: Path) -> None:
    path = requirements(tmp_path, "# lock\nstripe==16.1.0\nrequests>=2\nidna\n")
    with pytest.raises(UserError) as failure:
        read_lock(path, "payments")
    assert str(failure.value).splitlines() == [
        "lambdas/payments/requirements.txt:3: 'requests>=2' must be pinned exactly, "
        "e.g. name==1.2.3 (the file is the function's lock)",
        "lambdas/payments/requirements.txt:4: 'idna' must be pinned exactly, "
        "e.g. name==1.2.3 (the file is the function's lock)",
    ]
    assert read_lock(requirements(tmp_path, "Charset_Normalizer==3.5.3  # x\n"), "f") == {
        "charset-normalizer": "3.5.3"
    }


def test_pip_arguments_ask_for_the_lambda_platform_only() -> None:
    arguments = Platform("arm64", "python3.12").pip_arguments()
    assert "--only-binary=:all:" in arguments
    assert "--platform=manylinux2014_aarch64" in arguments
    assert "--python-version=3.12" in arguments and "--abi=cp312" in arguments
    assert not any("x86_64" in argument for argument in arguments)


@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_native_wheels_match_the_configured_architecture(
    architecture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """charset-normalizer ships compiled extensions: the .so must be built for the target."""
    monkeypatch.setenv("WHIMSY_CACHE_DIR", str(tmp_path / "cache"))
    path = requirements(tmp_path, "charset-normalizer==3.5.3\n")
    files = install("payments", path, Platform(architecture, "python3.12"))
    libraries = {name: data for name, data in files.items() if name.endswith(".so")}
    assert libraries, sorted(files)
    for name, data in libraries.items():
        assert data[:4] == b"\x7fELF", name
        assert int.from_bytes(data[18:20], "little") == ELF_MACHINE[architecture], name
        assert ("aarch64" if architecture == "arm64" else "x86_64") in name
    assert not any(name.startswith("bin/") or name.endswith("/RECORD") for name in files)
    # cached: a second install reads the same files without pip
    monkeypatch.setattr("subprocess.run", None)
    assert install("payments", path, Platform(architecture, "python3.12")) == files


def test_transitive_packages_must_be_pinned_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHIMSY_CACHE_DIR", str(tmp_path / "cache"))
    path = requirements(tmp_path, "requests==2.34.2\n")
    with pytest.raises(UserError, match=r"must pin every package it installs \(a lock\); add: "):
        install("payments", path, Platform("arm64", "python3.12"))
    assert not list((tmp_path / "cache/deps").iterdir())  # nothing half-installed is cached


def _sdist_only_package(directory: Path) -> None:
    """A tiny package published as a source distribution only (no wheel for any platform)."""
    setup = b"from setuptools import setup\nsetup(name='tinypkg', version='0.1', py_modules=['tinypkg'])\n"
    with tarfile.open(directory / "tinypkg-0.1.tar.gz", "w:gz") as archive:
        for name, data in [("setup.py", setup), ("tinypkg.py", b"VALUE = 1\n")]:
            info = tarfile.TarInfo(f"tinypkg-0.1/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_requirement_without_a_wheel_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    _sdist_only_package(index)
    monkeypatch.setenv("WHIMSY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    path = requirements(tmp_path, "tinypkg==0.1\n")
    with pytest.raises(UserError) as failure:
        install("uploads", path, Platform("arm64", "python3.12"))
    assert str(failure.value) == (
        "function uploads: requirement 'tinypkg==0.1' has no prebuilt wheel for Linux arm64, "
        "Python 3.12 (Lambda cannot compile from source); choose a version that publishes "
        "manylinux wheels, or drop the requirement"
    )


def test_payments_zip_carries_stripe_for_arm64(repo: Path) -> None:
    with zipfile.ZipFile(repo / "out/lambdas/payments.zip") as archive:
        names = archive.namelist()
    assert "handler.py" in names
    assert any(name.startswith("stripe/") for name in names)
    assert any(name.endswith("aarch64-linux-gnu.so") for name in names)
    assert not any("x86_64" in name for name in names)
