/**
 * Driver messages in OpenSearch, family `reservation-messages` (search/index-families): one
 * document per message, its id the event id, in the monthly index of the message's time
 * (`reservation-messages-YYYY-MM`, under HAUL_OPENSEARCH_INDEX_PREFIX). The month comes from the
 * message itself, so a redelivered message always lands in the same index: `create` with the event
 * id stores it once, and a second `create` is answered 409, which is "already there".
 *
 * Reads search every index of the family by pattern (an empty pattern answers an empty page, where
 * the alias would answer 404 before the first message). Pages are newest first with search_after
 * cursors (search/search-cursor.ts); eventId is the unique tiebreaker.
 */
import { errors, type Client } from "@opensearch-project/opensearch";
import { TransientError } from "../errors.js";
import { searchPage, type SearchQuery, type TotalOrder } from "../search/search-cursor.js";
import { searchConfigFromEnv, searchIndexName } from "../search/search-client.js";
import type { DriverMessage, DriverMessageView } from "./driver-message.js";
import type { MessageFilters } from "./schema.js";

export const messageFamily = "reservation-messages";

/** Newest first; eventId breaks ties (it is the document id, kept as a keyword field). */
export const messageOrder: TotalOrder = [
  { field: "createdAt", order: "desc" },
  { field: "eventId", order: "desc", unique: true },
];

/** Full text goes over these; the title counts double. */
const textFields = ["title^2", "text", "pickup.address", "dropoff.address", "cargo.description"];

export type StoreOutcome = "created" | "existing";

export interface MessageStoreOptions {
  /** Default: the shared client (getSearchClient). */
  readonly client: () => Client;
  /** Default: HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
}

export interface MessagePageRequest {
  readonly filters: MessageFilters & { readonly driverId?: string };
  readonly size: number;
  readonly cursor?: string;
}

export interface MessageStore {
  /** The index a message is stored in. */
  indexOf(message: Pick<DriverMessage, "createdAt">): string;
  /** Stores `message` under its event id unless a message with that id is stored already. */
  store(message: DriverMessage, options?: { readonly refresh?: boolean | "wait_for" }): Promise<StoreOutcome>;
  /** One page of the messages matching `filters`, newest first. */
  page(request: MessagePageRequest): Promise<{ items: DriverMessageView[]; nextCursor: string | null }>;
  /**
   * Marks read those of `eventIds` that are `driverId`'s messages, stamping `readAt` once; answers
   * which are read now and which are not the driver's (or do not exist).
   */
  markRead(driverId: string, eventIds: readonly string[], now: Date): Promise<{ read: string[]; notFound: string[] }>;
}

export function createMessageStore(options: MessageStoreOptions): MessageStore {
  const prefix = options.indexPrefix ?? searchConfigFromEnv().indexPrefix;
  const family = searchIndexName(messageFamily, { indexPrefix: prefix });
  const pattern = `${family}-*`;

  const indexOf = (message: Pick<DriverMessage, "createdAt">) => `${family}-${message.createdAt.slice(0, 7)}`;

  return {
    indexOf,

    async store(message, storeOptions = {}) {
      try {
        await options.client().create({
          index: indexOf(message),
          id: message.eventId,
          body: message,
          ...(storeOptions.refresh === undefined ? {} : { refresh: storeOptions.refresh }),
        });
        return "created";
      } catch (error) {
        if (error instanceof errors.ResponseError && error.statusCode === 409) return "existing";
        throw transient(error);
      }
    },

    async page(request) {
      try {
        const page = await searchPage<DriverMessageView>(options.client(), {
          index: pattern,
          query: toQuery(request.filters),
          sort: messageOrder,
          size: request.size,
          ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
        });
        return { items: page.items.map((hit) => hit._source), nextCursor: page.nextCursor ?? null };
      } catch (error) {
        throw transient(error);
      }
    },

    async markRead(driverId, eventIds, now) {
      const wanted = [...new Set(eventIds)];
      const client = options.client();
      try {
        // The driver's filter is what keeps anyone else's message out of reach.
        const found = await client.search({
          index: pattern,
          body: {
            query: { bool: { filter: [{ term: { driverId } }, { ids: { values: wanted } }] } },
            size: wanted.length,
            seq_no_primary_term: true,
            _source: ["read"],
          },
        });
        const hits = found.body.hits.hits as unknown as Array<{ _index: string; _id: string; _seq_no: number; _primary_term: number; _source: { read: boolean } }>;
        const readAt = now.toISOString();
        await Promise.all(
          hits
            .filter((hit) => !hit._source.read)
            .map((hit) =>
              client
                .update({
                  index: hit._index,
                  id: hit._id,
                  // Only the version just read: a concurrent mark-read that won keeps its readAt.
                  if_seq_no: hit._seq_no,
                  if_primary_term: hit._primary_term,
                  // The caller lists the unread ones next; it must not see these among them.
                  refresh: "wait_for",
                  body: { doc: { read: true, readAt } },
                })
                .catch((error: unknown) => {
                  // 409: changed since it was read, and marking read is the only change there is.
                  if (!(error instanceof errors.ResponseError && error.statusCode === 409)) throw error;
                }),
            ),
        );
        const ids = new Set(hits.map((hit) => hit._id));
        return { read: wanted.filter((id) => ids.has(id)), notFound: wanted.filter((id) => !ids.has(id)) };
      } catch (error) {
        throw transient(error);
      }
    },
  };
}

/** The filters as an OpenSearch query: exact filters, and full text when asked. */
export function toQuery(filters: MessagePageRequest["filters"]): SearchQuery {
  const filter: SearchQuery[] = [];
  if (filters.driverId !== undefined) filter.push({ term: { driverId: filters.driverId } });
  if (filters.reservationId !== undefined) filter.push({ term: { reservationId: filters.reservationId } });
  if (filters.type !== undefined) filter.push({ terms: { type: [...filters.type] } });
  if (filters.unread !== undefined) filter.push({ term: { read: !filters.unread } });
  if (filters.from !== undefined || filters.to !== undefined) {
    filter.push({ range: { createdAt: { ...(filters.from ? { gte: filters.from } : {}), ...(filters.to ? { lt: filters.to } : {}) } } });
  }
  const must: SearchQuery[] = filters.q === undefined ? [] : [{ multi_match: { query: filters.q, fields: textFields, operator: "and" } }];
  return { bool: { filter, must } };
}

/** An OpenSearch that did not answer, or answered 429/5xx, may answer a retry: say so. */
function transient(error: unknown): unknown {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    return status === 429 || status >= 500 ? new TransientError(`OpenSearch answered ${status}`, { cause: error }) : error;
  }
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) {
    return new TransientError(`OpenSearch did not answer: ${error.message}`, { cause: error });
  }
  return error;
}
