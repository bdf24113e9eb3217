"""A legacy Whimsy.Space account on its own fresh ministack (tests/adopt/legacy.py builds it
with plain boto3), and the means to generate, plan and apply a config's out/ to it exactly as
`whimsy local up` does (same override, same Terraform wrapper)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.local import emulator, override, workdir
from tests.adopt import legacy
from tests.conftest import REPO, terraform
from tests.local.conftest import ministack

__all__ = ["Account", "legacy_account", "ministack", "terraform"]

FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass
class Account:
    endpoint: str
    legacy: legacy.Legacy
    before: dict[str, Any]  # the inventory before anything whimsy did
    build_seconds: float

    def client(self, service: str, region: str | None = None, **keys: str) -> Any:
        import boto3

        credentials = keys or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return boto3.client(service, endpoint_url=self.endpoint,
                            region_name=region or legacy.REGION, **credentials)  # fmt: skip

    def inventory(self) -> dict[str, Any]:
        return legacy.inventory(self.client, self.legacy)


@pytest.fixture(scope="session")
def legacy_account(
    ministack: emulator.Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Account]:
    log = tmp_path_factory.mktemp("legacy-emulator") / "emulator.log"
    port = emulator.free_port()
    pid = emulator.start(ministack, port, legacy.REGION, log)
    try:
        emulator.wait_ready(pid, port, log)
        account = Account(emulator.endpoint(port), legacy.Legacy(), {}, 0.0)
        started = time.perf_counter()
        account.legacy = legacy.build(account.client)
        account.build_seconds = time.perf_counter() - started
        account.before = account.inventory()
        yield account
    finally:
        emulator.stop(pid)


def project(tmp: Path, config_text: str) -> Path:
    """A project directory: the config, and the repository's lambdas/ next to it."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "lambdas").symlink_to(REPO / "lambdas", target_is_directory=True)
    path = tmp / "whimsy_config.yaml"
    path.write_text(config_text, encoding="utf-8")
    return path


def sample_text(zone_id: str | None = None) -> str:
    text = (REPO / "whimsy_config.yaml").read_text(encoding="utf-8")
    return text if zone_id is None else text.replace("Z0123456789WHIMSYSPACE", zone_id)


def whimsy(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """The CLI as an operator runs it (a fresh process), against the emulator's fake keys."""
    env = {**os.environ, **FAKE_KEYS, "PYTHONPATH": str(REPO)}
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip


def deployment(out: Path, state_dir: Path, endpoint: str, zone_id: str) -> Any:
    """A Terraform working copy of out/ pointed at the emulator (as `whimsy local up` makes
    it), initialized."""
    from generator.local.lambdas import emulator_packages
    from generator.local.terraform import Terraform
    from generator.package.dependencies import cache_root

    found = emulator.locate(REPO)
    document = workdir.read_main(out)
    tf_dir = workdir.terraform_dir(state_dir)
    workdir.sync(out, state_dir)
    packages = emulator_packages(
        document, out / workdir.LAMBDAS, REPO / "lambdas", found.python,
        found.extension_suffixes, cache_root() / "emulator-deps",
        state_dir / workdir.WORK / workdir.EMULATOR_LAMBDAS,
    )  # fmt: skip
    workdir.write_json(tf_dir / override.LOCAL_OVERRIDE,
                       override.local_override(document, endpoint, zone_id, packages))  # fmt: skip
    terraform = Terraform.locate(tf_dir, state_dir)
    terraform.init()
    return terraform


def planned(terraform: Any, name: str = "plan") -> dict[str, Any]:
    """`terraform plan` then `show -json` of it."""
    terraform.run(name, "plan", "-input=false", "-no-color", f"-out={name}.tfplan")
    _, shown = terraform.run(f"{name}-show", "show", "-json", f"{name}.tfplan")
    plan: dict[str, Any] = json.loads(shown)
    return plan
