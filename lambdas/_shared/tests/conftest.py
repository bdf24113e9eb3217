"""Puts lambdas/_shared on sys.path so tests import whimsy_runtime as a Lambda zip would."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of a JSON event fixture, safe to mutate."""

    def load(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((FIXTURES / name).read_text())
        return event

    return load


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """Parses everything logged to stdout so far as JSON lines (each must parse)."""

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    return read
