/**
 * Query-string fields the list routes of every service share, as zod schemas: a time, a page size,
 * and the check that a `from`/`to` range is not empty. Query-string fields are strings on the wire;
 * each is parsed here, and a field at fault is named by its key, so the API can answer 400 naming it.
 */
import { z } from "zod";

export const defaultPageSize = 20;
export const maxPageSize = 100;

/** A time with an offset, as ISO UTC with milliseconds. */
export const instant = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString())
  .describe("ISO-8601 date-time with an offset (encode `+` as %2B), e.g. 2026-12-01T08:00:00Z");

/** A `limit` query parameter from 1 to `max`, documented with its default. */
export function pageSizeUpTo(max: number, byDefault: number) {
  return z
    .string()
    .transform((text, context) => {
      const size = Number(text);
      if (!/^\d{1,5}$/.test(text) || size < 1 || size > max) {
        context.addIssue({ code: "custom", message: `must be an integer from 1 to ${max}` });
        return z.NEVER;
      }
      return size;
    })
    .describe(`Page size, 1 to ${max}; default ${byDefault}`);
}

export const pageSize = pageSizeUpTo(maxPageSize, defaultPageSize);

/** What `instant` produces; anything else is a value that failed its own check. */
export function isUtcInstant(value: unknown): value is string {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value);
}

/** For a superRefine: `to`, when both times are given, must be after `from`. */
export function checkTimeRange(query: { readonly from?: unknown; readonly to?: unknown }, context: z.RefinementCtx): void {
  // zod runs this even when a time failed its own check; that one was reported already.
  if (isUtcInstant(query.from) && isUtcInstant(query.to) && query.from >= query.to)
    context.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
}
