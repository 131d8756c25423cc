// Lists page through `startingAfter`/`hasMore`: more contacts than one page holds, every one seen
// once with `for await`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { client, unique } from "./helpers.mjs";

// A page holds 10 by default and 100 at most (`api.md`, lists): 105 exceeds both.
const COUNT = 105;

test(`pages through ${COUNT} contacts with for await`, { timeout: 180_000 }, async () => {
  const loop = client();
  const tag = unique("page");
  const emails = Array.from({ length: COUNT }, (_, i) => `${tag}-${i}@example.com`);
  for (let i = 0; i < emails.length; i += 5) {
    await Promise.all(emails.slice(i, i + 5).map((email) => loop.contacts.create({ email })));
  }

  const seen = new Map();
  for await (const contact of loop.contacts.list()) {
    assert.ok(!seen.has(contact.id), `contact ${contact.id} came twice`);
    seen.set(contact.id, contact.email);
  }
  const mine = [...seen.values()].filter((email) => email.startsWith(`${tag}-`));
  assert.equal(mine.length, COUNT);

  let pages = 0;
  let total = 0;
  for await (const page of loop.contacts.list({ limit: 100 }).pages()) {
    pages += 1;
    total += page.data.length;
    assert.ok(page.data.length <= 100);
  }
  assert.ok(pages >= 2, `${pages} page(s) of 100`);
  assert.ok(total >= COUNT, `${total} contacts in pages of 100`);

  const first = await loop.contacts.list().page({ limit: 3 });
  assert.equal(first.data.length, 3);
  assert.equal(first.hasMore, true);
  const second = await loop.contacts.list().page({ limit: 3, startingAfter: first.nextStartingAfter });
  assert.equal(second.data.length, 3);
  assert.ok(second.data.every((c) => !first.data.some((f) => f.id === c.id)));
});
