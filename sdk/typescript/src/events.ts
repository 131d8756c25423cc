// The payloads Loop delivers to webhook endpoints (`webhooks.md`), as one union: narrow it with
// `"type" in event` (envelope family) or `"event" in event` (Loop family), then on the name.
// `openapi.json` describes the API, not the deliveries, so these are written from the spec; the
// objects inside the envelopes (session, contact) are the generated API types.

import type { CheckoutSession, Contact } from "./types.js";

/** `"-"` is what Loop-family payloads say for a value that is not known (never `null`). */
export type Unknown = "-";

interface Envelope<T extends string, D> {
  /** `evt_…`: the same for every delivery of one event (deduplicate on it). */
  id: string;
  type: T;
  /** RFC 3339. */
  created: string;
  data: D;
}

export type CheckoutSessionEvent = Envelope<
  "checkout.session.completed" | "checkout.session.failed" | "checkout.session.expired",
  CheckoutSession
>;
export type ContactChangedEvent = Envelope<
  "contact.created" | "contact.updated" | "contact.unsubscribed" | "contact.deleted",
  Contact & Record<string, unknown>
>;
export type EventTriggeredEvent = Envelope<
  "event.triggered",
  {
    eventName: string;
    contact: Contact & Record<string, unknown>;
    eventProperties: Record<string, unknown>;
    stripeEventId: string | null;
  }
>;
export type EnvelopeEvent = CheckoutSessionEvent | ContactChangedEvent | EventTriggeredEvent;

/** The fields every Loop-family payload carries: the account's chain settings and name. */
interface LoopFamilyBase<E extends string> {
  event: E;
  transaction: string;
  networkId: number | Unknown;
  networkName: string;
  contractAddress: string;
  email: string;
  /** The account's name. */
  company: string;
  parent: string;
}

export interface AgreementSignedUpEvent extends LoopFamilyBase<"AgreementSignedUp"> {
  subscriber: string;
  item: string;
  itemId: string;
  agreementId: string;
  agreementAmount: string;
  frequencyNumber: number | Unknown;
  frequencyUnit: string;
  addOnAgreements: unknown[];
  addOnItems: unknown[];
  addOnItemIds: unknown[];
  addOnTotalAmount: string;
  paymentTokenSymbol: string;
  paymentTokenAddress: string;
  /** Unix seconds. */
  eventDate: number;
  refId: string;
  /** A JSON string. */
  metadata: string;
}

export interface AgreementCancelledEvent extends LoopFamilyBase<"AgreementCancelled"> {
  /** The account id. */
  entityId: string;
  agreementId: string;
  subscriber: string;
  agreementStartDate: number | Unknown;
  eventDate: number;
  itemId: string;
  itemName: string;
  refId: string;
}

interface TransferFields {
  id: string;
  invoiceId: string;
  billDate: number | Unknown;
  toAddress: string;
  fromAddress: string;
  tokenSymbol: string;
  tokenAddress: string;
  paymentType: "Subscription" | "OneTime" | (string & {});
  usd: boolean;
  /** A decimal string. */
  amount: string;
  item: string;
  itemId: string;
  source: string;
  batchId: string;
  transferId: string;
  refId: string;
  agreementId: string;
}

export interface TransferCreatedEvent extends LoopFamilyBase<"TransferCreated">, TransferFields {}
export interface TransferFinalizedEvent extends LoopFamilyBase<"TransferFinalized">, TransferFields {}

export interface TransferProcessedEvent extends LoopFamilyBase<"TransferProcessed"> {
  transferId: string;
  success: boolean;
  paymentTokenAddress: string;
  paymentTokenSymbol: string;
  endUser: string;
  reason: string;
  invoiceId: string;
  amountPaid: string;
  agreementId: string;
  refId: string;
  batchId: string;
  usdAmount: string;
}

export interface LatePaymentEvent extends LoopFamilyBase<"LatePayment"> {
  subscriber: string;
  dueDate: number | Unknown;
  /** In the token's base units, an integer (beyond 2^53 it loses precision in `JSON.parse`). */
  amountDue: number | Unknown;
  lateReason: string;
  eventDate: number;
  agreementId: string;
  refId: string;
  transferId: string;
  invoiceId: string;
}

export type LoopFamilyEvent =
  | AgreementSignedUpEvent
  | AgreementCancelledEvent
  | TransferCreatedEvent
  | TransferFinalizedEvent
  | TransferProcessedEvent
  | LatePaymentEvent;

/** Every payload Loop delivers. */
export type WebhookEvent = EnvelopeEvent | LoopFamilyEvent;
/** Every outbound event type, in its own spelling (what `webhookEndpoints.create({events})` takes). */
export type WebhookEventType = EnvelopeEvent["type"] | LoopFamilyEvent["event"];
