/**
 * What the tracking tests share: the driver-positions family on the real OpenSearch node under a
 * prefix of the file's own (`test-trk-<random>-`, so concurrent runs never meet), and fixes indexed
 * as Firehose indexes them (bulk into the day's rotated index, through the family's pipeline).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@opensearch-project/opensearch";
import { applyIndexFamilies } from "../../src/search/index-families.js";
import { removeSearchObjects } from "../search/support.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** A prefix no other run uses; set it as HAUL_OPENSEARCH_INDEX_PREFIX before reading positions. */
export function uniquePrefix(): string {
  return `test-trk-${randomBytes(4).toString("hex")}-`;
}

export async function preparePositionFamily(client: Client, prefix: string): Promise<void> {
  await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix, log: () => undefined });
}

export async function removePositionFamily(client: Client, prefix: string): Promise<void> {
  await removeSearchObjects(client, prefix.replace(/-$/, ""));
}

export interface StoredFix {
  readonly driverId: string;
  readonly recordedAt: string;
  readonly lat: number;
  readonly lon: number;
  readonly speed?: number;
}

/** Indexes fixes into `<prefix>driver-positions-<day>` as Firehose does (no id: the pipeline makes it). */
export async function indexFixes(client: Client, prefix: string, fixes: readonly StoredFix[], day = new Date().toISOString().slice(0, 10)): Promise<void> {
  const index = `${prefix}driver-positions-${day}`;
  const body = fixes.flatMap((fix) => [{ index: { _index: index } }, fix]);
  const { body: reply } = await client.bulk({ body, refresh: true });
  if (reply.errors) throw new Error(`indexing fixes failed: ${JSON.stringify(reply.items.find((item: any) => item.index?.error))}`);
}

export const minutesAgo = (minutes: number, from = Date.now()) => new Date(from - minutes * 60_000).toISOString();
