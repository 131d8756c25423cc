// What every resource shares: the client, and building a list over a route.

import type { HttpClient, Query } from "../http.js";
import { ListResult } from "../list.js";
import type { Page, PageParams } from "../types.js";

export abstract class Resource {
  constructor(protected readonly http: HttpClient) {}

  /** A list over `path`; `params` holds the route's filters and, optionally, the page size. */
  protected paged<T>(path: string, params: object | undefined): ListResult<T> {
    const { limit, startingAfter, ...filters } = (params ?? {}) as PageParams & Query;
    return new ListResult<T>(
      (page) => this.http.request<Page<T>>({ method: "GET", path, query: { ...filters, ...page } }),
      { limit, startingAfter },
    );
  }
}
