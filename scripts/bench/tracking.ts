/**
 * Benchmark of live tracking through a RUNNING local cloud, driven from this separate process
 * (start the cloud first, e.g. `npm start -- --no-demo --push-period 10`):
 *
 *   npx tsx scripts/bench/tracking.ts [--fixes 50000] [--drivers 50] [--concurrency 16] [--runs 1]
 *       [--samples 5] [--outputs <file>]
 *
 *   --fixes        fixes per ingest run, posted in batches of the maximum size (100) (default 50000)
 *   --drivers      drivers posting them, each with its own batches (default 50)
 *   --concurrency  POST /positions in flight at once (default 16)
 *   --runs         ingest runs (default 1)
 *   --samples      freshness samples (default 5; each waits for a push tick)
 *   --outputs      the outputs file (default HAUL_OUTPUTS_FILE or .haul/outputs.json)
 *
 * Ingest: fixes/s accepted through POST /positions into the Kinesis stream (202 = every record in
 * the stream), then how long until every one of them is in OpenSearch through the Firehose
 * stand-in, and that rate; CPU of each process over the run (local cloud, kinesalite, OpenSearch,
 * this bench) per 1,000 fixes.
 *
 * Freshness: a driver in transit posts one fix; a customer's socket subscribed to that reservation
 * receives it in a push frame. Broken down into Firehose (POST 202 -> the fix is searchable in
 * OpenSearch), tick wait (searchable -> the tick that pushed it started, `tickAt`) and push
 * (tickAt -> the frame on the socket).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { closePools } from "@haul/core/db/pools";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { mintToken } from "@haul/local/identity/mint-token";
import { readOutputs } from "@haul/local/outputs";
import { callApi } from "@haul/local/simulator/api-client";
import { ensureDrivers, finishLeftovers, reserveConfirmed } from "@haul/local/simulator/fleet";
import { offset } from "@haul/local/simulator/route";
import { addListeners, cpuSnapshot, percentile, type WatchedProcess } from "./support/processes.js";

const { values: args } = parseArgs({
  options: {
    fixes: { type: "string", default: "50000" },
    drivers: { type: "string", default: "50" },
    concurrency: { type: "string", default: "16" },
    runs: { type: "string", default: "1" },
    samples: { type: "string", default: "5" },
    outputs: { type: "string" },
  },
});

const batchSize = 100;
const print = (line = "") => process.stdout.write(line + "\n");
const berlin = { lat: 52.5163, lon: 13.3777 };
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function main(): Promise<void> {
  const outputsFile = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? ".haul/outputs.json");
  const outputs = await readOutputs(outputsFile);
  const apis = { reservationApiUrl: outputs.ReservationApiUrl!, queryApiUrl: outputs.QueryApiUrl!, trackingApiUrl: outputs.TrackingApiUrl! };
  const searchUrl = outputs.SearchUrl!;
  const watched: WatchedProcess[] = [{ label: "bench", pid: process.pid }];
  await addListeners(watched, [["local cloud", Number(new URL(apis.trackingApiUrl).port)], ["kinesalite", Number(new URL(outputs.KinesisEndpoint ?? "http://x:1").port)], ["OpenSearch", Number(new URL(searchUrl).port)]]);

  const drivers = await ensureDrivers({ idPrefix: "e7000000", truckIdPrefix: "e8000000", label: "Bench Tracker", count: Number(args.drivers) });
  const tokens = await Promise.all(drivers.map((driver) => mintToken({ role: "driver", sub: driver.id, expiresIn: "2h" })));
  print(`Ingest: ${args.fixes} fixes from ${drivers.length} drivers in batches of ${batchSize}, ${args.concurrency} requests in flight.`);
  for (let run = 1; run <= Number(args.runs); run++) await ingestRun(run, apis.trackingApiUrl, searchUrl, drivers.map((driver) => driver.id), tokens, watched);

  print(`\nFreshness: ${args.samples} samples, one fix each, to a subscribed customer's socket.`);
  await freshness(apis, searchUrl, outputs.LiveApiUrl!);
}

async function ingestRun(run: number, trackingApiUrl: string, searchUrl: string, driverIds: readonly string[], tokens: readonly string[], watched: readonly WatchedProcess[]): Promise<void> {
  const total = Number(args.fixes);
  const batches = Math.ceil(total / batchSize);
  // Each run's fixes are 1 ms apart per driver, ending now: distinct from every earlier run's.
  const base = Date.now() - Math.ceil(batches / driverIds.length) * batchSize - 1000;
  const cpuBefore = await cpuSnapshot(watched);
  const started = Date.now();
  let next = 0;
  let refused = 0;
  let retried = 0;
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < batches) {
        const batch = next++;
        const driver = batch % driverIds.length;
        const round = Math.floor(batch / driverIds.length);
        const count = Math.min(batchSize, total - batch * batchSize);
        const fixes = Array.from({ length: count }, (_, index) => {
          const place = offset(berlin, (driver * 7) % 360, (round * batchSize + index) * 2);
          return { lat: place.lat, lon: place.lon, recordedAt: new Date(base + round * batchSize + index).toISOString(), speed: 14, heading: 90, accuracy: 5 };
        });
        try {
          const result = await callApi("POST", `${trackingApiUrl}/positions`, { token: tokens[driver]!, body: { fixes } });
          retried += result.attempts - 1;
        } catch (error) {
          refused++;
          if (refused <= 3) print(`  ! ${(error as Error).message}`);
        }
      }
    }),
  );
  const acceptedMs = Date.now() - started;
  const accepted = total - refused * batchSize;
  const query = { query: { bool: { filter: [{ terms: { driverId: driverIds } }, { range: { recordedAt: { gte: new Date(base).toISOString() } } }] } } };
  let indexed = 0;
  let allIndexedMs = NaN;
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(250)) {
    const response = await fetch(`${searchUrl}/driver-positions/_count`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(query) });
    indexed = ((await response.json()) as { count?: number }).count ?? 0;
    if (indexed >= accepted) {
      allIndexedMs = Date.now() - started;
      break;
    }
  }
  const cpuAfter = await cpuSnapshot(watched);
  print(`  run ${run}: accepted ${accepted}/${total} in ${(acceptedMs / 1000).toFixed(2)} s = ${((accepted / acceptedMs) * 1000).toFixed(0)} fixes/s through the API (${retried} retried requests, ${refused} refused batches)`);
  print(`         in OpenSearch: ${indexed}/${accepted}${Number.isNaN(allIndexedMs) ? " (not all within 180 s)" : `, all ${(allIndexedMs / 1000).toFixed(2)} s after the first POST = ${((indexed / allIndexedMs) * 1000).toFixed(0)} fixes/s end to end`}`);
  const seconds = ((Number.isNaN(allIndexedMs) ? Date.now() - started : allIndexedMs)) / 1000;
  for (const process of watched) {
    const used = cpuAfter.get(process.pid)! - cpuBefore.get(process.pid)!;
    print(`         ${process.label.padEnd(12)} ${used.toFixed(2).padStart(6)} s CPU  ${((used / seconds) * 100).toFixed(0).padStart(4)}%  ${((used * 1000 * 1000) / Math.max(1, accepted)).toFixed(1)} ms per 1,000 fixes`);
  }
}

async function freshness(apis: { reservationApiUrl: string; queryApiUrl: string; trackingApiUrl: string }, searchUrl: string, liveApiUrl: string): Promise<void> {
  const [driver] = await ensureDrivers({ idPrefix: "e9000000", truckIdPrefix: "ea000000", label: "Bench Freshness", count: 1 });
  const driverToken = await mintToken({ role: "driver", sub: driver!.id, expiresIn: "2h" });
  await finishLeftovers(apis.reservationApiUrl, [driver!], async () => driverToken);
  const customer = demoPeopleWithRole("customer")[0]!;
  const customerToken = await mintToken({ role: "customer", sub: customer.id, expiresIn: "2h" });
  const reservationId = await reserveConfirmed(apis, {
    customerToken,
    driver: driver!,
    pickup: { ...berlin, address: "Pariser Platz 1, Berlin" },
    dropoff: { ...offset(berlin, 90, 5000), address: "Frankfurter Tor 1, Berlin" },
  });
  await callApi("POST", `${apis.reservationApiUrl}/reservations/${reservationId}/pickup`, { token: driverToken });

  const socket = new WebSocket(`${liveApiUrl}?token=${customerToken}`);
  const frames: Array<{ at: number; frame: { type?: string; tickAt?: string; position?: { recordedAt?: string } } }> = [];
  socket.on("message", (data: Buffer) => frames.push({ at: Date.now(), frame: JSON.parse(data.toString("utf8")) }));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ action: "subscribe", reservationId }));

  const firehose: number[] = [];
  const tickWait: number[] = [];
  const push: number[] = [];
  const total: number[] = [];
  for (let sample = 1; sample <= Number(args.samples); sample++) {
    const recordedAt = new Date().toISOString();
    const place = offset(berlin, 90, sample * 100);
    const postedAt = Date.now();
    await callApi("POST", `${apis.trackingApiUrl}/positions`, { token: driverToken, body: { reservationId, fixes: [{ lat: place.lat, lon: place.lon, recordedAt }] } });
    const acceptedAt = Date.now();
    let searchableAt = NaN;
    let delivered: { at: number; tickAt: number } | undefined;
    for (const deadline = Date.now() + 300_000; Date.now() < deadline && !delivered; await sleep(25)) {
      if (Number.isNaN(searchableAt)) {
        const response = await fetch(`${searchUrl}/driver-positions/_doc/${encodeURIComponent(`${driver!.id}:${recordedAt}`)}`).catch(() => undefined);
        if (response?.status === 200) searchableAt = Date.now();
      }
      const frame = frames.find((entry) => entry.frame.type === "position" && entry.frame.position?.recordedAt === recordedAt);
      if (frame) delivered = { at: frame.at, tickAt: Date.parse(frame.frame.tickAt!) };
    }
    if (!delivered) {
      print(`  sample ${sample}: not delivered within 300 s`);
      continue;
    }
    firehose.push(searchableAt - acceptedAt);
    tickWait.push(delivered.tickAt - searchableAt);
    push.push(delivered.at - delivered.tickAt);
    total.push(delivered.at - postedAt);
    print(`  sample ${sample}: ${((delivered.at - postedAt) / 1000).toFixed(2)} s from the POST to the socket: Firehose ${(searchableAt - acceptedAt).toFixed(0)} ms, tick wait ${((delivered.tickAt - searchableAt) / 1000).toFixed(2)} s, push ${delivered.at - delivered.tickAt} ms`);
  }
  const line = (label: string, values: number[]) => print(`  ${label.padEnd(10)} p50 ${percentile(values, 50).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms`);
  line("Firehose", firehose);
  line("tick wait", tickWait);
  line("push", push);
  line("total", total);
  socket.close();
  await callApi("POST", `${apis.reservationApiUrl}/reservations/${reservationId}/deliver`, { token: driverToken });
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`The bench stopped: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await closePools();
    setTimeout(() => process.exit(), 500).unref();
  });
