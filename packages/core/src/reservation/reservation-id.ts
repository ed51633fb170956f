/**
 * Reservation ids. With an idempotency key the id is derived from (customer, key), so a retry
 * names the same reservation and the same workflow execution: the reservation row is the key's
 * only record, kept for good. Without a key the id is random.
 */
import { createHash, randomUUID } from "node:crypto";

// Fixed namespace for Haul reservation ids (any constant UUID; never change it).
const reservationNamespace = Buffer.from("5b0f7f3e9c2a4d61a8e4c3f2d1b0a987", "hex");

/**
 * A name-based UUID (RFC 9562 version 8, the SHA-256 variant of its appendix B.2): the first
 * 128 bits of sha256(namespace ‖ customerId ‖ LF ‖ key), with the version and variant bits set.
 */
export function deriveReservationId(customerId: string, idempotencyKey: string): string {
  const bytes = createHash("sha256")
    .update(reservationNamespace)
    .update(`${customerId.toLowerCase()}\n${idempotencyKey}`, "utf8")
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function randomReservationId(): string {
  return randomUUID();
}
