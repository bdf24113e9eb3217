"""SSRF: upstream URLs and resolved addresses the gateway must never call."""

from __future__ import annotations

import ipaddress
import socket

import pytest
import services_egress as egress
from hypothesis import given, strategies as st

# Every one of these is refused by the static check, both when services.json is indexed and
# again on every call (with the apex set to whimsy.space, as every function's env has it).
REFUSED_URLS = [
    # not https, credentials, userinfo confusion
    "http://example.com/",
    "ftp://example.com/",
    "https://user:pass@example.com/",
    "https://example.com@169.254.169.254/",
    "https://example.com\\@169.254.169.254/",
    "https://example.com%40169.254.169.254/",
    "https:///169.254.169.254/",
    "https:169.254.169.254/",
    # loopback, private, link-local, metadata, CGNAT, reserved (IPv4)
    "https://127.0.0.1/",
    "https://127.255.255.254/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://169.254.170.2/v2/credentials",
    "https://100.100.100.200/latest/meta-data",  # Alibaba metadata, CGNAT range
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://198.18.0.1/",
    "https://192.0.0.192/",
    # IPv6 forms
    "https://[::1]/",
    "https://[::]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::169.254.169.254]/",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://[fe80::1%25eth0]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b::10.0.0.1]/",
    "https://[2002:a9fe:a9fe::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[ff02::1]/",
    "https://[2001:db8::1]/",
    # decimal, octal, hex and short IPv4 spellings
    "https://2130706433/",
    "https://2852039166/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0x7f.0.0.1/",
    "https://0x7f.1/",
    "https://127.1/",
    "https://10.1/",
    "https://017700000001/",
    "https://169.254.43518/",
    "https://0251.0376.0251.0376/",
    # names that are internal, AWS APIs, or the platform itself
    "https://localhost/",
    "https://localhost:8443/",
    "https://api.localhost/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://ip-10-0-0-1.ec2.internal/",
    "https://instance-data/",
    "https://printer.local/",
    "https://sts.amazonaws.com/",
    "https://dynamodb.us-east-1.amazonaws.com/",
    "https://whimsy-fs.s3.amazonaws.com/",
    "https://secretsmanager.us-east-1.amazonaws.com/",
    "https://lambda.us-east-1.api.aws/",
    "https://abc123.lambda-url.us-east-1.on.aws/",
    "https://api.whimsy.space/u/alice/echo",
    "https://whimsy.space/",
    "https://1.0.0.127.in-addr.arpa/",
    # spelling games
    "https://example.com./",
    "https://EXAMPLE.com/",
    "https://ｅxample.com/",
    "https://169。254。169。254/",
    "https://example.com\t/",
    "https://exa mple.com/",
    "https://-example.com/",
    "https://example.com:22/",
    "https://example.com:80/",
    "https://example.com:0/",
    "https://example.com:99999/",
    "https://example.com:/",
    "https://example.com/a/../b",
    "https://example.com/a/%2e%2e/b",
    "https://example.com/?q=1",
    "https://example.com/#x",
    "",
    "https://",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused_upstream_urls(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WHIMSY_APEX", "whimsy.space")
    with pytest.raises(egress.Refused):
        egress.check_url(url)


def test_there_are_at_least_twenty_ssrf_cases() -> None:
    assert len(REFUSED_URLS) >= 20


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://api.example.com/v1",
        "https://api.example.com:8443/v1/",
        "https://93.184.216.34/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/api",
        "https://xn--bcher-kva.de/api",
    ],
)
def test_ordinary_public_upstreams_pass(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WHIMSY_APEX", "whimsy.space")
    egress.check_url(url)


def test_test_loopback_is_exactly_127_0_0_1() -> None:
    egress.check_url("https://127.0.0.1:8443/", allow_test_loopback=True)
    for url in ("https://127.0.0.2/", "https://[::1]/", "https://2130706433/"):
        with pytest.raises(egress.Refused):
            egress.check_url(url, allow_test_loopback=True)


def test_the_test_switch_is_dead_inside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK", "1")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
    assert egress.test_settings_active()
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
    assert not egress.test_settings_active()


# --- resolution ----------------------------------------------------------------------------

BLOCKED_ANSWERS = [
    "127.0.0.1",
    "10.1.2.3",
    "172.31.255.255",
    "192.168.0.10",
    "169.254.169.254",
    "169.254.169.253",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "fe80::1",
    "fd00:ec2::254",
    "fd00:ec2::23",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "2002:0a00:0001::1",
    "2001::1",
    "fec0::1",
    "ff05::2",
]


@pytest.mark.parametrize("answer", BLOCKED_ANSWERS)
def test_names_resolving_to_internal_addresses_are_refused(answer: str) -> None:
    upstream = egress.check_url("https://innocent.example.org/")
    with pytest.raises(egress.Refused):
        egress.resolve_checked(upstream, lambda host, port: [answer])


def test_mixed_answers_are_refused_whatever_the_order() -> None:
    upstream = egress.check_url("https://innocent.example.org/")
    for answers in (["93.184.216.34", "10.0.0.1"], ["10.0.0.1", "93.184.216.34"]):
        with pytest.raises(egress.Refused):
            egress.resolve_checked(upstream, lambda host, port, a=answers: a)


def test_public_answers_give_the_first_address() -> None:
    upstream = egress.check_url("https://innocent.example.org/")
    answers = ["2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34"]
    assert egress.resolve_checked(upstream, lambda h, p: answers) == answers[0]


def test_resolver_failures_are_not_refusals() -> None:
    upstream = egress.check_url("https://innocent.example.org/")

    def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "no")

    with pytest.raises(OSError):
        egress.resolve_checked(upstream, fail)


