/**
 * The local stand-in for DynamoDB: dynalite (DynamoDB's JSON API over LevelDB), persisting under
 * `.haul/dynamodb`. Not supported by dynalite: transactions, TTL, streams.
 *
 * By default dynalite runs in a child process of its own: its request validation, expression
 * parsing and LevelDB work (about a millisecond per write) then use another core instead of the
 * local cloud's one event loop, which also runs the gateway, the handlers and Step Functions.
 * `inProcess: true` keeps it in this process.
 */
import dynalite from "dynalite";
import { startLevelDbServer, type LevelDbServerOptions, type RunningLevelDbServer } from "../leveldb-server.js";

export type DynaliteOptions = LevelDbServerOptions;

/** `endpoint` is for AWS_ENDPOINT_URL_DYNAMODB, e.g. http://127.0.0.1:4003 */
export type RunningDynalite = RunningLevelDbServer;

// Tables become ACTIVE at once instead of after dynalite's default 500 ms.
const tableTimings = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

export function startDynalite(options: DynaliteOptions): Promise<RunningDynalite> {
  return startLevelDbServer({ name: "dynalite", create: dynalite }, options, tableTimings);
}
