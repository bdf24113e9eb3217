"""Benchmark the services gateway's overhead per call against a local HTTPS upstream.

Both sides open a new TLS connection per call to the same upstream on 127.0.0.1 (the gateway
does not pool connections), so the difference is the gateway's own work: event parsing,
Cognito token verification (RS256, keys cached), handle/service lookups (cached), the rate
and quota counters (in-memory DynamoDB stub), URL checks, resolution through the seam,
header filtering, HMAC signing, pinned connect, bounded reading and the response.

    python benchmarks/services.py [--calls 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTION = REPO / "lambdas/services"
sys.path[:0] = [
    str(REPO / "benchmarks"),
    str(FUNCTION),
    str(FUNCTION / "tests"),
    str(REPO / "lambdas/_shared"),
]

import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from stats import summary  # noqa: E402

OWNER = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
CALLER = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
POOL, CLIENT = "us-east-1_AbCdEf123", "4e3k5n2example7clientid0abc"


class StubDynamo:
    """handles and services lookups, and counters that always have room."""

    def __init__(self, services: dict[str, Any]) -> None:
        self.services = json.dumps(services)
        self.count = 0

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        if Key["pk"]["S"].startswith("handle#"):
            return {"Item": {"identity_id": {"S": OWNER}}}
        return {"Item": {"services": {"S": self.services}, "status": {"S": "accepted"}}}

    def update_item(self, **_: Any) -> dict[str, Any]:
        self.count += 1
        return {"Attributes": {"calls": {"N": "1"}, "requests": {"N": "1"}}}


def b64(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def event(token: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "ANY /u/{handle}/{service}/{proxy+}",
        "rawPath": "/u/alice/echo/forecast",
        "rawQueryString": "city=paris",
        "headers": {"authorization": f"Bearer {token}", "accept": "application/json"},
        "requestContext": {
            "http": {"method": "GET", "path": "/u/alice/echo/forecast", "sourceIp": "203.0.113.9"},
            "requestId": "r",
            "routeKey": "ANY /u/{handle}/{service}/{proxy+}",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import services_testkit as kit

    pki = kit.make_pki(Path(tempfile.mkdtemp()))
    server, upstream = kit.serve_upstream(pki)
    os.environ.update(
        {
            "WHIMSY_APEX": "whimsy.space",
            "WHIMSY_HANDLES_TABLE": "h",
            "WHIMSY_TABLE_WHIMSY_SERVICES": "s",
            "WHIMSY_TABLE_WHIMSY_USAGE": "u",
            "WHIMSY_USER_POOL_ID": POOL,
            "WHIMSY_USER_POOL_CLIENT_ID": CLIENT,
            "WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK": "1",
            "WHIMSY_SERVICES_TEST_CA_FILE": str(pki.ca_file),
        }
    )
    import handler
    import services_egress as egress
    from whimsy_runtime import CognitoVerifier, aws

    base = f"https://{kit.UPSTREAM_HOST}:{upstream.port}/v1"
    dynamo = StubDynamo({"echo": handler.normalized({"name": "echo", "upstream": base})})
    aws._clients["dynamodb"] = dynamo
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "k", "alg": "RS256", "use": "sig",
                      "n": b64(numbers.n), "e": b64(numbers.e)}]}  # fmt: skip
    handler._verifier = CognitoVerifier(POOL, CLIENT, token_use="id", fetch_jwks=lambda u: jwks)
    handler.identity_of = lambda request: CALLER
    handler.signing_secret = lambda: "benchmark-platform-secret-0123456789abcdef"
    handler.resolve = lambda host, port: ["127.0.0.1"]
    now = int(time.time())
    token = jwt.encode(
        {"sub": "s", "iss": handler._verifier.issuer, "aud": CLIENT, "token_use": "id",
         "iat": now, "exp": now + 3600},
        key, algorithm="RS256", headers={"kid": "k"},
    )  # fmt: skip
    context = egress.tls_context()

    def direct() -> None:
        connection = egress.PinnedHTTPSConnection(
            kit.UPSTREAM_HOST, upstream.port, address="127.0.0.1", context=context, timeout=5
        )
        connection.request("GET", "/v1/forecast?city=paris", headers={"accept": "application/json"})
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 200

    def through_gateway() -> None:
        response = handler.handler(event(token), None)
        assert response["statusCode"] == 200, response

    devnull = open(os.devnull, "w")  # noqa: SIM115
    sys.stdout = devnull  # the JSON logs are not the point
    try:
        rounds: dict[str, list[float]] = {"direct_ms": [], "gateway_ms": [], "overhead_ms": []}
        every_gateway: list[float] = []
        for _ in range(20):
            direct()
            through_gateway()
        for _ in range(args.rounds):
            timings: dict[str, list[float]] = {"direct": [], "gateway": []}
            for _ in range(args.calls):  # interleaved, so drift hits both sides alike
                for name, call in (("direct", direct), ("gateway", through_gateway)):
                    start = time.perf_counter()
                    call()
                    timings[name].append((time.perf_counter() - start) * 1000)
            direct_median = statistics.median(timings["direct"])
            gateway_median = statistics.median(timings["gateway"])
            rounds["direct_ms"].append(direct_median)
            rounds["gateway_ms"].append(gateway_median)
            rounds["overhead_ms"].append(gateway_median - direct_median)
            every_gateway += timings["gateway"]
    finally:
        sys.stdout = sys.__stdout__
        devnull.close()
        server.shutdown()
    report: dict[str, Any] = {
        "calls_per_round": args.calls,
        "rounds": args.rounds,
        "per_round_medians": {name: summary(values) for name, values in rounds.items()},
        "gateway_all_calls_ms": {
            "median": round(statistics.median(every_gateway), 3),
            "p99": round(percentile(every_gateway, 0.99), 3),
            "max": round(max(every_gateway), 3),
            "n": len(every_gateway),
        },
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
