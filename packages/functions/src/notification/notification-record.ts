/**
 * Reads a driver notification out of an SQS record of the driver-notification queue. The queue's
 * subscription delivers SNS's JSON envelope (rawMessageDelivery: false, stacks/Messaging.ts and
 * the local topic alike): the workflow's message is the envelope's `Message`, a JSON string, and
 * the correlation id travels as a message attribute of the envelope.
 *
 * Anything else is a poison message: it will fail on every receive, so the record fails and the
 * queue moves it to the DLQ after its last receive. The error says what is wrong, not the content.
 */
import type { SQSRecord } from "aws-lambda";
import { z } from "zod";
import { DriverNotification } from "@haul/core/reservation/schema";

/** The message cannot be a driver notification, however often it is received. */
export class PoisonMessageError extends Error {
  override readonly name = "PoisonMessageError";
}

const SnsEnvelope = z.object({
  Type: z.literal("Notification"),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).optional(),
});

export interface NotificationRecord {
  readonly notification: DriverNotification;
  /** The request's correlation id, when the publisher passed one. */
  readonly correlationId?: string;
}

export function readNotificationRecord(record: Pick<SQSRecord, "body">): NotificationRecord {
  const envelope = SnsEnvelope.safeParse(parseJson(record.body, "the SQS body"));
  if (!envelope.success) throw new PoisonMessageError(`The SQS body is not an SNS notification envelope: ${describe(envelope.error)}`);
  const notification = DriverNotification.safeParse(parseJson(envelope.data.Message, "the SNS Message"));
  if (!notification.success) throw new PoisonMessageError(`The SNS Message is not a driver notification: ${describe(notification.error)}`);
  const correlationId = envelope.data.MessageAttributes?.correlationId?.Value;
  return { notification: notification.data, ...(correlationId ? { correlationId } : {}) };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PoisonMessageError(`${what} is not JSON`);
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(message)"}: ${issue.message}`).join("; ");
}
