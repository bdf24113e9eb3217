"""Third-party requirements, installed for the Lambda platform (never the build machine).

requirements.txt must be a lock: every package pinned with ==, transitive ones included, so
that the same file always means the same bytes. pip installs only prebuilt wheels for the
function's architecture and Python version; a requirement without one is an error. Installs
are cached by (requirements, platform), which a lock makes a key of the resolved content.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UserError

# Amazon Linux 2023 (the python3.12+ runtimes) has glibc 2.34: any manylinux up to that runs.
MANYLINUX = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
PIP_ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([A-Za-z0-9.+!_-]+)$")
# Written by pip into the target: scripts with this machine's interpreter path, and records
# of them. Lambda needs none of it.
UNSHIPPED_PARTS = {"bin", "__pycache__"}
UNSHIPPED_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


@dataclass(frozen=True)
class Platform:
    architecture: str  # arm64 | x86_64
    runtime: str  # python3.12 ...

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    def pip_arguments(self) -> list[str]:
        arch = PIP_ARCH[self.architecture]
        platforms = [f"--platform={tag}_{arch}" for tag in MANYLINUX]
        abi = "cp" + self.python_version.replace(".", "")
        return [*platforms, "--implementation=cp", f"--python-version={self.python_version}",
                f"--abi={abi}", "--abi=abi3", "--abi=none", "--only-binary=:all:"]  # fmt: skip

    def describe(self) -> str:
        return f"Linux {self.architecture}, Python {self.python_version}"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path, function: str) -> dict[str, str]:
    """{normalized name: version} from requirements.txt; unpinned lines are an error."""
    pins: dict[str, str] = {}
    problems = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line.replace(" ", ""))
        if match is None:
            problems.append(
                f"lambdas/{function}/requirements.txt:{number}: '{line}' must be pinned "
                "exactly, e.g. name==1.2.3 (the file is the function's lock)"
            )
            continue
        pins[normalize(match.group(1))] = match.group(3)
    if problems:
        raise UserError("\n".join(problems))
    return pins


def cache_root() -> Path:
    configured = os.environ.get("WHIMSY_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whimsy"


def cache_key(pins: dict[str, str], platform: Platform) -> str:
    text = "\n".join(f"{n}=={v}" for n, v in sorted(pins.items()))
    text += f"\n{platform.architecture}\n{platform.runtime}\n{' '.join(MANYLINUX)}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def _installed(target: Path) -> dict[str, str]:
    found = {}
    for info in target.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        found[normalize(name)] = version
    return found


def _pip_failure(function: str, output: str, platform: Platform) -> UserError:
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        return UserError(
            f"function {function}: requirement '{missing.group(1)}' has no prebuilt wheel for "
            f"{platform.describe()} (Lambda cannot compile from source); choose a version that "
            "publishes manylinux wheels, or drop the requirement"
        )
    tail = "\n".join(output.strip().splitlines()[-5:])
    return UserError(f"function {function}: installing requirements failed:\n{tail}")


def install(function: str, requirements: Path, platform: Platform) -> dict[str, bytes]:
    """The installed files of a locked requirements.txt for the platform, from the cache."""
    pins = read_lock(requirements, function)
    if not pins:
        return {}
    target = cache_root() / "deps" / cache_key(pins, platform)
    if not target.is_dir():
        _install_into(function, requirements, pins, platform, target)
    return _collect(target)


def _install_into(
    function: str, requirements: Path, pins: dict[str, str], platform: Platform, target: Path
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
    try:
        command = [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"),
            *("--disable-pip-version-check", "--no-warn-script-location", f"--target={staging}"),
            *platform.pip_arguments(),
            *("-r", str(requirements)),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise _pip_failure(function, result.stdout + result.stderr, platform)
        unpinned = {n: v for n, v in _installed(staging).items() if n not in pins}
        if unpinned:
            lines = ", ".join(f"{n}=={v}" for n, v in sorted(unpinned.items()))
            raise UserError(
                f"lambdas/{function}/requirements.txt must pin every package it installs "
                f"(a lock); add: {lines}"
            )
        os.replace(staging, target)  # atomic: a cache entry is complete or absent
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _collect(target: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(target.rglob("*")):
        relative = path.relative_to(target)
        if not path.is_file() or UNSHIPPED_PARTS & set(relative.parts):
            continue
        if relative.parts[0].endswith(".dist-info") and relative.name in UNSHIPPED_METADATA:
            continue
        if relative.suffix in (".pyc", ".pyo"):
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files
