"""The catalog indexer and routes against moto's S3 and DynamoDB, with real event shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest

REGION = "us-east-1"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
BOB = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
BUCKET = "whimsy-fs"


def key(identity: str) -> str:
    return f"{identity}/public/whimsy.space/profile.json"


def profile(name: str = "Alice", software: int = 2, tag: str = "paint") -> dict[str, Any]:
    return {
        "display_name": name,
        "software": [
            {
                "name": f"App {i}",
                "entry_url": f"https://alice.whimsy.space/app{i}/",
                "tags": [tag, f"t{i}"],
            }
            for i in range(software)
        ],
    }


@pytest.fixture
def catalog(aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    aws.env({"WHIMSY_TABLE_WHIMSY_CATALOG": "catalog", "WHIMSY_HANDLES_TABLE": "handles"})
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    aws.table("catalog", "pk", "sk")
    aws.table("handles")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.put_item(
        TableName="handles", Item={"pk": {"S": "handle#alice"}, "identity_id": {"S": ALICE}}
    )
    module = load_handler()
    monkeypatch.setattr(module, "identity_of", lambda r: {"sub-alice": ALICE}[r.require_caller()])
    yield module


def save(
    module: Any, identity: str, body: bytes | dict[str, Any], object_key: str | None = None
) -> str:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    object_key = object_key or key(identity)
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=object_key, Body=data)
    return s3_event(module, "ObjectCreated:Put", object_key)


def s3_event(module: Any, name: str, object_key: str) -> str:
    event = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": name,
                "s3": {
                    "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                    "object": {"key": quote_plus(object_key)},
                },
            }
        ]
    }
    (outcome,) = module.handler(event, None)["outcomes"]
    return str(outcome)


def get(
    module: Any,
    route: str,
    path: str,
    query: str = "",
    sub: str | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    context: dict[str, Any] = {
        "http": {"method": "GET", "path": path, "sourceIp": "203.0.113.9"},
        "requestId": "r",
        "routeKey": route,
        "stage": "$default",
    }
    if sub:
        context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    response = module.handler(
        {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": query,
            "headers": {},
            "pathParameters": params or {},
            "requestContext": context,
            "isBase64Encoded": False,
        },
        None,
    )
    return response["statusCode"], json.loads(response["body"])


def listing(module: Any, query: str = "") -> tuple[int, Any]:
    return get(module, "GET /catalog", "/catalog", query)


def test_a_valid_profile_is_indexed_and_listed(catalog: Any) -> None:
    assert save(catalog, ALICE, profile()) == "accepted"
    status, body = listing(catalog)
    assert status == 200 and [s["name"] for s in body["software"]] == ["App 0", "App 1"]
    assert body["software"][0]["identity_id"] == ALICE and body["cursor"] is None
    status, found = get(
        catalog, "GET /catalog/{handle}", "/catalog/alice", params={"handle": "alice"}
    )
    assert status == 200 and found["profile"]["display_name"] == "Alice"


def test_an_update_replaces_the_users_entries(catalog: Any) -> None:
    save(catalog, ALICE, profile(software=3))
    save(catalog, ALICE, profile(software=1))
    assert [s["name"] for s in listing(catalog)[1]["software"]] == ["App 0"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ({"display_name": ""}, "does not match the schema"),
        (
            {"display_name": "A", "software": [{"name": "x", "entry_url": "javascript:alert(1)"}]},
            "does not match",
        ),
        ({"display_name": "A", "extra": 1}, "does not match"),
        (b"x" * (10 * 1024 * 1024), "larger than 64 KiB"),
    ],
)
def test_bad_profiles_are_rejected_with_a_reason_and_keep_the_last_good_one(
    catalog: Any, body: bytes | dict[str, Any], reason: str
) -> None:
    assert save(catalog, ALICE, profile()) == "accepted"
    assert save(catalog, ALICE, body) == "rejected"
    status, own = get(catalog, "GET /profile", "/profile", sub="sub-alice")
    assert status == 200 and own["status"] == "rejected" and reason in own["reason"]
    assert own["has_published_profile"] is True
    assert len(listing(catalog)[1]["software"]) == 2  # nothing removed silently


def test_a_deleted_profile_leaves_the_catalog(catalog: Any) -> None:
    save(catalog, ALICE, profile())
    boto3.client("s3", region_name=REGION).delete_object(Bucket=BUCKET, Key=key(ALICE))
    assert s3_event(catalog, "ObjectRemoved:Delete", key(ALICE)) == "removed"
    assert listing(catalog)[1]["software"] == []
    assert (
        get(catalog, "GET /catalog/{handle}", "/catalog/alice", params={"handle": "alice"})[0]
        == 404
    )


def test_profiles_outside_the_public_folder_are_ignored(catalog: Any) -> None:
    nested = f"{ALICE}/drafts/public/whimsy.space/profile.json"
    assert save(catalog, ALICE, profile(), object_key=nested) == "ignored"
    assert listing(catalog)[1]["software"] == []


def test_filter_by_tag_and_paginate(catalog: Any) -> None:
    save(catalog, ALICE, profile(software=5, tag="paint"))
    save(catalog, BOB, profile("Bob", software=3, tag="music"))
    _, painted = listing(catalog, "tag=paint&limit=100")
    assert len(painted["software"]) == 5 and all("paint" in s["tags"] for s in painted["software"])
    seen, cursor = [], None
    while True:
        _, page = listing(catalog, "limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += page["software"]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 and len({(s["identity_id"], s["name"]) for s in seen}) == 8


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "cursor=bm90LWpzb24", "cursor=%%%"]
)
def test_bad_listing_parameters_are_400(catalog: Any, query: str) -> None:
    assert listing(catalog, query)[0] == 400


def test_own_status_needs_sign_in_and_starts_empty(catalog: Any) -> None:
    assert get(catalog, "GET /profile", "/profile")[0] == 401
    assert get(catalog, "GET /profile", "/profile", sub="sub-alice")[1] == {"status": "none"}


def test_the_published_schema_is_the_one_used(catalog: Any) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(catalog.SCHEMA)
    assert catalog.validation_errors(profile()) == []
