"""The local platform for the e2e tests: the committed out/ applied ONCE per session to a
fresh ministack (`python -m generator.local up`, exactly what `whimsy local up` runs), and
destroyed at the end. Without ministack or Terraform the e2e tests skip with the reason;
CI sets WHIMSY_REQUIRE_LOCAL=1 (and WHIMSY_REQUIRE_TERRAFORM=1) so that they fail instead."""

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

from generator.errors import UserError
from generator.local import emulator, state
from tests.conftest import REPO

REQUIRE_LOCAL = os.environ.get("WHIMSY_REQUIRE_LOCAL") == "1"
UP_TIMEOUT_SECONDS = 900
DEBUG_LOG = "terraform-debug.log"


def whimsy_local(
    *args: str, timeout: float = UP_TIMEOUT_SECONDS, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.local", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@dataclass
class LocalPlatform:
    state_dir: Path
    state: state.LocalState
    document: dict[str, Any]  # the committed main.tf.json that was applied
    up_seconds: float

    @property
    def endpoint(self) -> str:
        return self.state.endpoint

    @property
    def port(self) -> int:
        return self.state.port

    @property
    def platform(self) -> dict[str, Any]:
        return self.state.platform

    @property
    def terraform_dir(self) -> Path:
        return self.state_dir / "work" / "terraform"

    def client(self, service: str, **credentials: str) -> Any:
        import boto3

        keys = credentials or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.state.region,
                            **keys)  # fmt: skip


@pytest.fixture(scope="session")
def ministack() -> emulator.Emulator:
    try:
        return emulator.locate(REPO)
    except UserError as exc:
        if REQUIRE_LOCAL:
            pytest.fail(f"{exc}; CI requires the e2e tests to run")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def local_platform(
    ministack: emulator.Emulator,
    terraform: tuple[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalPlatform]:
    state_dir = tmp_path_factory.mktemp("whimsy-local")
    start = time.perf_counter()
    # The provider's debug log shows every endpoint it called (test_nothing_reached_aws).
    debug = {**os.environ, "TF_LOG": "DEBUG", "TF_LOG_PATH": str(state_dir / DEBUG_LOG)}
    up = whimsy_local("up", "--state-dir", str(state_dir), "--out", str(REPO / "out"), env=debug)
    up_seconds = time.perf_counter() - start
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        current = state.load(state_dir)
        assert current is not None and current.applied
        document = json.loads((REPO / "out/terraform/main.tf.json").read_text())
        print(f"\nwhimsy local up: {up_seconds:.1f} s, apply {current.apply_seconds} s, "
              f"{current.resources} resources")  # fmt: skip
        yield LocalPlatform(state_dir, current, document, up_seconds)
    finally:
        # Idempotent: after the destroy test this only stops the emulator.
        down = whimsy_local("down", "--state-dir", str(state_dir))
        assert down.returncode in (0, 1), down.stdout + down.stderr
