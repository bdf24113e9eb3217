"""DynamoDB transactions whose outcome the caller can act on.

TransactWriteItems is cancelled for two different reasons that the functions must not
confuse: a condition failed (the handle is taken, the Stripe event was applied: a final
answer), or the transaction met another one in progress on the same item
(`TransactionConflict`: nothing is decided, the same request may well succeed now). AWS says
which in CancellationReasons, one entry per item in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

ATTEMPTS = 4
CONFLICT = "TransactionConflict"


class Busy(Exception):
    """The items stayed locked by other transactions through every attempt: try again later."""


def reasons(error: Any) -> list[str]:
    """The cancellation reason code per item of a TransactionCanceledException ("None" for an
    item that was not the cause)."""
    listed = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in listed]


def _backoff(attempt: int) -> None:
    time.sleep(0.02 * 2**attempt)


def transact(
    dynamodb: Any,
    items: Sequence[dict[str, Any]],
    *,
    attempts: int = ATTEMPTS,
    pause: Callable[[int], None] = _backoff,
) -> list[str] | None:
    """Write the items as one transaction. None when it committed; the reason codes when a
    condition cancelled it. A conflict with a concurrent transaction is retried; Busy when
    every attempt conflicted."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    for attempt in range(attempts):
        try:
            dynamodb.transact_write_items(TransactItems=list(items))
            return None
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = reasons(exc)
            if CONFLICT not in codes:
                return codes or ["ConditionalCheckFailed"]  # no reasons listed: a condition
        if attempt + 1 < attempts:
            pause(attempt)
    raise Busy(f"the transaction conflicted {attempts} times with others on the same items")
