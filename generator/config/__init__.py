"""Load and validate whimsy_config.yaml. Plain Python: never imports the jsii runtime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from generator.config.checks import cross_checks
from generator.config.messages import problem_from_pydantic
from generator.config.models import WhimsyConfig
from generator.config.yaml_source import Positions, YamlProblems, dotted, read_yaml
from generator.errors import ConfigErrors, ConfigProblem, UserError

__all__ = ["LoadedConfig", "WhimsyConfig", "load_config", "locate", "parse_config"]


@dataclass(frozen=True)
class LoadedConfig:
    config: WhimsyConfig
    raw: bytes  # the exact bytes read, for input hashing
    path: Path


def parse_config(
    raw: bytes,
    filename: str = "whimsy_config.yaml",
    lambdas_dir: Path | None = None,
    *,
    confirmations: bool = True,
) -> WhimsyConfig:
    """Validate config bytes; raise ConfigErrors listing every problem with its position.
    confirmations=False: see checks.cross_checks."""
    try:
        document = read_yaml(raw)
    except YamlProblems as exc:
        raise ConfigErrors(filename, exc.problems) from None
    if not isinstance(document.data, dict):
        raise ConfigErrors(
            filename,
            [ConfigProblem(1, 1, "", "the document must be a mapping of sections")],
        )
    try:
        config = WhimsyConfig.model_validate(document.data)
    except ValidationError as exc:
        problems = [problem_from_pydantic(error, document.positions) for error in exc.errors()]
        raise ConfigErrors(filename, problems) from None
    findings = cross_checks(config, lambdas_dir, confirmations=confirmations)
    if findings:
        raise ConfigErrors(filename, [_place(p, m, document.positions) for p, m in findings])
    return config


def locate(raw: bytes, path: tuple[str | int, ...]) -> tuple[int, int]:
    """(line, column) of a config path (or of its nearest ancestor in the file)."""
    return read_yaml(raw).positions.locate(path, prefer_key=True)


def _place(path: tuple[str | int, ...], message: str, positions: Positions) -> ConfigProblem:
    line, column = positions.locate(path, prefer_key=True)
    return ConfigProblem(line, column, dotted(path), message)


def load_config(path: Path, *, check_lambdas: bool = True) -> LoadedConfig:
    """Read and validate the config file; lambdas/ is looked up next to it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (pass the config with -c FILE)") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a config file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied") from None
    lambdas_dir = path.parent / "lambdas" if check_lambdas else None
    return LoadedConfig(parse_config(raw, str(path), lambdas_dir), raw, path)
