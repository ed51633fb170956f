/**
 * The message history: every message a driver was sent, searchable, with read receipts.
 *
 * Visibility: a driver sees and marks only their own messages; asking for another driver's is
 * Forbidden, whether or not that driver exists or has messages (the answer leaks nothing). An
 * operator searches any driver's, or all drivers' at once. Customers see none. A message id that
 * is not the driver's is "not found" to them, exactly like one that does not exist.
 */
import type { Client } from "@opensearch-project/opensearch";
import { ForbiddenError } from "../errors.js";
import { getSearchClient } from "../search/search-client.js";
import type { Role } from "../user.js";
import { createMessageStore, type MessageStore } from "./message-store.js";
import { defaultPageSize, type AllMessagesQuery, type DriverMessagePage, type DriverMessagesQuery, type MarkedMessages } from "./schema.js";

export * as MessageHistory from "./message-history.js";

/** Who asks: the token's subject and role. */
export interface Viewer {
  readonly userId: string;
  readonly role: Role;
}

export interface MessageHistoryOptions {
  readonly client?: () => Client;
  /** Default: HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
}

export interface MessageHistory {
  readonly store: MessageStore;
  /** GET /drivers/{id}/messages: `driverId`'s messages, for that driver or an operator. */
  listDriverMessages(viewer: Viewer, driverId: string, query: DriverMessagesQuery): Promise<DriverMessagePage>;
  /** GET /messages: any driver's messages, for operators. */
  searchMessages(viewer: Viewer, query: AllMessagesQuery): Promise<DriverMessagePage>;
  /** POST /drivers/{id}/messages/read: the driver marks their own messages read. */
  markRead(viewer: Viewer, driverId: string, messageIds: readonly string[], now?: Date): Promise<MarkedMessages>;
}

export function createMessageHistory(options: MessageHistoryOptions = {}): MessageHistory {
  const store = createMessageStore({ client: options.client ?? getSearchClient, ...(options.indexPrefix === undefined ? {} : { indexPrefix: options.indexPrefix }) });

  return {
    store,

    async listDriverMessages(viewer, driverId, query) {
      const driver = driverId.toLowerCase();
      if (viewer.role !== "operator" && !(viewer.role === "driver" && sameUser(viewer, driver)))
        throw new ForbiddenError("A driver sees only their own messages.");
      const { limit, cursor, ...filters } = query;
      return store.page({ filters: { ...filters, driverId: driver }, size: limit ?? defaultPageSize, ...(cursor === undefined ? {} : { cursor }) });
    },

    async searchMessages(viewer, query) {
      if (viewer.role !== "operator") throw new ForbiddenError("Only operators search every driver's messages.");
      const { limit, cursor, ...filters } = query;
      return store.page({ filters, size: limit ?? defaultPageSize, ...(cursor === undefined ? {} : { cursor }) });
    },

    async markRead(viewer, driverId, messageIds, now = new Date()) {
      const driver = driverId.toLowerCase();
      // Read receipts are the driver's own: an operator reading a message does not make it read.
      if (!(viewer.role === "driver" && sameUser(viewer, driver))) throw new ForbiddenError("A driver marks only their own messages read.");
      return store.markRead(driver, messageIds, now);
    },
  };
}

function sameUser(viewer: Viewer, userId: string): boolean {
  return viewer.userId.toLowerCase() === userId;
}
