/**
 * What the operators' log-search and statistics tests share: the api-logs family under a prefix of
 * their own (`test-opslogs-`, so another suite clearing `test-api-logs-*` cannot remove their
 * documents mid-run), and documents made the real way: subscription envelopes through
 * refineLogsEnvelope and indexLogEvents, refreshed.
 */
import path from "node:path";
import type { Client } from "@opensearch-project/opensearch";
import { expect } from "vitest";
import { indexLogEvents } from "../../src/observability/log-index.js";
import { refineLogsEnvelope } from "../../src/observability/log-refiner.js";
import { applyIndexFamilies } from "../../src/search/index-families.js";
import { repoRoot } from "../support/database.js";
import { removeSearchObjects } from "../search/support.js";
import { envelope, logEvent, type TestLogEvent } from "./envelopes.js";

export const opsLogPrefix = "test-opslogs-";

export const functionGroup = "/aws/lambda/haul-dev-create-reservation";
export const apiGroup = "/aws/vendedlogs/apis/dev-haul-ReservationApi-a1b2c3d4e5/default";

/** The family's templates and alias under the prefix, nothing stored yet. */
export async function prepareOpsLogIndices(client: Client): Promise<void> {
  await removeOpsLogIndices(client);
  await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix: opsLogPrefix, log: () => undefined });
}

/** Everything under the prefix: indices, templates, the family record index. */
export async function removeOpsLogIndices(client: Client): Promise<void> {
  await removeSearchObjects(client, opsLogPrefix);
}

/** Refines and stores one batch of `logGroup`, searchable at once. */
export async function ingest(client: Client, logGroup: string, events: readonly TestLogEvent[]): Promise<void> {
  const report = await indexLogEvents(client, refineLogsEnvelope(envelope(events, { logGroup })), { indexPrefix: opsLogPrefix, refresh: true });
  expect(report).toMatchObject({ indexed: events.length, failed: 0, dropped: 0 });
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's $context.requestTime (seconds): 14/Oct/2026:10:00:07 +0000. */
function requestTime(at: Date): string {
  const two = (value: number) => String(value).padStart(2, "0");
  return `${two(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

/** An access line in SST's HTTP API format (packages/local/src/gateway/access-log.ts). */
export function accessEvent(at: Date, request: { route: string; path: string; status: number; latencyMs: number }): TestLogEvent {
  const [method] = request.route.split(" ");
  const line = {
    requestTime: requestTime(at),
    requestId: `req-${at.getTime()}-${request.status}`,
    httpMethod: method,
    path: request.path,
    routeKey: request.route,
    status: request.status,
    responseLatency: request.latencyMs,
    integrationRequestId: "-",
    integrationStatus: "-",
    integrationLatency: "-",
    integrationServiceStatus: "-",
    ip: "203.0.113.7",
    userAgent: "curl/8.5.0",
  };
  return logEvent(JSON.stringify(line), at.getTime());
}

/** A Powertools Logger line of a handler. */
export function appEvent(at: Date, line: Record<string, unknown>): TestLogEvent {
  return logEvent(JSON.stringify({ timestamp: at.toISOString(), ...line }), at.getTime());
}
