"""Benchmark the subdomain proxy's own overhead: everything but S3 and DynamoDB.

S3 and DynamoDB are in-memory stubs, so the figures are the handler's work per request:
event parsing, host and path checks, the handle cache, response building, metering.
Also the cold import time of the handler module (a fresh interpreter each time).

    python benchmarks/proxy.py [--calls 10000] [--imports 10]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTION = REPO / "lambdas/subdomain-proxy"
SHARED = REPO / "lambdas/_shared"
IDENTITY = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
PAGE = b"<h1>hello</h1>" * 100


class StubS3:
    def get_object(self, **_: Any) -> dict[str, Any]:
        return {
            "Body": io.BytesIO(PAGE),
            "ContentLength": len(PAGE),
            "ETag": '"abc"',
            "LastModified": datetime(2026, 1, 1, tzinfo=UTC),
        }


class StubDynamo:
    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": {"identity_id": {"S": IDENTITY}}}

    def update_item(self, **_: Any) -> dict[str, Any]:
        return {}


def event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/docs/index.html",
        "rawQueryString": "",
        "headers": {"x-whimsy-host": "alice.whimsy.space"},
        "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": "GET", "path": "/docs/index.html", "sourceIp": "203.0.113.9"},
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
        },
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def warm(calls: int) -> dict[str, float]:
    os.environ.update(
        {
            "WHIMSY_APEX": "whimsy.space",
            "WHIMSY_HANDLES_TABLE": "h",
            "WHIMSY_USAGE_TABLE": "u",
            "WHIMSY_USER_FILES_BUCKET": "b",
        }
    )
    sys.path[:0] = [str(FUNCTION), str(SHARED)]
    import handler

    handler._clients.update({"s3": StubS3(), "dynamodb": StubDynamo()})
    with open(os.devnull, "w") as quiet:
        sys.stdout = quiet  # the JSON logs of 10,000 requests are not the point
        for _ in range(200):
            handler.handler(event(), None)
        timings = []
        for _ in range(calls):
            start = time.perf_counter()
            response = handler.handler(event(), None)
            timings.append((time.perf_counter() - start) * 1000)
            assert response["statusCode"] == 200
        sys.stdout = sys.__stdout__
    return {
        "median_ms": round(statistics.median(timings), 4),
        "p99_ms": round(percentile(timings, 0.99), 4),
        "max_ms": round(max(timings), 4),
    }


def cold(imports: int) -> dict[str, float]:
    script = (
        f"import sys, time; sys.path[:0] = [{str(FUNCTION)!r}, {str(SHARED)!r}]; "
        "start = time.perf_counter(); import handler; "
        "print((time.perf_counter() - start) * 1000)"
    )
    env = {**os.environ, "WHIMSY_APEX": "whimsy.space"}
    values = [
        float(
            subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
            ).stdout
        )
        for _ in range(imports)
    ]
    return {
        "median_ms": round(statistics.median(values), 2),
        "min_ms": round(min(values), 2),
        "max_ms": round(max(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--imports", type=int, default=10)
    args = parser.parse_args()
    print(
        json.dumps({"warm_request": warm(args.calls), "cold_import": cold(args.imports)}, indent=2)
    )


if __name__ == "__main__":
    main()
