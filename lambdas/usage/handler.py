"""Usage reads: every caller sees only rows keyed by their own identity id (from their token).

GET /usage: a hosting user's usage by day - their site's (pk = host#<identity id>,
sk = <day>#<requester>, see the proxy's metering) and their services' (pk =
services#<identity id>, sk = <day>#<service>#<caller>, see the services gateway).
GET /usage/spend: a caller's own calls to other users' services, by day, host and service
(pk = spend#<identity id>, sk = <day>#<host identity id>#<service>).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
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


def _rows(pk: str, first: datetime.date, last: datetime.date) -> Iterator[dict[str, Any]]:
    arguments: dict[str, Any] = {
        "TableName": os.environ["WHIMSY_USAGE_TABLE"],
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": {"S": pk},
            ":first": {"S": f"{first.isoformat()}#"},
            ":last": {"S": f"{last.isoformat()}#\uffff"},
        },
    }
    while True:
        page = client("dynamodb").query(**arguments)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _counts(item: dict[str, Any]) -> dict[str, int]:
    return {"requests": int(item["requests"]["N"]), "bytes": int(item["bytes"]["N"])}


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    totals["requests"] += counts["requests"]
    totals["bytes"] += counts["bytes"]


def usage(identity: str, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    days: dict[str, dict[str, dict[str, int]]] = {}
    totals = {"requests": 0, "bytes": 0}
    for item in _rows(f"host#{identity}", first, last):
        day, _, requester = item["sk"]["S"].partition("#")
        counts = _counts(item)
        days.setdefault(day, {})[requester] = counts
        _add(totals, counts)
    service_days: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    service_totals: dict[str, dict[str, int]] = {}
    for item in _rows(f"services#{identity}", first, last):
        day, service, caller = item["sk"]["S"].split("#", 2)
        counts = _counts(item)
        service_days.setdefault(day, {}).setdefault(service, {})[caller] = counts
        _add(service_totals.setdefault(service, {"requests": 0, "bytes": 0}), counts)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": days,
        "totals": totals,
        "services": {"days": service_days, "totals": service_totals},
    }


def spend(identity: str, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """What this caller used of other users' services: {day: {host: {service: counts}}}."""
    days: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    totals = {"requests": 0, "bytes": 0}
    for item in _rows(f"spend#{identity}", first, last):
        day, host, service = item["sk"]["S"].split("#", 2)
        counts = _counts(item)
        days.setdefault(day, {}).setdefault(host, {})[service] = counts
        _add(totals, counts)
    return {"from": first.isoformat(), "to": last.isoformat(), "days": days, "totals": totals}


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    if request.method != "GET":
        raise HttpError(405, "method_not_allowed", "Use GET.")
    identity = identity_of(request)
    first, last = window(request, datetime.datetime.now(datetime.UTC).date())
    read = spend if request.route_key == "GET /usage/spend" else usage
    return json_response(200, read(identity, first, last), {"cache-control": "private, no-store"})
