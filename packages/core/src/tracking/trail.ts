/**
 * GET /reservations/{id}/positions: the trail of a delivery, for its customer, its assigned driver
 * or an operator; anyone else gets NotFound, exactly as for an unknown id.
 *
 * The reservation is read as the query service reads it: from the replica as the read-only user,
 * and from the primary (read-only user too) when the replica does not have the row yet. The trail
 * is the driver's positions recorded in [pickedUpAt, deliveredAt] (or up to now while the delivery
 * runs), oldest first, a page at a time with a search_after cursor. Before pickup it is empty.
 *
 * recordedAt is the unique sort key: a fix's id is (driver, recordedAt), so one driver has one
 * position per instant. A fix re-sent across midnight may sit in two daily indices; such a twin is
 * dropped within a page, and across a page boundary search_after skips it.
 */
import { errors, type Client } from "@opensearch-project/opensearch";
import { z } from "zod";
import { NotFoundError } from "../errors.js";
import { pageSizeUpTo } from "../query-string.js";
import { readerDatabase, type ReaderDatabase, type Viewer } from "../query/reservation-query.js";
import { findReservation } from "../query/reader-store.js";
import type { ReservationRecord } from "../reservation/reservation.js";
import { ReservationStatus } from "../reservation/status.js";
import { getSearchClient, searchIndexName } from "../search/search-client.js";
import { searchPage, type SearchQuery, type TotalOrder } from "../search/search-cursor.js";
import { positionsFamily } from "./latest-positions.js";
import { Position, toPosition, type PositionDocument } from "./position.js";

export * as Trail from "./trail.js";

/** A trail is drawn whole: a fix every few seconds makes hundreds per hour of driving. */
export const defaultTrailPageSize = 500;
export const maxTrailPageSize = 1000;

export const trailOrder: TotalOrder = [{ field: "recordedAt", order: "asc", unique: true }];

export const TrailQuery = z.strictObject({
  limit: pageSizeUpTo(maxTrailPageSize, defaultTrailPageSize).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,6000}$/, "is not a cursor this API issued")
    .optional()
    .describe("The `nextCursor` of the previous page"),
});
export type TrailQuery = z.output<typeof TrailQuery>;

export const TrailPage = z
  .object({
    reservationId: z.uuid(),
    status: ReservationStatus,
    pickedUpAt: z.iso.datetime().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    positions: z.array(Position).describe("Oldest first; empty before pickup"),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  })
  .meta({ id: "TrailPage" });
export type TrailPage = z.infer<typeof TrailPage>;

export interface TrailOptions {
  readonly database?: ReaderDatabase;
  readonly client?: () => Client;
  /** The alias to read; default `driver-positions` under HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly index?: string;
}

export async function read(viewer: Viewer, reservationId: string, query: TrailQuery, options: TrailOptions = {}): Promise<TrailPage> {
  const id = reservationId.toLowerCase();
  const reservation = await findVisible(viewer, id, options.database ?? readerDatabase);
  const pickedUpAt = reservation.pickedUpAt ?? null;
  const deliveredAt = reservation.deliveredAt ?? null;
  const header = { reservationId: id, status: reservation.status, pickedUpAt, deliveredAt };
  if (!pickedUpAt) return { ...header, positions: [], nextCursor: null };

  // "now" is resolved by OpenSearch, so the search (and with it the cursor) is the same page after page.
  const positionsQuery: SearchQuery = {
    bool: {
      filter: [
        { term: { driverId: reservation.driverId } },
        { range: { recordedAt: { gte: pickedUpAt, lte: deliveredAt ?? "now" } } },
      ],
    },
  };
  try {
    const page = await searchPage<PositionDocument>((options.client ?? getSearchClient)(), {
      index: options.index ?? searchIndexName(positionsFamily),
      query: positionsQuery,
      sort: trailOrder,
      size: query.limit ?? defaultTrailPageSize,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    const positions = page.items.map((hit) => toPosition(hit._source)).filter((position, i, all) => i === 0 || position.recordedAt !== all[i - 1]!.recordedAt);
    return { ...header, positions, nextCursor: page.nextCursor ?? null };
  } catch (error) {
    // No position was ever indexed: the alias does not exist yet.
    if (error instanceof errors.ResponseError && error.statusCode === 404) return { ...header, positions: [], nextCursor: null };
    throw error;
  }
}

async function findVisible(viewer: Viewer, id: string, database: ReaderDatabase): Promise<ReservationRecord> {
  const notFound = () => new NotFoundError(`You have no reservation ${id}.`);
  if (!z.uuid().safeParse(id).success) throw notFound();
  // The replica-lag rule of the query service: a replica miss is asked again of the primary.
  const found = (await findReservation(await database.replica(), id)) ?? (await findReservation(await database.primary(), id));
  if (!found || !canSee(viewer, found)) throw notFound();
  return found;
}

function canSee(viewer: Viewer, reservation: ReservationRecord): boolean {
  const me = viewer.userId.toLowerCase();
  if (viewer.role === "operator") return true;
  if (viewer.role === "driver") return reservation.driverId === me;
  return reservation.customerId === me;
}
