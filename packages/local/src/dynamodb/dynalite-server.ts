/**
 * The local stand-in for DynamoDB: dynalite (DynamoDB's JSON API over LevelDB), in process,
 * persisting under `.haul/dynamodb`. Not supported by dynalite: transactions, TTL, streams.
 */
import { mkdir, rm } from "node:fs/promises";
import dynalite from "dynalite";
import { closeServer, listen, urlHost } from "../http-server.js";

export interface DynaliteOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** LevelDB directory; omit for an in-memory store. */
  readonly dataDir?: string;
  /** Delete everything stored before starting. */
  readonly fresh?: boolean;
}

export interface RunningDynalite {
  /** For AWS_ENDPOINT_URL_DYNAMODB, e.g. http://127.0.0.1:4003 */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startDynalite(options: DynaliteOptions): Promise<RunningDynalite> {
  if (options.dataDir) {
    if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
  }
  // Tables become ACTIVE at once instead of after dynalite's default 500 ms.
  const server = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listen(server, options.port, options.host);
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    // dynalite's close() also closes the LevelDB store, releasing its lock for the next start.
    stop: () => closeServer(server),
  };
}
