"""Who owns a handle: the handles table (pk handle#<name> -> identity_id), cached briefly."""

from __future__ import annotations

import os
import time

from .aws import client


class HandleOwners:
    """handle -> owner's identity id, or None for unclaimed and reserved handles.

    Hits stay cached for `ttl` seconds and misses for `missing_ttl` (a new claim shows soon);
    the cache is dropped whole past `max_entries`, so probing random names cannot grow it."""

    def __init__(
        self, ttl: float = 60.0, missing_ttl: float = 10.0, max_entries: int = 10_000
    ) -> None:
        self.ttl, self.missing_ttl, self.max_entries = ttl, missing_ttl, max_entries
        self.cache: dict[str, tuple[str | None, float]] = {}

    def __call__(self, handle: str) -> str | None:
        now = time.monotonic()
        cached = self.cache.get(handle)
        if cached is not None and cached[1] > now:
            return cached[0]
        reserved = os.environ.get("WHIMSY_RESERVED_HANDLES", "").split(",")
        identity = None
        if handle not in reserved:
            item = (
                client("dynamodb")
                .get_item(
                    TableName=os.environ["WHIMSY_HANDLES_TABLE"],
                    Key={"pk": {"S": f"handle#{handle}"}},
                )
                .get("Item")
            )
            identity = item["identity_id"]["S"] if item else None
        if len(self.cache) > self.max_entries:
            self.cache.clear()
        self.cache[handle] = (identity, now + (self.ttl if identity else self.missing_ttl))
        return identity
