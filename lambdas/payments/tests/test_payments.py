"""Payments against moto (DynamoDB, Secrets Manager), a local Stripe stand-in for Checkout,
and webhook signatures made the way Stripe makes them (verified by the stripe library)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest

REGION = "us-east-1"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
WEBHOOK_SECRET = "whsec_test_secret"
API_KEY = "sk_test_key"


class FakeStripe(BaseHTTPRequestHandler):
    """Answers POST /v1/checkout/sessions like Stripe, recording what it was asked."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        FakeStripe.requests.append(
            {"path": self.path, "auth": self.headers["authorization"], "form": form}
        )
        body = json.dumps(
            {
                "id": "cs_test_1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_1",
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stripe_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeStripe.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def payments_in(
    backend: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch, stripe_api: str
) -> Any:
    """The payments function with its secrets and table in backend (moto or the emulator)."""
    backend.env(
        {
            "WHIMSY_TABLE_WHIMSY_ENTITLEMENTS": "entitlements",
            "WHIMSY_SECRET_NAMES": "whimsy/stripe-secret-key,whimsy/stripe-webhook-secret",
            "PRODUCTS": "paint-composer-pro=price_pro",
            "CHECKOUT_RETURN_URL": "https://whimsy.space/pc/",
            "STRIPE_API_BASE": stripe_api,
        }
    )
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name="whimsy/stripe-secret-key", SecretString=API_KEY)
    secrets.create_secret(Name="whimsy/stripe-webhook-secret", SecretString=WEBHOOK_SECRET)
    backend.table("entitlements", "identity_id", "entitlement")
    module = load_handler()
    monkeypatch.setattr(
        module, "identity_of", lambda request: {"sub-alice": ALICE}[request.require_caller()]
    )
    return module


@pytest.fixture
def payments(aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch, stripe_api: str) -> Any:
    return payments_in(aws, load_handler, monkeypatch, stripe_api)


def request(
    module: Any,
    method: str,
    path: str,
    body: bytes = b"",
    sub: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    context: dict[str, Any] = {
        "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
        "requestId": "r",
        "routeKey": f"{method} {path}",
        "stage": "$default",
    }
    if sub:
        context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    response = module.handler(
        {
            "version": "2.0",
            "routeKey": f"{method} {path}",
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers or {},
            "body": body.decode(),
            "requestContext": context,
            "isBase64Encoded": False,
        },
        None,
    )
    return response["statusCode"], json.loads(response["body"])


def completed_event(event_id: str = "evt_1", identity: str = ALICE, paid: bool = True) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": "cs_test_1",
                    "object": "checkout.session",
                    "payment_status": "paid" if paid else "unpaid",
                    "metadata": {"identity_id": identity, "product": "paint-composer-pro"},
                }
            },
        }
    ).encode()


