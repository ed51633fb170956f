/**
 * Kills OpenSearch while drivers post fixes (POST /positions -> Kinesis -> Firehose stand-in), and
 * starts it again. Promise: every accepted fix is in OpenSearch afterwards (Firehose retries).
 *   npx tsx scripts/faults/opensearch.ts
 */
import { killServer, loadUntil, runFault, serverUrls, sleep, startFaultCloud, startServers, waitFor, withIsolatedServers } from "./support/fault-run.js";
import { drivers, isServerFailure, positionsIndexed, postFixes, type Reply } from "./support/load.js";

const tried = "OpenSearch killed during ingest, restarted";
const batchSize = 50;
runFault("opensearch", tried, () =>
  withIsolatedServers(async () => {
    // Firehose keeps retrying longer than OpenSearch takes to come back (default 300 s in the stack too).
    const cloud = await startFaultCloud("opensearch", { firehose: { bufferingIntervalSeconds: 1, pollIntervalMs: 200, retryDurationSeconds: 300 } });
    try {
      const from = Date.now() - 3_600_000;
      const replies: Reply[] = [];
      let stop = false;
      const load = loadUntil(4, () => stop, async (index) => {
        replies.push(await postFixes(cloud, index, from, batchSize));
        await sleep(50);
      });
      try {
        await sleep(3000);
        await killServer("opensearch");
        await sleep(5000);
      } finally {
        stop = true;
        await load;
        await startServers();
      }
      const accepted = replies.filter((reply) => reply.status === 202).length * batchSize;
      const ids = drivers.map((driver) => driver.id);
      await waitFor(240_000, async () => (await positionsIndexed(serverUrls.HAUL_OPENSEARCH_URL, ids, from)) >= accepted);
      const indexed = await positionsIndexed(serverUrls.HAUL_OPENSEARCH_URL, ids, from);
      const lost = Math.max(0, accepted - indexed);
      const failures = replies.filter(isServerFailure).length;
      return { fault: "opensearch", tried, requests: accepted, fiveHundreds: failures, lost, pass: accepted > 0 && lost === 0 && failures === 0, note: `${replies.length} POST /positions, ${indexed} fixes indexed` };
    } finally {
      await cloud.stop();
    }
  }),
);
