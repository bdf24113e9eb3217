"""The software catalog, built from users' public/whimsy.space/profile.json files.

S3 events (created/removed) index a profile: valid ones replace the user's catalog entries
in one transaction; invalid, oversized or unreadable ones are recorded as rejected with the
reason (their owner reads it at GET /profile) and leave the last accepted entries in place.
Public routes list the catalog (paginated, filterable by tag) and show a profile by handle.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from whimsy_runtime import (
    HttpError,
    HttpRequest,
    aws_client as client,
    get_logger,
    http_handler,
    identity_id,
    json_response,
)

PROFILE_KEY = re.compile(
    r"^(?P<identity>[a-z]{2}(?:-gov)?-[a-z]+-[1-9]:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12})/public/whimsy\.space/profile\.json$"
)
MAX_PROFILE_BYTES = 64 * 1024
PAGE_DEFAULT, PAGE_MAX = 25, 100
SCHEMA = json.loads((Path(__file__).parent / "profile.schema.json").read_text())
log = get_logger("whimsy.catalog")
_validator: Any = None


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def table() -> str:
    return os.environ["WHIMSY_TABLE_WHIMSY_CATALOG"]


def validation_errors(profile: Any) -> list[str]:
    global _validator
    if _validator is None:
        from jsonschema import Draft202012Validator

        _validator = Draft202012Validator(SCHEMA)
    errors = sorted(_validator.iter_errors(profile), key=lambda e: list(map(str, e.path)))
    return [f"{'.'.join(map(str, e.path)) or '(profile)'}: {e.message[:200]}" for e in errors[:5]]


# --- indexing ------------------------------------------------------------------------------


class Rejected(Exception):
    """The profile cannot be indexed; the message is what its owner will read."""


def read_profile(bucket: str, key: str) -> Any:
    found = client("s3").get_object(Bucket=bucket, Key=key)
    if int(found.get("ContentLength", 0)) > MAX_PROFILE_BYTES:
        found["Body"].close()
        raise Rejected(f"profile.json is larger than {MAX_PROFILE_BYTES // 1024} KiB")
    data = found["Body"].read(MAX_PROFILE_BYTES + 1)
    try:
        profile = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"profile.json is not valid JSON ({str(exc)[:120]})") from None
    errors = validation_errors(profile)
    if errors:
        raise Rejected("profile.json does not match the schema: " + "; ".join(errors))
    return profile


def _software_keys(identity: str) -> list[dict[str, Any]]:
    items = client("dynamodb").query(
        TableName=table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :me)",
        ExpressionAttributeValues={":pk": {"S": "software"}, ":me": {"S": f"{identity}#"}},
        ProjectionExpression="pk, sk",
    )["Items"]
    return list(items)


def accept(identity: str, profile: dict[str, Any]) -> None:
    now = str(int(time.time()))
    software = profile.get("software", [])
    writes: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table(),
                "Item": {
                    "pk": {"S": f"profile#{identity}"},
                    "sk": {"S": "profile"},
                    "status": {"S": "accepted"},
                    "profile": {"S": json.dumps(profile, sort_keys=True)},
                    "updated_at": {"N": now},
                },
            }
        },
    ]
    new_keys = set()
    for index, entry in enumerate(software):
        sk = f"{identity}#{index:02d}"
        new_keys.add(sk)
        item = {
            "pk": {"S": "software"},
            "sk": {"S": sk},
            "identity_id": {"S": identity},
            "name": {"S": entry["name"]},
            "entry_url": {"S": entry["entry_url"]},
            "description": {"S": entry.get("description", "")},
            "tags": {"L": [{"S": t} for t in entry.get("tags", [])]},
        }
        writes.append({"Put": {"TableName": table(), "Item": item}})
    for old in _software_keys(identity):
        if old["sk"]["S"] not in new_keys:
            writes.append({"Delete": {"TableName": table(), "Key": old}})
    client("dynamodb").transact_write_items(TransactItems=writes)


def reject(identity: str, reason: str) -> None:
    """Record why, keeping the last accepted profile and its entries."""
    client("dynamodb").update_item(
        TableName=table(),
        Key={"pk": {"S": f"profile#{identity}"}, "sk": {"S": "profile"}},
        UpdateExpression="SET #s = :rejected, reason = :reason, updated_at = :now",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":rejected": {"S": "rejected"},
            ":reason": {"S": reason},
            ":now": {"N": str(int(time.time()))},
        },
    )


def remove(identity: str) -> None:
    deletes = [{"Delete": {"TableName": table(), "Key": key}} for key in _software_keys(identity)]
    deletes.append(
        {
            "Delete": {
                "TableName": table(),
                "Key": {"pk": {"S": f"profile#{identity}"}, "sk": {"S": "profile"}},
            }
        }
    )
    client("dynamodb").transact_write_items(TransactItems=deletes)


def index_record(record: dict[str, Any]) -> str:
    from botocore.exceptions import ClientError

    key = unquote_plus(record["s3"]["object"]["key"])
    match = PROFILE_KEY.match(key)
    if match is None:
        return "ignored"  # e.g. <id>/drafts/public/whimsy.space/profile.json
    identity = match["identity"]
    if record.get("eventName", "").startswith("ObjectRemoved"):
        remove(identity)
        return "removed"
    try:
        accept(identity, read_profile(record["s3"]["bucket"]["name"], key))
        return "accepted"
    except Rejected as exc:
        reject(identity, str(exc))
        return "rejected"
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied"):
            return "gone"  # deleted again before we read it; its removal event follows
        raise


def index(event: dict[str, Any]) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records", []):
        try:
            outcomes.append(index_record(record))
        except Exception:  # one bad record never stops the others
            log.exception(
                "indexing failed", key=str(record.get("s3", {}).get("object", {}).get("key"))
            )
            outcomes.append("failed")
    log.info("indexed", outcomes=outcomes)
    return {"outcomes": outcomes}


# --- routes --------------------------------------------------------------------------------


def _cursor(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(raw.encode()))
        if (
            set(key) == {"pk", "sk"}
            and key["pk"] == {"S": "software"}
            and isinstance(key["sk"].get("S"), str)
        ):
            return dict(key)
    except (ValueError, binascii.Error, AttributeError, TypeError):
        pass
    raise HttpError(400, "bad_cursor", "cursor is not one this API gave out.")


def list_catalog(request: HttpRequest) -> dict[str, Any]:
    try:
        limit = int(request.query("limit") or PAGE_DEFAULT)
    except ValueError:
        raise HttpError(400, "bad_limit", "limit is a number.") from None
    if not 1 <= limit <= PAGE_MAX:
        raise HttpError(400, "bad_limit", f"limit is 1 to {PAGE_MAX}.")
    arguments: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "software"}},
    }
    tag = request.query("tag")
    if tag is not None:
        arguments["FilterExpression"] = "contains(tags, :tag)"
        arguments["ExpressionAttributeValues"][":tag"] = {"S": tag}
    start = _cursor(request.query("cursor"))
    entries: list[dict[str, Any]] = []
    next_key = None
    while len(entries) < limit:  # a filter can leave pages short: keep reading
        if start:
            arguments["ExclusiveStartKey"] = start
        page = client("dynamodb").query(**arguments, Limit=limit - len(entries))
        entries += [
            {
                "identity_id": i["identity_id"]["S"],
                "name": i["name"]["S"],
                "description": i["description"]["S"],
                "entry_url": i["entry_url"]["S"],
                "tags": [t["S"] for t in i["tags"]["L"]],
            }
            for i in page["Items"]
        ]
        next_key = start = page.get("LastEvaluatedKey")
        if not next_key:
            break
    cursor = base64.urlsafe_b64encode(json.dumps(next_key).encode()).decode() if next_key else None
    return json_response(
        200, {"software": entries, "cursor": cursor}, {"cache-control": "public, max-age=60"}
    )


def _profile_item(identity: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=table(), Key={"pk": {"S": f"profile#{identity}"}, "sk": {"S": "profile"}}
        )
        .get("Item")
    )
    return dict(item) if item else None


def profile_by_handle(request: HttpRequest) -> dict[str, Any]:
    handle = (request.path_parameters.get("handle") or "").lower()
    found = (
        client("dynamodb")
        .get_item(
            TableName=os.environ["WHIMSY_HANDLES_TABLE"], Key={"pk": {"S": f"handle#{handle}"}}
        )
        .get("Item")
    )
    item = _profile_item(found["identity_id"]["S"]) if found else None
    if item is None or "profile" not in item:
        raise HttpError(404, "no_profile", f"No published profile for '{handle}'.")
    body = {
        "handle": handle,
        "identity_id": found["identity_id"]["S"] if found else None,
        "profile": json.loads(item["profile"]["S"]),
    }
    return json_response(200, body, {"cache-control": "public, max-age=60"})


def own_status(request: HttpRequest) -> dict[str, Any]:
    item = _profile_item(identity_of(request))
    if item is None:
        return json_response(200, {"status": "none"}, {"cache-control": "private, no-store"})
    body = {
        "status": item["status"]["S"],
        "reason": item.get("reason", {}).get("S"),
        "updated_at": int(item["updated_at"]["N"]),
        "has_published_profile": "profile" in item,
    }
    return json_response(200, body, {"cache-control": "private, no-store"})


@http_handler
def route(request: HttpRequest, context: object) -> dict[str, Any]:
    routes = {
        "GET /catalog": list_catalog,
        "GET /catalog/{handle}": profile_by_handle,
        "GET /profile": own_status,
    }
    action = routes.get(request.route_key)
    if action is None:
        raise HttpError(404, "no_route", "No such catalog route.")
    return action(request)


def handler(event: Any, context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "Records" in event:
        return index(event)
    return route(event, context)
