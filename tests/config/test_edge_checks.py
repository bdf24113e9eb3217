"""Edge and API mistakes are reported before synthesis, at the line that causes them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]
SAMPLE = (REPO / "whimsy_config.yaml").read_text()


def problems(tmp_path: Path, old: str, new: str) -> list[str]:
    assert SAMPLE.count(old) == 1, old
    (tmp_path / "whimsy_config.yaml").write_text(SAMPLE.replace(old, new))
    shutil.copytree(REPO / "lambdas", tmp_path / "lambdas")
    with pytest.raises(ConfigErrors) as failure:
        load_config(tmp_path / "whimsy_config.yaml")
    return [p.render("whimsy_config.yaml") for p in failure.value.problems]


def line_of(text: str) -> int:
    return SAMPLE.splitlines().index(text) + 1


def test_invalid_websocket_route_name(tmp_path: Path) -> None:
    old = '    routes: [join, op]               # selected by the message\'s "action"'
    line = line_of(old)
    assert problems(tmp_path, old, "    routes: [join, $op]") == [
        f"whimsy_config.yaml:{line}:20: realtime.websocket.routes[1]: '$op' is not a route "
        "name: letters, digits, _ and -, starting with a letter ($connect, $disconnect and "
        "$default are built in)"
    ]


def test_duplicate_websocket_route(tmp_path: Path) -> None:
    old = '    routes: [join, op]               # selected by the message\'s "action"'
    line = line_of(old)
    assert problems(tmp_path, old, "    routes: [join, op, join]") == [
        f"whimsy_config.yaml:{line}:24: realtime.websocket.routes[2]: route 'join' is listed twice"
    ]


def test_legacy_site_needs_public_folders(tmp_path: Path) -> None:
    old = '    - path: "{identity}/public/*"\n      anyone: [read]\n'
    new = '    - path: "{identity}/public/*"\n      owner: [read]\n'
    found = problems(tmp_path, old, new)
    assert any(
        "sites.legacy_user_sites[0]: serves the user's public folder, but no folder rule lets "
        "anyone read '{identity}/public/*'" in p
        for p in found
    ), found


def test_websocket_management_needs_a_websocket_api(tmp_path: Path) -> None:
    head = SAMPLE[: SAMPLE.index("realtime:\n")]
    (tmp_path / "whimsy_config.yaml").write_text(head + "realtime: {}\n")
    shutil.copytree(REPO / "lambdas", tmp_path / "lambdas")
    with pytest.raises(ConfigErrors) as failure:
        load_config(tmp_path / "whimsy_config.yaml")
    found = [p.render("whimsy_config.yaml") for p in failure.value.problems]
    line = SAMPLE.splitlines().index("      websocket_management: true") + 1
    assert found == [
        f"whimsy_config.yaml:{line}:7: functions.collab.access.websocket_management: there is "
        "no WebSocket API to manage; declare realtime.websocket"
    ]
