"""The handle registry against moto's DynamoDB (and Cognito identity), with real v2 events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
BOB = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
IDENTITIES = {"sub-alice": ALICE, "sub-bob": BOB}


@pytest.fixture
def handles(aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    aws.env({"WHIMSY_HANDLES_TABLE": "handles", "WHIMSY_RESERVED_HANDLES": "api,www,admin"})
    aws.table("handles")
    module = load_handler()
    # Token -> identity id is Cognito's job (GetId); see test_identity_comes_from_get_id.
    monkeypatch.setattr(module, "identity_of", lambda request: IDENTITIES[request.require_caller()])
    yield module


def event(method: str, handle: str, sub: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "http": {"method": method, "path": f"/handles/{handle}", "sourceIp": "203.0.113.9"},
        "requestId": "r",
        "routeKey": f"{method} /handles/{{handle}}",
        "stage": "$default",
    }
    if sub is not None:
        context["authorizer"] = {"jwt": {"claims": {"sub": sub, "token_use": "id"}, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": context["routeKey"],
        "rawPath": f"/handles/{handle}",
        "rawQueryString": "",
        "headers": {"authorization": "Bearer x"} if sub else {},
        "pathParameters": {"handle": handle},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def call(module: Any, method: str, handle: str, sub: str | None = None) -> tuple[int, Any]:
    response = module.handler(event(method, handle, sub), None)
    return response["statusCode"], json.loads(response["body"])


def test_claim_lookup_release(handles: Any) -> None:
    assert call(handles, "PUT", "Alice", "sub-alice") == (
        200,
        {"handle": "alice", "identity_id": ALICE},
    )
    assert call(handles, "GET", "ALICE") == (200, {"handle": "alice", "identity_id": ALICE})
    assert call(handles, "PUT", "alice", "sub-alice")[0] == 200  # idempotent
    assert call(handles, "DELETE", "alice", "sub-alice") == (200, {"released": "alice"})
    assert call(handles, "GET", "alice")[0] == 404
    assert call(handles, "PUT", "alice", "sub-bob")[0] == 200  # free again


def test_a_handle_has_one_owner_and_an_owner_one_handle(handles: Any) -> None:
    assert call(handles, "PUT", "alice", "sub-alice")[0] == 200
    status, body = call(handles, "PUT", "alice", "sub-bob")
    assert (status, body["error"]) == (409, "handle_taken")
    status, body = call(handles, "PUT", "alice2", "sub-alice")
    assert (status, body["error"]) == (409, "already_have_handle")
    assert call(handles, "GET", "alice2")[0] == 404  # the failed claim left nothing behind


def test_only_the_owner_releases(handles: Any) -> None:
    call(handles, "PUT", "alice", "sub-alice")
    status, body = call(handles, "DELETE", "alice", "sub-bob")
    assert (status, body["error"]) == (404, "not_your_handle")
    assert call(handles, "GET", "alice")[1]["identity_id"] == ALICE


def test_racing_claims_grant_the_handle_once(handles: Any) -> None:
    subs = [f"sub-{i}" for i in range(8)]
    IDENTITIES.update(
        {sub: f"us-east-1:00000000-0000-0000-0000-00000000000{i}" for i, sub in enumerate(subs)}
    )
    results: list[int] = []
    barrier = threading.Barrier(len(subs))

    def race(sub: str) -> None:
        barrier.wait()
        results.append(call(handles, "PUT", "contested", sub)[0])

    threads = [threading.Thread(target=race, args=(sub,)) for sub in subs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [409] * (len(subs) - 1)


@pytest.mark.parametrize(
    "bad",
    [
        "a",
        "-alice",
        "alice-",
        "al_ice",
        "xn--alice",
        "a" * 64,
        "al ice",
        "alice.bob",
        "%2e%2e",
        "ålice",
        "",
    ],
)
def test_invalid_handles(handles: Any, bad: str) -> None:
    status, body = call(handles, "PUT", bad, "sub-alice")
    assert (status, body["error"]) == (400, "invalid_handle")


@pytest.mark.parametrize("reserved", ["www", "API", "admin"])
def test_reserved_handles(handles: Any, reserved: str) -> None:
    status, body = call(handles, "PUT", reserved, "sub-alice")
    assert (status, body["error"]) == (409, "reserved_handle")


def test_claiming_needs_a_signed_in_caller(handles: Any) -> None:
    status, _ = call(handles, "PUT", "alice", None)
    assert status == 401


def test_identity_comes_from_get_id(aws: Any, load_handler: Any) -> None:
    """The unpatched resolver asks Cognito's identity pool, once per user per container."""
    pool = boto3.client("cognito-identity", region_name=REGION).create_identity_pool(
        IdentityPoolName="ids", AllowUnauthenticatedIdentities=False
    )
    aws.env(
        {
            "WHIMSY_USER_POOL_ID": "us-east-1_Example",
            "WHIMSY_IDENTITY_POOL_ID": pool["IdentityPoolId"],
        }
    )
    module = load_handler()
    from whimsy_runtime import parse_http_event

    request = parse_http_event(event("PUT", "alice", "sub-alice"))
    first = module.identity_of(request)
    assert first.startswith("us-east-1:")
    assert module.identity_of(request) == first  # cached for this user
