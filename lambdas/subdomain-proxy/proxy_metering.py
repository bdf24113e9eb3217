"""Usage counters, batched: requests and bytes per (host, requester, day).

Counting happens in memory; a flush (one atomic ADD per distinct key) runs at most every
FLUSH_SECONDS or when MAX_KEYS keys are pending, so the hot path has no DynamoDB round trip.
A container that is shut down loses at most its last FLUSH_SECONDS of counts; a failed
flush keeps the counts for the next try and never breaks serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FLUSH_SECONDS = 10.0
MAX_KEYS = 200
MAX_PENDING = 10_000  # keys kept while DynamoDB is unreachable, so memory stays bounded

Key = tuple[str, str, str]  # (host identity, requester, day)


@dataclass
class Meter:
    table: str | None
    client: Callable[[], Any]
    clock: Callable[[], float] = time.time
    pending: dict[Key, list[int]] = field(default_factory=dict)
    last_flush: float = field(default_factory=time.time)

    def record(self, host: str, requester: str, size: int) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime(self.clock()))
        counts = self.pending.get((host, requester, day))
        if counts is None:
            if len(self.pending) >= MAX_PENDING:
                return  # drop rather than grow without bound
            counts = self.pending[(host, requester, day)] = [0, 0]
        counts[0] += 1
        counts[1] += size

    def due(self) -> bool:
        return bool(self.pending) and (
            len(self.pending) >= MAX_KEYS or self.clock() - self.last_flush >= FLUSH_SECONDS
        )

    def flush(self) -> int:
        """Write pending counters; returns how many keys were written."""
        self.last_flush = self.clock()
        if self.table is None:
            self.pending.clear()
            return 0
        written = 0
        for key in list(self.pending):
            host, requester, day = key
            requests, size = self.pending[key]
            self.client().update_item(
                TableName=self.table,
                Key={"pk": {"S": f"host#{host}"}, "sk": {"S": f"{day}#{requester}"}},
                UpdateExpression="ADD requests :r, bytes :b",
                ExpressionAttributeValues={":r": {"N": str(requests)}, ":b": {"N": str(size)}},
            )
            del self.pending[key]
            written += 1
        return written
