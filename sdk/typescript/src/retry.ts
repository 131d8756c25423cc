// When to retry and how long to wait: network errors, 429 and 5xx are retried (a POST carries
// the same Idempotency-Key every time, so a retry never makes a second object); other 4xx never.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A server asking for more than this is waited on only this long. */
const MAX_RETRY_AFTER_MS = 60_000;

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Exponential backoff with jitter before retry number `retry` (0 for the first retry): half of
 * the doubling delay is fixed, the other half random, so that clients failing together spread out.
 */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** retry);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** The `Retry-After` header in milliseconds (seconds or an HTTP date), if it says anything usable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
