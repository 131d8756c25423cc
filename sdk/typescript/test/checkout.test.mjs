// A payment link and a checkout session for it, as a merchant's server makes them.

import assert from "node:assert/strict";
import { test } from "node:test";

import { client, unique } from "./helpers.mjs";

test("creates a payment link and a checkout session, and reads them back", async () => {
  const loop = client();
  const link = await loop.paymentLinks.create({ name: unique("Pro plan"), amount: "10.00", currency: "USDC" });
  assert.match(link.id, /^pl_/);
  assert.equal(link.active, true);

  const orderId = unique("order");
  const session = await loop.checkoutSessions.create({
    paymentLinkId: link.id,
    externalCustomerId: "customer_123",
    metadata: { orderId },
  });
  assert.match(session.id, /^cs_/);
  assert.equal(session.status, "open");
  assert.equal(session.paymentLinkId, link.id);
  assert.equal(session.amount, "10.00");
  assert.deepEqual(session.metadata, { orderId });
  assert.ok(session.url.endsWith(`/checkout/${session.id}`), session.url);

  assert.equal((await loop.checkoutSessions.retrieve(session.id)).id, session.id);
  assert.equal((await loop.paymentLinks.retrieve(link.id)).name, link.name);
  const open = await loop.checkoutSessions.list({ status: "open", limit: 100 }).toArray();
  assert.ok(open.some((s) => s.id === session.id));

  const completed = await loop.testHelpers.checkoutSessions.complete(session.id);
  assert.equal(completed.status, "completed");
});

test("an idempotency key given by the caller makes one session however often it is sent", async () => {
  const loop = client();
  const link = await loop.paymentLinks.create({ name: unique("Once"), amount: "5.00", currency: "USDC" });
  const idempotencyKey = unique("key");
  const first = await loop.checkoutSessions.create({ paymentLinkId: link.id }, { idempotencyKey });
  const again = await loop.checkoutSessions.create({ paymentLinkId: link.id }, { idempotencyKey });
  assert.equal(again.id, first.id);
});
