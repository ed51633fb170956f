/**
 * CloudWatch Logs, locally: log groups that keep every event (one file each under
 * `.haul/logs/groups/`, the group's path as the file's) and their subscription filters. An event
 * that a filter's pattern matches (the same pattern strings as the stacks, with CloudWatch Logs'
 * semantics: packages/core/src/observability/filter-pattern.ts) waits in that filter's batch for
 * its stream; every `deliveryIntervalMs` each batch goes to the subscriber as the real
 * `{ awslogs: { data } }` envelope (gzipped, base64), at most 10,000 events or 1 MB a batch.
 * A delivery that fails is retried twice, as Lambda retries an asynchronous invocation; then the
 * batch is written to `failedBatchDirectory`, the stand-in for the refiner's on-failure destination.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomInt } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { CloudWatchLogsEvent } from "aws-lambda";
import { compileFilterPattern, type LogEventMatcher } from "@haul/core/observability/filter-pattern";
import type { FunctionLogEvent } from "./log-capture.js";

export interface SubscriptionFilter {
  /** The filter's name, sent in the envelope's `subscriptionFilters`. */
  readonly name: string;
  /** CloudWatch Logs filter pattern; "" matches every event. */
  readonly pattern: string;
}

export interface LocalLogGroupsOptions {
  /** Where each group's file goes: `<directory><log group>.log`. */
  readonly directory: string;
  /** Where batches that could not be delivered are kept (the on-failure destination). */
  readonly failedBatchDirectory: string;
  /** The account in the envelope's `owner`. */
  readonly accountId: string;
  /** The filters of a log group; none leaves it unsubscribed. */
  subscriptionsOf(logGroup: string): readonly SubscriptionFilter[];
  /** Invokes the subscriber with one batch; rejects when the invocation fails. */
  deliver(event: CloudWatchLogsEvent): Promise<void>;
  /** How long matching events wait for their batch; default 1000 ms. */
  readonly deliveryIntervalMs?: number;
  /** Waits before the two retries of a failed delivery; default 1 s and 2 s. */
  readonly retryDelaysMs?: readonly number[];
  /** Where a batch given up on is reported. */
  readonly warn: (line: string) => void;
}

export interface LogDeliveryStats {
  /** Events put into log groups. */
  readonly events: number;
  /** Events that matched a subscription filter. */
  readonly matched: number;
  readonly batchesDelivered: number;
  readonly eventsDelivered: number;
  readonly deliveryRetries: number;
  /** Batches given up on, written to the failed-batch directory. */
  readonly batchesFailed: number;
}

export interface LocalLogGroups {
  put(event: FunctionLogEvent): void;
  /** Delivers every waiting batch now and waits until all deliveries have settled. */
  flush(): Promise<void>;
  stats(): LogDeliveryStats;
  /** Flushes, then closes the files. */
  stop(): Promise<void>;
}

const maxBatchEvents = 10_000;
const maxBatchBytes = 1_048_576;

interface PendingBatch {
  readonly logGroup: string;
  readonly logStream: string;
  readonly filterName: string;
  events: Array<{ id: string; timestamp: number; message: string }>;
  bytes: number;
}

