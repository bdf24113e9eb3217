"""The jsii runtime stays out of sight: no banners, short errors, and never in validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.output.files import read_tree
from generator.stack.runtime import SynthesisError, jsii_environment


def test_failure_inside_synthesis_is_short_and_restores_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SynthesisError) as failure, jsii_environment():
        os.write(2, b"  at Kernel._Kernel_create (program.js:1:64031)\nnoise from node\n")
        raise RuntimeError("Unable to deserialize value\n  a long jsii stack follows")
    message = str(failure.value)
    assert message.startswith("synthesis failed: RuntimeError: Unable to deserialize value")
    assert "a long jsii stack" not in message
    assert "noise from node" in message  # the runtime's last words, for the bug report
    os.write(2, b"visible again\n")
    assert "visible again" in capfd.readouterr().err


@pytest.mark.synth
def test_generate_with_the_machines_default_node_prints_no_banner(
    repo: Path, tmp_path: Path
) -> None:
    """Node 20 makes jsii print a large end-of-life banner; users must not see it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on PATH")
    env = {**os.environ, "JSII_NODE": node}
    for key in [k for k in env if k.startswith("JSII_SILENCE")]:
        del env[key]
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "-c", str(repo / "whimsy_config.yaml"),
         "-o", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    files = len(read_tree(repo / "out"))
    assert result.stdout.strip() == f"{tmp_path / 'out'}: {files} files, {files} changed"
