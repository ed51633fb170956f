/**
 * The driver-notification queue's consumer (an SQS event source with ReportBatchItemFailures in
 * AWS; packages/local/src/sqs/event-source-mapping.ts locally). Per record: read the reservation
 * event out of SNS's envelope, then, once per event id, tell whoever hears that event
 * (@haul/core/notification/audience): the driver gets a message stored in the history and pushed
 * to their live connections (notify-driver); the customer gets a `reservation-status` frame pushed
 * to theirs (customer-status).
 *
 * Powertools batch processing: a record fails by throwing, and only that record is reported in
 * `batchItemFailures`; the others are deleted from the queue. A poison message fails on every
 * receive and the queue moves it to the DLQ after its last one (an alarm watches the DLQ).
 *
 * Once in effect, on the event id in the message (SNS cannot take a chosen message id, and a
 * redelivery or SNS's own duplicate has a new SQS message id): Powertools idempotency with a
 * DynamoDB record per event id (table NotificationIdempotency). The record is taken (INPROGRESS,
 * a conditional put) before anything is done, so a concurrent duplicate fails and is retried
 * later, when the record says COMPLETED and nothing is done again. A failure deletes the record:
 * the retry does the work. Storing is once on its own as well (OpenSearch `create` with the event
 * id), so even a record expired or lost keeps one message in the history.
 * Why a record rather than the stored document alone: the document says "stored", not "pushed";
 * and two deliveries at once would both see it missing, or both see it unpushed, and both push.
 * The crash window that remains: the function dies after pushing and before the record says
 * COMPLETED; once the INPROGRESS record expires (the function's timeout), the redelivery pushes
 * again. Every pushed frame carries the event id, so the app drops such a repeat.
 *
 * Correlation: each record's lines carry the correlation id of the request that caused its event
 * (the SNS message attribute), and so do the frames it pushes. Records are processed one after
 * another for that: the logger's correlation id is one at a time. A batch is at most ten messages.
 * Metrics: `NotificationsDelivered`, `NotificationsRepeated` (a COMPLETED record answered) and
 * `NotificationsFailed`, per batch.
 *
 * Environment: HAUL_NOTIFICATION_IDEMPOTENCY_TABLE, HAUL_LIVE_CONNECTIONS_TABLE, the OpenSearch
 * variables, and HAUL_LIVE_API_CALLBACK_URL (the LiveApi's @connections endpoint). Without the
 * last there is no live channel: messages are stored, unread, and not pushed.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { audienceOf } from "@haul/core/notification/audience";
import { notifyCustomer, type NotifyCustomerOutcome } from "@haul/core/notification/customer-status";
import { isDriverMessageNotification } from "@haul/core/notification/driver-message";
import { createMessageStore } from "@haul/core/notification/message-store";
import { notifyDriver, type DeliveryReport, type NotifyDriverOutcome } from "@haul/core/notification/notify-driver";
import type { DriverNotification } from "@haul/core/reservation/schema";
import { getSearchClient } from "@haul/core/search/search-client";
import { driverNotifications, tableNameVariable, tables } from "../declarations.js";
import { callbackUrlVariable, pushToUser } from "../live/push-to-connections.js";
import { instrument, logger, metrics, MetricUnit } from "../shared/powertools.js";
import { readNotificationRecord } from "./notification-record.js";

/** PostToConnection calls in flight at once, per message (a user has a device or two). */
const pushConcurrency = 4;
/**
 * How long a COMPLETED record keeps a redelivery from being pushed again: longer than any message
 * can live (4 days in the queue, 14 in the DLQ, counted from its first enqueue), redrives included.
 */
const idempotencyExpirySeconds = 15 * 24 * 60 * 60;
/** The key prefix of the records: stable across function names (SST's carry a random suffix). */
const idempotencyKeyPrefix = "haul.driver-notifications";

const processor = new BatchProcessor(EventType.SQS);
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: "eventId", expiresAfterSeconds: idempotencyExpirySeconds });

/** Per run, not part of the idempotency key: whether it did the work (false: a COMPLETED record answered for it). */
interface Run {
  fresh: boolean;
  /** The correlation id of the request behind the event, put on every frame pushed for it. */
  readonly correlationId: string | undefined;
}

/** What one event did: null for a party that does not hear it. */
interface EventOutcome {
  readonly eventId: string;
  readonly driver: NotifyDriverOutcome | null;
  readonly customer: NotifyCustomerOutcome | null;
}

