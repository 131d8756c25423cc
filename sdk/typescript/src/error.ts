// The API's errors as exceptions: `{"error": {type, code, message, param?}}` (`api.md`, errors),
// with the HTTP status and the `Request-Id` header every response carries.

export interface LoopErrorFields {
  status: number;
  type: string;
  code?: string;
  param?: string;
  message: string;
  requestId?: string;
  headers?: Headers;
  body?: unknown;
}

/** An answer of the API that is not a success, or a request that never got one. */
export class LoopError extends Error {
  /** The HTTP status; `0` when no answer came (see `LoopConnectionError`). */
  readonly status: number;
  /** `invalid_request_error`, `authentication_error`, `permission_error`, `idempotency_error`, `api_error`… */
  readonly type: string;
  readonly code: string | undefined;
  /** The parameter at fault, dotted for nested ones (`metadata.orderId`). */
  readonly param: string | undefined;
  /** The `Request-Id` header of the answer: quote it when asking about a request. */
  readonly requestId: string | undefined;
  readonly headers: Headers | undefined;
  /** The answer's body as parsed (or its text when it was not JSON). */
  readonly body: unknown;

  constructor(fields: LoopErrorFields) {
    super(fields.message);
    this.name = "LoopError";
    this.status = fields.status;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.headers = fields.headers;
    this.body = fields.body;
  }

  /** Builds the error from an answer whose body was already read (`body`: parsed JSON or text). */
  static fromResponse(response: Response, body: unknown): LoopError {
    const error = errorObject(body);
    return new LoopError({
      status: response.status,
      type: error?.type ?? (response.status >= 500 ? "api_error" : "invalid_request_error"),
      code: error?.code,
      param: error?.param,
      message: error?.message ?? `HTTP ${response.status} without an error body`,
      requestId: response.headers.get("request-id") ?? undefined,
      headers: response.headers,
      body,
    });
  }
}

/** The request never got an answer (network error, timeout), after every retry. */
export class LoopConnectionError extends LoopError {
  constructor(message: string, override readonly cause: unknown) {
    super({ status: 0, type: "connection_error", message });
    this.name = "LoopConnectionError";
  }
}

interface ErrorObject {
  type?: string;
  code?: string;
  param?: string;
  message?: string;
}

function errorObject(body: unknown): ErrorObject | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const pick = (key: string): string | undefined => {
    const value = (error as Record<string, unknown>)[key];
    return typeof value === "string" ? value : undefined;
  };
  return { type: pick("type"), code: pick("code"), param: pick("param"), message: pick("message") };
}
