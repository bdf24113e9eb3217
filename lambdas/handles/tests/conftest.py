"""The handles function's tests import its modules and the shared runtime the way the zip lays them out."""

from __future__ import annotations

import sys
from pathlib import Path

FUNCTION = Path(__file__).resolve().parents[1]
for path in (FUNCTION, FUNCTION.parent / "_shared"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
