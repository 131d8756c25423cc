// Test helpers (test-mode keys only; a live key gets `403`): drive sessions and transfers the way
// the payment processor does in production.

import { segment, type RequestOptions } from "../http.js";
import type { CheckoutSession, Transfer, TransferProcessParams } from "../types.js";
import { Resource } from "./resource.js";

export class TestCheckoutSessionsResource extends Resource {
  complete(id: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.transition(id, "complete", options);
  }

  fail(id: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.transition(id, "fail", options);
  }

  expire(id: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.transition(id, "expire", options);
  }

  private transition(id: string, to: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.http.request({ method: "POST", path: `/v1/test-helpers/checkout-sessions/${segment(id)}/${to}`, options });
  }
}

export class TestTransfersResource extends Resource {
  /** Reports a transfer's outcome: `{success, transaction?, amountPaid?, reason?}`. */
  process(id: string, params: TransferProcessParams, options?: RequestOptions): Promise<Transfer> {
    return this.http.request({ method: "POST", path: `/v1/test-helpers/transfers/${segment(id)}/process`, body: params, options });
  }
}

export class TestHelpersResource {
  readonly checkoutSessions: TestCheckoutSessionsResource;
  readonly transfers: TestTransfersResource;

  constructor(checkoutSessions: TestCheckoutSessionsResource, transfers: TestTransfersResource) {
    this.checkoutSessions = checkoutSessions;
    this.transfers = transfers;
  }
}