# --- properties ----------------------------------------------------------------------------

_PRIVATE_V4 = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "127.0.0.0/8",
               "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]  # fmt: skip


@st.composite
def private_v4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(_PRIVATE_V4))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return network[offset]


def _spellings(address: ipaddress.IPv4Address) -> list[str]:
    value = int(address)
    octets = list(address.packed)
    return [
        str(value),  # decimal
        hex(value),  # hex
        "0" + oct(value)[2:],  # octal
        ".".join(f"0{o:o}" for o in octets),  # dotted octal
        ".".join(hex(o) for o in octets),  # dotted hex
        f"{octets[0]}.{value & 0xFFFFFF}",  # a.b
        f"{octets[0]}.{octets[1]}.{value & 0xFFFF}",  # a.b.c
        ".".join(f"{o:03d}" for o in octets),  # zero padded
        f"[::ffff:{address}]",
        f"[::ffff:{value >> 16:x}:{value & 0xFFFF:x}]",
        f"[64:ff9b::{address}]",
        f"[2002:{value >> 16:x}:{value & 0xFFFF:x}::1]",
        f"[::{address}]",
        str(address),
    ]


@given(private_v4(), st.data())
def test_every_spelling_of_a_private_ipv4_is_refused(
    address: ipaddress.IPv4Address, data: st.DataObject
) -> None:
    spelling = data.draw(st.sampled_from(_spellings(address)))
    with pytest.raises(egress.Refused):
        egress.check_url(f"https://{spelling}/")


@given(st.integers(0, 2**32 - 1))
def test_ipv4_decisions_match_a_reference(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    blocked = egress.blocked_reason(address) is not None
    assert blocked == (not address.is_global or address.is_multicast or int(address) >> 28 == 15)
    if blocked:
        assert egress.blocked_reason(ipaddress.IPv6Address(f"::ffff:{address}")) is not None


@given(st.integers(0, 2**128 - 1))
def test_ipv6_only_global_unicast_passes(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    if egress.blocked_reason(address) is None:
        assert address.is_global and not address.is_multicast
        assert address.ipv4_mapped is None and address.sixtofour is None
