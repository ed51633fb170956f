/**
 * Pages of search hits by `search_after`: the keyset idea of query/cursor.ts applied to
 * OpenSearch. The next page is "after the sort values of the last hit shown". The cursor is opaque
 * to clients (base64url JSON of those values and a fingerprint of the index, query and sort it was
 * made under); one that does not decode, or that was made for another list, is refused.
 *
 * Stable while documents are added, without a point in time (PIT): the sort must end with a unique
 * tiebreaker, so it is a total order and every document has exactly one place in it. A page starts
 * strictly after the last one shown, so a document indexed meanwhile lands where it belongs (before
 * the cursor: not shown to this reader; after it: on a later page), and none of those already there
 * repeats or is skipped. A PIT would freeze a snapshot, which this does not need, at the cost of a
 * search context held open on the cluster per reader. Not covered: an update that changes a sort
 * value moves its document across the cursor, as it would in SQL.
 *
 * Sort fields must have a value in every document (a missing one sorts as Long.MIN/MAX, which JSON
 * numbers cannot carry exactly). The tiebreaker should be a keyword field holding the document's
 * own id: sorting on `_id` itself needs fielddata.
 */
import type { Client, Types } from "@opensearch-project/opensearch";
import { z } from "zod";
import { InvalidInputError } from "../errors.js";
import { decodeOpaque, encodeOpaque, fingerprintFilters } from "../query/cursor.js";

export type SortValue = string | number | boolean;

export interface SortKey {
  readonly field: string;
  readonly order: "asc" | "desc";
}

/** The last sort key, whose value no two documents share. */
export interface Tiebreaker extends SortKey {
  readonly unique: true;
}

/** A total order: any sort keys, then a unique tiebreaker. */
export type TotalOrder = readonly [...SortKey[], Tiebreaker];

export type SearchQuery = Types.Common_QueryDsl.QueryContainer;

/** What a cursor is bound to: the same list, only further on (the page size may change). */
export interface SearchList {
  readonly index: string;
  readonly query: SearchQuery;
  readonly sort: TotalOrder;
}

export interface SearchPageRequest extends SearchList {
  readonly size: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface SearchHit<Source> {
  readonly _id: string;
  readonly _source: Source;
}

export interface SearchPage<Source> {
  readonly items: readonly SearchHit<Source>[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

export const maxPageSize = 1_000;
const formatVersion = 1;
const maxSortKeys = 8;
const SortValueSchema = z.union([z.string().max(512), z.number(), z.boolean()]);
const Payload = z.tuple([
  z.literal(formatVersion),
  z.array(SortValueSchema).min(1).max(maxSortKeys),
  z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
]);

/** The cursor continuing `list` after a hit with these sort values. */
export function encodeSearchCursor(after: readonly SortValue[], list: SearchList): string {
  return encodeOpaque([formatVersion, after, fingerprintList(list)]);
}

/** The sort values `text` continues after, or undefined when it is not a cursor of `list`. */
export function decodeSearchCursor(text: string, list: SearchList): readonly SortValue[] | undefined {
  const payload = decodeOpaque(text, Payload, 6000);
  if (!payload) return undefined;
  const [, after, fingerprint] = payload;
  if (fingerprint !== fingerprintList(list) || after.length !== list.sort.length) return undefined;
  return after;
}

function fingerprintList(list: SearchList): string {
  return fingerprintFilters({ index: list.index, query: list.query, sort: list.sort.map(({ field, order }) => [field, order]) });
}

/**
 * One page of `index` in `sort` order: `size` hits after the cursor's position, and the cursor of
 * the next page when there are more. Throws InvalidInputError (field `cursor`) for a refused cursor.
 */
export async function searchPage<Source = Record<string, unknown>>(client: Client, request: SearchPageRequest): Promise<SearchPage<Source>> {
  assertTotalOrder(request.sort);
  if (!Number.isInteger(request.size) || request.size < 1 || request.size > maxPageSize) {
    throw new RangeError(`size must be an integer from 1 to ${maxPageSize}, got ${request.size}`);
  }
  let after: readonly SortValue[] | undefined;
  if (request.cursor !== undefined) {
    after = decodeSearchCursor(request.cursor, request);
    if (!after) throw new InvalidInputError("The cursor does not continue this list.", [{ name: "cursor", reason: "is not a cursor of this list" }]);
  }
  const response = await client.search({
    index: request.index,
    body: {
      query: request.query,
      sort: request.sort.map(({ field, order }) => ({ [field]: { order } })),
      // One more than shown: whether a next page exists, without counting.
      size: request.size + 1,
      track_total_hits: false,
      ...(after ? { search_after: [...after] } : {}),
    },
  });
  const hits = response.body.hits.hits;
  const shown = hits.slice(0, request.size);
  const last = shown.at(-1);
  return {
    items: shown.map((hit) => ({ _id: String(hit._id), _source: hit._source as Source })),
    ...(hits.length > request.size && last?.sort ? { nextCursor: encodeSearchCursor(last.sort as SortValue[], request) } : {}),
  };
}

function assertTotalOrder(sort: TotalOrder): void {
  const last = sort.at(-1);
  if (!last || !("unique" in last) || last.unique !== true) {
    throw new TypeError("A search page needs a total order: end the sort with a unique tiebreaker ({ field, order, unique: true })");
  }
  if (sort.length > maxSortKeys) throw new TypeError(`A search page sorts by at most ${maxSortKeys} keys`);
  const fields = sort.map((key) => key.field);
  if (new Set(fields).size !== fields.length) throw new TypeError(`A sort key appears twice: ${fields.join(", ")}`);
}
