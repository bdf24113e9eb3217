"""Security review of the services gateway.

The first tests each demonstrated a bug the review found (all fixed, kept as regressions); the
others pin down attacks that were already refused and were not covered elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import services_egress as egress
import whimsy_verify
from services_testkit import ALICE, BOB, UPSTREAM_HOST, Platform


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
    platform.publish(ALICE, [service(platform)])
    platform.upstream.key = platform.owner_key("sub-alice")
    return platform


def fake_upstream(
    platform: Platform, status: int, headers: list[tuple[str, str]], body: bytes = b"ok"
) -> None:
    """Replace the network exchange with a canned upstream answer."""
    module = platform.module

    def exchange(*args: Any, **kwargs: Any) -> Any:
        return module.UpstreamResponse(status, headers, body)

    platform.monkeypatch.setattr(module, "exchange", exchange)


# =========================================================================================
# Bugs found by the review (fixed; each failed before its fix).
# =========================================================================================


# --- path traversal out of the upstream's base path ---------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/u/alice/echo/..%2fadmin", "/u/alice/echo/%2e%2e%2fadmin", "/u/alice/echo/x/..%2F..%2Fetc"],
)
def test_encoded_slash_traversal_is_refused(alice: Platform, path: str) -> None:
    status, _, _ = alice.call("GET", path, token=alice.make_token("sub-bob"))
    assert status == 400, [s.target for s in alice.upstream.seen]
    assert alice.upstream.seen == []


def test_semicolon_dot_dot_traversal_is_refused(alice: Platform) -> None:
    status, _, _ = alice.call("GET", "/u/alice/echo/..;/admin", token=alice.make_token("sub-bob"))
    assert status == 400 and alice.upstream.seen == []


def test_redirect_with_encoded_slash_traversal_is_refused(alice: Platform) -> None:
    location = f"{alice.base}/v1/..%2fadmin"
    status, _, headers = alice.call(
        "GET", "/u/alice/echo/redirect", token=alice.make_token("sub-bob"),
        query="to=" + quote(location, safe=""),
    )  # fmt: skip
    assert status == 502, headers.get("location")


# --- origin-wide response headers from one tenant affect the whole shared API origin --------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nel", '{"report_to":"x","max_age":31536000,"include_subdomains":true,'
                '"success_fraction":1.0}'),
        ("report-to", '{"group":"x","max_age":31536000,'
                      '"endpoints":[{"url":"https://collector.attacker.net/r"}]}'),
        ("reporting-endpoints", 'x="https://collector.attacker.net/r"'),
        ("clear-site-data", '"cookies", "storage"'),
        ("refresh", "0;url=https://phish.attacker.net/login"),
        ("service-worker-allowed", "/"),
        ("origin-trial", "token"),
        # not named anywhere in the code: dropped because response headers are allow-listed
        ("permissions-policy", "camera=*"),
        ("cross-origin-opener-policy", "unsafe-none"),
        ("accept-ch", "Sec-CH-UA-Full-Version-List"),
        ("www-authenticate", 'Basic realm="api.whimsy.space sign-in"'),
        ("content-location", "https://internal.example.net/v1/x"),
        ("server-timing", "db;dur=53"),
    ],
)  # fmt: skip
def test_origin_wide_response_headers_are_dropped(alice: Platform, name: str, value: str) -> None:
    fake_upstream(alice, 200, [(name, value), ("content-type", "text/plain")])
    status, _, headers = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 200
    assert name not in headers


def test_allow_listed_and_extension_response_headers_pass(alice: Platform) -> None:
    passed = [
        ("Content-Type", "application/json"),
        ("ETag", '"v1"'),
        ("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT"),
        ("Link", '</u/alice/echo/x?page=2>; rel="next"'),
        ("Retry-After", "5"),
        ("Vary", "Accept"),
        ("X-Request-Id", "r-1"),
        ("X-Total-Count", "42"),
    ]
    fake_upstream(alice, 200, [*passed, ("X-Amzn-RequestId", "x"), ("Whimsy-Caller", "x")])
    status, _, headers = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 200
    assert {name.lower(): value for name, value in passed}.items() <= headers.items(), headers
    assert "x-amzn-requestid" not in headers and "whimsy-caller" not in headers


# --- correctness --------------------------------------------------------------------------


def test_head_of_a_large_resource_is_not_too_large(alice: Platform) -> None:
    alice.monkeypatch.setenv("SERVICES_MAX_RESPONSE_BYTES", "1000")
    status, data, _ = alice.call(
        "HEAD", "/u/alice/echo/big", token=alice.make_token("sub-bob"), query="n=5000"
    )
    assert status == 200, data


@pytest.mark.parametrize("location", ["https://[x", "//[::1/x"])
def test_unparseable_redirect_is_502_not_500(alice: Platform, location: str) -> None:
    status, data, _ = alice.call(
        "GET", "/u/alice/echo/redirect", token=alice.make_token("sub-bob"),
        query="to=" + quote(location, safe=""),
    )  # fmt: skip
    assert status == 502, data


def test_raising_per_seconds_does_not_lock_callers_out(platform: Platform) -> None:
    platform.upstream.key = None
    noon = float(int(time.time()) // 86400 * 86400 + 43_200)
    platform.monkeypatch.setattr(platform.module, "clock", lambda: noon)
    bob = platform.make_token("sub-bob")
    platform.publish(ALICE, [service(platform, rate_limit={"requests": 100, "per_seconds": 60})])
    assert platform.call("GET", "/u/alice/echo/x", token=bob)[0] == 200
    platform.publish(ALICE, [service(platform, rate_limit={"requests": 100, "per_seconds": 86400})])
    status, data, headers = platform.call("GET", "/u/alice/echo/x", token=bob)
    assert status == 200, (data, headers.get("retry-after"))


@pytest.mark.parametrize(
    ("path", "query"), [("/u/alice/echo/\udc80", ""), ("/u/alice/echo/x", "a=\udc80")]
)
def test_lone_surrogates_are_400_not_500(alice: Platform, path: str, query: str) -> None:
    status, _, _ = alice.call("GET", path, token=alice.make_token("sub-bob"), query=query)
    assert 400 <= status < 500


def test_junk_after_an_ipv6_literal_is_refused() -> None:
    with pytest.raises(egress.Refused):
        egress.check_url("https://[2606:2800:220:1:248:1893:25c8:1946]evil.com/")


# --- rate limits and spoofing headers -----------------------------------------------------


def test_anonymous_ipv6_callers_cannot_rotate_inside_their_prefix(platform: Platform) -> None:
    limited = service(platform, anonymous=True, rate_limit={"requests": 1, "per_seconds": 60})
    platform.publish(ALICE, [limited])
    assert platform.call("GET", "/u/alice/echo/x", source_ip="2001:db8:1:2::1")[0] == 200
    assert platform.call("GET", "/u/alice/echo/x", source_ip="2001:db8:1:2::2")[0] == 429


def test_rate_rows_carry_a_ttl_attribute_after_their_window(platform: Platform) -> None:
    # anonymous callers create a row per address or /64: a TTL must be able to delete them
    import boto3
    from services_testkit import REGION

    limited = service(platform, anonymous=True, rate_limit={"requests": 5, "per_seconds": 60})
    platform.publish(ALICE, [limited])
    now = 1_800_000_010.0
    platform.monkeypatch.setattr(platform.module, "clock", lambda: now)
    assert platform.call("GET", "/u/alice/echo/x", source_ip="2001:db8:1:2::1")[0] == 200
    key = f"rate#{ALICE}#echo#anonymous@2001:db8:1:2::/64"
    row = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName="usage", Key={"pk": {"S": key}, "sk": {"S": "window"}}
    )["Item"]
    window_end = 1_800_000_000 + 60
    assert window_end < int(row["expires_at"]["N"]) <= window_end + 86400


@pytest.mark.parametrize("name", ["x-http-method", "x-method-override"])
def test_method_override_headers_are_not_forwarded(alice: Platform, name: str) -> None:
    status, _, _ = alice.call(
        "GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"), headers={name: "DELETE"}
    )
    assert status == 200
    (seen,) = alice.upstream.seen
    assert name not in seen.headers


@pytest.mark.parametrize("name", ["x_forwarded_for", "x_real_ip", "whimsy_caller"])
def test_underscore_spellings_of_dropped_headers_are_not_forwarded(
    alice: Platform, name: str
) -> None:
    status, _, _ = alice.call(
        "GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"), headers={name: "10.0.0.1"}
    )
    assert status == 200
    (seen,) = alice.upstream.seen
    assert name not in seen.headers


# --- the reference verifier owners copy ---------------------------------------------------


def _signed(key: bytes, **override: str) -> dict[str, str]:
    headers = {
        "Host": "svc.example.net",
        "Whimsy-Caller": BOB,
        "Whimsy-Timestamp": str(int(time.time())),
        "Whimsy-Request-Id": "r1",
        "Whimsy-Service": "alice/echo",
    }
    message = "\n".join(
        ["WHIMSY-V1", headers["Whimsy-Timestamp"], "r1", "GET", "/x", headers["Host"],
         "alice/echo", BOB, hashlib.sha256(b"").hexdigest()]
    ).encode()  # fmt: skip
    headers["Whimsy-Signature"] = "v1=" + hmac.new(key, message, hashlib.sha256).hexdigest()
    headers.update(override)
    return headers


def test_the_reference_verifier_accepts_a_good_signature() -> None:
    key = b"k" * 32
    assert whimsy_verify.verify(key, "GET", "/x", _signed(key), b"") == BOB


@pytest.mark.parametrize(
    "override",
    [{"Whimsy-Signature": "v1=\u00e9"}, {"Whimsy-Timestamp": "9" * 5000}],
)
def test_the_reference_verifier_only_raises_invalid_signature(override: dict[str, str]) -> None:
    key = b"k" * 32
    with pytest.raises(whimsy_verify.InvalidSignature):
        whimsy_verify.verify(key, "GET", "/x", _signed(key, **override), b"")


# =========================================================================================
# Attacks that are refused correctly (and were not covered yet).
# =========================================================================================

MORE_REFUSED_URLS = [
    # IPv4 ranges beyond the usual private ones
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://198.19.255.255/",
    "https://240.0.0.1/",
    "https://255.255.255.254/",
    "https://192.0.0.170/",  # NAT64 prefix discovery (RFC 7050)
    "https://192.88.99.1/",
    "https://233.252.0.1/",
    "https://0.1.2.3/",
    # IPv6 forms carrying IPv4, NAT64, and other non-unicast ranges
    "https://[64:ff9b::808:808]/",  # NAT64 of a *public* IPv4 is refused too
    "https://[64:ff9b::7f00:1]/",
    "https://[64:ff9b:1::a00:1]/",
    "https://[64:ff9b:1:ffff::a9fe:a9fe]/",
    "https://[::ffff:0:a9fe:a9fe]/",  # IPv4-translated
    "https://[::ffff:8.8.8.8]/",
    "https://[::a9fe:a9fe]/",
    "https://[::7f00:1]/",
    "https://[0:0:0:0:0:ffff:7f00:1]/",
    "https://[2002:808:808::1]/",
    "https://[2001:0:53aa:64c:0:0:0:0]/",
    "https://[100::1]/",
    "https://[5f00::1]/",
    "https://[3fff::1]/",
    "https://[fd00:ec2::23]/",
    "https://[fec0::1]/",
    "https://[4000::1]/",
    "https://[2606:2800:220:1:248:1893:25c8:1946%25eth0]/",  # zone id on a public address
    "https://[fe80::1%eth0]/",
    "https://[::1]:8443/",
    "https://[2606:2800:0220:1:248:1893:25c8:1946]/",  # non-canonical IPv6
    "https://[2606:2800:220:1:248:1893:25C8:1946]/",  # upper case
    "https://[v1.fe80::1]/",
    # lenient IPv4 spellings
    "https://0/",
    "https://0x0a.0x00.0x00.0x01/",
    "https://010.0.0.1/",
    "https://1.2.3.4.5/",
    # host and authority parsing games
    "https://example.com:443@169.254.169.254/",
    "https://169.254.169.254#@example.com/",
    "https://example.com%2f@127.0.0.1/",
    "https://exa%6dple.com/",
    "https://example.com%2e/",
    "https://example.com;.evil.net/",
    "https://example_host.com/",
    "https://example.com:+443/",
    "https://example.com:443:443/",
    "https://example.com:1023/",
    "https://example.com:65536/",
    "https://example.com\r\n.evil.net/",
    "https://example.com\x00.evil.net/",
    "https://xn--80ak6aa92e.com./",
    "https:/\\example.com/",
    "HTTPS://example.com/",
    "https://evil.com[::1]/",
    # AWS and platform endpoints by other spellings
    "https://abcdef.execute-api.us-east-1.amazonaws.com/prod",
    "https://bucket.s3.dualstack.us-east-1.amazonaws.com/",
    "https://bedrock-runtime.us-east-1.api.aws/",
    "https://x.amazonaws.com.cn/",
    "https://api.whimsy.space:8443/",
    "https://alice.whimsy.space/",
    "https://metadata.ec2.internal/",
    "https://kubernetes.default.svc.cluster.local/",
    # base-path traversal in the declared URL
    "https://example.com/v1/.%2E/admin",
    "https://example.com/v1/%2E%2e",
    "https://example.com/v1/.",
    "https://example.com/v1/%zz",
]


@pytest.mark.parametrize("url", MORE_REFUSED_URLS)
def test_more_refused_upstream_urls(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WHIMSY_APEX", "whimsy.space")
    with pytest.raises(egress.Refused):
        egress.check_url(url)


MORE_BLOCKED_ANSWERS = [
    "100.127.255.255",
    "198.19.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "224.0.0.251",
    "192.0.0.170",
    "192.88.99.1",
    "64:ff9b::808:808",
    "64:ff9b:1::808:808",
    "2002:808:808::1",
    "::ffff:0:a9fe:a9fe",
    "::a9fe:a9fe",
    "::127.0.0.1",
    "fe80::1%eth0",
    "2606:2800:220:1:248:1893:25c8:1946%eth0",
    "fc00::1",
    "100::1",
    "5f00::1",
    "3fff::1",
    "2001:db8::1",
    "2001:10::1",
    "ff02::1",
    "4000::1",
    "not-an-address",
    "127.1",
]


@pytest.mark.parametrize("answer", MORE_BLOCKED_ANSWERS)
def test_more_blocked_resolver_answers(answer: str) -> None:
    upstream = egress.check_url("https://innocent.example.org/")
    with pytest.raises(egress.Refused):
        egress.resolve_checked(upstream, lambda host, port: [answer])


def test_a_name_without_answers_is_refused() -> None:
    upstream = egress.check_url("https://innocent.example.org/")
    with pytest.raises(egress.Refused):
        egress.resolve_checked(upstream, lambda host, port: [])


def test_the_pinned_connection_refuses_an_unexpected_peer() -> None:
    """If the socket seam ever connected elsewhere, the peer check stops it before TLS."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        connection = egress.PinnedHTTPSConnection(
            UPSTREAM_HOST, port, address="93.184.216.34", context=egress.tls_context(),
            timeout=1.0, opener=lambda a, p, t: socket.create_connection(("127.0.0.1", p), t),
        )  # fmt: skip
        with pytest.raises(egress.Refused):
            connection.connect()


