"""Fixtures for the services tests; they live in services_testkit so tests can import its
constants and helpers too (conftest itself is not importable under --import-mode=importlib)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services_testkit import (  # noqa: F401
    jwks,
    pki,
    platform,
    signing_key,
    token,
    upstream,
    upstream_server,
)
