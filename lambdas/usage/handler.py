"""GET /usage: a hosting user reads their own site's usage, by day and by requester.

The table is keyed pk = host#<identity id>, sk = <day>#<requester> (see the proxy's
metering); the caller's identity id comes from their token, so nobody can ask for another
user's rows.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from whimsy_runtime import (
    HttpError,
    HttpRequest,
    aws_client as client,
    http_handler,
    identity_id,
    json_response,
)

MAX_DAYS = 31


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def _day(value: str | None, default: datetime.date) -> datetime.date:
    if value is None:
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise HttpError(400, "bad_date", "Dates are YYYY-MM-DD.") from None


def window(request: HttpRequest, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    last = _day(request.query("to"), today)
    first = _day(request.query("from"), last - datetime.timedelta(days=6))
    if first > last or (last - first).days >= MAX_DAYS:
        raise HttpError(400, "bad_window", f"Ask for 1 to {MAX_DAYS} days, from <= to.")
    return first, last


def usage(identity: str, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    days: dict[str, dict[str, dict[str, int]]] = {}
    totals = {"requests": 0, "bytes": 0}
    arguments: dict[str, Any] = {
        "TableName": os.environ["WHIMSY_USAGE_TABLE"],
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": {"S": f"host#{identity}"},
            ":first": {"S": f"{first.isoformat()}#"},
            ":last": {"S": f"{last.isoformat()}#\uffff"},
        },
    }
    while True:
        page = client("dynamodb").query(**arguments)
        for item in page.get("Items", []):
            day, _, requester = item["sk"]["S"].partition("#")
            counts = {"requests": int(item["requests"]["N"]), "bytes": int(item["bytes"]["N"])}
            days.setdefault(day, {})[requester] = counts
            totals["requests"] += counts["requests"]
            totals["bytes"] += counts["bytes"]
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {"from": first.isoformat(), "to": last.isoformat(), "days": days, "totals": totals}


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    if request.method != "GET":
        raise HttpError(405, "method_not_allowed", "Use GET.")
    identity = identity_of(request)
    first, last = window(request, datetime.datetime.now(datetime.UTC).date())
    return json_response(200, usage(identity, first, last), {"cache-control": "private, no-store"})
