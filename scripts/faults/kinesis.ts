/**
 * Puts a slow proxy and a fault proxy between the tracking service and kinesalite (the latter is
 * packages/functions/test/tracking's kinesis-fault-proxy): a third of the requests wait 300 ms and a
 * tenth 3 s; a fifth of the records fail once (ProvisionedThroughputExceeded) and every fourth
 * PutRecords request fails whole (500 or connection reset), while drivers post fixes.
 * Promise: PutRecords retries; every accepted fix reaches OpenSearch.
 *   npx tsx scripts/faults/kinesis.ts
 */
import { startKinesisFaultProxy } from "../../packages/functions/test/tracking/kinesis-fault-proxy.js";
import { startSlowProxy } from "./support/slow-proxy.js";
import { loadUntil, runFault, serverUrls, sleep, startFaultCloud, waitFor, withIsolatedServers } from "./support/fault-run.js";
import { drivers, isServerFailure, positionsIndexed, postFixes, type Reply } from "./support/load.js";

const checksum = (text: string) => [...text].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) >>> 0, 7);
const tried = "kinesalite slowed and failed through proxies";
const batchSize = 50;
runFault("kinesis", tried, () =>
  withIsolatedServers(async () => {
    const cloud = await startFaultCloud("kinesis");
    const proxy = await startKinesisFaultProxy(cloud.outputs.KinesisEndpoint!);
    // In front of it, slowness: every third request waits 300 ms, every tenth 3 s.
    const slow = await startSlowProxy(proxy.endpoint, (n) => (n % 10 === 0 ? 3000 : n % 3 === 0 ? 300 : 0));
    // The tracking handler's Kinesis client is made on first use, from this variable.
    process.env.AWS_ENDPOINT_URL_KINESIS = slow.endpoint;
    proxy.setFaults({
      entry: (data, previousSends) => (previousSends === 0 && checksum(data) % 5 === 0 ? { errorCode: "ProvisionedThroughputExceededException" } : undefined),
      request: (n) => (n % 8 === 4 ? "internal-failure" : n % 8 === 0 ? "reset" : undefined),
    });
    try {
      const from = Date.now() - 3_600_000;
      const replies: Reply[] = [];
      let stop = false;
      const load = loadUntil(4, () => stop, async (index) => {
        replies.push(await postFixes(cloud, index, from, batchSize));
      });
      await sleep(8000);
      stop = true;
      await load;
      const accepted = replies.filter((reply) => reply.status === 202).length * batchSize;
      const ids = drivers.map((driver) => driver.id);
      await waitFor(120_000, async () => (await positionsIndexed(serverUrls.HAUL_OPENSEARCH_URL, ids, from)) >= accepted);
      const indexed = await positionsIndexed(serverUrls.HAUL_OPENSEARCH_URL, ids, from);
      const lost = Math.max(0, accepted - indexed);
      const failures = replies.filter(isServerFailure);
      const refused = failures.filter((reply) => reply.status !== 503).length;
      return {
        fault: "kinesis",
        tried,
        requests: accepted,
        fiveHundreds: failures.length,
        lost,
        // A 503 after the retries ran out is an honest refusal (the driver's app sends again); a 500 is not.
        pass: accepted > 0 && lost === 0 && refused === 0,
        note: `${replies.length} POST /positions (${failures.length - refused} refused 503 after PutRecords retries ran out, not accepted), ${proxy.putRecordsRequests.length} PutRecords (${slow.delayed} slowed), ${indexed} fixes indexed`,
      };
    } finally {
      await cloud.stop();
      await slow.stop();
      await proxy.stop();
    }
  }),
);
