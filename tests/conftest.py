"""Shared fixtures. Synthesis (the jsii runtime) happens once per session, and only for the
tests that ask for it; everything else runs on plain Python."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.config import WhimsyConfig, load_config
from generator.terraform_mirror import find_plugin_dir

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "whimsy_config.yaml"
MINIMAL = REPO / "tests/fixtures/minimal/whimsy_config.yaml"
# CI sets this so that a missing Terraform fails instead of skipping.
REQUIRE_TERRAFORM = os.environ.get("WHIMSY_REQUIRE_TERRAFORM") == "1"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_config() -> WhimsyConfig:
    return load_config(SAMPLE).config


@pytest.fixture(scope="session")
def minimal_config() -> WhimsyConfig:
    return load_config(MINIMAL).config


def generated_tree(config_path: Path) -> dict[str, bytes]:
    """Everything generate writes for a config (packaging + one synthesis)."""
    from generator.build import build_tree, input_fingerprint

    loaded = load_config(config_path)
    return build_tree(loaded, input_fingerprint(loaded))


def terraform_document(tree: dict[str, bytes]) -> dict[str, Any]:
    from generator.build import TERRAFORM

    document: dict[str, Any] = json.loads(tree[TERRAFORM])
    return document


@pytest.fixture(scope="session")
def sample_tree() -> dict[str, bytes]:
    return generated_tree(SAMPLE)


@pytest.fixture(scope="session")
def sample_terraform(sample_tree: dict[str, bytes]) -> dict[str, Any]:
    return terraform_document(sample_tree)


@pytest.fixture(scope="session")
def minimal_tree() -> dict[str, bytes]:
    return generated_tree(MINIMAL)


@pytest.fixture(scope="session")
def minimal_terraform(minimal_tree: dict[str, bytes]) -> dict[str, Any]:
    return terraform_document(minimal_tree)


@pytest.fixture(scope="session")
def terraform() -> tuple[str, Path]:
    """(terraform binary, provider mirror); skip on a user's machine without them, fail in CI."""
    binary = shutil.which("terraform")
    plugins = find_plugin_dir()
    if binary is None or plugins is None:
        reason = (
            "terraform is not installed"
            if binary is None
            else "no offline hashicorp/aws provider mirror found (set TF_PLUGIN_DIR)"
        )
        if REQUIRE_TERRAFORM:
            pytest.fail(f"{reason}; CI requires Terraform tests to run")
        pytest.skip(reason)
    return binary, plugins


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
