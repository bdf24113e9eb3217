"""The handle registry against moto's DynamoDB (and Cognito identity), with real v2 events."""

from __future__ import annotations

import json
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


# --- interleavings, forced in order against moto (no threads) --------------------------------


def rows(prefix: str) -> dict[str, str]:
    """The registry's items whose key starts with prefix: key -> the other side."""
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName="handles")["Items"]
    return {
        item["pk"]["S"]: (item.get("identity_id") or item["handle"])["S"]
        for item in items
        if item["pk"]["S"].startswith(prefix)
    }


def test_a_claim_arriving_after_a_rival_committed_is_refused(handles: Any, interleave: Any) -> None:
    # Bob's transaction reaches DynamoDB just after Alice's claim of the same handle committed.
    interleave(
        handles, "transact_write_items", lambda: call(handles, "PUT", "contested", "sub-alice")
    )
    status, body = call(handles, "PUT", "contested", "sub-bob")
    assert (status, body["error"]) == (409, "handle_taken")
    assert rows("handle#") == {"handle#contested": ALICE}
    assert rows("identity#") == {f"identity#{ALICE}": "contested"}  # nothing of Bob's


def test_an_owner_claiming_two_handles_at_once_gets_one(handles: Any, interleave: Any) -> None:
    interleave(handles, "transact_write_items", lambda: call(handles, "PUT", "first", "sub-alice"))
    status, body = call(handles, "PUT", "second", "sub-alice")
    assert (status, body["error"]) == (409, "already_have_handle")
    assert "'first'" in body["message"]
    assert rows("handle#") == {"handle#first": ALICE}


def test_a_release_between_a_refusal_and_its_answer_still_answers_taken(
    handles: Any, interleave: Any
) -> None:
    # Bob's claim is refused (Alice holds it); before Bob's handler reads why, Alice lets go.
    call(handles, "PUT", "contested", "sub-alice")
    interleave(handles, "get_item", lambda: call(handles, "DELETE", "contested", "sub-alice"))
    status, body = call(handles, "PUT", "contested", "sub-bob")
    assert (status, body["error"]) == (409, "handle_taken")
    assert rows("") == {}  # the release was whole, the refused claim wrote nothing


def test_a_rival_release_cannot_take_a_claim_away(handles: Any, interleave: Any) -> None:
    call(handles, "PUT", "contested", "sub-alice")
    interleave(
        handles, "transact_write_items", lambda: call(handles, "DELETE", "contested", "sub-alice")
    )
    # Bob releases what Alice held a moment ago: his conditions fail, nothing is deleted twice.
    status, body = call(handles, "DELETE", "contested", "sub-bob")
    assert (status, body["error"]) == (404, "not_your_handle")
    assert call(handles, "PUT", "contested", "sub-bob")[0] == 200


def test_a_claim_that_meets_a_concurrent_transaction_is_retried(
    handles: Any, conflicts: Any
) -> None:
    # AWS cancels a transaction that meets another one in progress on its items
    # (TransactionConflict): nothing was decided, so the claim is tried again, not refused
    client = conflicts(handles, 2)
    assert call(handles, "PUT", "contested", "sub-bob") == (
        200, {"handle": "contested", "identity_id": BOB})  # fmt: skip
    assert client.calls == 3
    assert rows("handle#") == {"handle#contested": BOB}


def test_a_claim_that_keeps_conflicting_is_503_and_writes_nothing(
    handles: Any, conflicts: Any
) -> None:
    stuck = conflicts(handles, 100)
    status, body = call(handles, "PUT", "contested", "sub-bob")
    assert (status, body["error"]) == (503, "busy")  # not "taken": nobody has it
    assert rows("") == {}
    stuck.left = 0
    assert call(handles, "PUT", "contested", "sub-bob")[0] == 200


# --- the same promises under real concurrency, against the emulator's atomic DynamoDB -----


@pytest.fixture
def handles_on_emulator(
    emulated_aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    emulated_aws.env({"WHIMSY_HANDLES_TABLE": "handles", "WHIMSY_RESERVED_HANDLES": "api"})
    emulated_aws.table("handles")
    module = load_handler()
    monkeypatch.setattr(module, "identity_of", lambda request: IDENTITIES[request.require_caller()])
    assert call(module, "GET", "warm-up")[0] == 404  # the SDK client exists before threads race
    yield module


RACERS = 8
ROUNDS = 20


@pytest.fixture
def racers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    subs = [f"sub-racer-{i}" for i in range(RACERS)]
    for i, sub in enumerate(subs):
        monkeypatch.setitem(IDENTITIES, sub, f"us-east-1:00000000-0000-4000-8000-{i:012d}")
    return subs


@pytest.mark.emulator
def test_racing_claims_grant_a_handle_once(
    handles_on_emulator: Any, racers: list[str], race: Any
) -> None:
    for round_ in range(ROUNDS):
        handle = f"contested-{round_}"
        answers = race(
            [
                lambda sub=sub, handle=handle: call(handles_on_emulator, "PUT", handle, sub)
                for sub in racers
            ]
        )
        winners = [sub for sub, (status, _) in zip(racers, answers, strict=True) if status == 200]
        assert len(winners) == 1, answers
        assert sorted(body["error"] for status, body in answers if status != 200) == [
            "handle_taken"
        ] * (RACERS - 1)
        owner = call(handles_on_emulator, "GET", handle)[1]["identity_id"]
        assert owner == IDENTITIES[winners[0]]
        assert call(handles_on_emulator, "DELETE", handle, winners[0])[0] == 200


@pytest.mark.emulator
def test_one_owner_racing_for_many_handles_gets_one(handles_on_emulator: Any, race: Any) -> None:
    for round_ in range(ROUNDS):
        wanted = [f"mine-{round_}-{i}" for i in range(RACERS)]
        answers = race(
            [lambda h=h: call(handles_on_emulator, "PUT", h, "sub-alice") for h in wanted]
        )
        won = [h for h, (status, _) in zip(wanted, answers, strict=True) if status == 200]
        assert len(won) == 1, answers
        held = [h for h in wanted if call(handles_on_emulator, "GET", h)[0] == 200]
        assert held == won  # no second handle# row left behind by a loser
        assert call(handles_on_emulator, "DELETE", won[0], "sub-alice")[0] == 200


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
