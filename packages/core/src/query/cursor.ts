/**
 * The keyset cursor of reservation lists: the sort key (window_start, id) of the last item a page
 * showed, and a fingerprint of the filters it was made under. Opaque to clients (base64url JSON);
 * a cursor that does not decode, or that was made under other filters, is refused.
 *
 * Keyset, not offset: the next page is "after this (start, id)", so rows inserted before or
 * after the position while a client pages neither repeat nor push items out of view.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export interface CursorPosition {
  /** window_start of the last item seen, ISO UTC. */
  readonly start: string;
  /** Its id: the tie-breaker between equal starts. */
  readonly id: string;
}

export interface Cursor extends CursorPosition {
  readonly filterFingerprint: string;
}

const formatVersion = 1;
const Payload = z.tuple([z.literal(formatVersion), z.iso.datetime(), z.uuid(), z.string().regex(/^[A-Za-z0-9_-]{1,16}$/)]);

export function encodeCursor(cursor: Cursor): string {
  return encodeOpaque([formatVersion, cursor.start, cursor.id, cursor.filterFingerprint]);
}

/** The cursor `text` encodes, or undefined when it is not one of ours. */
export function decodeCursor(text: string): Cursor | undefined {
  const payload = decodeOpaque(text, Payload, 400);
  if (!payload) return undefined;
  const [, start, id, filterFingerprint] = payload;
  return { start: new Date(start).toISOString(), id: id.toLowerCase(), filterFingerprint };
}

/** `payload` as an opaque cursor: base64url of its JSON. */
export function encodeOpaque(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/**
 * The payload of an opaque cursor, or undefined unless `text` is base64url of at most `maxLength`
 * characters, of JSON that `schema` accepts.
 */
export function decodeOpaque<Schema extends z.ZodType>(text: string, schema: Schema, maxLength: number): z.output<Schema> | undefined {
  if (text.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

/** A short digest of the filters a list was asked with; a cursor only continues the same list. */
export function fingerprintFilters(filters: unknown): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 12);
}
