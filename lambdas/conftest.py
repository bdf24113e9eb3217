"""Functions are tested as their zips lay them out: the function's folder and the shared
runtime on the path, and its handler.py loaded under a name of its own (every function has
a handler.py, so the plain name would clash between functions)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

SHARED = Path(__file__).resolve().parent / "_shared"
if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))


REGION = "us-east-1"
FAKE_AWS = {"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}  # fmt: skip


class MockedAws:
    """What a handler test sets up inside moto: its environment and its tables."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)

    def table(self, name: str, hash_key: str = "pk", range_key: str | None = None) -> None:
        """An on-demand table with string keys, like those the generator declares."""
        import boto3

        keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind in keys],
        )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockedAws]:
    """Fake credentials and an active moto mock for the whole test."""
    from moto import mock_aws

    for key, value in FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield MockedAws(monkeypatch)


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
