/**
 * The local stand-in for one SNS standard topic, in process: `publish` hands the message to
 * every subscribed queue at once, wrapped in SNS's notification envelope (or raw, when the
 * subscription asks for raw message delivery), exactly as SNS delivers to SQS.
 * Not modelled: filter policies, `MessageStructure: "json"`, FIFO topics, HTTP/e-mail endpoints.
 */
import { randomUUID } from "node:crypto";
import type { LocalQueue, SqsMessageAttributeValue } from "../sqs/queue.js";

export interface SnsMessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64 text, or bytes as the SDK passes them. */
  readonly BinaryValue?: string | Uint8Array;
}

export interface PublishInput {
  readonly TopicArn?: string;
  readonly TargetArn?: string;
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Readonly<Record<string, SnsMessageAttributeValue>>;
  readonly MessageStructure?: string;
}

export interface PublishResult {
  readonly MessageId: string;
}

/**
 * An SNS error: `code` is the wire code (`NotFound`), `name` the SDK's exception name
 * (`NotFoundException`), which Step Functions prefixes with `SNS.` for the task's error.
 */
export class SnsError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = `${code}Exception`;
  }
}

export interface SubscribeOptions {
  /** Deliver the bare message (attributes become SQS message attributes) instead of the envelope. */
  readonly rawMessageDelivery?: boolean;
}

interface Subscription {
  readonly arn: string;
  readonly queue: LocalQueue;
  readonly raw: boolean;
}

/** SNS's limit for the message plus its attributes. */
const maxPayloadBytes = 256 * 1024;

/** The envelope's signature fields keep SNS's shape; nothing local signs, so they say so. */
const unsignedSignature = Buffer.from("local SNS does not sign messages").toString("base64");

export class LocalTopic {
  readonly name: string;
  readonly arn: string;
  private readonly region: string;
  private readonly subscriptions: Subscription[] = [];

  constructor(options: { readonly name: string; readonly region: string; readonly accountId: string }) {
    this.name = options.name;
    this.region = options.region;
    this.arn = `arn:aws:sns:${options.region}:${options.accountId}:${options.name}`;
  }

  /** Subscribes a queue; returns the subscription ARN. */
  subscribe(queue: LocalQueue, options: SubscribeOptions = {}): string {
    const arn = `${this.arn}:${randomUUID()}`;
    this.subscriptions.push({ arn, queue, raw: options.rawMessageDelivery ?? false });
    return arn;
  }

  publish(input: PublishInput): PublishResult {
    validatePublish(input);
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    for (const subscription of this.subscriptions) {
      if (subscription.raw) {
        subscription.queue.send({
          MessageBody: input.Message,
          ...(input.MessageAttributes ? { MessageAttributes: toSqsAttributes(input.MessageAttributes) } : {}),
          senderId: "AIDALOCALSNS",
        });
      } else {
        subscription.queue.send({ MessageBody: this.envelope(messageId, timestamp, input, subscription.arn), senderId: "AIDALOCALSNS" });
      }
    }
    return { MessageId: messageId };
  }

  /** The JSON body SNS puts in an SQS message, with SNS's field order. */
  private envelope(messageId: string, timestamp: string, input: PublishInput, subscriptionArn: string): string {
    const attributes = input.MessageAttributes ? toEnvelopeAttributes(input.MessageAttributes) : undefined;
    return JSON.stringify({
      Type: "Notification",
      MessageId: messageId,
      TopicArn: this.arn,
      ...(input.Subject !== undefined ? { Subject: input.Subject } : {}),
      Message: input.Message,
      Timestamp: timestamp,
      SignatureVersion: "1",
      Signature: unsignedSignature,
      SigningCertURL: `https://sns.${this.region}.amazonaws.com/local-unsigned.pem`,
      UnsubscribeURL: `https://sns.${this.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
      ...(attributes && Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
    });
  }
}

function validatePublish(input: PublishInput): void {
  if (typeof input.Message !== "string" || input.Message.length === 0) {
    throw new SnsError("InvalidParameter", 400, "Invalid parameter: Empty message");
  }
  if (input.MessageStructure !== undefined) {
    throw new SnsError("InvalidParameter", 400, "Invalid parameter: MessageStructure is not supported by the local SNS");
  }
  let bytes = Buffer.byteLength(input.Message, "utf8");
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    const type = value?.DataType;
    if (typeof type !== "string" || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw new SnsError("InvalidParameter", 400, `Invalid parameter: The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const binary = type.startsWith("Binary");
    const present = binary ? value.BinaryValue !== undefined : typeof value.StringValue === "string" && value.StringValue.length > 0;
    if (!present) {
      throw new SnsError("InvalidParameter", 400, `Invalid parameter: The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(type) + (binary ? binaryOf(value.BinaryValue!).length : Buffer.byteLength(value.StringValue!));
  }
  if (bytes > maxPayloadBytes) {
    throw new SnsError("InvalidParameter", 400, "Invalid parameter: Message too long");
  }
}

/** `{ name: { Type, Value } }`, as the notification envelope carries attributes. */
function toEnvelopeAttributes(attributes: Readonly<Record<string, SnsMessageAttributeValue>>): Record<string, { Type: string; Value: string }> {
  const result: Record<string, { Type: string; Value: string }> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      Type: value.DataType,
      Value: value.DataType.startsWith("Binary") ? binaryOf(value.BinaryValue!).toString("base64") : value.StringValue!,
    };
  }
  return result;
}

function toSqsAttributes(attributes: Readonly<Record<string, SnsMessageAttributeValue>>): Record<string, SqsMessageAttributeValue> {
  const result: Record<string, SqsMessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = value.DataType.startsWith("Binary")
      ? { DataType: value.DataType, BinaryValue: binaryOf(value.BinaryValue!).toString("base64") }
      : { DataType: value.DataType, StringValue: value.StringValue! };
  }
  return result;
}

function binaryOf(value: string | Uint8Array): Buffer {
  return typeof value === "string" ? Buffer.from(value, "base64") : Buffer.from(value);
}
