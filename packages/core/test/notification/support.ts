/**
 * What the notification tests share: driver notifications as the workflow publishes them, and the
 * real `reservation-messages` family applied to the local OpenSearch node under the `test-` prefix.
 * The family's indices are deleted first, so an index some earlier run created without the template
 * (with dynamic mappings) cannot mislead a test; the template and its record stay.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@opensearch-project/opensearch";
import { messageFamily } from "../../src/notification/message-store.js";
import type { DriverNotification, NotificationType } from "../../src/reservation/schema.js";
import { applyIndexFamilies } from "../../src/search/index-families.js";
import { testConfig } from "../search/support.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export const testPrefix = testConfig.indexPrefix;

/** Applies the repository's families and empties the message indices. */
export async function prepareMessageIndices(client: Client): Promise<void> {
  await deleteMessageIndices(client);
  await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix: testPrefix });
}

export async function deleteMessageIndices(client: Client): Promise<void> {
  await client.indices.delete({ index: `${testPrefix}${messageFamily}-*`, expand_wildcards: "all" }, { ignore: [404] });
}

export interface NotificationOptions<Type extends NotificationType> {
  readonly driverId: string;
  readonly customerId?: string;
  readonly reservationId?: string;
  readonly type?: Type;
  readonly occurredAt?: string;
  readonly pickup?: string;
  readonly dropoff?: string;
  readonly cargo?: string;
}

/** A notification as the workflow's publishing states publish it; a confirmation unless `type` says otherwise. */
export function driverNotification<Type extends NotificationType = "reservation-confirmed">(
  options: NotificationOptions<Type>,
): DriverNotification & { readonly type: Type } {
  const reservationId = options.reservationId ?? randomUUID();
  const type = options.type ?? ("reservation-confirmed" as Type);
  return {
    eventId: `${reservationId}:${type}`,
    type,
    reservationId,
    driverId: options.driverId,
    customerId: options.customerId ?? "0b9cb5a4-3d4e-4c5f-8a6b-7c8d9e0f1a2b",
    pickup: { lat: 53.8008, lon: -1.5491, address: options.pickup ?? "12 Dock Road, Leeds" },
    dropoff: { lat: 53.959, lon: -1.0815, address: options.dropoff ?? "3 Mill Lane, York" },
    window: { start: "2026-12-01T08:00:00.000Z", end: "2026-12-01T12:00:00.000Z" },
    cargo: { weightKg: 1250.5, description: options.cargo ?? "pallets of floor tiles" },
    occurredAt: options.occurredAt ?? "2026-11-20T10:00:00.000Z",
  };
}
