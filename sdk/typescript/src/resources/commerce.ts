// What Stripe ingest keeps: catalogue items, transfer requests, agreements (read-only).

import { segment } from "../http.js";
import type { ListResult } from "../list.js";
import type { Agreement, Item, ListFilters, PageParams, Transfer } from "../types.js";
import { Resource } from "./resource.js";

export class ItemsResource extends Resource {
  retrieve(id: string): Promise<Item> {
    return this.http.request({ method: "GET", path: `/v1/items/${segment(id)}` });
  }

  list(params?: PageParams & ListFilters<"/v1/items">): ListResult<Item> {
    return this.paged("/v1/items", params);
  }
}

export class TransfersResource extends Resource {
  retrieve(id: string): Promise<Transfer> {
    return this.http.request({ method: "GET", path: `/v1/transfers/${segment(id)}` });
  }

  /** `status` filters. */
  list(params?: PageParams & ListFilters<"/v1/transfers">): ListResult<Transfer> {
    return this.paged("/v1/transfers", params);
  }
}

export class AgreementsResource extends Resource {
  retrieve(id: string): Promise<Agreement> {
    return this.http.request({ method: "GET", path: `/v1/agreements/${segment(id)}` });
  }

  list(params?: PageParams & ListFilters<"/v1/agreements">): ListResult<Agreement> {
    return this.paged("/v1/agreements", params);
  }
}