# --- the gateway end to end ---------------------------------------------------------------


def test_x_forwarded_for_cannot_buy_anonymous_callers_a_new_rate_budget(
    platform: Platform,
) -> None:
    limited = service(platform, anonymous=True, rate_limit={"requests": 1, "per_seconds": 60})
    platform.publish(ALICE, [limited])
    spoof = ("x-forwarded-for", "x-real-ip", "forwarded", "true-client-ip", "cf-connecting-ip")
    assert platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.7")[0] == 200
    for n, name in enumerate(spoof):
        status, _, headers = platform.call(
            "GET", "/u/alice/echo/x", source_ip="198.51.100.7", headers={name: f"1.2.3.{n}"}
        )
        assert status == 429 and int(headers["retry-after"]) >= 1
    assert len(platform.upstream.seen) == 1


def test_anonymous_callers_share_one_monthly_quota_whatever_their_address(
    platform: Platform,
) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True, monthly_quota=1)])
    assert platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.1")[0] == 200
    status, data, headers = platform.call("GET", "/u/alice/echo/x", source_ip="198.51.100.2")
    assert status == 429 and json.loads(data)["error"] == "quota_exhausted"
    assert int(headers["retry-after"]) >= 1
    # a signed-in caller has a quota of their own
    assert platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))[0] == 200


