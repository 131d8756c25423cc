// Verifying Loop's deliveries (`webhooks.md`, signatures). Every delivery is signed three ways;
// this checks the Standard Webhooks headers when they are there (through the official
// `standardwebhooks` package, which also refuses timestamps outside its replay tolerance), and
// otherwise `loops-signature`: hex HMAC-SHA256 of the raw body keyed by the secret string's bytes.

import { hmac } from "fast-sha256";
import { Webhook as StandardWebhook, WebhookVerificationError as StandardError } from "standardwebhooks";

import type { WebhookEvent } from "./events.js";

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** Headers as a `Headers` (Fetch API, Next.js route handlers) or a plain object (Node, Express). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const encoder = new TextEncoder();

export class Webhook {
  private readonly secret: string;
  private readonly standard: StandardWebhook | undefined;

  /** `secret`: the endpoint's `whsec_…`, as `webhookEndpoints.create` answered it. */
  constructor(secret: string) {
    if (!secret) throw new TypeError("Webhook: the endpoint secret is required");
    this.secret = secret;
    // A secret that is not `whsec_<base64>` cannot key Standard Webhooks; `loops-signature` still works.
    try {
      this.standard = new StandardWebhook(secret);
    } catch {
      this.standard = undefined;
    }
  }

  /**
   * Checks the delivery and answers its parsed payload. `rawBody` must be the body exactly as
   * received (read it with `await req.text()`, never re-serialise parsed JSON). Throws
   * `WebhookVerificationError` when no signature matches.
   */
  verify(rawBody: string | Uint8Array, headers: WebhookHeaders): WebhookEvent {
    const body = typeof rawBody === "string" ? rawBody : new TextDecoder().decode(rawBody);
    const h = normalise(headers);
    if (h["webhook-signature"] !== undefined) return this.verifyStandard(body, h);
    const signature = h["loops-signature"];
    if (signature === undefined) throw new WebhookVerificationError("No Loop signature headers");
    if (!timingSafeEqual(encoder.encode(signature.trim().toLowerCase()), encoder.encode(this.loopsSignature(body)))) {
      throw new WebhookVerificationError("loops-signature does not match");
    }
    return parse(body);
  }

  /**
   * The same check, with Web Crypto's HMAC (constant-time by construction) where the runtime has
   * it: edge runtimes that ship no pure-JS fallback can prefer this.
   */
  async verifyAsync(rawBody: string | Uint8Array, headers: WebhookHeaders): Promise<WebhookEvent> {
    const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
    const h = normalise(headers);
    const signature = h["loops-signature"];
    if (!subtle || h["webhook-signature"] !== undefined || signature === undefined) return this.verify(rawBody, headers);
    const bytes = typeof rawBody === "string" ? encoder.encode(rawBody) : Uint8Array.from(rawBody);
    const expected = fromHex(signature.trim());
    const key = await subtle.importKey("raw", encoder.encode(this.secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    if (!expected || !(await subtle.verify("HMAC", key, expected, bytes))) {
      throw new WebhookVerificationError("loops-signature does not match");
    }
    return parse(new TextDecoder().decode(bytes));
  }

  private verifyStandard(body: string, headers: Record<string, string>): WebhookEvent {
    if (!this.standard) throw new WebhookVerificationError("The secret is not a whsec_ secret");
    try {
      this.standard.verify(body, headers);
    } catch (error) {
      if (error instanceof StandardError) throw new WebhookVerificationError(error.message);
      throw error;
    }
    return parse(body);
  }

  private loopsSignature(body: string): string {
    return toHex(hmac(encoder.encode(this.secret), encoder.encode(body)));
  }
}

function normalise(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function") {
    (headers as Headers).forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return out;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function parse(body: string): WebhookEvent {
  try {
    return JSON.parse(body) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError("The payload is not JSON");
  }
}

/** Compares in time that depends only on the lengths, never on where the bytes differ. */
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i % Math.max(a.length, 1)] ?? 0) ^ b[i]!;
  return diff === 0;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
