"""Functions are tested as their zips lay them out: the function's folder and the shared
runtime on the path, and its handler.py loaded under a name of its own (every function has
a handler.py, so the plain name would clash between functions)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

SHARED = Path(__file__).resolve().parent / "_shared"
if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))


@pytest.fixture
def load_handler(request: pytest.FixtureRequest) -> Callable[[], ModuleType]:
    """A fresh import of the calling test's function (fresh caches and clients)."""
    function = Path(str(request.path)).resolve().parents[1]
    if str(function) not in sys.path:
        sys.path.insert(0, str(function))

    def load() -> ModuleType:
        from whimsy_runtime import aws, identity

        aws.reset_clients()  # every test case starts against its own fresh mock
        identity._default = identity.IdentityResolver()
        name = "handler_" + function.name.replace("-", "_")
        spec = importlib.util.spec_from_file_location(name, function / "handler.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    return load
