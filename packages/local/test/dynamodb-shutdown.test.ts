/**
 * Stopping dynalite while writes are in flight, as when the local cloud stops under a `$disconnect`
 * that deletes its connection: the writes it has read finish and answer before the store closes
 * (closing first threw "Database is closed" from their later steps, out of any request), and
 * the ones it never read are refused, not half done.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { tables } from "@haul/functions/declarations";
import { startDynalite } from "../src/dynamodb/dynalite-server.js";
import { ensureTables } from "../src/dynamodb/tables.js";

const dataDirs: string[] = [];
afterAll(() => Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const clientOf = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "local", secretAccessKey: "local" } });

/** Sends 40 deletes, stops the server `delayMs` later, and reopens the store to see what stayed. */
async function deletesAcrossAStop(delayMs: number) {
  const dataDir = await mkdtemp(join(tmpdir(), "haul-dynalite-stop-"));
  dataDirs.push(dataDir);
  const dynamodb = await startDynalite({ host: "127.0.0.1", port: 0, inProcess: true, dataDir });
  const names = await ensureTables({ endpoint: dynamodb.endpoint, stage: "test", tables: [tables.liveConnections] });
  const TableName = names[tables.liveConnections.name]!;
  const client = clientOf(dynamodb.endpoint);
  const ids = Array.from({ length: 40 }, (_, index) => `connection-${index}`);
  for (const connectionId of ids) {
    await client.send(new PutItemCommand({ TableName, Item: { connectionId: { S: connectionId }, userId: { S: "driver-1" } } }));
  }
  const outcomes = ids.map((connectionId) =>
    client.send(new DeleteItemCommand({ TableName, Key: { connectionId: { S: connectionId } } })).then(
      () => "deleted",
      (error: Error & { code?: string }) => error.code ?? error.name,
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  await dynamodb.stop();
  const answers = await Promise.all(outcomes);
  client.destroy();

  const reopened = await startDynalite({ host: "127.0.0.1", port: 0, inProcess: true, dataDir });
  const reader = clientOf(reopened.endpoint);
  const stillThere = await Promise.all(
    ids.map(async (connectionId) => (await reader.send(new GetItemCommand({ TableName, Key: { connectionId: { S: connectionId } } }))).Item !== undefined),
  );
  reader.destroy();
  await reopened.stop();
  return ids.map((_, index) => ({ answer: answers[index]!, stillThere: stillThere[index]! }));
}

describe("stopping dynalite", () => {
  it("finishes the writes it has read before closing the store, and refuses the others whole", async () => {
    let deleted = 0;
    for (const delayMs of [0, 10, 20, 30, 40, 60]) {
      for (const { answer, stillThere } of await deletesAcrossAStop(delayMs)) {
        if (answer === "deleted") {
          deleted += 1;
          expect(stillThere, `answered "deleted" when stopped ${delayMs} ms after sending`).toBe(false);
        } else {
          expect(answer, `refused when stopped ${delayMs} ms after sending`).toBe("ECONNRESET");
          expect(stillThere, `refused when stopped ${delayMs} ms after sending`).toBe(true);
        }
      }
    }
    expect(deleted, "some deletes were read before the stop").toBeGreaterThan(0);
  });
});