def test_request_smuggling_headers_are_replaced_by_an_exact_content_length(
    alice: Platform,
) -> None:
    body = b"0\r\n\r\nGET /admin HTTP/1.1\r\nHost: upstream\r\n\r\n"
    status, _, _ = alice.call(
        "POST",
        "/u/alice/echo/x",
        token=alice.make_token("sub-bob"),
        body=body,
        headers={"transfer-encoding": "chunked", "content-length": "0", "expect": "100-continue"},
    )
    assert status == 200
    (seen,) = alice.upstream.seen  # one request, not two
    assert seen.body == body and seen.caller == BOB
    assert seen.headers["content-length"] == str(len(body))
    assert "transfer-encoding" not in seen.headers and "expect" not in seen.headers


def test_crlf_cannot_be_injected_through_the_path_or_the_query(alice: Platform) -> None:
    bob = alice.make_token("sub-bob")
    for path in ("/u/alice/echo/a%0d%0ax-injected:%201", "/u/alice/echo/a%0ax", "/u/alice/echo/\r"):
        assert alice.call("GET", path, token=bob)[0] == 400, path
    assert alice.upstream.seen == []
    status, _, _ = alice.call(
        "GET", "/u/alice/echo/x", token=bob, query="a=1\r\nx-injected: 1&b=%0d%0ay: 2"
    )
    assert status == 200
    (seen,) = alice.upstream.seen
    assert "x-injected" not in seen.headers and "y" not in seen.headers
    assert "\r" not in seen.target and "\n" not in seen.target
    assert seen.caller == BOB  # the canonical string stayed unambiguous


