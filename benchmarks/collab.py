"""Benchmark the collaboration server's handling time per operation.

The handler runs against moto's in-process DynamoDB (so the figure includes moto's own
overhead: an upper bound for the handler's work, not a DynamoDB latency), one client typing
into a document that other connections are joined to.

    python benchmarks/collab.py [--ops 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas/collab"), str(REPO / "lambdas/_shared")]


def event(route: str, connection: str, body: Any = None, sub: str | None = None) -> dict[str, Any]:
    kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": kind,
        "connectionId": connection,
        "domainName": "collab.whimsy.space",
        "stage": "live",
        "requestId": "r",
        "identity": {"sourceIp": "203.0.113.9"},
    }
    if sub:
        context["authorizer"] = {"sub": sub}
    return {
        "requestContext": context,
        "isBase64Encoded": False,
        "body": json.dumps(body) if body is not None else None,
    }


class Sink:
    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "WHIMSY_TABLE_WHIMSY_COLLAB": "collab",
        }
    )
    import boto3
    from moto import mock_aws

    with mock_aws(), open(os.devnull, "w") as quiet:
        boto3.client("dynamodb").create_table(
            TableName="collab",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        spec = importlib.util.spec_from_file_location(
            "collab_handler", REPO / "lambdas/collab/handler.py"
        )
        assert spec and spec.loader
        handler = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(handler)
        handler.management = lambda endpoint: Sink()
        sys.stdout = quiet
        for name in ("writer", "reader1", "reader2"):
            handler.handler(event("$connect", name, sub="owner"), None)
            handler.handler(event("join", name, {"action": "join", "doc": "d"}), None)
        timings = []
        for i in range(args.ops):  # revision i, document length i: append one character
            op = [i, "x"] if i else ["x"]
            start = time.perf_counter()
            handler.handler(
                event(
                    "op", "writer", {"action": "op", "doc": "d", "rev": i, "op": op, "id": str(i)}
                ),
                None,
            )
            timings.append((time.perf_counter() - start) * 1000)
        sys.stdout = sys.__stdout__
    ordered = sorted(timings)
    print(
        json.dumps(
            {
                "ms_per_op": {
                    "median": round(statistics.median(timings), 2),
                    "p99": round(ordered[int(0.99 * len(ordered)) - 1], 2),
                    "max": round(max(timings), 2),
                },
                "ops": args.ops,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
