// Webhook endpoints, and the events Loop published with their deliveries.

import { segment, type RequestOptions } from "../http.js";
import type { ListResult } from "../list.js";
import type {
  Attempt,
  Event,
  ListFilters,
  ListItem,
  PageParams,
  RedeliverParams,
  Redelivery,
  ResponseBody,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointUpdateParams,
} from "../types.js";
import { Resource } from "./resource.js";

export class WebhookEndpointsResource extends Resource {
  /** Registers an endpoint. The answer's `secret` is shown here only: keep it. */
  create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.http.request({ method: "POST", path: "/v1/webhook-endpoints", body: params, options });
  }

  /** The endpoint, its secret masked. */
  retrieve(id: string): Promise<WebhookEndpoint> {
    return this.http.request({ method: "GET", path: `/v1/webhook-endpoints/${segment(id)}` });
  }

  update(id: string, params: WebhookEndpointUpdateParams): Promise<WebhookEndpoint> {
    return this.http.request({ method: "PATCH", path: `/v1/webhook-endpoints/${segment(id)}`, body: params });
  }

  del(id: string): Promise<ResponseBody<"/v1/webhook-endpoints/{id}", "delete">> {
    return this.http.request({ method: "DELETE", path: `/v1/webhook-endpoints/${segment(id)}` });
  }

  list(params?: PageParams & ListFilters<"/v1/webhook-endpoints">): ListResult<WebhookEndpoint> {
    return this.paged("/v1/webhook-endpoints", params);
  }

  /** A new secret; the old one keeps signing alongside it for 24 h. */
  rotateSecret(
    id: string,
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/webhook-endpoints/{id}/rotate-secret", "post">> {
    return this.http.request({ method: "POST", path: `/v1/webhook-endpoints/${segment(id)}/rotate-secret`, options });
  }
}

export class EventsResource extends Resource {
  /** The event, its payload, and per endpoint its delivery with the latest 20 attempts. */
  retrieve(id: string): Promise<Event> {
    return this.http.request({ method: "GET", path: `/v1/events/${segment(id)}` });
  }

  /** Published events, newest first; `type` filters. */
  list(params?: PageParams & ListFilters<"/v1/events">): ListResult<ListItem<"/v1/events">> {
    return this.paged("/v1/events", params);
  }

  /** Every attempt of the event (or of its delivery to `endpointId`), newest first. */
  listAttempts(id: string, params?: PageParams & ListFilters<"/v1/events/{id}/attempts">): ListResult<Attempt> {
    return this.paged(`/v1/events/${segment(id)}/attempts`, params);
  }

  /** Sends the event again, with the same id, to every endpoint or to `endpointId`. */
  redeliver(id: string, params: RedeliverParams = {}, options?: RequestOptions): Promise<Redelivery> {
    return this.http.request({ method: "POST", path: `/v1/events/${segment(id)}/redeliver`, body: params, options });
  }
}