def test_control_characters_in_header_values_are_400(alice: Platform) -> None:
    bob = alice.make_token("sub-bob")
    for value in ("a\rb", "a\nb", "a\x00b", "a\x7fb", "a\x0bb"):
        assert alice.call("GET", "/u/alice/echo/x", token=bob, headers={"x-a": value})[0] == 400
    assert alice.upstream.seen == []


def test_the_callers_credentials_never_reach_the_upstream(platform: Platform) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True)])
    platform.upstream.key = platform.owner_key("sub-alice")
    token = platform.make_token("sub-bob")
    platform.call(
        "GET",
        "/u/alice/echo/x",
        token=token,
        headers={"cookie": "id_token=" + token, "x-amz-security-token": "t", "x-api-key": "k"},
    )
    (seen,) = platform.upstream.seen
    assert token not in json.dumps(seen.headers)
    assert seen.headers["x-api-key"] == "k"  # ordinary headers pass


def test_a_redirect_through_a_backslash_or_userinfo_is_refused(alice: Platform) -> None:
    for location in (
        f"{alice.base}\\@169.254.169.254/",
        f"https://{UPSTREAM_HOST}:{alice.upstream.port}@evil.example.net/v1/x",
        f"https://evil.example.net#@{UPSTREAM_HOST}:{alice.upstream.port}/v1",
        f"HTTPS://{UPSTREAM_HOST.upper()}:{alice.upstream.port}/elsewhere",
        "/v1/%2E%2E/admin",
    ):
        status, _, headers = alice.call(
            "GET", "/u/alice/echo/redirect", token=alice.make_token("sub-bob"),
            query="to=" + quote(location, safe=""),
        )  # fmt: skip
        assert status == 502 and "location" not in headers, location


