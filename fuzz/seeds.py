#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into DIR/<target>/ (scripts/fuzz.sh passes fuzz/seeds).

Seeds are built, not kept: Stripe events from the real objects in tests/fixtures/stripe/ (in
Stripe's key order, `type` last, and in another order that takes the general parse path),
Stripe-Signature headers as Stripe signs them plus the example header of Stripe's
documentation, and one valid body per API route. The inputs kept in
shared/edge/tests/fuzz_regressions/ are passed to the fuzzer as seeds too.
"""

import hashlib
import hmac
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stripe"

# Fixture file -> the event types that carry that object.
EVENTS = {
    "customer": ["customer.created", "customer.updated", "customer.deleted"],
    "customer.deleted": ["customer.deleted"],
    "checkout.session": ["checkout.session.completed", "checkout.session.async_payment_failed"],
    "checkout.session.captured": ["checkout.session.completed", "checkout.session.async_payment_succeeded"],
    "invoice": ["invoice.paid", "invoice.created", "invoice.finalized"],
    "invoice.captured": ["invoice.paid"],
    "invoice.payment_failed.captured": ["invoice.payment_failed"],
    "invoice.upcoming.captured": ["invoice.upcoming"],
    "subscription": [
        "customer.subscription.created",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
    ],
    "quote": ["quote.finalized", "quote.accepted", "quote.canceled"],
    "dispute": ["charge.dispute.created", "charge.dispute.closed"],
    "product": ["product.created", "product.updated"],
    "product.deleted": ["product.deleted"],
    "price": ["price.created", "price.updated"],
    "price.deleted": ["price.deleted"],
    "charge": ["charge.succeeded"],
}

SECRET = "whsec_fuzz_0123456789"
# The example header of Stripe's webhook signature documentation.
STRIPE_DOCS_HEADER = (
    "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,"
    "v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
)

API_BODIES = {
    # byte 0: route (0 account, 1 integration, 2 payment link, 3 session, 4 endpoint, 5 transfer)
    "0": {
        "supportEmail": "support@example.com",
        "crypto": {
            "networkId": 137,
            "networkName": "Polygon",
            "contractAddress": None,
            "tokenSymbol": "USDC",
            "tokenAddress": "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359",
            "tokenDecimals": 6,
            "treasuryAddresses": {"137": "0x1111111111111111111111111111111111111111", "1": None},
        },
    },
    "1": {
        "signingSecrets": ["whsec_0123456789abcdef", "whsec_fedcba9876543210"],
        "customerDeleted": "unsubscribe",
        "events": {
            "customer.created": {"enabled": True, "eventName": "Signed up", "syncName": False, "userGroup": "b2b"},
            "invoice.paid": {"enabled": False},
        },
    },
    "2": {"name": "Pro plan", "amount": "12.345678", "currency": "usdc"},
    "3": {"paymentLinkId": "pl_1", "externalCustomerId": "cust-42", "metadata": {"plan": "pro", "seats": "3"}},
    "4": {"url": "https://example.com/hooks/loop", "events": ["payment.succeeded", "*"], "description": "Main"},
    "5": {"success": True, "transaction": "0xabc", "amountPaid": "12.345678", "reason": None},
}


def stripe_order(kind, obj, previous=None):
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": "evt_1PgafmB7WZ01zgkW6dKueIc5",
        "object": "event",
        "api_version": "2026-07-29.dahlia",
        "created": 1700000000,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def main(out):
    events = out / "stripe_event"
    signatures = out / "stripe_signature"
    bodies = []
    for fixture, kinds in EVENTS.items():
        obj = json.loads((FIXTURES / f"{fixture}.json").read_text())
        for kind in kinds:
            previous = {"email": "old@example.com", "name": "Old"} if kind == "customer.updated" else None
            body = json.dumps(stripe_order(kind, obj, previous), indent=2).encode()
            write(events, f"{fixture}-{kind}", body)
            bodies.append(body)
        # The same event with `type` first: the general, two-pass path.
        envelope = stripe_order(kinds[0], obj)
        first = {"type": envelope.pop("type"), **envelope}
        write(events, f"{fixture}-type-first", json.dumps(first, separators=(",", ":")))
    write(events, "event-fixture", (FIXTURES / "event.json").read_bytes())

    write(signatures, "stripe-docs-example", STRIPE_DOCS_HEADER + "\n")
    for i, body in enumerate(bodies[:4]):
        t = 1700000000 + i
        v1 = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        write(signatures, f"signed-{i}", f"t={t},v1={v1}\n".encode() + body)
        write(signatures, f"rotation-{i}", f"t={t}, v1={'0' * 64}, v1={v1}, v0={v1}\n".encode() + body)

    for route, body in API_BODIES.items():
        for content_type in "01":
            write(out / "api_body", f"route-{route}-{content_type}", route + content_type + json.dumps(body))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: seeds.py DIR")
    main(Path(sys.argv[1]))
