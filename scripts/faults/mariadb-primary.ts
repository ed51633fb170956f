/**
 * Kills the MariaDB primary (SIGKILL) while customers make reservations, and starts it again.
 * Promise: every 202 reaches a final status; refusals in between are 503 problem+json with Retry-After.
 *   npx tsx scripts/faults/mariadb-primary.ts
 */
import { killServer, loadUntil, runFault, sleep, startFaultCloud, startServers, waitFor, withIsolatedServers } from "./support/fault-run.js";
import { isRetryableRefusal, isServerFailure, notFinal, postReservation, reservationIdOf, type Reply } from "./support/load.js";

const tried = "primary killed mid-load, restarted";
const settleMs = 180_000;
runFault("mariadb-primary", tried, () =>
  withIsolatedServers(async () => {
    const cloud = await startFaultCloud("mariadb-primary");
    try {
      const replies: Reply[] = [];
      let stop = false;
      const load = loadUntil(8, () => stop, async (index) => {
        replies.push(await postReservation(cloud, index));
        await sleep(20);
      });
      try {
        await sleep(3000);
        await killServer("primary");
        await sleep(5000);
        await startServers();
        await sleep(3000);
      } finally {
        stop = true;
        await load;
      }
      const accepted = replies.filter((reply) => reply.status === 202).map(reservationIdOf);
      const failures = replies.filter(isServerFailure);
      const badRefusals = failures.filter((reply) => !isRetryableRefusal(reply));
      // Workflows whose tasks failed during the outage are the reconciler's: it runs every minute.
      await waitFor(settleMs, async () => (await notFinal(accepted)) === 0);
      const lost = await notFinal(accepted);
      const sample = badRefusals[0];
      return {
        fault: "mariadb-primary",
        tried,
        requests: replies.length,
        fiveHundreds: failures.length,
        lost,
        pass: accepted.length > 0 && lost === 0 && badRefusals.length === 0,
        note:
          `${accepted.length} accepted, ${failures.length - badRefusals.length} x 503+Retry-After` +
          (sample ? `; ${badRefusals.length} refusals not 503 problem+json with Retry-After (e.g. ${sample.status} ${sample.contentType || "-"} retry-after ${sample.retryAfter ?? "none"})` : "") +
          (lost ? `; ${lost} accepted still PENDING ${settleMs / 1000} s after the restart` : ""),
      };
    } finally {
      await cloud.stop();
    }
  }),
);