@pytest.mark.parametrize(
    "headers",
    [
        [("Set-Cookie", "a=b; Domain=whimsy.space"), ("SET-COOKIE2", "a=b")],
        [("Access-Control-Allow-Origin", "https://evil.net"),
         ("Access-Control-Allow-Credentials", "true")],
        [("Whimsy-Caller", ALICE), ("X-Amz-Apigw-Id", "x"), ("Proxy-Authenticate", "Basic")],
        [("x-split", "a\r\nset-cookie: b=c"), ("x-nul", "a\x00b")],
        [("Bad Name", "x"), ("x:colon", "y")],
        [("Connection", "x-secret"), ("X-Secret", "1"), ("Transfer-Encoding", "chunked")],
        [("Content-Security-Policy", "default-src *"), ("Cache-Control", "public, max-age=9")],
    ],
)  # fmt: skip
def test_hostile_upstream_response_headers_are_filtered(
    alice: Platform, headers: list[tuple[str, str]]
) -> None:
    fake_upstream(alice, 200, headers)
    status, _, out = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 200
    sent = {name.lower() for name, _ in headers}
    assert not sent & set(out) - {"content-security-policy", "cache-control"}, out
    assert out["content-security-policy"].startswith("sandbox")
    assert out["cache-control"] == "private, no-store"
    assert all("\r" not in v and "\n" not in v and "\0" not in v for v in out.values())


