"""lambdas/ and functions: must agree both ways."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]


def test_code_without_a_functions_entry_is_reported(tmp_path: Path) -> None:
    shutil.copy(REPO / "whimsy_config.yaml", tmp_path / "whimsy_config.yaml")
    shutil.copytree(REPO / "lambdas", tmp_path / "lambdas")
    (tmp_path / "lambdas/forgotten").mkdir()
    (tmp_path / "lambdas/forgotten/handler.py").write_text("def handler(e, c): ...\n")
    (tmp_path / "lambdas/.cache").mkdir()
    with pytest.raises(ConfigErrors) as failure:
        load_config(tmp_path / "whimsy_config.yaml")
    line = (REPO / "whimsy_config.yaml").read_text().splitlines().index("functions:") + 1
    assert [p.render("whimsy_config.yaml") for p in failure.value.problems] == [
        f"whimsy_config.yaml:{line}:1: functions: lambdas/forgotten/ has no entry under functions:; "
        "declare it or remove it"
    ]
