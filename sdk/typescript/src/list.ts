// Lists: one page at a time with `.page()`, or every item of every page with `for await`.
// Pages follow `nextStartingAfter` (present while `hasMore`): a filtered list may answer a short
// or even empty page that still has more, so the last item's id is only the fallback.

import type { Page, PageParams } from "./types.js";

export type PageFetcher<T> = (params: PageParams) => Promise<Page<T>>;

export class ListResult<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: PageFetcher<T>,
    private readonly defaults: PageParams = {},
  ) {}

  /** One page: `limit` (1–100, default 10) items after `startingAfter`. */
  page(params: PageParams = {}): Promise<Page<T>> {
    return this.fetchPage({ ...this.defaults, ...params });
  }

  /** Every page in turn, from the list's `startingAfter` (if any) to the end. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let startingAfter = this.defaults.startingAfter;
    for (;;) {
      const page = await this.fetchPage({ ...this.defaults, startingAfter });
      yield page;
      if (!page.hasMore) return;
      const next = page.nextStartingAfter ?? lastId(page.data);
      // A page that has more but names no way on would be asked for again forever.
      if (next === undefined || next === startingAfter) return;
      startingAfter = next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item, in one array (up to `max`, default 10 000: lists can be long). */
  async toArray(max = 10_000): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) {
      if (items.length >= max) break;
      items.push(item);
    }
    return items;
  }
}

function lastId(data: unknown[]): string | undefined {
  const last = data[data.length - 1] as { id?: unknown } | undefined;
  return typeof last?.id === "string" ? last.id : undefined;
}
