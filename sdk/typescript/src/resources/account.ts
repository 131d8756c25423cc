// The account, its Stripe integration, and dashboard sign-in links.

import type { RequestOptions } from "../http.js";
import type { RequestBody, ResponseBody } from "../types.js";
import { Resource } from "./resource.js";

export class AccountResource extends Resource {
  retrieve(): Promise<ResponseBody<"/v1/account", "get">> {
    return this.http.request({ method: "GET", path: "/v1/account" });
  }

  /** `supportEmail`, `crypto` fields, `email` (the sender); fields given replace those stored. */
  update(params: RequestBody<"/v1/account", "patch">): Promise<ResponseBody<"/v1/account", "patch">> {
    return this.http.request({ method: "PATCH", path: "/v1/account", body: params });
  }
}

export class StripeIntegrationResource extends Resource {
  /** The Stripe webhook configuration, secrets masked. */
  retrieve(): Promise<ResponseBody<"/v1/integrations/stripe", "get">> {
    return this.http.request({ method: "GET", path: "/v1/integrations/stripe" });
  }

  /** `PUT`: any subset of the top-level fields; answers the new configuration, masked. */
  update(
    params: RequestBody<"/v1/integrations/stripe", "put">,
  ): Promise<ResponseBody<"/v1/integrations/stripe", "put">> {
    return this.http.request({ method: "PUT", path: "/v1/integrations/stripe", body: params });
  }

  /** Connects a Stripe account with a restricted key (webhook endpoint there, catalogue backfill). */
  connect(
    params: RequestBody<"/v1/integrations/stripe/connect", "post">,
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/integrations/stripe/connect", "post">> {
    return this.http.request({ method: "POST", path: "/v1/integrations/stripe/connect", body: params, options });
  }
}

export class IntegrationsResource {
  readonly stripe: StripeIntegrationResource;

  constructor(stripe: StripeIntegrationResource) {
    this.stripe = stripe;
  }
}

export class DashboardLinksResource extends Resource {
  /** A one-time sign-in link to the dashboard (`ttlSeconds` 30–86 400, default 900). */
  create(
    params: RequestBody<"/v1/dashboard-links", "post"> = {},
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/dashboard-links", "post">> {
    return this.http.request({ method: "POST", path: "/v1/dashboard-links", body: params, options });
  }
}
