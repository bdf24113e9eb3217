"""Outbound HTTPS to user-declared upstreams, without ever reaching anything internal.

Three gates, each necessary:

1. `check_url` (when services.json is indexed and again on every call): https only, no
   credentials, a plain lowercase DNS name or a canonical public IP literal, no port below 1024
   other than 443, no name that can only be internal (localhost, *.internal, single labels...)
   or that is an AWS API (*.amazonaws.com, *.aws, *.on.aws) or the platform itself.
2. `resolve_checked` (on every call): the name is resolved once and *every* answer must be a
   public unicast address (`blocked_reason`); IPv4 embedded in IPv6 (mapped, compatible,
   6to4, Teredo, NAT64) is judged as the IPv4 it carries, and those transition ranges are
   refused outright anyway.
3. `PinnedHTTPSConnection` connects to the address gate 2 approved, never to the name again,
   so DNS answers that change between check and use (rebinding) cannot matter. TLS still
   verifies the certificate against the name (SNI and Host are the name too).

Redirects are never followed (see handler.relocate). http.client ignores HTTP(S)_PROXY
variables, so no environment setting can route calls elsewhere.

Test-only: WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK=1 lets 127.0.0.1 (exactly) through gate 2 and
WHIMSY_SERVICES_TEST_CA_FILE adds a CA, so tests can run a local HTTPS upstream. Both are
ignored whenever the code runs inside Lambda (AWS_LAMBDA_FUNCTION_NAME is set), and whimsy's
generator never emits them.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
SocketOpener = Callable[[str, int, float], socket.socket]

MAX_URL_LENGTH = 2048
TEST_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")

# Everything that is not the public internet. ipaddress's is_global covers most of it; the
# list is explicit so that the decision does not depend on the Python version's tables.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT / shared address space
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local: EC2/ECS metadata 169.254.169.254, 169.254.170.2
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",  # NAT64: AWS VPCs can translate it to any IPv4, private ones included
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo 2001::/32 among them)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local: fd00:ec2::254 (EC2 IPv6 metadata) lives here
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# Exceptions inside 2001::/23 that are ordinary global unicast (per IANA).
_GLOBAL_V6_EXCEPTIONS = tuple(
    ipaddress.IPv6Network(n)
    for n in ("2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28")
)

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_NUMERICISH = re.compile(r"0x[0-9a-f]*|[0-9]+")
# Names that only ever mean something inside a network, and AWS's own API endpoints: with the
# platform's role, a call there would be signed by nobody but could still reach internal
# services (and *.amazonaws.com also hosts VPC endpoints and metadata-like services).
_BLOCKED_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "arpa",  # in-addr.arpa, ip6.arpa, home.arpa
    "test",
    "invalid",
    "example",
    "onion",
    "amazonaws.com",
    "amazonaws.com.cn",
    "amazonaws-us-gov.com",
    "aws",  # *.api.aws, *.on.aws (Lambda function URLs), and the .aws TLD
    "aws.dev",
    "amazon.com.cn",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
)
_ALLOWED_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


class Refused(Exception):
    """The URL or address must not be called. The message is safe to show to its owner."""


@dataclass(frozen=True)
class Upstream:
    """A checked upstream base URL."""

    url: str
    host: str  # lowercase DNS name or IP literal (IPv6 without brackets)
    port: int
    path: str  # base path, "" or starting with "/", no trailing "/"
    literal: IPAddress | None  # the host when it is an IP literal

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


def test_settings_active() -> bool:
    """True only outside Lambda and only when the test switch is set."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("AWS_EXECUTION_ENV"):
        return False
    return os.environ.get("WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK") == "1"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's (obfuscated-decoded) address
    packed = address.packed
    if packed[:12] == bytes(12) and any(packed[12:]):  # ::a.b.c.d (compatible)
        return ipaddress.IPv4Address(packed[12:])
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(packed[12:])
    return None


def blocked_reason(address: IPAddress, *, allow_test_loopback: bool = False) -> str | None:
    """Why this address must not be connected to, or None for public unicast addresses."""
    if allow_test_loopback and address == TEST_LOOPBACK:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "scoped IPv6 address"
        if address.packed[:15] == bytes(15) and address.packed[15] <= 1:
            return "IPv6 loopback or unspecified address"
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"IPv6 form of a non-public IPv4 ({inner})" if inner else "IPv4-in-IPv6 form"
        if any(address in net for net in _GLOBAL_V6_EXCEPTIONS):
            return None
        for net in _BLOCKED_V6:
            if address in net:
                return f"non-public address range {net}"
        if address not in ipaddress.IPv6Network("2000::/3"):
            return "not global unicast IPv6"  # only 2000::/3 is allocated for unicast
        return None
    for v4net in _BLOCKED_V4:
        if address in v4net:
            return f"non-public address range {v4net}"
    if not address.is_global:
        return "not a global address"
    return None


def _platform_apex() -> str | None:
    apex = os.environ.get("WHIMSY_APEX", "").strip().lower().rstrip(".")
    return apex or None


def _host_refusal(host: str) -> str | None:
    """Why a DNS name cannot be an upstream, or None."""
    if len(host) > 253:
        return "host name is too long"
    labels = host.split(".")
    if len(labels) < 2:
        return "host must be a fully qualified domain name"
    if not all(_LABEL.fullmatch(label) for label in labels):
        return "host must be lowercase letters, digits and '-' (use punycode for IDNs)"
    # A numeric last label is how 127.1, 0177.0.0.1 or 0x7f.0.0.1 look: never a real TLD.
    if labels[-1].isdigit() or labels[-1].startswith("0x") or _NUMERICISH.fullmatch(labels[-1]):
        return "host looks like a non-canonical IP address"
    apex = _platform_apex()
    suffixes = (*_BLOCKED_SUFFIXES, apex) if apex else _BLOCKED_SUFFIXES
    for suffix in suffixes:
        if host == suffix or host.endswith("." + suffix):
            return f"hosts under '{suffix}' cannot be upstreams"
    return None


