"""Indexing services.json from S3 events, and the owner's GET /services."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from services_testkit import ALICE, BUCKET, REGION, Platform


def key(identity: str) -> str:
    return f"{identity}/public/whimsy.space/services.json"


def save(platform: Platform, body: bytes | dict[str, Any], object_key: str | None = None) -> str:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    object_key = object_key or key(ALICE)
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=object_key, Body=data)
    return event(platform, "ObjectCreated:Put", object_key)


def event(platform: Platform, name: str, object_key: str) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(object_key)}},
    }
    (outcome,) = platform.module.handler({"Records": [record]}, None)["outcomes"]
    return str(outcome)


def status(platform: Platform) -> dict[str, Any]:
    code, data, _ = platform.call("GET", "/services", token=platform.make_token("sub-alice"))
    assert code == 200
    return dict(json.loads(data))


VALID = {
    "$schema": "https://whimsy.space/schemas/services.schema.json",
    "services": [
        {
            "name": "weather",
            "description": "forecasts",
            "upstream": "https://api.weather-service.net/v1",
            "methods": ["GET", "POST"],
            "anonymous": True,
            "rate_limit": {"requests": 10, "per_seconds": 60},
            "monthly_quota": 5000,
        },
        {"name": "echo", "upstream": "https://echo.weather-service.net"},
    ],
}


@pytest.fixture
def indexed(platform: Platform) -> Platform:
    platform.resolver.answers["api.weather-service.net"] = ["93.184.216.34"]
    platform.resolver.answers["echo.weather-service.net"] = ["2606:2800:220:1::1"]
    return platform


def test_a_valid_file_is_indexed_with_defaults(indexed: Platform) -> None:
    assert save(indexed, VALID) == "accepted"
    found = status(indexed)
    assert found["status"] == "accepted" and found["reason"] is None
    by_name = {s["name"]: s for s in found["services"]}
    assert by_name["weather"]["rate_limit"] == {"requests": 10, "per_seconds": 60}
    assert by_name["echo"] == {
        "name": "echo",
        "description": "",
        "upstream": "https://echo.weather-service.net",
        "methods": ["GET"],
        "anonymous": False,
        "rate_limit": {"requests": 60, "per_seconds": 60},
        "monthly_quota": 10000,
    }


def test_no_file_no_services(indexed: Platform) -> None:
    assert status(indexed) == {"status": "none"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "is not of type 'object'"),
        (
            {"services": [{"name": "Weather!", "upstream": "https://a.example.org"}]},
            "services.0.name",
        ),
        ({"services": [{"name": "w"}]}, "'upstream' is a required property"),
        ({"services": [{"name": "w", "upstream": "http://a.example.org"}]}, "services.0.upstream"),
        (
            {"services": [{"name": "w", "upstream": "https://a.example.org", "extra": 1}]},
            "Additional properties",
        ),
        (
            {
                "services": [
                    {"name": "w", "upstream": "https://a.example.org", "methods": ["TRACE"]}
                ]
            },
            "services.0.methods.0",
        ),
        (
            {"services": [{"name": "w", "upstream": "https://a.example.org", "monthly_quota": 0}]},
            "services.0.monthly_quota",
        ),
        (
            {
                "services": [
                    {
                        "name": "w",
                        "upstream": "https://a.example.org",
                        "rate_limit": {"requests": 5},
                    }
                ]
            },
            "per_seconds",
        ),
        (
            {"services": [{"name": "w", "upstream": "https://a.example.org"}] * 2},
            "names must be unique",
        ),
        (
            {
                "services": [
                    {"name": f"s{i}", "upstream": "https://a.example.org"} for i in range(21)
                ]
            },
            "services",
        ),
        ({"services": [{"name": "w", "upstream": "https://169.254.169.254/latest"}]}, "not public"),
        ({"services": [{"name": "w", "upstream": "https://user:pw@a.example.org"}]}, "credentials"),
        ({"services": [{"name": "w", "upstream": "https://sts.amazonaws.com"}]}, "amazonaws.com"),
        ({"services": [{"name": "w", "upstream": "https://2130706433"}]}, "non-canonical"),
        (
            {"services": [{"name": "w", "upstream": "https://private.weather-service.net"}]},
            "resolves to a non-public address",
        ),
    ],
)
def test_invalid_files_are_rejected_with_a_reason(
    indexed: Platform, body: Any, reason: str
) -> None:
    indexed.resolver.answers["a.example.org"] = ["93.184.216.34"]
    indexed.resolver.answers["private.weather-service.net"] = ["10.0.0.7"]
    assert save(indexed, body) == "rejected"
    found = status(indexed)
    assert found["status"] == "rejected" and reason in found["reason"], found["reason"]


def test_a_rejected_file_keeps_the_last_accepted_services(indexed: Platform) -> None:
    save(indexed, VALID)
    assert save(indexed, b"oops") == "rejected"
    found = status(indexed)
    assert found["status"] == "rejected" and len(found["services"]) == 2


def test_oversized_files_are_rejected(indexed: Platform) -> None:
    big = {"services": [], "$schema": "x" * 40_000}
    assert save(indexed, big) == "rejected"
    assert "larger than 32 KiB" in status(indexed)["reason"]


def test_unresolvable_upstreams_are_accepted_and_checked_at_call_time(indexed: Platform) -> None:
    body = {"services": [{"name": "later", "upstream": "https://not-yet.weather-service.net"}]}
    assert save(indexed, body) == "accepted"


def test_deleting_the_file_removes_the_services(indexed: Platform) -> None:
    save(indexed, VALID)
    assert event(indexed, "ObjectRemoved:Delete", key(ALICE)) == "removed"
    assert status(indexed) == {"status": "none"}


@pytest.mark.parametrize(
    "object_key",
    [
        f"{ALICE}/drafts/public/whimsy.space/services.json",
        f"{ALICE}/public/whimsy.space/services.json.bak",
        "not-an-identity/public/whimsy.space/services.json",
    ],
)
def test_other_keys_are_ignored(indexed: Platform, object_key: str) -> None:
    assert save(indexed, VALID, object_key) == "ignored"


def test_a_file_deleted_before_indexing_is_gone(indexed: Platform) -> None:
    assert event(indexed, "ObjectCreated:Put", key(ALICE)) == "gone"


def test_indexed_services_are_served(indexed: Platform) -> None:
    body = {"services": [{"name": "echo", "upstream": f"{indexed.base}/v1", "anonymous": True}]}
    assert save(indexed, body) == "accepted"
    indexed.upstream.key = indexed.owner_key("sub-alice")
    code, data, _ = indexed.call("GET", "/u/alice/echo/hello")
    assert code == 200 and json.loads(data)["caller"] == "anonymous"


def test_slow_dns_does_not_hold_up_indexing(indexed: Platform) -> None:
    import threading
    import time

    # the name answers only when the test lets it (or after a minute): indexing must not wait
    # for it. The bound is far from both the budget and the stall, so load cannot decide it.
    answer = threading.Event()
    indexed.monkeypatch.setattr(indexed.module, "INDEX_DNS_SECONDS", 0.2)
    indexed.resolver.answers["slow.weather-service.net"] = lambda: answer.wait(60) and ["10.0.0.1"]
    body = {"services": [{"name": "slow", "upstream": "https://slow.weather-service.net"}]}
    started = time.monotonic()
    try:
        assert save(indexed, body) == "accepted"  # undecided in time: call-time check decides
        assert time.monotonic() - started < 20
    finally:
        answer.set()
