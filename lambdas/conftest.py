"""Functions are tested as their zips lay them out: the function's folder and the shared
runtime on the path, and its handler.py loaded under a name of its own (every function has
a handler.py, so the plain name would clash between functions).

Two backends: moto (in process, fast, `aws`) for everything deterministic, and the local
emulator's DynamoDB (`emulated_aws`) for the exactly-once promises under real concurrency.
moto does not apply a condition check and its write atomically across threads, so a race
against it measures moto; the emulator serves one request at a time (see
lambdas/_shared/tests/test_atomic_backend.py, which checks that it does)."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / "lambdas" / "_shared"
if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))


REGION = "us-east-1"
# CI sets this so that a missing emulator fails the concurrency tests instead of skipping them.
REQUIRE_LOCAL = os.environ.get("WHIMSY_REQUIRE_LOCAL") == "1"
FAKE_AWS = {"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}  # fmt: skip


class MockedAws:
    """What a handler test sets up in its backend (moto or the emulator): its environment and
    its tables."""

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


@pytest.fixture(scope="session")
def dynamodb_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The local AWS emulator (ministack, as `whimsy local` runs it), once per session: its
    endpoint. Skips without it, with the install command; fails in CI."""
    from generator.errors import UserError
    from generator.local import emulator

    try:
        found = emulator.locate(REPO)
    except UserError as exc:
        if REQUIRE_LOCAL:
            pytest.fail(f"{exc}; CI requires the concurrency tests to run")
        pytest.skip(str(exc))
    port = emulator.free_port()
    log = tmp_path_factory.mktemp("ministack") / "ministack.log"
    pid = emulator.start(found, port, REGION, log)
    try:
        emulator.wait_ready(pid, port, log)
        yield emulator.endpoint(port)
    finally:
        emulator.stop(pid)


@pytest.fixture
def emulated_aws(dynamodb_emulator: str, monkeypatch: pytest.MonkeyPatch) -> MockedAws:
    """Like `aws`, against the emulator: fake credentials, every SDK client pointed at it
    (AWS_ENDPOINT_URL), and its state emptied first."""
    for key, value in {**FAKE_AWS, "AWS_ENDPOINT_URL": dynamodb_emulator}.items():
        monkeypatch.setenv(key, value)
    reset = urllib.request.Request(f"{dynamodb_emulator}/_ministack/reset", method="POST")
    with urllib.request.urlopen(reset, timeout=30) as answer:
        assert answer.status == 200
    return MockedAws(monkeypatch)


Result = TypeVar("Result")


def race(contenders: list[Callable[[], Result]]) -> list[Result]:
    """Run every contender in its own thread, all released at once; their results in order.
    An exception in any thread fails the test (never a silently missing result)."""
    start = threading.Barrier(len(contenders))
    results: list[Any] = [None] * len(contenders)
    errors: list[BaseException] = []

    def run(index: int, contender: Callable[[], Result]) -> None:
        try:
            start.wait()
            results[index] = contender()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.fixture(name="race")
def race_fixture() -> Callable[[list[Callable[[], Any]]], list[Any]]:
    return race


class CallFirst:
    """A boto3 client whose `operation` call (the next one, or the one after `passing` more)
    first runs `other` once, to completion: the other request lands between this one's reads
    and its write, deterministically."""

    def __init__(
        self, real: Any, operation: str, other: Callable[[], object], passing: int = 0
    ) -> None:
        self._real, self._operation, self._other = real, operation, other
        self._passing = passing

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name != self._operation or self._other is None:
            return attribute

        def call(**kwargs: Any) -> Any:
            if self._passing:
                self._passing -= 1
                return attribute(**kwargs)
            other, self._other = self._other, None  # the other request sees the plain client
            assert other is not None
            other()
            return attribute(**kwargs)

        return call


@pytest.fixture(name="call_first")
def call_first_fixture() -> type[CallFirst]:
    return CallFirst


Wrapper = TypeVar("Wrapper")


def wrap_dynamodb(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, wrap: Callable[[Any], Wrapper]
) -> Wrapper:
    """Give the module one wrapped DynamoDB client; other services pass through. Returns the
    wrapper, for the test to inspect."""
    real = module.client
    wrapped = wrap(real("dynamodb"))
    monkeypatch.setattr(
        module, "client", lambda service: wrapped if service == "dynamodb" else real(service)
    )
    return wrapped


@pytest.fixture
def interleave(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """interleave(module, "transact_write_items", other): the next such call the module makes
    (or the one after `passing` more) is preceded by other() (a competing request that
    commits first)."""

    def arrange(
        module: ModuleType, operation: str, other: Callable[[], object], passing: int = 0
    ) -> None:
        wrap_dynamodb(monkeypatch, module, lambda real: CallFirst(real, operation, other, passing))

    return arrange


def transaction_conflict(items: int) -> Exception:
    """The error AWS answers a transaction that met another one in progress on its items
    (neither moto nor the serializing emulator ever produce it)."""
    from botocore.exceptions import ClientError

    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing"}]
    reasons += [{"Code": "None"}] * (items - 1)
    return ClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
         "CancellationReasons": reasons},
        "TransactWriteItems",
    )  # fmt: skip


class Conflicting:
    """A boto3 DynamoDB client whose first `times` TransactWriteItems calls are cancelled by a
    conflict, as on AWS under concurrent transactions; then the real call."""

    def __init__(self, real: Any, times: int) -> None:
        self._real, self.left, self.calls = real, times, 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name != "transact_write_items":
            return attribute

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self.left:
                self.left -= 1
                raise transaction_conflict(len(kwargs["TransactItems"]))
            return attribute(**kwargs)

        return call


@pytest.fixture
def conflicts(monkeypatch: pytest.MonkeyPatch) -> Callable[[ModuleType, int], Conflicting]:
    """conflicts(module, times): the module's transactions conflict `times` times first."""

    def arrange(module: ModuleType, times: int) -> Conflicting:
        return wrap_dynamodb(monkeypatch, module, lambda real: Conflicting(real, times))

    return arrange


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
