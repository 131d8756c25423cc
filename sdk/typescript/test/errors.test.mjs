// Error answers surface as LoopError with the API's fields and the Request-Id header.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Loop, LoopError } from "../dist/index.js";
import { client, LOOP_URL, unique } from "./helpers.mjs";

test("a 404 is a LoopError with its type, code and request id", async () => {
  const error = await client().checkoutSessions.retrieve("cs_doesnotexist").then(
    () => assert.fail("an unknown session was found"),
    (e) => e,
  );
  assert.ok(error instanceof LoopError, String(error));
  assert.equal(error.status, 404);
  assert.equal(error.type, "invalid_request_error");
  assert.ok(error.message.length > 0);
  assert.ok(error.requestId, "the Request-Id header is carried");
});

test("a 409 (a contact whose email exists) is a LoopError with its code and request id", async () => {
  const loop = client();
  const email = `${unique("dup")}@example.com`;
  await loop.contacts.create({ email });
  const error = await loop.contacts.create({ email }).then(
    () => assert.fail("a second contact with the same email was created"),
    (e) => e,
  );
  assert.ok(error instanceof LoopError, String(error));
  assert.equal(error.status, 409);
  assert.equal(error.code, "contact_exists");
  assert.ok(error.requestId);
});

test("a 400 names its parameter", async () => {
  const error = await client().checkoutSessions.create({}).catch((e) => e);
  assert.ok(error instanceof LoopError);
  assert.equal(error.status, 400);
  assert.equal(error.param, "paymentLinkId");
  assert.ok(error.requestId);
});

test("a 401 with a wrong key", async () => {
  const loop = new Loop({ apiKey: "lk_test_nottherightkey", baseUrl: LOOP_URL });
  const error = await loop.account.retrieve().catch((e) => e);
  assert.ok(error instanceof LoopError);
  assert.equal(error.status, 401);
  assert.equal(error.type, "authentication_error");
});