@pytest.mark.parametrize("status", [101, 103, 199, 600, 999])
def test_unusable_upstream_statuses_are_502(alice: Platform, status: int) -> None:
    fake_upstream(alice, status, [])
    assert alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))[0] == 502


def test_a_201_location_is_dropped_rather_than_passed_through(alice: Platform) -> None:
    fake_upstream(alice, 201, [("location", "https://evil.example.net/")])
    status, _, headers = alice.call("GET", "/u/alice/echo/x", token=alice.make_token("sub-bob"))
    assert status == 201 and "location" not in headers


@pytest.fixture
def stalling_tls_server() -> Iterator[int]:
    """Accepts TCP, then trickles a never-ending TLS record one byte at a time."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.sendall(b"\x16\x03\x03\x40\x00")  # a 16 KiB handshake record
                    for _ in range(300):  # 30 s: far past the bound below
                        if stop.is_set():
                            return
                        time.sleep(0.1)
                        conn.sendall(b"\x00")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_a_stalling_tls_handshake_is_bounded(platform: Platform, stalling_tls_server: int) -> None:
    platform.monkeypatch.setenv("SERVICES_TIMEOUT_SECONDS", "0.5")
    platform.monkeypatch.setenv("SERVICES_CONNECT_TIMEOUT_SECONDS", "0.5")
    upstream = f"https://{UPSTREAM_HOST}:{stalling_tls_server}/"
    platform.publish(ALICE, [service(platform, upstream=upstream)])
    started = time.monotonic()
    status, _, _ = platform.call("GET", "/u/alice/echo/x", token=platform.make_token("sub-bob"))
    assert status in (502, 504)
    assert time.monotonic() - started < 10  # cut at ~0.5 s; the handshake stalls for 30 s


def test_a_bad_token_on_an_anonymous_service_never_falls_back_to_anonymous(
    platform: Platform,
) -> None:
    platform.publish(ALICE, [service(platform, anonymous=True)])
    for authorization in ("", "Bearer ", "bearer x.y.z", "Bearer a.b.c.d"):
        status, _, _ = platform.call(
            "GET", "/u/alice/echo/x", headers={"authorization": authorization}
        )
        assert status == 401, authorization
    assert platform.upstream.seen == []
