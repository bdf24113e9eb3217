"""The gateway end to end: a real HTTPS upstream on 127.0.0.1, moto, real tokens."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import whimsy_verify
from services_testkit import ALICE, BOB, REGION, UPSTREAM_HOST, Platform


def service(platform: Platform, name: str = "echo", **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "upstream": f"{platform.base}/v1",
        "methods": ["GET", "POST", "HEAD"],
        "anonymous": False,
        "rate_limit": {"requests": 100, "per_seconds": 60},
        "monthly_quota": 1000,
        **overrides,
    }


@pytest.fixture
def alice(platform: Platform) -> Platform:
    """Alice (handle alice) publishes `echo`; the upstream knows her key."""
    platform.publish(ALICE, [service(platform)])
    platform.upstream.key = platform.owner_key("sub-alice")
    return platform


def test_forwarding_with_a_verified_caller(alice: Platform) -> None:
    body = b'{"hello": "world"}'
    status, data, headers = alice.call(
        "POST",
        "/u/alice/echo/forecast/today",
        token=alice.make_token("sub-bob"),
        body=body,
        query="city=paris&units=metric",
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    assert status == 200, data
    reply = json.loads(data)
    assert reply["target"] == "/v1/forecast/today?city=paris&units=metric"
    assert reply["caller"] == BOB  # the upstream verified the signature with Alice's key
    assert reply["body_sha256"] == hashlib.sha256(body).hexdigest()
    (seen,) = alice.upstream.seen
    assert seen.headers["host"] == f"{UPSTREAM_HOST}:{alice.upstream.port}"
    assert seen.headers["whimsy-service"] == "alice/echo"
    assert seen.headers["content-type"] == "application/json"
    assert headers["content-security-policy"].startswith("sandbox")
    assert headers["cache-control"] == "private, no-store"
    assert headers["x-ratelimit-remaining"] == "99" and headers["x-quota-remaining"] == "999"
    # pinned: one resolution, one connection, to the address that was checked
    assert alice.resolver.calls == [UPSTREAM_HOST]
    assert alice.sockets.opened == [("127.0.0.1", alice.upstream.port)]


def test_the_service_root_and_head(alice: Platform) -> None:
    status, data, _ = alice.call("GET", "/u/alice/echo", token=alice.make_token("sub-bob"))
    assert status == 200 and json.loads(data)["target"] == "/v1"
    status, data, _ = alice.call("HEAD", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 200 and data == b""


def test_a_signature_made_with_another_owners_key_does_not_verify(alice: Platform) -> None:
    alice.upstream.key = alice.owner_key("sub-bob")  # Bob's key: Bob cannot speak for Alice
    alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    (seen,) = alice.upstream.seen
    assert seen.caller is None and seen.error == "signature does not match"
    assert alice.owner_key("sub-alice") != alice.owner_key("sub-bob")


def test_tampered_or_stale_requests_do_not_verify(alice: Platform) -> None:
    alice.call("POST", "/u/alice/echo/x", token=alice.make_token("sub-bob"), body=b"pay 1")
    (seen,) = alice.upstream.seen
    key = alice.upstream.key
    assert key is not None
    args = (key, seen.method, seen.target, seen.headers)
    assert whimsy_verify.verify(*args, seen.body) == BOB
    with pytest.raises(whimsy_verify.InvalidSignature):
        whimsy_verify.verify(*args, b"pay 1000")
    with pytest.raises(whimsy_verify.InvalidSignature):
        whimsy_verify.verify(key, seen.method, "/v1/y", seen.headers, seen.body)
    forged = {**seen.headers, "whimsy-caller": ALICE}
    with pytest.raises(whimsy_verify.InvalidSignature):
        whimsy_verify.verify(key, seen.method, seen.target, forged, seen.body)
    with pytest.raises(whimsy_verify.InvalidSignature, match="too old"):
        whimsy_verify.verify(*args, seen.body, now=time.time() + 301)


def test_anonymous_callers_when_allowed(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True)])
    platform.upstream.key = platform.owner_key("sub-alice")
    status, data, _ = platform.call("GET", "/u/alice/echo/x")
    assert status == 200 and json.loads(data)["caller"] == "anonymous"


def test_anonymous_callers_when_not_allowed(alice: Platform) -> None:
    status, data, headers = alice.call("GET", "/u/alice/echo/x")
    assert status == 401 and json.loads(data)["error"] == "sign_in_required"
    assert "www-authenticate" in headers and alice.upstream.seen == []


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not.a.token", "Basic YWxpY2U6cHc=", "Bearer", "Token abc"],
)
def test_bad_credentials_are_401_never_anonymous(platform: Platform, authorization: str) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True)])
    status, data, _ = platform.call(
        "GET", "/u/alice/echo/x", headers={"authorization": authorization}
    )
    assert status == 401 and json.loads(data)["error"] == "invalid_token"
    assert platform.upstream.seen == []


def test_expired_and_foreign_tokens_are_401(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True)])
    for bad in (
        platform.make_token("sub-bob", exp=int(time.time()) - 3600),
        platform.make_token("sub-bob", aud="another-client"),
        platform.make_token("sub-bob", token_use="access"),
    ):
        assert platform.call("GET", "/u/alice/echo/x", token=bad)[0] == 401
    assert platform.upstream.seen == []


@pytest.mark.parametrize(
    "path",
    ["/u/nobody/echo/x", "/u/alice/nothing/x", "/u/alice/ECHO/x", "/u/a/echo", "/u/alice/-x-/y"],
)
def test_unknown_handles_and_services_are_404(alice: Platform, path: str) -> None:
    assert alice.call("GET", path, token=alice.make_token("sub-bob"))[0] == 404


def test_methods_not_declared_are_405(alice: Platform) -> None:
    status, _, headers = alice.call("DELETE", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 405 and headers["allow"] == "GET, HEAD, POST"
    assert alice.upstream.seen == []


@pytest.mark.parametrize(
    "path",
    [
        "/u/alice/echo/../admin",
        "/u/alice/echo/a/%2e%2e/b",
        "/u/alice/echo/%2E",
        "/u/alice/echo/%zz",
    ],
)
def test_dot_segments_and_bad_escapes_are_400(alice: Platform, path: str) -> None:
    assert alice.call("GET", path, token=alice.make_token("sub-bob"))[0] == 400
    assert alice.upstream.seen == []


def test_hop_by_hop_credentials_and_spoofing_headers_are_stripped(alice: Platform) -> None:
    status, _, headers = alice.call(
        "GET",
        "/u/alice/echo/hop",
        token=alice.make_token("sub-bob"),
        headers={
            "connection": "keep-alive, x-drop-me",
            "x-drop-me": "secret",
            "keep-alive": "timeout=5",
            "te": "trailers",
            "upgrade": "websocket",
            "proxy-authorization": "Basic eA==",
            "cookie": "session=abc",
            "x-forwarded-for": "10.0.0.1",
            "x-forwarded-host": "internal",
            "forwarded": "for=10.0.0.1",
            "x-amz-security-token": "t",
            "x-amzn-trace-id": "Root=1",
            "whimsy-caller": ALICE,
            "whimsy-signature": "v1=forged",
            "x-real-ip": "10.0.0.1",
            "x-keep": "kept",
        },
    )
    assert status == 200
    (seen,) = alice.upstream.seen
    for name in (
        "x-drop-me", "keep-alive", "te", "upgrade", "proxy-authorization", "authorization",
        "cookie", "x-forwarded-for", "x-forwarded-host", "forwarded", "x-amz-security-token",
        "x-amzn-trace-id", "x-real-ip",
    ):  # fmt: skip
        assert name not in seen.headers, name
    assert seen.headers["x-keep"] == "kept"
    assert seen.headers["whimsy-caller"] == BOB and seen.caller == BOB
    assert seen.headers.get("connection", "close") == "close"  # http.client's own, not ours
    # and on the way back
    for name in (
        "x-upstream-secret", "keep-alive", "set-cookie", "access-control-allow-origin",
        "strict-transport-security", "x-amzn-remapped-authorization",
    ):  # fmt: skip
        assert name not in headers, name
    assert headers["x-kept"] == "yes"


def test_upstream_html_cannot_run_as_the_api_origin(alice: Platform) -> None:
    status, _, headers = alice.call("GET", "/u/alice/echo/html", token=alice.make_token("sub-bob"))
    assert status == 200 and headers["content-type"] == "text/html"
    assert headers["content-security-policy"].startswith("sandbox")
    assert headers["x-content-type-options"] == "nosniff"


def test_rate_limit_is_429_with_retry_after(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, rate_limit={"requests": 3, "per_seconds": 60})])
    now = [1_800_000_010.0]  # 10 s into a 60 s window
    platform.monkeypatch.setattr(platform.module, "clock", lambda: now[0])
    bob = platform.make_token("sub-bob")
    assert [platform.call("GET", "/u/alice/echo/x", token=bob)[0] for _ in range(3)] == [200] * 3
    status, data, headers = platform.call("GET", "/u/alice/echo/x", token=bob)
    assert status == 429 and json.loads(data)["error"] == "rate_limited"
    assert headers["retry-after"] == "50"
    # other callers have their own budget; anonymous callers theirs per address
    assert platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-carol"))[0] == 200
    now[0] += 50
    assert platform.call("GET", "/u/alice/echo/x", token=bob)[0] == 200
    assert len(platform.upstream.seen) == 5


def test_anonymous_rate_limits_are_per_source_address(platform: Platform) -> None:
    limited = service(platform, anonymous=True, rate_limit={"requests": 1, "per_seconds": 60})
    platform.publish(ALICE, [limited])
    assert platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.1")[0] == 200
    assert platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.1")[0] == 429
    assert platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.2")[0] == 200


def test_monthly_quota_is_429_until_next_month(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, monthly_quota=2)])
    now = [1_800_000_000.0]  # 2027-01-15T08:00:00Z
    platform.monkeypatch.setattr(platform.module, "clock", lambda: now[0])
    bob = platform.make_token("sub-bob")
    assert [platform.call("GET", "/u/alice/echo/x", token=bob)[0] for _ in range(2)] == [200] * 2
    status, data, headers = platform.call("GET", "/u/alice/echo/x", token=bob)
    assert status == 429 and json.loads(data)["error"] == "quota_exhausted"
    assert int(headers["retry-after"]) == 1_801_440_000 - 1_800_000_000  # 2027-02-01T00:00Z
    now[0] = 1_801_440_000.0
    assert platform.call("GET", "/u/alice/echo/x", token=bob)[0] == 200


def test_usage_is_metered_per_caller_host_service_and_day(alice: Platform) -> None:
    # the meter's clock held at today's noon: a run across midnight UTC meters the same day
    noon = float(int(time.time()) // 86400 * 86400 + 43_200)
    alice.monkeypatch.setattr(alice.module, "clock", lambda: noon)
    bob = alice.make_token("sub-bob")
    alice.call("POST", "/u/alice/echo/x", token=bob, body=b"12345")
    alice.call("GET", "/u/alice/echo/x", token=bob)
    assert alice.module.meter.flush() == 1
    day = time.strftime("%Y-%m-%d", time.gmtime(noon))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    host_row = dynamodb.get_item(
        TableName="usage", Key={"pk": {"S": f"services#{ALICE}"}, "sk": {"S": f"{day}#echo#{BOB}"}}
    )["Item"]
    spend_row = dynamodb.get_item(
        TableName="usage", Key={"pk": {"S": f"spend#{BOB}"}, "sk": {"S": f"{day}#{ALICE}#echo"}}
    )["Item"]
    assert host_row["requests"]["N"] == spend_row["requests"]["N"] == "2"
    assert int(host_row["bytes"]["N"]) > 5


# The deadline tests: a 0.5 s timeout against an upstream that stalls for STALL_SECONDS. The
# bound on the answer's time sits far from both (a loaded runner cannot push a cut call past
# it, an uncut call cannot come in under it), so the outcome does not depend on scheduling.
STALL_SECONDS = 30
CUT_WITHIN_SECONDS = 10


def test_timeouts_are_504(alice: Platform) -> None:
    alice.monkeypatch.setenv("SERVICES_TIMEOUT_SECONDS", "0.5")
    started = time.monotonic()
    status, data, _ = alice.call(
        "GET", "/u/alice/echo/slow", query=f"s={STALL_SECONDS}", token=alice.make_token("sub-bob")
    )
    assert status == 504 and json.loads(data)["error"] == "upstream_timeout"
    assert time.monotonic() - started < CUT_WITHIN_SECONDS


def test_a_trickling_upstream_is_cut_at_the_deadline(alice: Platform) -> None:
    alice.monkeypatch.setenv("SERVICES_TIMEOUT_SECONDS", "0.5")
    started = time.monotonic()
    status, _, _ = alice.call(
        "GET",
        "/u/alice/echo/trickle",
        query=f"s={STALL_SECONDS}",
        token=alice.make_token("sub-bob"),
    )
    assert status == 504 and time.monotonic() - started < CUT_WITHIN_SECONDS


def test_oversized_requests_are_413_before_anything_else(alice: Platform) -> None:
    alice.monkeypatch.setenv("SERVICES_MAX_REQUEST_BYTES", "1000")
    bob = alice.make_token("sub-bob")
    assert alice.call("POST", "/u/alice/echo/x", token=bob, body=b"a" * 1000)[0] == 200
    status, data, _ = alice.call("POST", "/u/alice/echo/x", token=bob, body=b"a" * 1001)
    assert status == 413 and json.loads(data)["error"] == "payload_too_large"
    assert len(alice.upstream.seen) == 1


@pytest.mark.parametrize("query", ["n=5000", "n=5000&chunked=1"])
def test_oversized_responses_are_502(alice: Platform, query: str) -> None:
    alice.monkeypatch.setenv("SERVICES_MAX_RESPONSE_BYTES", "4000")
    status, data, _ = alice.call(
        "GET", "/u/alice/echo/big", token=alice.make_token("sub-bob"), query=query
    )
    assert status == 502 and json.loads(data)["error"] == "upstream_response_too_large"
    ok = alice.call("GET", "/u/alice/echo/big", token=alice.make_token("sub-bob"), query="n=4000")
    assert ok[0] == 200 and len(ok[1]) == 4000


def test_redirects_inside_the_service_are_rewritten_to_the_gateway(alice: Platform) -> None:
    for location, expected in (
        ("/v1/elsewhere?x=1", "/u/alice/echo/elsewhere?x=1"),
        ("other", "/u/alice/echo/other"),
        (f"{alice.base}/v1", "/u/alice/echo"),
    ):
        status, _, headers = alice.call(
            "GET", "/u/alice/echo/redirect", token=alice.make_token("sub-bob"),
            query="to=" + quote(location, safe=""),
        )  # fmt: skip
        assert status == 302 and headers["location"] == expected


@pytest.mark.parametrize(
    "location",
    [
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://10.0.0.1/admin",
        "https://127.0.0.1:22/",
        "https://localhost/",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity",
        "https://evil.example.com/phish",
        "/v2/outside-the-base-path",
        "//169.254.169.254/x",
        "https://upstream.whimsy-tests.net@169.254.169.254/",
        "file:///etc/passwd",
        "https://upstream.whimsy-tests.net/v1/%2e%2e/admin",
    ],
)
def test_redirects_anywhere_else_are_refused_and_never_followed(
    alice: Platform, location: str
) -> None:
    status, data, headers = alice.call(
        "GET", "/u/alice/echo/redirect", token=alice.make_token("sub-bob"),
        query="to=" + quote(location, safe=""),
    )  # fmt: skip
    assert status == 502 and json.loads(data)["error"] == "upstream_redirect_refused"
    assert "location" not in headers
    assert alice.sockets.opened == [("127.0.0.1", alice.upstream.port)]  # nothing else, ever


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["169.254.170.2"],
        ["100.100.100.200"],
        ["::1"],
        ["fd00:ec2::254"],
        ["::ffff:169.254.169.254"],
        ["64:ff9b::a9fe:a9fe"],
        ["93.184.216.34", "10.0.0.1"],  # one private answer poisons the name
        ["0.0.0.0"],
        ["127.0.0.2"],  # the test switch allows 127.0.0.1 exactly
    ],
)
def test_upstreams_resolving_to_internal_addresses_are_refused_before_connecting(
    platform: Platform, answers: list[str]
) -> None:
    platform.publish(ALICE, [service(platform, upstream="https://api.sneaky-host.net/v1")])
    platform.resolver.answers["api.sneaky-host.net"] = answers
    status, data, _ = platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))
    assert status == 502 and json.loads(data)["error"] == "upstream_refused"
    assert platform.sockets.opened == []


def test_dns_rebinding_between_index_and_call_is_refused(platform: Platform) -> None:
    """Public when services.json is indexed, the metadata address when called."""
    platform.resolver.answers["rebind.sneaky-host.net"] = ["93.184.216.34"]
    document = {"services": [{"name": "echo", "upstream": "https://rebind.sneaky-host.net/"}]}
    boto3.client("s3", region_name=REGION).put_object(
        Bucket="whimsy-fs",
        Key=f"{ALICE}/public/whimsy.space/services.json",
        Body=json.dumps(document).encode(),
    )
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "whimsy-fs"},
                    "object": {"key": f"{ALICE}/public/whimsy.space/services.json"},
                },
            }
        ]
    }
    assert platform.module.handler(event, None) == {"outcomes": ["accepted"]}
    platform.resolver.answers["rebind.sneaky-host.net"] = ["169.254.169.254"]
    status, _, _ = platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))
    assert status == 502 and platform.sockets.opened == []


def test_dns_rebinding_between_check_and_use_cannot_happen(alice: Platform) -> None:
    """The name is resolved once per call and the connection goes to that checked address:
    an answer that changes right after the check is never used."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    alice.resolver.answers[UPSTREAM_HOST] = lambda: next(answers)
    assert alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))[0] == 200
    assert alice.resolver.calls == [UPSTREAM_HOST]
    assert alice.sockets.opened == [("127.0.0.1", alice.upstream.port)]
    # the next call sees the new answer, checks it, and refuses
    assert alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))[0] == 502
    assert alice.sockets.opened == [("127.0.0.1", alice.upstream.port)]