export function createLocalLogGroups(options: LocalLogGroupsOptions): LocalLogGroups {
  const intervalMs = options.deliveryIntervalMs ?? 1000;
  const retryDelaysMs = options.retryDelaysMs ?? [1000, 2000];
  const files = new Map<string, WriteStream>();
  const filtersByGroup = new Map<string, ReadonlyArray<{ name: string; matches: LogEventMatcher }>>();
  const pending = new Map<string, PendingBatch>();
  const inFlight = new Set<Promise<void>>();
  const stats = { events: 0, matched: 0, batchesDelivered: 0, eventsDelivered: 0, deliveryRetries: 0, batchesFailed: 0 };
  const nextEventId = eventIdSource();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function filtersOf(logGroup: string) {
    let filters = filtersByGroup.get(logGroup);
    if (!filters) {
      filters = options.subscriptionsOf(logGroup).map((filter) => ({ name: filter.name, matches: compileFilterPattern(filter.pattern) }));
      filtersByGroup.set(logGroup, filters);
    }
    return filters;
  }

  function fileOf(logGroup: string): WriteStream {
    let file = files.get(logGroup);
    if (!file) {
      const target = path.join(options.directory, `${logGroup.replace(/[^A-Za-z0-9._/-]/g, "_").replace(/^\/+/, "")}.log`);
      mkdirSync(path.dirname(target), { recursive: true });
      file = createWriteStream(target, { flags: "a" });
      file.on("error", (error) => options.warn(`[logs] ${logGroup}: ${error.message}`));
      files.set(logGroup, file);
    }
    return file;
  }

  function put(event: FunctionLogEvent): void {
    if (stopped) return;
    stats.events += 1;
    const id = nextEventId(event.timestamp);
    fileOf(event.logGroup).write(`${new Date(event.timestamp).toISOString()} ${event.logStream} ${event.message.replaceAll("\n", "\\n")}\n`);
    for (const filter of filtersOf(event.logGroup)) {
      if (!filter.matches(event.message)) continue;
      stats.matched += 1;
      const key = `${event.logGroup}\n${event.logStream}\n${filter.name}`;
      let batch = pending.get(key);
      const bytes = Buffer.byteLength(event.message) + 26;
      if (batch && (batch.events.length >= maxBatchEvents || batch.bytes + bytes > maxBatchBytes)) {
        send(batch);
        batch = undefined;
      }
      if (!batch) {
        batch = { logGroup: event.logGroup, logStream: event.logStream, filterName: filter.name, events: [], bytes: 0 };
        pending.set(key, batch);
      }
      batch.events.push({ id, timestamp: event.timestamp, message: event.message });
      batch.bytes += bytes;
      timer ??= setTimeout(deliverPending, intervalMs);
    }
  }

  function deliverPending(): void {
    timer = undefined;
    for (const batch of pending.values()) send(batch);
  }

  function send(batch: PendingBatch): void {
    pending.delete(`${batch.logGroup}\n${batch.logStream}\n${batch.filterName}`);
    const delivery = deliverWithRetries(batch).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  async function deliverWithRetries(batch: PendingBatch): Promise<void> {
    const event = envelopeOf(batch, options.accountId);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await options.deliver(event);
        stats.batchesDelivered += 1;
        stats.eventsDelivered += batch.events.length;
        return;
      } catch (error) {
        const delay = retryDelaysMs[attempt];
        if (delay === undefined || stopped) {
          stats.batchesFailed += 1;
          await keepFailedBatch(batch, event, error);
          return;
        }
        stats.deliveryRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async function keepFailedBatch(batch: PendingBatch, event: CloudWatchLogsEvent, error: unknown): Promise<void> {
    const file = path.join(
      options.failedBatchDirectory,
      `${new Date().toISOString().replace(/[:.]/g, "-")}-${batch.logGroup.replace(/[^A-Za-z0-9-]+/g, "_")}-${randomInt(1e9)}.json`,
    );
    const reason = error instanceof Error ? error.message : String(error);
    try {
      await mkdir(options.failedBatchDirectory, { recursive: true });
      await writeFile(file, JSON.stringify({ reason, logGroup: batch.logGroup, events: batch.events.length, event }) + "\n");
      options.warn(`[logs] ${batch.events.length} events of ${batch.logGroup} could not be refined (${reason}); the batch is kept in ${file}`);
    } catch (writeError) {
      options.warn(`[logs] ${batch.events.length} events of ${batch.logGroup} were lost: ${reason}; keeping them failed too: ${(writeError as Error).message}`);
    }
  }

  async function flush(): Promise<void> {
    clearTimeout(timer);
    deliverPending();
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return {
    put,
    flush,
    stats: () => ({ ...stats }),
    async stop() {
      await flush();
      stopped = true;
      // What was put while the first flush waited on a delivery (functions still running).
      await flush();
      await Promise.all([...files.values()].map((file) => new Promise<void>((resolve) => file.end(() => resolve()))));
      files.clear();
    },
  };
}

/** The envelope CloudWatch Logs invokes a subscribed function with. */
export function envelopeOf(
  batch: { logGroup: string; logStream: string; filterName: string; events: ReadonlyArray<{ id: string; timestamp: number; message: string }> },
  owner: string,
): CloudWatchLogsEvent {
  const payload = {
    messageType: "DATA_MESSAGE",
    owner,
    logGroup: batch.logGroup,
    logStream: batch.logStream,
    subscriptionFilters: [batch.filterName],
    logEvents: batch.events,
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") } };
}

/**
 * Event ids as CloudWatch Logs gives them: digits, ordered by time, unique. The middle part is
 * random per process so a restarted local cloud never reuses an id (the refiner stores each id once).
 */
function eventIdSource(): (timestamp: number) => string {
  const processPart = String(randomInt(1e12)).padStart(12, "0") + String(randomInt(1e12)).padStart(12, "0");
  let sequence = 0;
  return (timestamp) => `${String(timestamp).padStart(16, "0")}${processPart}${String((sequence = (sequence + 1) % 1e12)).padStart(12, "0")}`;
}
