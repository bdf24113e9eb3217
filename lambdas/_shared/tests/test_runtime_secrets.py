"""Cached Secrets Manager reads, against moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from whimsy_runtime import secrets as secrets_module
from whimsy_runtime.secrets import SecretCache, SecretUnavailable, get_secret

REGION = "us-east-1"
NAME = "whimsy/stripe-secret-key"
VALUE = "sk_test_51Hx_not_a_real_key_0123456789"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account with one secret; returns a client to arrange the test with."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name=NAME, SecretString=VALUE)
        yield client


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class CountingFactory:
    """Builds the real (moto-backed) client and counts its GetSecretValue calls."""

    calls: int = 0
    clients: int = 0

    def __call__(self) -> Any:
        self.clients += 1
        client = secrets_module._default_client()
        client.meta.events.register("before-call.secrets-manager.GetSecretValue", self._count)
        return client

    def _count(self, **_: Any) -> None:
        self.calls += 1


def make_cache(clock: Clock, factory: Callable[[], Any], ttl: float = 300) -> SecretCache:
    return SecretCache(ttl_seconds=ttl, clock=clock, client_factory=factory)


def test_value_is_read_once_and_cached(aws: Any) -> None:
    factory = CountingFactory()
    cache = make_cache(Clock(), factory)
    assert factory.clients == 0  # the client is created lazily
    for _ in range(5):
        assert cache.get(NAME) == VALUE
    assert (factory.clients, factory.calls) == (1, 1)


def test_value_is_refreshed_after_the_ttl(aws: Any) -> None:
    factory = CountingFactory()
    clock = Clock()
    cache = make_cache(clock, factory, ttl=300)
    assert cache.get(NAME) == VALUE
    aws.put_secret_value(SecretId=NAME, SecretString="rotated")
    clock.now += 299
    assert cache.get(NAME) == VALUE  # still within the TTL
    clock.now += 1
    assert cache.get(NAME) == "rotated"
    assert cache.get(NAME) == "rotated"
    assert (factory.clients, factory.calls) == (1, 2)


def test_each_secret_is_cached_separately(aws: Any) -> None:
    aws.create_secret(Name="whimsy/stripe-webhook-secret", SecretString=json.dumps({"k": "v"}))
    factory = CountingFactory()
    cache = make_cache(Clock(), factory)
    assert cache.get(NAME) == VALUE
    assert json.loads(cache.get("whimsy/stripe-webhook-secret")) == {"k": "v"}
    cache.get(NAME)
    assert (factory.clients, factory.calls) == (1, 2)


def test_missing_secret_is_unavailable(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cache = make_cache(Clock(), CountingFactory())
    assert cache.get(NAME) == VALUE
    with pytest.raises(SecretUnavailable) as raised:
        cache.get("whimsy/missing")
    message = str(raised.value)
    assert "whimsy/missing" in message
    assert "ResourceNotFoundException" in message
    assert VALUE not in message
    # The botocore error is not chained, so tracebacks carry only our message.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    logged = capsys.readouterr().out
    assert "whimsy/missing" in logged
    assert VALUE not in logged


def test_failures_are_not_cached(aws: Any) -> None:
    factory = CountingFactory()
    cache = make_cache(Clock(), factory)
    with pytest.raises(SecretUnavailable):
        cache.get("whimsy/later")
    aws.create_secret(Name="whimsy/later", SecretString="now here")
    assert cache.get("whimsy/later") == "now here"


def test_binary_secret_is_unavailable(aws: Any) -> None:
    aws.create_secret(Name="whimsy/binary", SecretBinary=b"\x00\x01")
    with pytest.raises(SecretUnavailable, match="no string value"):
        make_cache(Clock(), CountingFactory()).get("whimsy/binary")


def test_client_errors_are_unavailable_without_details() -> None:
    def broken_factory() -> Any:
        raise RuntimeError(f"could not connect, config had {VALUE}")

    with pytest.raises(SecretUnavailable) as raised:
        make_cache(Clock(), broken_factory).get(NAME)
    assert str(raised.value) == f"secret {NAME!r} is unavailable (RuntimeError)"
    assert VALUE not in repr(raised.value)


def test_repr_never_shows_values(aws: Any) -> None:
    cache = make_cache(Clock(), CountingFactory())
    cache.get(NAME)
    assert VALUE not in repr(cache)
    assert NAME in repr(cache)


def test_clear_forces_a_reread(aws: Any) -> None:
    factory = CountingFactory()
    cache = make_cache(Clock(), factory)
    cache.get(NAME)
    cache.clear()
    cache.get(NAME)
    assert factory.calls == 2


def test_get_secret_uses_the_region_from_the_environment(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name=NAME, SecretString="from eu-west-1"
    )
    monkeypatch.setattr(secrets_module, "_default_cache", SecretCache())
    assert get_secret(NAME) == "from eu-west-1"