def _lenient_ipv4(host: str) -> bool:
    """True if C's inet_aton would read the host as an IPv4 address (0x7f.1, 2130706433...)."""
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def check_url(url: object, *, allow_test_loopback: bool = False) -> Upstream:
    """Parse an upstream base URL strictly; Refused with the reason otherwise."""
    if not isinstance(url, str) or not url:
        raise Refused("upstream must be a URL string")
    if len(url) > MAX_URL_LENGTH:
        raise Refused("upstream URL is too long")
    # urlsplit silently drops tabs and newlines and treats '\' unlike browsers: refuse them.
    if not url.isascii() or any(c <= " " or c in "\\\x7f" for c in url):
        raise Refused("upstream URL must be plain ASCII without spaces or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("upstream URL is malformed") from None
    if parts.scheme != "https" or not url.startswith("https://"):
        raise Refused("upstream must use https://")
    netloc = parts.netloc
    if "@" in netloc or parts.username is not None or parts.password is not None:
        raise Refused("upstream URL must not contain credentials")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise Refused("upstream URL must not have a query or fragment")
    host = parts.hostname or ""
    if not host or "%" in host:
        raise Refused("upstream URL has no usable host")
    # The host as written must already be lowercase: no case games with suffix checks.
    raw_host = netloc.rsplit(":", 1)[0] if not netloc.startswith("[") else netloc
    if raw_host != raw_host.lower():
        raise Refused("upstream host must be lowercase")
    if port is None:
        port = 443
    if port != 443 and not 1024 <= port <= 65535:
        raise Refused("upstream port must be 443 or 1024-65535")
    if netloc.endswith(":"):
        raise Refused("upstream URL is malformed")

    literal: IPAddress | None = None
    if netloc.startswith("["):
        if not re.fullmatch(r"\[[0-9a-f:.]+\](:[0-9]+)?", netloc):
            raise Refused("upstream URL has text around its IPv6 address")
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise Refused("upstream host is not a valid IPv6 address") from None
    else:
        try:
            literal = ipaddress.IPv4Address(host)
        except ValueError:
            literal = None
        if literal is None and _lenient_ipv4(host):
            raise Refused("upstream host is a non-canonical IP address")
    if literal is not None:
        reason = blocked_reason(literal, allow_test_loopback=allow_test_loopback)
        if reason:
            raise Refused(f"upstream address is not public ({reason})")
        if str(literal) != host:
            raise Refused("upstream host is a non-canonical IP address")
    else:
        reason = _host_refusal(host)
        if reason:
            raise Refused(reason)

    path = parts.path
    segments = path.split("/")
    if any(s in (".", "..") or s.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.") for s in segments):
        raise Refused("upstream path must not contain '.' or '..' segments")
    if re.search(r"%(?![0-9A-Fa-f]{2})", path):
        raise Refused("upstream path has a malformed percent escape")
    return Upstream(url=url, host=host, port=port, path=path.rstrip("/"), literal=literal)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def resolve_checked(
    upstream: Upstream, resolve: Resolver, *, allow_test_loopback: bool = False
) -> str:
    """The address to connect to: every answer must be public, else Refused.

    Refusing when *any* answer is private (rather than picking a public one) means a name
    that mixes public and private answers is refused consistently, whatever the order.
    OSError (no such name, resolver failure) propagates: it is not a refusal.
    """
    if upstream.literal is not None:
        answers: Iterable[str] = [str(upstream.literal)]
    else:
        answers = resolve(upstream.host, upstream.port)
    checked: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            raise Refused("upstream resolved to something that is not an address") from None
        reason = blocked_reason(address, allow_test_loopback=allow_test_loopback)
        if reason:
            raise Refused(f"upstream resolves to a non-public address ({reason})")
        checked.append(address)
    if not checked:
        raise Refused("upstream has no addresses")
    return str(checked[0])


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly this address (no name lookup happens here)."""
    return socket.create_connection((address, port), timeout=timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to `host` (SNI, certificate name, Host header) over a socket to `address`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: str,
        context: ssl.SSLContext,
        timeout: float,
        opener: SocketOpener = open_socket,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context
        self._opener = opener

    def connect(self) -> None:
        raw = self._opener(self._address, self.port, self.timeout)
        try:
            peer = raw.getpeername()[0]
            if ipaddress.ip_address(str(peer).split("%")[0]) != ipaddress.ip_address(self._address):
                raise Refused("connected to an unexpected address")
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


_context: ssl.SSLContext | None = None
_context_key: tuple[bool, str | None] | None = None


def tls_context() -> ssl.SSLContext:
    """Certificate and host name verified, TLS 1.2+; cached per container."""
    global _context, _context_key
    test_ca = os.environ.get("WHIMSY_SERVICES_TEST_CA_FILE") if test_settings_active() else None
    key = (test_settings_active(), test_ca)
    if _context is None or _context_key != key:
        context = ssl.create_default_context()
        if test_ca:
            context.load_verify_locations(cafile=test_ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        _context, _context_key = context, key
    return _context


class Deadline:
    """Wall-clock budget for one upstream call, shared by connect, send and every read."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        left = self._end - self._clock()
        if left <= 0:
            raise TimeoutError("upstream deadline passed")
        return left


def allowed_methods() -> tuple[str, ...]:
    return _ALLOWED_METHODS
