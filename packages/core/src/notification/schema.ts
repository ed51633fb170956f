/**
 * What the message history accepts and answers, as zod schemas: the search filters of
 * GET /drivers/{id}/messages and GET /messages (query-string fields are strings on the wire, each
 * parsed here and named by its key when at fault), a page of messages, and the mark-read command.
 */
import { z } from "zod";
import { checkTimeRange, instant, pageSize } from "../query-string.js";
import { DriverMessageView, driverMessageTypes, EventId, type DriverMessageType } from "./driver-message.js";

export { defaultPageSize, maxPageSize } from "../query-string.js";
/** Messages one mark-read call may name. */
export const maxMarkedPerCall = 100;

const uuid = z.uuid().transform((id) => id.toLowerCase());

const typeList = z
  .string()
  .transform((text, context) => {
    const types = [...new Set(text.split(",").map((part) => part.trim().toLowerCase()))].sort();
    const unknown = types.filter((type) => !(driverMessageTypes as readonly string[]).includes(type));
    if (types.length === 0 || unknown.length > 0) {
      context.addIssue({ code: "custom", message: `must be a comma-separated list of ${driverMessageTypes.join(", ")}` });
      return z.NEVER;
    }
    return types as DriverMessageType[];
  })
  .describe(`Only these message types, comma-separated (${driverMessageTypes.join(", ")}); default all`);

const flag = z
  .enum(["true", "false"], { error: "must be true or false" })
  .transform((text) => text === "true");

/** Its form only: whether it continues this very search is known when the search is built. */
const cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,6000}$/, "is not a cursor this API issued")
  .describe("The `nextCursor` of the previous page, with the same filters");

const filters = {
  q: z.string().trim().min(1).max(200).optional().describe("Full text: words of the title, text, addresses or cargo; all must match"),
  reservationId: uuid.optional().describe("Only messages about this reservation"),
  type: typeList.optional(),
  unread: flag.optional().describe("`true`: only unread messages; `false`: only read ones; default both"),
  from: instant.optional().describe("Messages created at or after this time"),
  to: instant.optional().describe("Messages created before this time"),
  limit: pageSize.optional(),
  cursor: cursor.optional(),
};

/** GET /drivers/{id}/messages: one driver's messages. */
export const DriverMessagesQuery = z.strictObject(filters).superRefine(checkTimeRange);
export type DriverMessagesQuery = z.output<typeof DriverMessagesQuery>;

/** GET /messages: every driver's (operators), optionally one driver's. */
export const AllMessagesQuery = z
  .strictObject({ ...filters, driverId: uuid.optional().describe("Only this driver's messages") })
  .superRefine(checkTimeRange);
export type AllMessagesQuery = z.output<typeof AllMessagesQuery>;

/** What a search filters on, whichever route asked. */
export type MessageFilters = Omit<AllMessagesQuery, "limit" | "cursor">;

export const DriverMessagePage = z
  .object({
    items: z.array(DriverMessageView).describe("Newest first (by createdAt, then eventId)"),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  })
  .meta({ id: "DriverMessagePage" });
export type DriverMessagePage = z.infer<typeof DriverMessagePage>;

/** POST /drivers/{id}/messages/read */
export const MarkMessagesRead = z
  .strictObject({
    messageIds: z
      .array(EventId)
      .min(1)
      .max(maxMarkedPerCall)
      .describe(`The messages (their eventId) to mark read, 1 to ${maxMarkedPerCall}`),
  })
  .meta({ id: "MarkMessagesRead" });
export type MarkMessagesRead = z.output<typeof MarkMessagesRead>;

export const MarkedMessages = z
  .object({
    read: z.array(EventId).describe("Now read: marked by this call, or read already (marking again changes nothing)"),
    notFound: z.array(EventId).describe("Not among the driver's messages (another driver's included)"),
  })
  .meta({ id: "MarkedMessages" });
export type MarkedMessages = z.infer<typeof MarkedMessages>;
