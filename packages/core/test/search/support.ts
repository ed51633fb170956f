/**
 * Search tests run against the real local OpenSearch node (HAUL_OPENSEARCH_URL, default
 * http://127.0.0.1:9200) under the prefix `test-` (vitest.config.ts). Importing this module refuses
 * any other prefix, so a test can never touch the demo's indices. Tests name what they create with
 * a random part and remove it with `removeSearchObjects`.
 *
 * `startStandIn` is a tiny HTTP server that records what the client sends and answers as told: for
 * what a real node cannot be made to do on demand (an overloaded node's 429s) or to see the request
 * itself (SigV4 headers). It never stands in for OpenSearch's behaviour otherwise.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@opensearch-project/opensearch";
import { createSearchClient, searchConfigFromEnv, type SearchConfig } from "../../src/search/search-client.js";

export const testConfig: SearchConfig = searchConfigFromEnv();
if (!testConfig.indexPrefix.startsWith("test-")) {
  throw new Error(`Refusing to run search tests with index prefix "${testConfig.indexPrefix}": use a prefix starting with test-`);
}

/** A client of the test's own (not the shared one). */
export function createTestClient(): Client {
  return createSearchClient(testConfig);
}

/** `<label>-<random>`: a family or index name no other run uses. */
export function uniqueName(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}`;
}

/** Deletes the indices, index templates, component templates and pipelines named `<name>*`. */
export async function removeSearchObjects(client: Client, name: string): Promise<void> {
  if (!name.startsWith("test-")) throw new Error(`Refusing to delete "${name}*": only test-* objects`);
  const pattern = `${name}*`;
  await client.indices.delete({ index: pattern, expand_wildcards: "all" }, { ignore: [404] });
  const templates = await client.indices.getIndexTemplate({ name: pattern }, { ignore: [404] });
  for (const { name: template } of (templates.body as { index_templates?: { name: string }[] }).index_templates ?? []) {
    await client.indices.deleteIndexTemplate({ name: template }, { ignore: [404] });
  }
  const components = await client.cluster.getComponentTemplate({ name: pattern }, { ignore: [404] });
  for (const { name: component } of (components.body as { component_templates?: { name: string }[] }).component_templates ?? []) {
    await client.cluster.deleteComponentTemplate({ name: component }, { ignore: [404] });
  }
  const pipelines = await client.ingest.getPipeline({ id: pattern }, { ignore: [404] });
  for (const pipeline of Object.keys(pipelines.body as object)) {
    await client.ingest.deletePipeline({ id: pipeline }, { ignore: [404] });
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StandInReply {
  readonly status: number;
  readonly body: unknown;
}

export interface StandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startStandIn(reply: (request: RecordedRequest, index: number) => StandInReply): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const recorded = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(recorded);
      const { status, body } = reply(recorded, requests.length - 1);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The action lines of a recorded _bulk body ({ index: { _index, _id } }...), in order. */
export function bulkActions(body: string): Record<string, { _index: string; _id?: string }>[] {
  const lines = body.split("\n").filter(Boolean);
  const actions: Record<string, { _index: string; _id?: string }>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const action = JSON.parse(lines[i] as string) as Record<string, { _index: string; _id?: string }>;
    actions.push(action);
    if (!("delete" in action)) i++; // the document line
  }
  return actions;
}
