"""The handle registry: claim, release and look up <handle>.<apex> names.

Two items per claim, written in one transaction (see generator/model/handles.py):
handle#<h> -> identity_id and identity#<id> -> handle, each created only if absent, so a
handle has one owner and an owner one handle, whatever requests race. A transaction that
meets a concurrent one on the same items (TransactionConflict) decided nothing: it is retried,
then answered 503 busy, never "taken".
"""

from __future__ import annotations

import os
import re
from typing import Any

from whimsy_runtime import (
    HttpError,
    HttpRequest,
    aws_client as client,
    get_logger,
    http_handler,
    identity_id,
    json_response,
    transactions,
)

HANDLE = re.compile(r"(?!-)[a-z0-9-]{2,63}(?<!-)")
log = get_logger("whimsy.handles")


def table() -> str:
    return os.environ["WHIMSY_HANDLES_TABLE"]


def normalize(raw: str | None) -> str:
    """Handles are DNS labels, compared case-insensitively; reserved ones are refused."""
    handle = (raw or "").strip().lower()
    # '--' in the third and fourth places marks IDNA labels (xn--...): not a plain name.
    if not HANDLE.fullmatch(handle) or handle[2:4] == "--":
        raise HttpError(
            400, "invalid_handle", "A handle is 2-63 letters, digits and '-', not at the ends."
        )
    if handle in os.environ.get("WHIMSY_RESERVED_HANDLES", "").split(","):
        raise HttpError(409, "reserved_handle", f"'{handle}' is reserved.")
    return handle


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def lookup(handle: str) -> dict[str, Any]:
    item = (
        client("dynamodb")
        .get_item(TableName=table(), Key={"pk": {"S": f"handle#{handle}"}}, ConsistentRead=True)
        .get("Item")
    )
    if item is None:
        raise HttpError(404, "unknown_handle", f"Nobody has claimed '{handle}'.")
    return {"handle": handle, "identity_id": item["identity_id"]["S"]}


def handle_of(identity: str) -> str | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table(), Key={"pk": {"S": f"identity#{identity}"}}, ConsistentRead=True)
        .get("Item")
    )
    return str(item["handle"]["S"]) if item else None


def _transact(items: list[dict[str, Any]]) -> list[str] | None:
    """None when committed, else why its conditions cancelled it; 503 while other
    transactions on the same handle keep it locked (nothing was decided)."""
    try:
        return transactions.transact(client("dynamodb"), items)
    except transactions.Busy:
        raise HttpError(503, "busy", "Another change to this handle is in progress; try again.",
                        {"retry-after": "1"}) from None  # fmt: skip


def claim(handle: str, identity: str) -> dict[str, Any]:
    cancelled = _transact(
        [
            {
                "Put": {
                    "TableName": table(),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": {"pk": {"S": f"handle#{handle}"}, "identity_id": {"S": identity}},
                }
            },
            {
                "Put": {
                    "TableName": table(),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": {"pk": {"S": f"identity#{identity}"}, "handle": {"S": handle}},
                }
            },
        ]
    )
    if cancelled is not None:  # a condition failed: the handle or the identity is taken
        current = handle_of(identity)
        if current == handle:
            return {"handle": handle, "identity_id": identity}  # already yours: idempotent
        if current is not None:
            raise HttpError(
                409, "already_have_handle", f"You already have '{current}'; release it first."
            )
        raise HttpError(409, "handle_taken", f"'{handle}' is taken.")
    log.info("handle claimed", handle=handle)
    return {"handle": handle, "identity_id": identity}


def release(handle: str, identity: str) -> None:
    cancelled = _transact(
        [
            {
                "Delete": {
                    "TableName": table(),
                    "Key": {"pk": {"S": f"handle#{handle}"}},
                    "ConditionExpression": "identity_id = :me",
                    "ExpressionAttributeValues": {":me": {"S": identity}},
                }
            },
            {
                "Delete": {
                    "TableName": table(),
                    "Key": {"pk": {"S": f"identity#{identity}"}},
                    "ConditionExpression": "#h = :handle",
                    "ExpressionAttributeNames": {"#h": "handle"},
                    "ExpressionAttributeValues": {":handle": {"S": handle}},
                }
            },
        ]
    )
    if cancelled is not None:
        raise HttpError(404, "not_your_handle", f"You do not have '{handle}'.")
    log.info("handle released", handle=handle)


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    handle = normalize(request.path_parameters.get("handle"))
    if request.method == "GET":
        return json_response(200, lookup(handle), {"cache-control": "public, max-age=60"})
    identity = identity_of(request)
    if request.method == "PUT":
        return json_response(200, claim(handle, identity))
    if request.method == "DELETE":
        release(handle, identity)
        return json_response(200, {"released": handle})
    raise HttpError(405, "method_not_allowed", "Use GET, PUT or DELETE.")
