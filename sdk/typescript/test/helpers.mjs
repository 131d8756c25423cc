// What every test file needs: the stack to talk to (it must be there: a test without it fails,
// never skips), a client, unique names, and polling with a deadline.

import { Loop } from "../dist/index.js";

export const LOOP_URL = required("LOOP_URL");
export const LOOP_API_KEY = required("LOOP_API_KEY");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: these tests run against a Loop stack (make test sets it)`);
  return value;
}

export function client(options = {}) {
  return new Loop({ apiKey: LOOP_API_KEY, baseUrl: LOOP_URL, ...options });
}

export function unique(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Calls `check` until it answers something truthy, or fails after `ms`. */
export async function eventually(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
