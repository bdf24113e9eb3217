"""The subdomain-proxy function: built in a later issue; until then it refuses clearly."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {
        "statusCode": 501,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"error": "not_implemented", "function": "subdomain-proxy"}),
    }