def test_the_certificate_must_match_the_upstream_name(platform: Platform) -> None:
    other = "other.whimsy-tests.net"
    platform.resolver.answers[other] = ["127.0.0.1"]
    platform.publish(
        ALICE, [service(platform, upstream=f"https://{other}:{platform.upstream.port}/")]
    )
    status, data, _ = platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))
    assert status == 502 and json.loads(data)["error"] == "upstream_error"
    assert platform.upstream.seen == []


def test_without_the_test_switch_loopback_is_refused(alice: Platform) -> None:
    alice.monkeypatch.delenv("WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK")
    status, _, _ = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 502 and alice.sockets.opened == []


def test_inside_lambda_the_test_switch_is_ignored(alice: Platform) -> None:
    alice.monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "whimsy-services")
    status, _, _ = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 502 and alice.sockets.opened == []


def test_unreachable_upstreams_are_502(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, upstream="https://nxdomain.sneaky-host.net/")])
    assert platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))[0] == 502
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    platform.publish(ALICE, [service(platform, upstream=f"https://{UPSTREAM_HOST}:{port}/")])
    status, data, _ = platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))
    assert status == 502 and json.loads(data)["error"] == "upstream_error"


@pytest.mark.parametrize(
    "headers",
    [
        {"x-evil": "a\r\nx-injected: 1"},
        {"x-evil": "caf\u00e9\u2603"},
        {"bad header": "x"},
    ],
)
def test_malformed_request_headers_are_400(alice: Platform, headers: dict[str, str]) -> None:
    status, _, _ = alice.call(
        "GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"), headers=headers
    )
    assert status == 400 and alice.upstream.seen == []


def test_the_owner_key_route_needs_a_signed_in_owner(platform: Platform) -> None:
    status, _, _ = platform.call("GET", "/services/key")
    assert status == 401
    status, data, headers = platform.call(
        "GET", "/services/key", token=platform.make_token("sub-alice")
    )
    body = json.loads(data)
    assert status == 200 and body["algorithm"] == "HMAC-SHA256" and len(body["key_id"]) == 16
    assert headers["cache-control"] == "private, no-store"


def test_hostile_requests_never_get_5xx(alice: Platform) -> None:
    bob = alice.make_token("sub-bob")
    for method, path, query in (
        ("GET", "/u/alice/echo/%00", ""),
        ("GET", "/u/alice/echo/a b", "q=\x00"),
        ("GET", "/u/alice/echo/x", "a=%zz"),
        ("TRACE", "/u/alice/echo/x", ""),
        ("CONNECT", "/u/alice/echo/x", ""),
        ("GET", "/u/%61lice/echo/x", ""),
        ("GET", "/u//echo", ""),
        ("GET", "/u/alice", ""),
    ):
        status = alice.call(method, path, token=bob, query=query)[0]
        assert 400 <= status < 500 or status == 200, (method, path, status)
