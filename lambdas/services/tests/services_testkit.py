"""The services gateway against a real local HTTPS upstream, moto's DynamoDB, S3 and Secrets
Manager, and real RS256 tokens.

The upstream listens on 127.0.0.1 with a certificate for UPSTREAM_HOST issued by a CA made
here; the gateway reaches it only because the tests resolve UPSTREAM_HOST to 127.0.0.1 (the
module's resolver seam) and set the test-only loopback switch and CA file.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FUNCTION = Path(__file__).resolve().parents[1]
if str(FUNCTION) not in sys.path:
    sys.path.insert(0, str(FUNCTION))

import whimsy_verify  # noqa: E402

REGION = "us-east-1"
POOL = "us-east-1_AbCdEf123"
CLIENT = "4e3k5n2example7clientid0abc"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
BOB = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
CAROL = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca429"
IDENTITIES = {"sub-alice": ALICE, "sub-bob": BOB, "sub-carol": CAROL}
UPSTREAM_HOST = "upstream.whimsy-tests.net"
BUCKET = "whimsy-fs"
SECRET_NAME = "whimsy/services-signing-key"
SECRET_VALUE = "test-platform-secret-0123456789abcdef-0123456789abcdef"


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def make_pki(folder: Path) -> Pki:
    """A CA and a server certificate for UPSTREAM_HOST, as strict as real ones."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("whimsy test CA"))
        .issuer_name(_name("whimsy test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(UPSTREAM_HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(UPSTREAM_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


# --- the upstream --------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    caller: str | None  # as verified with the owner's key, None when it did not verify
    error: str | None


@dataclass
class Upstream:
    port: int
    seen: list[Seen] = field(default_factory=list)
    key: bytes | None = None  # the owner's key, fetched from GET /services/key

    def reset(self) -> None:
        self.seen.clear()
        self.key = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    upstream: Upstream

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        caller, error = None, None
        try:
            if self.upstream.key is None:
                raise whimsy_verify.InvalidSignature("no key")
            caller = whimsy_verify.verify(
                self.upstream.key, self.command, self.path, dict(self.headers.items()), body
            )
        except whimsy_verify.InvalidSignature as exc:
            error = str(exc)
        self.upstream.seen.append(Seen(self.command, self.path, headers, body, caller, error))
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = url.path.rsplit("/", 1)[-1]
        if route == "slow":
            time.sleep(float(query.get("s", "2")))
            self._send(200, b"late")
        elif route == "trickle":  # one byte every 50 ms, for s seconds
            steps = int(float(query.get("s", "5")) / 0.05)
            self.send_response(200)
            self.send_header("content-length", str(steps))
            self.end_headers()
            for _ in range(steps):
                time.sleep(0.05)
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
        elif route == "big":
            size = int(query.get("n", "5000"))
            if query.get("chunked"):
                self.send_response(200)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for _ in range(size // 1000):
                    self.wfile.write(b"3e8\r\n" + b"b" * 1000 + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self._send(200, b"b" * size)
        elif route == "redirect":
            self._send(302, b"", {"location": query["to"]})
        elif route == "hop":
            self._send(
                200,
                b"hop",
                {
                    "connection": "x-upstream-secret",
                    "x-upstream-secret": "1",
                    "keep-alive": "timeout=5",
                    "set-cookie": "session=stolen; Domain=whimsy.space",
                    "access-control-allow-origin": "*",
                    "strict-transport-security": "max-age=1",
                    "x-amzn-remapped-authorization": "x",
                    "x-kept": "yes",
                },
            )
        elif route == "html":
            self._send(200, b"<script>alert(1)</script>", {"content-type": "text/html"})
        else:
            reply = {
                "method": self.command,
                "target": self.path,
                "caller": caller,
                "body_sha256": hashlib.sha256(body).hexdigest(),
            }
            self._send(200, json.dumps(reply).encode(), {"content-type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def serve_upstream(pki: Pki) -> tuple[ThreadingHTTPServer, Upstream]:
    """The test upstream, serving on 127.0.0.1 from a daemon thread."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state = Upstream(port=server.server_address[1])
    _Handler.upstream = state
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


@pytest.fixture(scope="session")
def upstream_server(pki: Pki) -> Iterator[Upstream]:
    server, state = serve_upstream(pki)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def upstream(upstream_server: Upstream) -> Iterator[Upstream]:
    upstream_server.reset()
    yield upstream_server
    upstream_server.reset()


# --- tokens --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(value: int) -> str:
    return (
        base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))
        .rstrip(b"=")
        .decode()
    )


@pytest.fixture(scope="session")
def jwks(signing_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    numbers = signing_key.public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "kid": "k1",
                "alg": "RS256",
                "use": "sig",
                "n": _b64(numbers.n),
                "e": _b64(numbers.e),
            }
        ]
    }


@pytest.fixture
def token(signing_key: rsa.RSAPrivateKey) -> Callable[..., str]:
    def make(sub: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "sub": sub,
            "iss": ISSUER,
            "aud": CLIENT,
            "token_use": "id",
            "iat": now,
            "exp": now + 3600,
            **overrides,
        }
        return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "k1"})

    return make


# --- the function --------------------------------------------------------------------------


class Resolver:
    """The module's DNS seam: name -> answers (a list, or a callable for changing answers)."""

    def __init__(self, port: int) -> None:
        self.answers: dict[str, Any] = {UPSTREAM_HOST: ["127.0.0.1"]}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(answer()) if callable(answer) else list(answer)


class Sockets:
    """The module's socket seam: records every address a connection was opened to."""

    def __init__(self, real: Callable[[str, int, float], socket.socket]) -> None:
        self.real = real
        self.opened: list[tuple[str, int]] = []

    def __call__(self, address: str, port: int, timeout: float) -> socket.socket:
        self.opened.append((address, port))
        return self.real(address, port, timeout)


@dataclass
class Platform:
    module: Any
    upstream: Upstream
    resolver: Resolver
    sockets: Sockets
    make_token: Callable[..., str]
    monkeypatch: pytest.MonkeyPatch

    @property
    def base(self) -> str:
        return f"https://{UPSTREAM_HOST}:{self.upstream.port}"

    def publish(self, owner: str, services: list[dict[str, Any]]) -> None:
        """Store an owner's services as the indexer would (bypassing its checks on purpose)."""
        normalized = {s["name"]: self.module.normalized(s) for s in services}
        boto3.client("dynamodb", region_name=REGION).put_item(
            TableName="services",
            Item={
                "pk": {"S": f"host#{owner}"},
                "sk": {"S": "services"},
                "status": {"S": "accepted"},
                "services": {"S": json.dumps(normalized)},
                "updated_at": {"N": "0"},
            },
        )
        self.module._services.clear()

    def owner_key(self, sub: str) -> bytes:
        status, body, _ = self.call("GET", "/services/key", token=self.make_token(sub))
        assert status == 200, body
        return whimsy_verify.base64url_decode(json.loads(body)["key"])

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        query: str = "",
        source_ip: str = "203.0.113.9",
    ) -> tuple[int, bytes, dict[str, str]]:
        all_headers = {"host": "api.whimsy.space", **(headers or {})}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        parts = [*path.split("/"), "", "", ""]
        if path.startswith("/u/"):
            deep = path.count("/") > 3
            route = "ANY /u/{handle}/{service}" + ("/{proxy+}" if deep else "")
            params = {"handle": parts[2], "service": parts[3]}
            if deep:
                params["proxy"] = path.split("/", 4)[4]
        else:
            route, params = f"{method} {path}", {}
        context: dict[str, Any] = {
            "http": {"method": method, "path": path, "sourceIp": source_ip},
            "requestId": f"req-{time.monotonic_ns()}",
            "routeKey": route,
            "stage": "$default",
            "domainName": "api.whimsy.space",
        }
        if not path.startswith("/u/") and token is not None:
            # routes with auth: user get the authorizer's verified claims
            claims = jwt.decode(token, options={"verify_signature": False})
            context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        event = {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": query,
            "headers": all_headers,
            "pathParameters": params,
            "requestContext": context,
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
        }
        response = self.module.handler(event, None)
        raw = response.get("body", "")
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
        return response["statusCode"], data, response.get("headers", {})


@pytest.fixture
def platform(
    aws: Any,
    load_handler: Any,
    monkeypatch: pytest.MonkeyPatch,
    upstream: Upstream,
    pki: Pki,
    jwks: dict[str, Any],
    token: Callable[..., str],
) -> Iterator[Platform]:
    from whimsy_runtime import CognitoVerifier, secrets

    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("AWS_EXECUTION_ENV", raising=False)
    aws.env(
        {
            "WHIMSY_APEX": "whimsy.space",
            "WHIMSY_HANDLES_TABLE": "handles",
            "WHIMSY_TABLE_WHIMSY_HANDLES": "handles",
            "WHIMSY_TABLE_WHIMSY_SERVICES": "services",
            "WHIMSY_TABLE_WHIMSY_USAGE": "usage",
            "WHIMSY_USER_FILES_BUCKET": BUCKET,
            "WHIMSY_SECRET_NAMES": SECRET_NAME,
            "WHIMSY_USER_POOL_ID": POOL,
            "WHIMSY_USER_POOL_CLIENT_ID": CLIENT,
            "WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK": "1",
            "WHIMSY_SERVICES_TEST_CA_FILE": str(pki.ca_file),
        }
    )
    aws.table("handles")
    aws.table("services", "pk", "sk")
    aws.table("usage", "pk", "sk")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for handle, identity in (("alice", ALICE), ("bob", BOB)):
        dynamodb.put_item(
            TableName="handles",
            Item={"pk": {"S": f"handle#{handle}"}, "identity_id": {"S": identity}},
        )
        dynamodb.put_item(
            TableName="handles",
            Item={"pk": {"S": f"identity#{identity}"}, "handle": {"S": handle}},
        )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET_NAME, SecretString=SECRET_VALUE
    )
    monkeypatch.setattr(secrets, "_default_cache", secrets.SecretCache())

    module = load_handler()
    module._verifier = CognitoVerifier(POOL, CLIENT, token_use="id", fetch_jwks=lambda url: jwks)
    monkeypatch.setattr(module, "identity_of", lambda r: IDENTITIES[r.require_caller()])
    resolver = Resolver(upstream.port)
    sockets = Sockets(module.open_socket)
    monkeypatch.setattr(module, "resolve", resolver)
    monkeypatch.setattr(module, "open_socket", sockets)
    yield Platform(module, upstream, resolver, sockets, token, monkeypatch)
