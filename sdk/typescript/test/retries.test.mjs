// Retries: a POST whose answer was lost is sent again with the same Idempotency-Key and creates
// one object; 429 and 5xx are retried; other 4xx never.

import assert from "node:assert/strict";
import { test } from "node:test";

import { LoopConnectionError, LoopError } from "../dist/index.js";
import { client, unique } from "./helpers.mjs";

test("a POST whose answer is lost after the server acted is retried with the same key and creates one contact", async () => {
  const keys = [];
  // The server gets and processes the first request; its answer is then dropped, as a network
  // cut after the server committed would.
  const dropsFirstAnswer = async (url, init) => {
    const response = await fetch(url, init);
    if (init.method === "POST") {
      keys.push(init.headers["Idempotency-Key"]);
      if (keys.length === 1) {
        await response.text();
        throw new TypeError("fetch failed (the test dropped the answer)");
      }
    }
    return response;
  };
  const loop = client({ fetch: dropsFirstAnswer });
  const email = `${unique("retried")}@example.com`;

  const created = await loop.contacts.create({ email, firstName: "Ada" });

  assert.equal(keys.length, 2, "the SDK sent the POST twice");
  assert.ok(keys[0], "a generated Idempotency-Key was sent");
  assert.equal(keys[1], keys[0], "the retry carried the same Idempotency-Key");
  const found = await client().contacts.list({ email }).toArray();
  assert.equal(found.length, 1, "one contact exists");
  assert.equal(found[0].id, created.id);
});

test("a 503 (with Retry-After) then a success: the call succeeds", async () => {
  let calls = 0;
  const unavailableOnce = async (url, init) => {
    calls += 1;
    if (calls === 1) {
      return new Response(JSON.stringify({ error: { type: "api_error", message: "down" } }), {
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "0" },
      });
    }
    return fetch(url, init);
  };
  const account = await client({ fetch: unavailableOnce }).account.retrieve();
  assert.equal(calls, 2);
  assert.ok(account.id);
});

test("a 429 is retried", async () => {
  let calls = 0;
  const throttledOnce = async (url, init) => {
    calls += 1;
    if (calls === 1) return new Response("{}", { status: 429, headers: { "retry-after": "0" } });
    return fetch(url, init);
  };
  await client({ fetch: throttledOnce }).account.retrieve();
  assert.equal(calls, 2);
});

test("5xx every time: maxRetries + 1 attempts, then the LoopError", async () => {
  let calls = 0;
  const alwaysDown = async () => {
    calls += 1;
    return new Response(JSON.stringify({ error: { type: "api_error", message: "internal" } }), {
      status: 500,
      headers: { "request-id": "req_test" },
    });
  };
  const error = await client({ fetch: alwaysDown, maxRetries: 2 }).account.retrieve().catch((e) => e);
  assert.equal(calls, 3);
  assert.ok(error instanceof LoopError);
  assert.equal(error.status, 500);
  assert.equal(error.requestId, "req_test");
});

test("other 4xx are never retried", async () => {
  let calls = 0;
  const counting = async (url, init) => {
    calls += 1;
    return fetch(url, init);
  };
  const error = await client({ fetch: counting }).checkoutSessions.create({}).catch((e) => e);
  assert.ok(error instanceof LoopError);
  assert.equal(error.status, 400);
  assert.equal(calls, 1);
});

test("network errors past maxRetries are a LoopConnectionError", async () => {
  let calls = 0;
  const unreachable = async () => {
    calls += 1;
    throw new TypeError("fetch failed");
  };
  const error = await client({ fetch: unreachable, maxRetries: 1 }).account.retrieve().catch((e) => e);
  assert.equal(calls, 2);
  assert.ok(error instanceof LoopConnectionError);
  assert.equal(error.status, 0);
});
