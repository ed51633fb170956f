/**
 * What the consumer runs against, all real and local: dynalite (in process) with the
 * LiveConnections and NotificationIdempotency tables, the local identity issuer, the local
 * WebSocket gateway serving the LiveApi with its own handlers and @connections API, and the local
 * OpenSearch node with the message family applied under `test-`. Drivers and customers connect with
 * real WebSocket clients, so a test counts the frames each actually received.
 */
import WebSocket from "ws";
import type { Client } from "@opensearch-project/opensearch";
import { resetDocumentClient } from "@haul/core/dynamodb/document-client";
import { messageFamily } from "@haul/core/notification/message-store";
import { liveApi } from "@haul/functions/declarations";
import { callbackUrlVariable } from "@haul/functions/live/push-to-connections";
import { resetAwsClients } from "@haul/functions/shared/aws-clients";
import { localAudience, repoRoot } from "@haul/local/config";
import type { RunningDynalite } from "@haul/local/dynamodb/dynalite-server";
import { mintToken } from "@haul/local/identity/mint-token";
import { startIdentityServer, type RunningIdentityServer } from "@haul/local/identity/server";
import { createSigningKey, type SigningKey } from "@haul/local/identity/signing-key";
import { startWebSocketGateway, type RunningWebSocketGateway } from "@haul/local/websocket/websocket-gateway";
import { createTestClient } from "../../../core/test/search/support.js";
import { prepareMessageIndices, testPrefix } from "../../../core/test/notification/support.js";
import { startConsumerTables } from "../../../local/test/fixtures/consumer-tables.js";

/** A driver's or customer's app, connected: every frame it receives, parsed. */
export interface ConnectedApp {
  readonly frames: any[];
  close(): void;
}

export interface ConsumerEnvironment {
  readonly search: Client;
  readonly gateway: RunningWebSocketGateway;
  readonly errorLines: string[];
  /** Connects as `userId` with a token of `role` (a driver unless told otherwise). */
  connect(userId: string, role?: "driver" | "customer"): Promise<ConnectedApp>;
  /** How many documents hold this event id, across the family's indices. */
  storedCopies(eventId: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startConsumerEnvironment(): Promise<ConsumerEnvironment> {
  const savedEnv = { ...process.env };
  const signingKey: SigningKey = await createSigningKey();
  const identity: RunningIdentityServer = await startIdentityServer({ signingKey, host: "127.0.0.1", port: 0 });
  const dynamodb: RunningDynalite = await startConsumerTables();
  Object.assign(process.env, {
    HAUL_TOKEN_ISSUER: identity.issuer,
    HAUL_TOKEN_AUDIENCE: localAudience,
  });
  resetDocumentClient();
  resetAwsClients();

  const errorLines: string[] = [];
  const gateway = await startWebSocketGateway({
    api: liveApi,
    host: "127.0.0.1",
    port: 0,
    stage: "test",
    root: repoRoot,
    resourcePrefix: "test-haul",
    accessLog: () => undefined,
    errorLog: (line) => errorLines.push(line),
  });
  process.env[callbackUrlVariable] = gateway.callbackUrl;

  const search = createTestClient();
  await prepareMessageIndices(search);
  const sockets: WebSocket[] = [];

  return {
    search,
    gateway,
    errorLines,
    async connect(userId, role = "driver") {
      const token = await mintToken({ role, sub: userId, issuer: identity.issuer, signingKey });
      const socket = new WebSocket(`${gateway.url}?token=${token}`);
      sockets.push(socket);
      const frames: any[] = [];
      socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8"))));
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", reject);
        socket.once("unexpected-response", (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
      });
      return { frames, close: () => socket.close() };
    },
    async storedCopies(eventId) {
      const index = `${testPrefix}${messageFamily}-*`;
      await search.indices.refresh({ index });
      const { body } = await search.count({ index, body: { query: { term: { eventId } } } });
      return body.count;
    },
    async stop() {
      for (const socket of sockets) socket.terminate();
      await gateway.stop();
      await search.close();
      await identity.stop();
      await dynamodb.stop();
      process.env = savedEnv;
      resetDocumentClient();
      resetAwsClients();
    },
  };
}

/** Lets pushes that are coming arrive: the frames a test expects NOT to see have had their chance. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds (pushes arrive asynchronously to the invocation's end). */
export async function eventually(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
