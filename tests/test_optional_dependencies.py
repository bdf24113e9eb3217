"""A command whose optional library is missing says what to install and exits 1, never
"bug in whimsy" (each run in a fresh interpreter where the library cannot be imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

BLOCKED = """
import sys
for name in {modules!r}:
    sys.modules[name] = None  # `import name` now raises ImportError, as if not installed
from generator.cli import main
sys.exit(main({argv!r}))
"""


def run_without(modules: list[str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = BLOCKED.format(modules=modules, argv=argv)
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("modules", "argv", "extra"),
    [
        (["cvc5", "cvc5.pythonic"], ["prove"], "prove"),
        (["parliament", "parliament.cli"], ["gate", "--plan-json", "missing.json"], "gate"),
        (["boto3"], ["adopt"], "adopt"),
    ],
)
def test_a_missing_optional_dependency_names_its_install_command(
    modules: list[str], argv: list[str], extra: str
) -> None:
    result = run_without(modules, argv)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"pip install -e '.[{extra}]'" in result.stderr
    assert "bug in whimsy" not in result.stderr