type NotifyOnce = (notification: DriverNotification, run: Run) => Promise<EventOutcome>;
let notifyOnce: NotifyOnce | undefined;
let warnedNoLiveChannel = false;

/** Built on first use: the environment names the table, and tests set it before invoking. */
function getNotifyOnce(): NotifyOnce {
  if (notifyOnce) return notifyOnce;
  const variable = tableNameVariable(tables.notificationIdempotency);
  const tableName = process.env[variable];
  if (!tableName) throw new Error(`${variable} is not set: notifications cannot be processed once`);
  const messages = createMessageStore({ client: getSearchClient });
  notifyOnce = makeIdempotent(
    async (notification: DriverNotification, run: Run): Promise<EventOutcome> => {
      run.fresh = true;
      const audience = audienceOf(notification);
      const driver =
        audience.driver && isDriverMessageNotification(notification)
          ? await notifyDriver(notification, { store: (message) => messages.store(message), deliver: deliverWith(run.correlationId) })
          : null;
      const customer = audience.customer ? await notifyCustomer(notification, deliverWith(run.correlationId)) : null;
      return { eventId: notification.eventId, driver, customer };
    },
    { persistenceStore: new DynamoDBPersistenceLayer({ tableName }), config: idempotency, keyPrefix: idempotencyKeyPrefix },
  );
  return notifyOnce;
}

/** Frames are objects; each carries the causing request's correlation id when the event has one. */
function deliverWith(correlationId: string | undefined) {
  return (userId: string, frame: object): Promise<DeliveryReport> => deliver(userId, correlationId ? { ...frame, correlationId } : frame);
}

async function deliver(userId: string, frame: object): Promise<DeliveryReport> {
  if (!process.env[callbackUrlVariable]) {
    if (!warnedNoLiveChannel) logger.warn(`${callbackUrlVariable} is not set: messages are stored, not pushed`);
    warnedNoLiveChannel = true;
    return { delivered: 0, gone: 0, failed: 0 };
  }
  const outcome = await pushToUser(userId, frame, { concurrency: pushConcurrency });
  for (const { connectionId, error } of outcome.failed) {
    // A driver's message waits in the history; a customer reads the status from the query service.
    logger.warn("a connection could not take the message; it is not pushed again", { userId, connectionId, error });
  }
  return { delivered: outcome.delivered.length, gone: outcome.gone.length, failed: outcome.failed.length };
}

/** What a batch's records came to; published as metrics once the batch is done. */
interface BatchCounts {
  delivered: number;
  repeated: number;
  failed: number;
}

async function handleRecord(record: SQSRecord, counts: BatchCounts): Promise<EventOutcome> {
  const where = { messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount) };
  // A poison message has no readable id: its lines carry none rather than the previous record's.
  logger.removeKeys(["correlation_id"]);
  try {
    const { notification, correlationId } = readNotificationRecord(record);
    if (correlationId) logger.setCorrelationId(correlationId);
    const run: Run = { fresh: false, correlationId };
    const outcome = await getNotifyOnce()(notification, run);
    counts[run.fresh ? "delivered" : "repeated"] += 1;
    logger.info(run.fresh ? "event delivered" : "already delivered: nothing done again", { ...where, ...outcome });
    return outcome;
  } catch (error) {
    counts.failed += 1;
    // Thrown on: Powertools reports this record, and only it, in batchItemFailures.
    logger.error("notification failed; it comes back after the visibility timeout, or goes to the DLQ after its last receive", {
      ...where,
      maxReceiveCount: driverNotifications.maxReceiveCount,
      error: error as Error,
    });
    throw error;
  }
}

const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // The INPROGRESS record expires with this invocation, so a crash frees the event id for the retry.
  idempotency.registerLambdaContext(context);
  const counts: BatchCounts = { delivered: 0, repeated: 0, failed: 0 };
  try {
    return await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, counts), processor, { context, processInParallel: false });
  } finally {
    metrics.addMetric("NotificationsDelivered", MetricUnit.Count, counts.delivered);
    metrics.addMetric("NotificationsRepeated", MetricUnit.Count, counts.repeated);
    metrics.addMetric("NotificationsFailed", MetricUnit.Count, counts.failed);
  }
};

export const handler = instrument(handle);
