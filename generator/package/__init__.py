"""Lambda packaging: each function's code, the shared runtime and its pinned dependencies,
as deterministic zips. Plain Python: no jsii."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from generator.config.models import WhimsyConfig
from generator.errors import UserError
from generator.package.dependencies import Platform, install
from generator.package.sources import imports_shared_runtime, shared_runtime_files, tree_files
from generator.package.zips import deterministic_zip


@dataclass(frozen=True)
class PackagedFunction:
    name: str
    archive: bytes

    @property
    def source_code_hash(self) -> str:
        """What aws_lambda_function.source_code_hash expects: base64 of the zip's SHA-256."""
        return base64.b64encode(hashlib.sha256(self.archive).digest()).decode()


def _merge(function: str, into: dict[str, bytes], extra: dict[str, bytes], what: str) -> None:
    clashes = sorted(into.keys() & extra.keys())
    if clashes:
        raise UserError(
            f"function {function}: {what} would overwrite its own file(s): {', '.join(clashes)}"
        )
    into.update(extra)


def package_function(config: WhimsyConfig, name: str, lambdas_dir: Path) -> PackagedFunction:
    function = config.functions[name]
    root = lambdas_dir / name
    files = tree_files(root)
    if imports_shared_runtime(files):
        _merge(name, files, shared_runtime_files(lambdas_dir), "the shared runtime")
    requirements = root / "requirements.txt"
    if requirements.is_file():
        platform = Platform(function.architecture, function.runtime)
        _merge(name, files, install(name, requirements, platform), "its requirements")
    return PackagedFunction(name, deterministic_zip(files))


def package_functions(config: WhimsyConfig, lambdas_dir: Path) -> dict[str, PackagedFunction]:
    return {name: package_function(config, name, lambdas_dir) for name in sorted(config.functions)}
