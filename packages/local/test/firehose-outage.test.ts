/**
 * The Firehose stand-in while OpenSearch is unavailable: a proxy in front of the real node first
 * drops connections, then answers 503. Within the retry duration every record gets indexed once
 * the node is back; past it, what still fails is backed up with the error and the attempts made.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { createSearchClient, searchConfigFromEnv } from "@haul/core/search/search-client";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupLines, fixes, Harness, temporaryDir, waitFor } from "./fixtures/firehose-harness.js";
import { startSearchFaultProxy, type SearchFaultProxy } from "./fixtures/search-fault-proxy.js";

const streams = { recovers: "outage-recovers", outlasts: "outage-outlasts" };
let harness: Harness;
let proxy: SearchFaultProxy;
let throughProxy: Client;
const dirs: string[] = [];

beforeAll(async () => {
  harness = await Harness.start(Object.values(streams));
  proxy = await startSearchFaultProxy(searchConfigFromEnv().url);
  // No retries of the client's own: the delivery stream's retries are under test.
  throughProxy = createSearchClient({ url: proxy.url, maxRetries: 0 });
});

afterAll(async () => {
  await throughProxy?.close();
  await proxy?.stop();
  await harness?.stop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("OpenSearch unavailable for a while", () => {
  it("retries refused connections and 503s, and indexes every record once the node answers again", async () => {
    const dir = await temporaryDir("recovers");
    dirs.push(dir);
    const firehose = await harness.firehose(streams.recovers, dir, { searchClient: throughProxy, bufferingIntervalSeconds: 0.2, retryDurationSeconds: 120 });
    const sent = fixes(6);
    try {
      proxy.setMode("refuse");
      await harness.put(streams.recovers, sent);
      await waitFor("retries against a node that drops connections", () => proxy.requests.refuse >= 3);
      proxy.setMode("unavailable");
      await waitFor("retries against a node answering 503", () => proxy.requests.unavailable >= 3);
      expect(firehose.stats().recordsDelivered).toBe(0);
      proxy.setMode("pass");

      await waitFor("every record indexed", () => firehose.stats().recordsDelivered === sent.length);
      expect(firehose.stats().recordsBackedUp).toBe(0);
      expect(firehose.stats().retries).toBeGreaterThanOrEqual(sent.length);
      expect(await backupLines(path.join(dir, "backup"))).toEqual([]);
      const documents = await harness.documentsOf(sent[0]!.driverId);
      expect(documents.map((document) => document._source.recordedAt)).toEqual(sent.map((fix) => fix.recordedAt));
    } finally {
      proxy.setMode("pass");
      await firehose.stop();
    }
  });

  it("backs up what still fails when the retry duration is over, and moves on", async () => {
    const dir = await temporaryDir("outlasts");
    dirs.push(dir);
    const firehose = await harness.firehose(streams.outlasts, dir, { searchClient: throughProxy, bufferingIntervalSeconds: 0.2, retryDurationSeconds: 0.5 });
    const lost = fixes(3);
    const later = fixes(2);
    try {
      proxy.setMode("unavailable");
      await harness.put(streams.outlasts, lost);
      await waitFor("the records backed up", () => firehose.stats().recordsBackedUp === lost.length);
      const lines = await backupLines(path.join(dir, "backup"));
      expect(lines).toHaveLength(lost.length);
      expect(lines.map(({ line }) => Buffer.from(String(line.rawData), "base64").toString("utf8")).sort()).toEqual(lost.map((fix) => JSON.stringify(fix)).sort());
      for (const { line } of lines) {
        expect(line.errorCode).toBe("503");
        expect(line.attemptsMade).toBeGreaterThanOrEqual(2);
        expect(JSON.parse(String(line.errorMessage))).toMatchObject({ type: expect.any(String), reason: expect.any(String) });
      }

      // The checkpoint moved past them: what comes next is delivered, and they are not read again.
      proxy.setMode("pass");
      await harness.put(streams.outlasts, later);
      await waitFor("the later records indexed", () => firehose.stats().recordsDelivered === later.length);
      expect(firehose.stats().recordsRead).toBe(lost.length + later.length);
      expect(await harness.documentsOf(later[0]!.driverId)).toHaveLength(later.length);
      expect(await harness.documentsOf(lost[0]!.driverId)).toHaveLength(0);
    } finally {
      proxy.setMode("pass");
      await firehose.stop();
    }
  });
});
