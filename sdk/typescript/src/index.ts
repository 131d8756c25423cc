// `@loop/sdk`: Loop's merchant API client and webhook verification.

export { Loop, type LoopOptions } from "./loop.js";
export type { FetchLike, RequestOptions } from "./http.js";
export { LoopError, LoopConnectionError } from "./error.js";
export { ListResult } from "./list.js";
export { Webhook, WebhookVerificationError, type WebhookHeaders } from "./webhook.js";
export type * from "./events.js";
export type * from "./types.js";
export type { components, paths } from "./openapi.js";
