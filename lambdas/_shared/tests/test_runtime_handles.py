"""HandleOwners: the handle lookup the site proxy and the services gateway share."""

from __future__ import annotations

from typing import Any

import boto3
from whimsy_runtime.handles import HandleOwners

OWNER = "us-east-1:e4d94092-1099-4c4d-aa01-1dbbf7e1f1df"


def setup(aws: Any) -> Any:
    aws.table("handles")
    aws.env({"WHIMSY_HANDLES_TABLE": "handles", "WHIMSY_RESERVED_HANDLES": "admin,www"})
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.put_item(
        TableName="handles",
        Item={"pk": {"S": "handle#alice"}, "identity_id": {"S": OWNER}},
    )
    return dynamodb


def test_owners_misses_and_reserved_handles(aws: Any) -> None:
    dynamodb = setup(aws)
    owners = HandleOwners()
    assert owners("alice") == OWNER
    assert owners("nobody") is None
    # reserved handles never reach the table, even if an item exists
    dynamodb.put_item(
        TableName="handles", Item={"pk": {"S": "handle#admin"}, "identity_id": {"S": OWNER}}
    )
    assert owners("admin") is None


def test_hits_and_misses_expire_at_their_own_pace(aws: Any) -> None:
    dynamodb = setup(aws)
    owners = HandleOwners(ttl=60.0, missing_ttl=0.0)
    assert owners("bob") is None
    dynamodb.put_item(
        TableName="handles", Item={"pk": {"S": "handle#bob"}, "identity_id": {"S": OWNER}}
    )
    assert owners("bob") == OWNER  # the miss was not kept
    dynamodb.delete_item(TableName="handles", Key={"pk": {"S": "handle#bob"}})
    assert owners("bob") == OWNER  # the hit is


def test_the_cache_is_bounded(aws: Any) -> None:
    setup(aws)
    owners = HandleOwners(max_entries=3)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        owners(name)
    assert len(owners.cache) <= 4
