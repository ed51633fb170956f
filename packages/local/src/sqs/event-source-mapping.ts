/**
 * The local stand-in for a Lambda event source mapping on an SQS queue, with
 * ReportBatchItemFailures: pollers long-poll the queue for batches, invoke the declared handler
 * module in process with the SQS event Lambda sends (`Records` of `aws:sqs`), and delete what
 * succeeded. What failed is left alone: it comes back after the visibility timeout, and the queue
 * moves it to its DLQ after `maxReceiveCount` receives, exactly as in AWS.
 *
 * As Lambda reads the function's answer: `batchItemFailures` lists the failed message ids; an
 * empty list (or no answer) is a whole success; a thrown error, a timeout, or an answer that names
 * an id not in the batch (or no id) fails the whole batch.
 * Not modelled: scaling pollers with the queue's depth, maximum concurrency, filter criteria.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createHandlerLoader, invokeHandler } from "../gateway/handler-loader.js";
import { createLambdaContext } from "../gateway/lambda-context.js";
import { runWithFunctionLogs } from "../logs/log-capture.js";
import { describeInvocationError, withTimeout } from "../gateway/lambda-invocation.js";
import type { LocalQueue, ReceivedMessage, SqsMessageAttributeValue } from "./queue.js";

export interface SqsEventSourceOptions {
  readonly queue: LocalQueue;
  /** The handler string, SST's form: `packages/functions/src/x/y.handler`. */
  readonly handler: string;
  /** Root that the handler string is relative to (the repository root). */
  readonly root: string;
  readonly functionName: string;
  /** The consumer's service (POWERTOOLS_SERVICE_NAME in AWS). */
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly timeoutSeconds: number;
  /** 1 to 10 messages per invocation. */
  readonly batchSize: number;
  /** How long a poll waits for a batch to fill; 0 invokes with what one receive returns. */
  readonly maxBatchingWindowSeconds?: number;
  /** Batches in flight at once (Lambda starts with five pollers); default 2. */
  readonly pollers?: number;
  /** Receives handler failures (what CloudWatch would show); default: stderr. */
  readonly errorLog?: (message: string) => void;
}

export interface BatchOutcome {
  readonly messageIds: readonly string[];
  /** Deleted from the queue. */
  readonly succeeded: readonly string[];
  /** Left for redelivery (and, after the last receive, the DLQ). */
  readonly failed: readonly string[];
}

export interface RunningSqsEventSource {
  /** Resolves once every batch received so far has been handled (tests wait on it). */
  idle(): Promise<void>;
  /** Called after each batch; tests observe redeliveries with it. */
  onBatch(listener: (outcome: BatchOutcome) => void): void;
  stop(): Promise<void>;
}

const memorySizeMb = 1024;

export function startSqsEventSource(options: SqsEventSourceOptions): RunningSqsEventSource {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10) {
    throw new RangeError(`batchSize must be 1 to 10 (more needs a batching window Lambda has and this does not), got ${options.batchSize}`);
  }
  const loadHandler = createHandlerLoader(options.root);
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const listeners: Array<(outcome: BatchOutcome) => void> = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  async function poll(): Promise<void> {
    while (!stopped) {
      // Long polls, as Lambda's pollers do; a closed queue answers at once with nothing.
      const messages = await options.queue.receive({ MaxNumberOfMessages: options.batchSize, WaitTimeSeconds: 1 });
      if (messages.length === 0) continue;
      if (stopped) return release(messages);
      const handled = fillBatch([...messages]).then((batch) => (stopped ? release(batch) : handleBatch(batch)));
      inFlight.add(handled);
      await handled.finally(() => inFlight.delete(handled));
    }
  }

  /** Received after stop: visible again at once, for whoever consumes the queue next. */
  function release(messages: readonly ReceivedMessage[]): void {
    for (const message of messages) options.queue.changeVisibility(message.ReceiptHandle, 0);
  }

  /** Waits up to the batching window for more messages, as Lambda does before invoking. */
  async function fillBatch(batch: ReceivedMessage[]): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + (options.maxBatchingWindowSeconds ?? 0) * 1000;
    while (!stopped && batch.length < options.batchSize && Date.now() < deadline) {
      const more = await options.queue.receive({
        MaxNumberOfMessages: options.batchSize - batch.length,
        WaitTimeSeconds: Math.min(20, Math.max(0, Math.ceil((deadline - Date.now()) / 1000))),
      });
      if (more.length === 0) break;
      batch.push(...more);
    }
    return batch;
  }

  async function handleBatch(batch: readonly ReceivedMessage[]): Promise<void> {
    const context = createLambdaContext({
      functionName: options.functionName,
      region: options.region,
      accountId: options.accountId,
      memorySizeMb,
      timeoutMs: options.timeoutSeconds * 1000,
    });
    const event: SQSEvent = { Records: batch.map((message) => toRecord(message, options.queue.arn, options.region)) };
    const ids = batch.map((message) => message.MessageId);
    let failed: ReadonlySet<string>;
    try {
      const handler = await loadHandler(options.handler);
      const answer = await runWithFunctionLogs(context, options.service, () => withTimeout(invokeHandler(handler, event, context), options.timeoutSeconds * 1000));
      failed = failedIds(answer, ids);
    } catch (error) {
      errorLog(describeInvocationError(options.functionName, context.awsRequestId, error));
      failed = new Set(ids);
    }
    const succeeded = batch.filter((message) => !failed.has(message.MessageId));
    for (const message of succeeded) options.queue.delete(message.ReceiptHandle);
    const outcome = { messageIds: ids, succeeded: succeeded.map((message) => message.MessageId), failed: ids.filter((id) => failed.has(id)) };
    for (const listener of listeners) listener(outcome);
  }

  Array.from({ length: Math.max(1, options.pollers ?? 2) }, () =>
    poll().catch((error: unknown) => errorLog(`[${options.functionName}] poller stopped: ${error instanceof Error ? error.message : String(error)}`)),
  );

  return {
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    onBatch(listener) {
      listeners.push(listener);
    },
    async stop() {
      stopped = true;
      // Batches being handled finish; a poller still waiting on the queue releases what it gets.
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

/**
 * The ids Lambda would leave on the queue, read from the function's answer as Lambda reads it:
 * nothing (or no `batchItemFailures`) is a success; a malformed answer fails the whole batch.
 */
function failedIds(answer: unknown, ids: readonly string[]): ReadonlySet<string> {
  const failures = (answer as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return new Set(ids);
  const named = failures.map((failure) => (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier);
  if (named.some((id) => typeof id !== "string" || !ids.includes(id))) return new Set(ids);
  return new Set(named as string[]);
}

/** One record of the SQS event Lambda sends. */
function toRecord(message: ReceivedMessage, queueArn: string, region: string): SQSRecord {
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: {
      ApproximateReceiveCount: message.Attributes.ApproximateReceiveCount,
      SentTimestamp: message.Attributes.SentTimestamp,
      SenderId: message.Attributes.SenderId,
      ApproximateFirstReceiveTimestamp: message.Attributes.ApproximateFirstReceiveTimestamp,
      ...(message.Attributes.DeadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: message.Attributes.DeadLetterQueueSourceArn } : {}),
    },
    messageAttributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toRecordAttribute(value)])),
    md5OfBody: message.MD5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The event's attribute shape: camelCase, with the (always empty) list values. */
function toRecordAttribute(value: SqsMessageAttributeValue): SQSRecord["messageAttributes"][string] {
  return {
    dataType: value.DataType,
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
    stringListValues: [],
    binaryListValues: [],
  };
}