def signed(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """The Stripe-Signature header as Stripe computes it: HMAC-SHA256 of '<t>.<payload>'."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return {"stripe-signature": f"t={timestamp},v1={digest}"}


def deliver(module: Any, payload: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    return request(module, "POST", "/payments/webhook", payload, headers=headers)


def owned(module: Any) -> list[str]:
    return request(module, "GET", "/payments/entitlements", sub="sub-alice")[1]["entitlements"]


def test_checkout_creates_a_session_for_the_caller(payments: Any) -> None:
    status, body = request(
        payments, "POST", "/payments/checkout", b'{"product": "paint-composer-pro"}', "sub-alice"
    )
    assert (status, body) == (
        201,
        {"id": "cs_test_1", "url": "https://checkout.stripe.com/c/pay/cs_test_1"},
    )
    (sent,) = FakeStripe.requests
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["auth"] == f"Bearer {API_KEY}"  # the key came from Secrets Manager
    assert sent["form"]["metadata[identity_id]"] == [ALICE]
    assert sent["form"]["client_reference_id"] == [ALICE]
    assert sent["form"]["line_items[0][price]"] == ["price_pro"]


@pytest.mark.parametrize("body", [b'{"product": "other"}', b"{}", b"[]", b"not json"])
def test_checkout_refuses_unknown_products(payments: Any, body: bytes) -> None:
    assert request(payments, "POST", "/payments/checkout", body, "sub-alice")[0] == 400
    assert FakeStripe.requests == []


def test_checkout_needs_a_signed_in_caller(payments: Any) -> None:
    assert (
        request(payments, "POST", "/payments/checkout", b'{"product": "paint-composer-pro"}')[0]
        == 401
    )


def test_a_verified_completed_checkout_grants_the_entitlement(payments: Any) -> None:
    payload = completed_event()
    assert deliver(payments, payload, signed(payload)) == (
        200,
        {"received": "evt_1", "granted": True},
    )
    assert owned(payments) == ["paint-composer-pro"]


def test_a_redelivered_event_grants_once(payments: Any) -> None:
    payload = completed_event()
    deliver(payments, payload, signed(payload))
    assert deliver(payments, payload, signed(payload))[1]["granted"] is False
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName="entitlements")["Items"]
    assert len([i for i in items if i["identity_id"]["S"] == ALICE]) == 1


def items() -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName="entitlements")["Items"]


def test_a_delivery_that_meets_a_concurrent_transaction_is_retried_and_grants_once(
    payments: Any, conflicts: Any
) -> None:
    client = conflicts(payments, 1)
    payload = completed_event()
    assert deliver(payments, payload, signed(payload))[1]["granted"] is True
    assert client.calls == 2
    assert owned(payments) == ["paint-composer-pro"]


def test_a_delivery_that_keeps_conflicting_is_503_so_stripe_delivers_it_again(
    payments: Any, conflicts: Any
) -> None:
    stuck = conflicts(payments, 100)
    payload = completed_event()
    status, body = deliver(payments, payload, signed(payload))
    assert (status, body["error"]) == (503, "busy")  # not "granted: false": undecided
    assert items() == []
    stuck.left = 0  # Stripe's next delivery
    assert deliver(payments, payload, signed(payload))[1]["granted"] is True


def test_a_delivery_overtaken_by_its_redelivery_grants_nothing(
    payments: Any, interleave: Any
) -> None:
    # Stripe retries before the first delivery's write lands: the retry commits first.
    payload = completed_event("evt_overtaken")
    retry: list[tuple[int, Any]] = []
    interleave(
        payments,
        "transact_write_items",
        lambda: retry.append(deliver(payments, payload, signed(payload))),
    )
    first = deliver(payments, payload, signed(payload))
    assert retry == [(200, {"received": "evt_overtaken", "granted": True})]
    assert first == (200, {"received": "evt_overtaken", "granted": False})
    assert sorted(item["identity_id"]["S"] for item in items()) == ["event#evt_overtaken", ALICE]
    assert owned(payments) == ["paint-composer-pro"]


@pytest.fixture
def payments_on_emulator(
    emulated_aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch, stripe_api: str
) -> Any:
    module = payments_in(emulated_aws, load_handler, monkeypatch, stripe_api)
    assert owned(module) == []  # the SDK clients exist before threads race
    # and the webhook secret is cached, as in a warm container: the race is the grant's. (Six
    # cold fetches at once, with the secrets client's 2 s connect timeout, failed in stress runs
    # on a loaded machine: EndpointConnectionError, answered 500.)
    assert module.secret("stripe-webhook-secret") == WEBHOOK_SECRET
    return module


DELIVERIES = 6
ROUNDS = 10


@pytest.mark.emulator
def test_concurrent_deliveries_of_one_event_grant_once(
    payments_on_emulator: Any, race: Any
) -> None:
    buyers = {f"evt_race_{n}": f"us-east-1:00000000-0000-4000-8000-{n:012d}" for n in range(ROUNDS)}
    for event_id, buyer in buyers.items():
        payload = completed_event(event_id, identity=buyer)
        answers = race(
            [lambda payload=payload: deliver(payments_on_emulator, payload, signed(payload))]
            * DELIVERIES
        )
        assert [status for status, _ in answers] == [200] * DELIVERIES, answers
        assert sorted(body["granted"] for _, body in answers) == [False] * (DELIVERIES - 1) + [True]
    granted = {
        item["identity_id"]["S"]: item["event_id"]["S"] for item in items() if "event_id" in item
    }
    assert granted == {buyer: event_id for event_id, buyer in buyers.items()}
    markers = sorted(item["identity_id"]["S"] for item in items() if "event_id" not in item)
    assert markers == sorted(f"event#{event_id}" for event_id in buyers)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature
        {"stripe-signature": "t=1,v1=deadbeef"},
        {"stripe-signature": "garbage"},
    ],
)
def test_forged_signatures_are_refused(payments: Any, headers: dict[str, str]) -> None:
    status, body = deliver(payments, completed_event(), headers)
    assert (status, body["error"]) == (400, "bad_signature")
    assert owned(payments) == []


def test_a_signature_with_another_secret_is_refused(payments: Any) -> None:
    payload = completed_event()
    assert deliver(payments, payload, signed(payload, secret="whsec_attacker"))[0] == 400
    assert owned(payments) == []


def test_a_stale_or_replayed_old_delivery_is_refused(payments: Any) -> None:
    payload = completed_event()
    assert deliver(payments, payload, signed(payload, at=int(time.time()) - 3600))[0] == 400
    assert owned(payments) == []


def test_a_tampered_payload_is_refused(payments: Any) -> None:
    payload = completed_event()
    headers = signed(payload)
    tampered = payload.replace(ALICE.encode(), b"us-east-1:00000000-0000-0000-0000-000000000000")
    assert deliver(payments, tampered, headers)[0] == 400


def test_unknown_event_types_are_acknowledged_and_ignored(payments: Any) -> None:
    payload = json.dumps(
        {
            "id": "evt_2",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"id": "cus_1", "object": "customer"}},
        }
    ).encode()
    assert deliver(payments, payload, signed(payload)) == (
        200,
        {"received": "evt_2", "ignored": "customer.created"},
    )
    assert owned(payments) == []


def test_unpaid_sessions_grant_nothing(payments: Any) -> None:
    payload = completed_event(paid=False)
    assert deliver(payments, payload, signed(payload))[1]["ignored"] == "unpaid"
    assert owned(payments) == []
