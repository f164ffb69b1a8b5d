import type { FastifyReply } from "fastify";
import { checkPageSize } from "../core/limits.js";

/**
 * Pages of list routes. The body stays the array it always was (old callers keep working); when the
 * page is full, the cursor of the next page is in this header, to pass back as the route's cursor
 * parameter (`before=` for releases and audit, `after=` for events and offset-paged lists).
 */
export const NEXT_CURSOR_HEADER = "x-tandem-next-cursor";

/** The `limit` query parameter (digits only, by schema), checked against the route's cap. */
export function pageSize(text: string | undefined, fallback: number, max: number): number {
  return checkPageSize("limit", text === undefined ? undefined : Number(text), fallback, max);
}

/** Sets the next-page header when `items` filled the page; returns `items`. */
export function withNextCursor<T>(
  reply: FastifyReply,
  items: T[],
  limit: number,
  cursorOf: (items: T[]) => string | number | undefined,
): T[] {
  if (items.length >= limit) {
    const cursor = cursorOf(items);
    if (cursor !== undefined) reply.header(NEXT_CURSOR_HEADER, String(cursor));
  }
  return items;
}

/** One page of a list read whole (a short list without a store cursor): `after` is an offset. */
export function offsetPage<T>(reply: FastifyReply, all: T[], after: string | undefined, limit: number): T[] {
  const start = after === undefined ? 0 : Number(after);
  const page = all.slice(start, start + limit);
  if (start + limit < all.length) reply.header(NEXT_CURSOR_HEADER, String(start + limit));
  return page;
}
