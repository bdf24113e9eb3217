"""Paint Composer payments with Stripe.

POST /payments/checkout      (signed in)  a Checkout Session for a configured product
POST /payments/webhook       (public)     Stripe's events, verified by their signature
GET  /payments/entitlements  (signed in)  what the caller has bought

A checkout.session.completed event grants its entitlement exactly once: the grant and an
event#<id> marker are written in one transaction that fails if the marker exists, so a
redelivered or concurrently delivered event changes nothing. A delivery whose transaction
meets a concurrent one (TransactionConflict: undecided) is retried, then answered 503 so that
Stripe delivers it again.
"""

from __future__ import annotations

import os
import time
from typing import Any

from whimsy_runtime import (
    HttpError,
    HttpRequest,
    aws_client as client,
    get_logger,
    get_secret,
    http_handler,
    identity_id,
    json_response,
    transactions,
)

log = get_logger("whimsy.payments")
SIGNATURE_TOLERANCE_SECONDS = 300


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def secret(role: str) -> str:
    """The configured secret whose name ends in /<role> (names come from the config)."""
    for name in os.environ.get("WHIMSY_SECRET_NAMES", "").split(","):
        if name.rsplit("/", 1)[-1] == role:
            return get_secret(name)
    raise RuntimeError(f"no secret named */{role} is configured")


def products() -> dict[str, str]:
    """PRODUCTS=product=price_id,...: what can be bought, and its Stripe price."""
    pairs = (
        item.split("=", 1) for item in os.environ.get("PRODUCTS", "").split(",") if "=" in item
    )
    return {product.strip(): price.strip() for product, price in pairs}


def table() -> str:
    return os.environ["WHIMSY_TABLE_WHIMSY_ENTITLEMENTS"]


def checkout(request: HttpRequest) -> dict[str, Any]:
    import stripe

    body = request.json_body(max_bytes=1024)
    product = body.get("product") if isinstance(body, dict) else None
    price = products().get(product) if isinstance(product, str) else None
    if price is None:
        raise HttpError(400, "unknown_product", f"product must be one of: {', '.join(products())}.")
    identity = identity_of(request)
    base = os.environ.get("STRIPE_API_BASE")  # tests point this at a local Stripe stand-in
    stripe_client = stripe.StripeClient(
        secret("stripe-secret-key"),
        base_addresses={"api": base} if base else None,
        max_network_retries=1,
    )
    return_url = os.environ["CHECKOUT_RETURN_URL"]
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price, "quantity": 1}],
            "client_reference_id": identity,
            "metadata": {"identity_id": identity, "product": product},
            "success_url": f"{return_url}?checkout=success",
            "cancel_url": f"{return_url}?checkout=cancelled",
        }
    )
    return json_response(201, {"id": session.id, "url": session.url})


def grant(event_id: str, session: dict[str, Any]) -> bool:
    """Record the entitlement once per event; False when this event was already applied."""
    metadata = session.get("metadata") or {}
    identity, product = metadata.get("identity_id"), metadata.get("product")
    if not isinstance(identity, str) or product not in products():
        log.warning("checkout without our metadata", event=event_id)
        return False
    now = str(int(time.time()))
    try:
        cancelled = transactions.transact(
            client("dynamodb"),
            [
                {
                    "Put": {
                        "TableName": table(),
                        "ConditionExpression": "attribute_not_exists(identity_id)",
                        "Item": {
                            "identity_id": {"S": f"event#{event_id}"},
                            "entitlement": {"S": "webhook"},
                            "received_at": {"N": now},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": table(),
                        "Item": {
                            "identity_id": {"S": identity},
                            "entitlement": {"S": product},
                            "event_id": {"S": event_id},
                            "session_id": {"S": str(session.get("id"))},
                            "granted_at": {"N": now},
                        },
                    }
                },
            ],
        )
    except transactions.Busy:
        # another delivery of this event holds it: undecided, so Stripe must deliver again
        raise HttpError(503, "busy", "The event is being processed; deliver it again.",
                        {"retry-after": "1"}) from None  # fmt: skip
    if cancelled is not None:
        return False  # the marker exists: this event was applied
    log.info("entitlement granted", event=event_id, product=product)
    return True


def webhook(request: HttpRequest) -> dict[str, Any]:
    import stripe

    signature = request.header("stripe-signature")
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            signature,
            secret("stripe-webhook-secret"),
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError):
        raise HttpError(400, "bad_signature", "The event's signature does not verify.") from None
    if event["type"] != "checkout.session.completed":
        return json_response(200, {"received": event["id"], "ignored": event["type"]})
    session = event["data"]["object"].to_dict()
    if session.get("payment_status") != "paid":
        return json_response(200, {"received": event["id"], "ignored": "unpaid"})
    granted = grant(event["id"], session)
    return json_response(200, {"received": event["id"], "granted": granted})


def entitlements(request: HttpRequest) -> dict[str, Any]:
    identity = identity_of(request)
    items = client("dynamodb").query(
        TableName=table(),
        KeyConditionExpression="identity_id = :me",
        ExpressionAttributeValues={":me": {"S": identity}},
    )["Items"]
    owned = sorted(item["entitlement"]["S"] for item in items)
    return json_response(200, {"entitlements": owned}, {"cache-control": "private, no-store"})


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    routes = {
        ("POST", "/payments/checkout"): checkout,
        ("POST", "/payments/webhook"): webhook,
        ("GET", "/payments/entitlements"): entitlements,
    }
    route = routes.get((request.method, request.raw_path))
    if route is None:
        raise HttpError(404, "no_route", "No such payments route.")
    return route(request)
