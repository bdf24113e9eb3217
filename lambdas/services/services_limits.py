"""Per-caller rate limits, monthly quotas and usage metering in the usage table (pk/sk).

Rows (host = the owner's identity id, caller = the caller's identity id or "anonymous"):

    rate#<host>#<service>#<caller key>  / window       window start, count, expires_at
                                                       (one row, reused)
    quota#<host>#<service>#<caller>     / <YYYY-MM>    requests this month (exact)
    services#<host>                     / <day>#<service>#<caller>   requests, bytes
    spend#<caller>                      / <day>#<host>#<service>     requests, bytes

The site proxy's rows are host#<host> / <day>#<requester>; the usage API reads all of them.
Rate and quota counters are conditional atomic updates, so concurrent containers never let
more calls through than the limit. Anonymous callers are rate limited per source address
(caller key anonymous@<ip>, or anonymous@<prefix>/64 for IPv6) and share one monthly quota.

Rate rows carry expires_at (epoch seconds, RATE_ROW_GRACE after their window ends) for a
DynamoDB TTL on that attribute: anonymous callers can create one row per address or /64, and
nothing else ever deletes them. The whimsy-usage table does not enable TTL yet, so until the
generator configures it the attribute is only a marker.

Daily metering is batched in memory like the site proxy's (one ADD per key at most every
FLUSH_SECONDS): a container that is shut down loses at most that window's counts, which
the exact quota rows bound.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FLUSH_SECONDS = 10.0
MAX_KEYS = 200
MAX_PENDING = 10_000
RATE_ROW_GRACE = 3600  # seconds a rate row outlives its window before TTL may delete it
TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class Limited:
    """A refused call: what to tell the caller."""

    code: str
    message: str
    retry_after: int


def _conditional_failed(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code == "ConditionalCheckFailedException"


def seconds_to_next_month(now: float) -> int:
    moment = time.gmtime(now)
    year, month = (
        (moment.tm_year + 1, 1) if moment.tm_mon == 12 else (moment.tm_year, moment.tm_mon + 1)
    )
    start = calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
    return max(1, math.ceil(start - now))


@dataclass
class Limits:
    table: str
    client: Callable[[], Any]
    clock: Callable[[], float] = time.time

    def take_rate(
        self, host: str, service: str, caller_key: str, limit: int, per_seconds: int
    ) -> tuple[int, Limited | None]:
        """Count one call in the current fixed window: (calls left, refusal or None)."""
        now = self.clock()
        window = int(now // per_seconds) * per_seconds
        key = {"pk": {"S": f"rate#{host}#{service}#{caller_key}"}, "sk": {"S": "window"}}
        for _ in range(3):  # a window reset racing another container is retried
            try:  # the common case: same window, below the limit
                found = self.client().update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="ADD calls :one",
                    ConditionExpression="win = :win AND calls < :limit",
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":win": {"N": str(window)},
                        ":limit": {"N": str(limit)},
                    },
                    ReturnValues="UPDATED_NEW",
                )
                return limit - int(found["Attributes"]["calls"]["N"]), None
            except Exception as exc:
                if not _conditional_failed(exc):
                    raise
            try:  # a new window (or the first call ever): start counting at one
                self.client().update_item(
                    TableName=self.table,
                    Key=key,
                    # expires_at: a TTL may delete the row once its window is long over
                    UpdateExpression="SET win = :win, calls = :one, #ttl = :expires",
                    # any other window, later ones too: an owner who raises per_seconds, or
                    # two containers' clocks a little apart, must not lock a caller out
                    ConditionExpression="attribute_not_exists(win) OR win <> :win",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":win": {"N": str(window)},
                        ":expires": {"N": str(window + per_seconds + RATE_ROW_GRACE)},
                    },
                )
                return limit - 1, None
            except Exception as exc:
                if not _conditional_failed(exc):
                    raise
            # Neither: this window is current and full, or another container just reset it.
            current = (
                self.client()
                .get_item(TableName=self.table, Key=key, ConsistentRead=True)
                .get("Item")
            )
            if (
                current
                and int(current["win"]["N"]) == window
                and int(current["calls"]["N"]) >= limit
            ):
                break
        retry = max(1, math.ceil(window + per_seconds - now))
        return 0, Limited(
            "rate_limited", f"At most {limit} calls per {per_seconds} s; try again later.", retry
        )

    def take_quota(
        self, host: str, service: str, caller: str, quota: int
    ) -> tuple[int, Limited | None]:
        """Count one call against this month's quota: (calls left, refusal or None)."""
        now = self.clock()
        month = time.strftime("%Y-%m", time.gmtime(now))
        try:
            found = self.client().update_item(
                TableName=self.table,
                Key={"pk": {"S": f"quota#{host}#{service}#{caller}"}, "sk": {"S": month}},
                UpdateExpression="ADD requests :one",
                ConditionExpression="attribute_not_exists(requests) OR requests < :quota",
                ExpressionAttributeValues={":one": {"N": "1"}, ":quota": {"N": str(quota)}},
                ReturnValues="UPDATED_NEW",
            )
        except Exception as exc:
            if not _conditional_failed(exc):
                raise
            return 0, Limited(
                "quota_exhausted",
                f"This month's quota of {quota} calls is used up.",
                seconds_to_next_month(now),
            )
        return quota - int(found["Attributes"]["requests"]["N"]), None


MeterKey = tuple[str, str, str, str]  # (host, service, caller, day)


@dataclass
class ServiceMeter:
    table: str | None
    client: Callable[[], Any]
    clock: Callable[[], float] = time.time
    pending: dict[MeterKey, list[int]] = field(default_factory=dict)
    last_flush: float = field(default_factory=time.time)

    def record(self, host: str, service: str, caller: str, size: int) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime(self.clock()))
        key = (host, service, caller, day)
        counts = self.pending.get(key)
        if counts is None:
            if len(self.pending) >= MAX_PENDING:
                return
            counts = self.pending[key] = [0, 0]
        counts[0] += 1
        counts[1] += size

    def due(self) -> bool:
        return bool(self.pending) and (
            len(self.pending) >= MAX_KEYS or self.clock() - self.last_flush >= FLUSH_SECONDS
        )

    def flush(self) -> int:
        self.last_flush = self.clock()
        if self.table is None:
            self.pending.clear()
            return 0
        written = 0
        for key in list(self.pending):
            host, service, caller, day = key
            requests, size = self.pending[key]
            rows = [(f"services#{host}", f"{day}#{service}#{caller}")]
            if caller != "anonymous":
                rows.append((f"spend#{caller}", f"{day}#{host}#{service}"))
            updates = [
                {
                    "TableName": self.table,
                    "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                    "UpdateExpression": "ADD requests :r, bytes :b",
                    "ExpressionAttributeValues": {
                        ":r": {"N": str(requests)},
                        ":b": {"N": str(size)},
                    },
                }
                for pk, sk in rows
            ]
            if len(updates) == 1:
                self.client().update_item(**updates[0])
            else:  # the host's and the caller's rows agree, even when a flush fails halfway
                self.client().transact_write_items(
                    TransactItems=[{"Update": update} for update in updates]
                )
            del self.pending[key]
            written += 1
        return written
