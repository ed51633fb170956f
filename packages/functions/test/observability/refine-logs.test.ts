/**
 * The refiner's handler as CloudWatch Logs invokes it (`{"awslogs":{"data":…}}`), against the real
 * local OpenSearch under the tests' prefix: documents land redacted, a retried batch adds none, a
 * malformed event is dropped without failing the batch, and an undecodable envelope fails the
 * invocation (so the batch reaches the on-failure destination instead of vanishing).
 */
import path from "node:path";
import type { Client } from "@opensearch-project/opensearch";
import type { CloudWatchLogsEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyIndexFamilies, familyRecordIndex } from "@haul/core/search/index-families";
import { closeSearchClient } from "@haul/core/search/search-client";
import { repoRoot } from "../../../core/test/support/database.js";
import { createTestClient, removeSearchObjects, testConfig } from "../../../core/test/search/support.js";
import { envelope, logEvent } from "../../../core/test/observability/envelopes.js";
import { handler } from "../../src/observability/refine-logs.js";
import { lambdaContext } from "../notification/support.js";

const alias = `${testConfig.indexPrefix}api-logs`;
let client: Client;

const invoke = (data: string) => handler({ awslogs: { data } } as CloudWatchLogsEvent, lambdaContext("test-haul-LogRefiner"));

beforeAll(async () => {
  client = createTestClient();
  await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix: testConfig.indexPrefix, log: () => undefined });
});

beforeEach(async () => {
  await client.indices.delete({ index: `${alias}-*`, expand_wildcards: "all" }, { ignore: [404] });
});

afterAll(async () => {
  await removeSearchObjects(client, alias);
  await client.delete({ index: `${testConfig.indexPrefix}${familyRecordIndex}`, id: "api-logs", refresh: true }, { ignore: [404] });
  await client.close();
  await closeSearchClient();
});

async function documents(): Promise<Array<Record<string, unknown>>> {
  await client.indices.refresh({ index: `${alias}-*` }, { ignore: [404] });
  const response = await client.search({ index: alias, body: { size: 100, sort: [{ timestamp: "asc" }] } }, { ignore: [404] });
  return (response.body.hits?.hits ?? []).map((hit) => hit._source as Record<string, unknown>);
}

describe("the log refiner's handler", () => {
  const batch = () =>
    envelope([
      logEvent(JSON.stringify({ level: "INFO", message: "reservation accepted", service: "reservation", correlation_id: "corr-42", email: "ada.okafor@haul.example", authorization: "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" })),
      logEvent("REPORT RequestId: 8f5a-11\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 77 MB"),
      { id: "not-a-log-event" },
    ]);

  it("indexes each event once, redacted, and a retried batch adds nothing", async () => {
    const data = batch();
    const first = await invoke(data);
    expect(first).toMatchObject({ received: 3, indexed: 2, dropped: 1, failed: 0 });
    const retried = await invoke(data);
    expect(retried).toMatchObject({ indexed: 0, duplicates: 2, failed: 0 });

    const stored = await documents();
    expect(stored).toHaveLength(2);
    const text = JSON.stringify(stored);
    expect(text).toContain("corr-42");
    expect(text).not.toContain("ada.okafor@haul.example");
    expect(text).not.toContain("eyJhbGciOiJSUzI1NiJ9");
  });

  it("fails the invocation on an envelope it cannot decode, so the batch is not lost", async () => {
    await expect(invoke("this is not base64-encoded gzip")).rejects.toThrow();
    expect(await documents()).toEqual([]);
  });
});
