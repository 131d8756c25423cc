// Request and response types read off the generated `openapi.ts` (never written by hand), so a
// change to `openapi.json` reaches every method's signature once `npm run generate` has run.
//
// The helpers take any path string and an optional fallback, for a route the document does not
// describe yet: it gets the fallback, and the precise type once `openapi.json` has it and the
// file is regenerated, with no change here.

import type { components, paths } from "./openapi.js";

type Operation<P extends string, M extends string> = P extends keyof paths
  ? M extends keyof paths[P]
    ? paths[P][M]
    : never
  : never;

type JsonOf<T> = T extends { content: { "application/json": infer J } } ? J : never;
type SuccessOf<R> = R extends Record<number, unknown>
  ? JsonOf<R[200]> | JsonOf<R[201]> | JsonOf<R[202]>
  : never;
type Or<T, Fallback> = [T] extends [never] ? Fallback : T;

/** The JSON body the operation takes. */
export type RequestBody<P extends string, M extends string, Fallback = never> = Or<
  Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never,
  Fallback
>;

/** The JSON body of the operation's success answer (2xx). */
export type ResponseBody<P extends string, M extends string, Fallback = never> = Or<
  Operation<P, M> extends { responses: infer R } ? SuccessOf<R> : never,
  Fallback
>;

/** The operation's query parameters. */
export type QueryParams<P extends string, M extends string, Fallback = never> = Or<
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never,
  Fallback
>;

/** A page of a `/v1` list: `{data, hasMore, nextStartingAfter?}`. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  /** Present while `hasMore`: where the next page starts (`api.md`, lists). */
  nextStartingAfter?: string;
}

/** `limit` (1–100, default 10) and `startingAfter` (an id), which every list takes. */
export interface PageParams {
  limit?: number;
  startingAfter?: string;
}

/** The filters of a list, without its paging parameters. */
export type ListFilters<P extends string, Fallback = Record<string, never>> = Omit<
  QueryParams<P, "get", Fallback>,
  "limit" | "startingAfter"
>;

type Schemas = components["schemas"];

export type Account = Schemas["Account"];
export type AccountUpdate = Schemas["AccountPatch"];
export type StripeIntegration = Schemas["StripeIntegration"];
export type StripeIntegrationUpdate = Schemas["StripeIntegrationUpdate"];
export type StripeConnectParams = Schemas["StripeConnect"];
export type PaymentLink = Schemas["PaymentLink"];
export type PaymentLinkCreateParams = Schemas["PaymentLinkCreate"];
export type PaymentLinkUpdateParams = RequestBody<"/v1/payment-links/{id}", "patch">;
export type CheckoutSession = Schemas["CheckoutSession"];
export type CheckoutSessionCreateParams = Schemas["CheckoutSessionCreate"];
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEndpointCreateParams = Schemas["WebhookEndpointCreate"];
export type WebhookEndpointUpdateParams = Schemas["WebhookEndpointUpdate"];
export type DashboardLinkParams = RequestBody<"/v1/dashboard-links", "post">;
export type Event = Schemas["Event"];
export type Attempt = Schemas["Attempt"];
export type Redelivery = Schemas["Redelivery"];
export type RedeliverParams = RequestBody<"/v1/events/{id}/redeliver", "post">;
export type Contact = Schemas["Contact"];
export type ContactWriteParams = Schemas["ContactWrite"];
export type ContactEvent = Schemas["ContactEvent"];
export type ContactEventSendParams = Schemas["ContactEventSend"];
export type EmailTemplate = Schemas["EmailTemplate"];
export type EmailTemplateCreateParams = Schemas["EmailTemplateCreate"];
export type EmailTemplateUpdateParams = Schemas["EmailTemplateUpdate"];
export type TemplatePreviewParams = Schemas["TemplatePreview"];
export type TransactionalSendParams = Schemas["TransactionalSend"];
export type SentEmail = Schemas["SentEmail"];
export type Item = Schemas["Item"];
export type Transfer = Schemas["Transfer"];
export type TransferProcessParams = Schemas["TransferProcess"];
export type Agreement = Schemas["Agreement"];

export type Workflow = Schemas["Workflow"];
export type WorkflowStep = Schemas["WorkflowStep"];
export type WorkflowCreateParams = Schemas["WorkflowCreate"];
export type WorkflowUpdateParams = Schemas["WorkflowUpdate"];
export type WorkflowRun = Schemas["WorkflowRun"];

type ItemOf<L> = L extends { data: (infer T)[] } ? T : never;

/** The item type of a list route's page. */
export type ListItem<P extends string, Fallback = never> = Or<ItemOf<ResponseBody<P, "get">>, Fallback>;
