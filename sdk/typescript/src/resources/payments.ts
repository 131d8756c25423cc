// Payment links and checkout sessions.

import { segment, type RequestOptions } from "../http.js";
import type { ListResult } from "../list.js";
import type {
  CheckoutSession,
  CheckoutSessionCreateParams,
  ListFilters,
  PageParams,
  PaymentLink,
  PaymentLinkCreateParams,
  PaymentLinkUpdateParams,
} from "../types.js";
import { Resource } from "./resource.js";

export class PaymentLinksResource extends Resource {
  /** `{name, itemId}` or `{name, amount: "10.00", currency}`. */
  create(params: PaymentLinkCreateParams, options?: RequestOptions): Promise<PaymentLink> {
    return this.http.request({ method: "POST", path: "/v1/payment-links", body: params, options });
  }

  retrieve(id: string): Promise<PaymentLink> {
    return this.http.request({ method: "GET", path: `/v1/payment-links/${segment(id)}` });
  }

  /** `{active}`. */
  update(id: string, params: PaymentLinkUpdateParams): Promise<PaymentLink> {
    return this.http.request({ method: "PATCH", path: `/v1/payment-links/${segment(id)}`, body: params });
  }

  list(params?: PageParams & ListFilters<"/v1/payment-links">): ListResult<PaymentLink> {
    return this.paged("/v1/payment-links", params);
  }
}

export class CheckoutSessionsResource extends Resource {
  /** `{paymentLinkId, externalCustomerId?, metadata?}` → the session, with the `url` to send the customer to. */
  create(params: CheckoutSessionCreateParams, options?: RequestOptions): Promise<CheckoutSession> {
    return this.http.request({ method: "POST", path: "/v1/checkout-sessions", body: params, options });
  }

  retrieve(id: string): Promise<CheckoutSession> {
    return this.http.request({ method: "GET", path: `/v1/checkout-sessions/${segment(id)}` });
  }

  /** Newest first; `status` filters. */
  list(params?: PageParams & ListFilters<"/v1/checkout-sessions">): ListResult<CheckoutSession> {
    return this.paged("/v1/checkout-sessions", params);
  }
}
