"""Lambda packages the emulator can import.

The committed zips are built for Lambda (manylinux wheels for the function's architecture and
Python), and ministack runs handlers with its own interpreter on this machine. Pure-Python
code runs unchanged; a native extension built for another platform (rpds-py's, under
jsonschema, in the catalog function) cannot be imported here. For a zip that holds one, the
local copy keeps every file of the function and of the shared runtime byte for byte and
replaces only its third-party packages: the same locked requirements.txt, installed as wheels
for the emulator's interpreter (cached in whimsy's cache, ~/.cache/whimsy/emulator-deps or
$WHIMSY_CACHE_DIR, so later runs are offline).
Zips without foreign native code are deployed exactly as committed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.package.zips import deterministic_zip

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
# what pip writes into a --target that no package needs at import time
_UNSHIPPED = {"bin", "__pycache__"}


def loadable(name: str, suffixes: Iterable[str]) -> bool:
    """Whether an interpreter with these EXTENSION_SUFFIXES imports the native module `name`.

    The import system tries `<module><suffix>` for each suffix, so the file must be a module
    name (an identifier) plus one of them: `rpds.cpython-312-aarch64-linux-gnu.so` ends in
    `.so`, but `rpds.cpython-312-aarch64-linux-gnu` is no module name.
    """
    base = name.rsplit("/", 1)[-1]
    return any(
        suffix and base.endswith(suffix) and base[: -len(suffix)].isidentifier()
        for suffix in suffixes
    )


def foreign_extensions(names: Iterable[str], suffixes: Iterable[str]) -> list[str]:
    """Archive members that are native modules an interpreter with these suffixes cannot load."""
    suffixes = tuple(suffixes)
    return sorted(n for n in names if n.endswith(NATIVE_SUFFIXES) and not loadable(n, suffixes))


def top_level(name: str) -> str:
    """'rpds/rpds.so' -> 'rpds'; 'six.py' -> 'six'; 'x-1.dist-info/METADATA' -> 'x-1.dist-info'."""
    first = name.split("/", 1)[0]
    return first if "/" in name else first.removesuffix(".py")


def _distribution(dist_info: str) -> str:
    """'rpds_py-2026.9.1.dist-info' -> 'rpds-py' (normalized, as pip names it)."""
    name = dist_info.removesuffix(".dist-info").rpartition("-")[0]
    return name.replace("_", "-").replace(".", "-").lower()


def replace_dependencies(committed: dict[str, bytes], host: dict[str, bytes]) -> dict[str, bytes]:
    """The committed files with every top-level package (and distribution metadata) that the
    host install provides taken from the host install instead."""
    provided = {top_level(name) for name in host}
    provided_dists = {_distribution(t) for t in provided if t.endswith(".dist-info")}
    kept = {
        name: data
        for name, data in committed.items()
        if top_level(name) not in provided
        and not (top_level(name).endswith(".dist-info")
                 and _distribution(top_level(name)) in provided_dists)
    }  # fmt: skip
    return {**kept, **host}


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()
                if not info.is_dir()}  # fmt: skip


def source_code_hash(data: bytes) -> str:
    """Terraform's filebase64sha256: what aws_lambda_function.source_code_hash holds."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def zip_functions(document: dict[str, Any]) -> dict[str, str]:
    """{aws_lambda_function name: zip stem} from filenames like ${path.module}/../lambdas/x.zip."""
    found = {}
    for name, body in ((document.get("resource") or {}).get("aws_lambda_function") or {}).items():
        filename = str(body.get("filename", ""))
        if filename.endswith(".zip") and "/lambdas/" in filename:
            found[name] = filename.rsplit("/", 1)[-1].removesuffix(".zip")
    return found


def _collect(target: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(target.rglob("*")):
        relative = path.relative_to(target)
        if path.is_file() and not (_UNSHIPPED & set(relative.parts)) and path.suffix != ".pyc":
            files[relative.as_posix()] = path.read_bytes()
    return files


def host_install(
    python: Path, lock: Path, suffixes: Iterable[str], cache: Path
) -> dict[str, bytes]:
    """The locked requirements installed as wheels for `python` (cached by lock + platform)."""
    key = hashlib.sha256(lock.read_bytes() + json.dumps(sorted(suffixes)).encode()).hexdigest()
    target = cache / key[:32]
    if not target.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
        try:
            result = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
                 "--disable-pip-version-check", "--no-warn-script-location",
                 "--only-binary=:all:", f"--target={staging}", "-r", str(lock)],
                capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                output = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
                raise UserError(
                    f"installing {lock} for the emulator's interpreter failed (the first run "
                    f"needs PyPI, later runs use the cache in {cache}):\n{output}"
                )
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return _collect(target)


def emulator_packages(
    document: dict[str, Any],
    zips_dir: Path,
    lambdas_dir: Path,
    python: Path,
    suffixes: Iterable[str],
    cache: Path,
    output_dir: Path,
) -> dict[str, tuple[str, str]]:
    """Rebuild, under output_dir, the zips the emulator cannot import as committed.

    Returns {aws_lambda_function name: (filename relative to the Terraform directory,
    source_code_hash)} for the override file; functions missing from it deploy as committed.
    """
    suffixes = tuple(suffixes)
    packages: dict[str, tuple[str, str]] = {}
    for name, stem in sorted(zip_functions(document).items()):
        committed = read_zip((zips_dir / f"{stem}.zip").read_bytes())
        if not foreign_extensions(committed, suffixes):
            continue
        lock = lambdas_dir / stem / "requirements.txt"
        if not lock.is_file():
            raise UserError(
                f"{zips_dir / stem}.zip holds native code built for Lambda, and {lock} (its lock, "
                "to reinstall for the emulator) is missing"
            )
        rebuilt = deterministic_zip(
            replace_dependencies(committed, host_install(python, lock, suffixes, cache))
        )
        left = foreign_extensions(read_zip(rebuilt), suffixes)
        if left:
            raise UserError(f"{stem}: native modules the emulator cannot load: {', '.join(left)}")
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / f"{stem}.zip").write_bytes(rebuilt)
        packages[name] = (
            f"${{path.module}}/../{output_dir.name}/{stem}.zip",
            source_code_hash(rebuilt),
        )
    return packages
