/**
 * Kills the local cloud process (SIGKILL to its process group: no clean shutdown) while customers
 * make reservations and their workflows run, and starts it again on the same data.
 * Promise: every reservation written ends its workflow: a final status and, when confirmed, its
 * tracking session (the reconciler restarts stranded executions).
 *   npx tsx scripts/faults/local-cloud.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "@haul/local/config";
import { mintToken } from "@haul/local/identity/mint-token";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { loadUntil, reliabilityDir, runFault, serverUrls, sleep, waitFor, withIsolatedServers, type FaultCloud } from "./support/fault-run.js";
import { postReservation, reservationIdFor, reservationIdOf, statusesOf, type Reply } from "./support/load.js";

const tried = "local cloud killed mid-workflow, restarted";
const haulDir = path.join(reliabilityDir, "local-cloud");
const outputsFile = path.join(haulDir, "outputs.json");
const portBase = 14000;
// How long the restarted cloud gets to end every written reservation's workflow (the reconciler runs every minute).
const settleMs = 180_000;

async function startCloudProcess(): Promise<{ child: ChildProcess; outputs: Record<string, string> }> {
  await rm(outputsFile, { force: true });
  const child = spawn(process.execPath, ["--import", "tsx", "packages/local/src/main.ts", "--no-demo"], {
    cwd: repoRoot,
    env: { ...process.env, ...serverUrls, HAUL_DATA_DIR: haulDir, HAUL_LOCAL_PORT_BASE: String(portBase), HAUL_TERMINAL_LOG_LEVEL: "OFF" },
    stdio: "ignore",
    detached: true, // its own process group: dynalite, kinesalite and the query service die with it
  });
  const ready = await waitFor(120_000, async () => child.exitCode !== null || (await readFile(outputsFile).then(() => true)));
  if (child.exitCode !== null) throw new Error(`the local cloud exited (${child.exitCode}) before it was ready`);
  if (!ready) throw new Error("the local cloud did not write its outputs within 120 s");
  const stacks = JSON.parse(await readFile(outputsFile, "utf8")) as Record<string, Record<string, string>>;
  return { child, outputs: Object.assign({}, ...Object.values(stacks)) as Record<string, string> };
}

function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    return Promise.resolve();
  }
  return exited.then(() => sleep(500)); // its children release their ports
}

/**
 * How many of `ids` have not ended their workflow: PENDING (or no row), or CONFIRMED without the
 * tracking session the workflow's last step opens.
 */
async function unfinished(ids: readonly string[], dynamodb: DynamoDBClient, sessionsTable: string): Promise<{ pending: number; withoutSession: number; total: number }> {
  const statuses = await statusesOf(ids);
  let pending = 0;
  let withoutSession = 0;
  for (const id of ids) {
    const status = statuses.get(id);
    if (status === undefined || status === "PENDING") pending++;
    else if (status === "CONFIRMED") {
      const session = await dynamodb.send(new GetItemCommand({ TableName: sessionsTable, Key: { reservationId: { S: id } } }));
      if (!session.Item) withoutSession++;
    }
  }
  return { pending, withoutSession, total: pending + withoutSession };
}

runFault("local-cloud", tried, () =>
  withIsolatedServers(async () => {
    await rm(haulDir, { recursive: true, force: true });
    let running = await startCloudProcess();
    try {
      const signingKey = await loadOrCreateSigningKey(path.join(haulDir, "identity"));
      const cloud = {
        outputs: running.outputs,
        token: (role: "customer" | "driver" | "operator", sub: string) => mintToken({ role, sub, issuer: running.outputs.IssuerUrl!, signingKey, expiresIn: "2h" }),
      } as unknown as FaultCloud;
      // Reservations keep coming; the kill lands in the same tick as the tenth 202, with requests and
      // workflows under way. Every request's id is known before its reply (Idempotency-Key), so a row
      // the killed process wrote without answering is followed too.
      const sent: string[] = [];
      const replies: Reply[] = [];
      let stop = false;
      let acceptedSoFar = 0;
      let killed: Promise<void> | undefined;
      await loadUntil(30, () => stop, async (index) => {
        const key = randomUUID();
        sent.push(reservationIdFor(index, key));
        const reply = await postReservation(cloud, index, key);
        replies.push(reply);
        if (reply.status === 202 && ++acceptedSoFar === 10) {
          stop = true;
          killed = killGroup(running.child);
        }
      });
      await killed;
      const accepted = replies.filter((reply) => reply.status === 202).map(reservationIdOf);
      const written = [...(await statusesOf(sent)).keys()];
      running = await startCloudProcess();
      const dynamodb = new DynamoDBClient({ endpoint: running.outputs.DynamoDbEndpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
      const unfinishedNow = () => unfinished(written, dynamodb, running.outputs.TrackingSessionsTableName!);
      // Right after the restart, before the reconciler's first run (a minute on): what the kill left.
      const atKill = await unfinishedNow();
      await waitFor(settleMs, async () => (await unfinishedNow()).total === 0);
      const left = await unfinishedNow();
      const lost = left.total;
      dynamodb.destroy();
      // Requests the kill cut off got no reply (status 0): not accepted, and no 5xx either.
      const failures = replies.filter((reply) => reply.status >= 500).length;
      const cutOff = replies.filter((reply) => reply.status === 0).length;
      return {
        fault: "local-cloud",
        tried,
        requests: replies.length,
        fiveHundreds: failures,
        lost,
        pass: accepted.length > 0 && atKill.total > 0 && lost === 0 && failures === 0,
        note:
          `${accepted.length} accepted, ${cutOff} cut off, ${written.length} written; at the kill ${atKill.pending} PENDING, ${atKill.withoutSession} CONFIRMED without tracking session` +
          (lost ? `; ${settleMs / 1000} s after the restart ${left.pending} PENDING, ${left.withoutSession} without session` : "") +
          (atKill.total === 0 ? "; the kill came after every workflow had ended: nothing tested" : ""),
      };
    } finally {
      await killGroup(running.child);
    }
  }),
);
