// A real delivery from Loop, received over HTTP, verifies with Webhook.verify; a tampered one
// throws. (The stack must allow private endpoints: this receiver listens on 127.0.0.1.)

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { Webhook, WebhookVerificationError } from "../dist/index.js";
import { client, eventually, unique } from "./helpers.mjs";

const received = [];
let server;
let url;

before(async () => {
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${server.address().port}/loop`;
});

after(() => new Promise((resolve) => server.close(resolve)));

/** Only the named headers (lower-case), as a receiver that sees no others would. */
function only(headers, names) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)));
}

test("a delivery of contact.created verifies; a tampered one throws", { timeout: 120_000 }, async () => {
  const loop = client();
  const endpoint = await loop.webhookEndpoints.create({ url, events: ["contact.created"], description: "sdk test" });
  assert.match(endpoint.secret, /^whsec_/);
  const email = `${unique("hook")}@example.com`;
  const contact = await loop.contacts.create({ email });

  const delivery = await eventually("the contact.created delivery", () =>
    received.find((r) => r.body.includes(email)),
  );
  const webhook = new Webhook(endpoint.secret);

  // Standard Webhooks headers, as a plain object (Node) and as a Headers (fetch, Next.js).
  const event = webhook.verify(delivery.body, delivery.headers);
  assert.equal(event.type, "contact.created");
  assert.equal(event.data.email, email);
  assert.equal(event.data.id, contact.id);
  assert.equal(event.id, delivery.headers["webhook-id"]);
  assert.deepEqual(webhook.verify(delivery.body, new Headers(delivery.headers)), event);
  assert.deepEqual(await webhook.verifyAsync(delivery.body, delivery.headers), event);

  // loops-signature alone (a receiver written for Loops' header).
  const loopsOnly = only(delivery.headers, ["loops-signature", "content-type"]);
  assert.deepEqual(webhook.verify(delivery.body, loopsOnly), event);
  assert.deepEqual(await webhook.verifyAsync(delivery.body, loopsOnly), event);
  assert.deepEqual(webhook.verify(new TextEncoder().encode(delivery.body), loopsOnly), event);

  const tampered = delivery.body.replace(email, `x${email}`);
  assert.notEqual(tampered, delivery.body);
  assert.throws(() => webhook.verify(tampered, delivery.headers), WebhookVerificationError);
  assert.throws(() => webhook.verify(tampered, loopsOnly), WebhookVerificationError);
  await assert.rejects(webhook.verifyAsync(tampered, loopsOnly), WebhookVerificationError);
  assert.throws(() => webhook.verify(delivery.body, {}), WebhookVerificationError);
  assert.throws(
    () => new Webhook("whsec_c29tZW9uZSBlbHNlcyBzZWNyZXQ=").verify(delivery.body, delivery.headers),
    WebhookVerificationError,
  );
  // A replay outside the Standard Webhooks tolerance (its timestamp an hour old) is refused.
  const old = { ...delivery.headers, "webhook-timestamp": String(Number(delivery.headers["webhook-timestamp"]) - 3600) };
  assert.throws(() => webhook.verify(delivery.body, old), WebhookVerificationError);

  await loop.webhookEndpoints.del(endpoint.id);
});
