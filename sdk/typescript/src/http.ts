// The one place requests are made: authentication, JSON, the Idempotency-Key of every POST,
// retries, timeouts, and turning error answers into `LoopError`.

import { LoopConnectionError, LoopError } from "./error.js";
import { randomId } from "./random.js";
import { backoffMs, isRetryableStatus, retryAfterMs, sleep } from "./retry.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** A secret API key (`lk_test_…` or `lk_live_…`). */
  apiKey: string;
  /** The deployment's root, without `/v1` (for example `http://127.0.0.1:3000`). */
  baseUrl: string;
  /** Retries after the first attempt, for network errors, 429 and 5xx. Default 2. */
  maxRetries?: number;
  /** Per attempt, in milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one (a proxy, a test double, an instrumented one). */
  fetch?: FetchLike;
}

export interface RequestOptions {
  /** Sent as `Idempotency-Key` on POSTs; generated per call when not given. */
  idempotencyKey?: string;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  options?: RequestOptions;
}

const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 60_000;

export class HttpClient {
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly fetch: FetchLike;

  constructor(options: ClientOptions) {
    if (!options.apiKey) throw new TypeError("Loop: apiKey is required");
    if (!options.baseUrl) throw new TypeError("Loop: baseUrl is required (the deployment's root, without /v1)");
    this.apiKey = options.apiKey;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (!fetchImpl) throw new TypeError("Loop: no global fetch in this runtime; pass options.fetch");
    // The global fetch must be called unbound from our object (some runtimes check `this`).
    this.fetch = options.fetch ?? ((input, init) => fetchImpl(input, init));
  }

  async request<T>(call: Call): Promise<T> {
    const url = this.url(call.path, call.query);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: "application/json",
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    // Every POST carries a key, fixed before the first attempt, so retries replay, never repeat.
    if (call.method === "POST") headers["Idempotency-Key"] = call.options?.idempotencyKey ?? randomId();
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const maxRetries = call.options?.maxRetries ?? this.maxRetries;

    for (let retry = 0; ; retry++) {
      let response: Response;
      try {
        response = await this.attempt(url, { method: call.method, headers, body });
      } catch (cause) {
        if (retry < maxRetries) {
          await sleep(backoffMs(retry));
          continue;
        }
        throw new LoopConnectionError(`${call.method} ${call.path} got no answer: ${describe(cause)}`, cause);
      }
      if (response.ok) return (await readBody(response)) as T;
      if (isRetryableStatus(response.status) && retry < maxRetries) {
        await response.body?.cancel().catch(() => undefined);
        await sleep(retryAfterMs(response.headers) ?? backoffMs(retry));
        continue;
      }
      throw LoopError.fromResponse(response, await readBody(response).catch(() => undefined));
    }
  }

  private async attempt(url: string, init: RequestInit): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await this.fetch(url, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }
}

/** JSON when the answer is JSON, its text otherwise, `undefined` when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}

/** A path segment from an id (ids are URL-safe, but a caller's typo must not change the route). */
export function segment(id: string): string {
  if (typeof id !== "string" || id === "") throw new TypeError("Loop: an id is required");
  return encodeURIComponent(id);
}
