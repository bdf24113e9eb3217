"""What `whimsy local up` started, kept in .whimsy-local/state.json for `status` and `down`.

The emulator keeps everything in memory: its process is the platform. A state file whose
process is gone describes nothing, and the next `up` starts from scratch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"


@dataclass
class LocalState:
    pid: int
    port: int
    endpoint: str
    log: str
    region: str
    zone_id: str = ""
    applied: bool = False
    apply_seconds: float | None = None
    resources: int = 0
    demo: dict[str, str] = field(default_factory=dict)
    platform: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LocalState:
        data = json.loads(text)
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


def path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def load(state_dir: Path) -> LocalState | None:
    try:
        return LocalState.from_json(path(state_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        return None  # unreadable: treat as absent; `up` writes a fresh one


def save(state_dir: Path, state: LocalState) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    target = path(state_dir)
    staging = target.with_suffix(".tmp")
    staging.write_text(state.to_json(), encoding="utf-8")
    staging.replace(target)  # atomic: never half a state file


def remove(state_dir: Path) -> None:
    path(state_dir).unlink(missing_ok=True)
