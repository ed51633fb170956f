/**
 * The local stand-in for one SQS standard queue, in process. A message waits until a consumer
 * receives it, stays invisible for the visibility timeout, comes back if it was not deleted
 * in time, and moves to the dead-letter queue once it has been received `maxReceiveCount`
 * times. Receives take up to 10 messages and may long-poll. Not modelled: delays, FIFO,
 * retention expiry, size limits.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";

export interface SqsMessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64, as the JSON protocol and the Lambda event carry it. */
  readonly BinaryValue?: string;
}

export interface SendMessageInput {
  readonly MessageBody: string;
  readonly MessageAttributes?: Readonly<Record<string, SqsMessageAttributeValue>>;
  /** Who sent it (the `SenderId` attribute); SNS deliveries pass their own. */
  readonly senderId?: string;
}

export interface SendMessageResult {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
}

export interface ReceiveMessageInput {
  /** 1 to 10; default 1. */
  readonly MaxNumberOfMessages?: number;
  /** Overrides the queue's visibility timeout for these messages. */
  readonly VisibilityTimeout?: number;
  /** 0 to 20: wait this long for a message when none is visible (long polling). */
  readonly WaitTimeSeconds?: number;
}

export interface ReceivedMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MD5OfBody: string;
  readonly Body: string;
  readonly Attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly ApproximateFirstReceiveTimestamp: string;
    readonly SenderId: string;
    readonly DeadLetterQueueSourceArn?: string;
  };
  readonly MessageAttributes?: Readonly<Record<string, SqsMessageAttributeValue>>;
}

export interface QueueCounts {
  readonly ApproximateNumberOfMessages: number;
  readonly ApproximateNumberOfMessagesNotVisible: number;
  readonly ApproximateNumberOfMessagesDelayed: number;
}

/** An SQS error by its API name, e.g. `ReceiptHandleIsInvalid`. */
export class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  /** SQS's default is 30 s. */
  readonly visibilityTimeoutSeconds?: number;
  readonly deadLetter?: { readonly queue: LocalQueue; readonly maxReceiveCount: number };
}

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly attributes: Readonly<Record<string, SqsMessageAttributeValue>> | undefined;
  readonly sentAt: number;
  readonly senderId: string;
  readonly sourceQueueArn: string | undefined;
  state: "visible" | "invisible" | "gone";
  receiveCount: number;
  firstReceivedAt: number;
  receiptHandle: string;
  visibleAt: number;
}

const maxBatch = 10;
const maxWaitSeconds = 20;
const maxVisibilityTimeoutSeconds = 43_200;

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  /** The queue's URL as SQS would give it; an identifier here, nothing listens on it. */
  readonly url: string;
  private readonly visibilityTimeoutMs: number;
  private readonly deadLetter: LocalQueueOptions["deadLetter"];
  /** Visible messages in arrival order; entries that left meanwhile are skipped lazily. */
  private visible: StoredMessage[] = [];
  private visibleHead = 0;
  private visibleCount = 0;
  private readonly invisible = new Map<string, StoredMessage>();
  /** Every message not yet deleted or moved, by id. */
  private readonly live = new Map<string, StoredMessage>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:${options.region}:${options.accountId}:${options.name}`;
    this.url = `https://sqs.${options.region}.amazonaws.com/${options.accountId}/${options.name}`;
    this.visibilityTimeoutMs = (options.visibilityTimeoutSeconds ?? 30) * 1000;
    this.deadLetter = options.deadLetter;
  }

  send(input: SendMessageInput): SendMessageResult {
    if (typeof input.MessageBody !== "string" || input.MessageBody.length === 0) {
      throw new SqsError("MissingParameter", "The request must contain the parameter MessageBody.");
    }
    const message: StoredMessage = {
      id: randomUUID(),
      body: input.MessageBody,
      md5: md5(input.MessageBody),
      attributes: input.MessageAttributes && Object.keys(input.MessageAttributes).length > 0 ? input.MessageAttributes : undefined,
      sentAt: Date.now(),
      senderId: input.senderId ?? "AIDALOCALSENDER",
      sourceQueueArn: undefined,
      state: "visible",
      receiveCount: 0,
      firstReceivedAt: 0,
      receiptHandle: "",
      visibleAt: 0,
    };
    this.enqueue(message);
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  /** Takes up to `MaxNumberOfMessages` visible messages, waiting up to `WaitTimeSeconds` for one. */
  async receive(input: ReceiveMessageInput = {}): Promise<ReceivedMessage[]> {
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > maxBatch) {
      throw new SqsError("InvalidParameterValue", `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const waitSeconds = input.WaitTimeSeconds ?? 0;
    if (!(waitSeconds >= 0 && waitSeconds <= maxWaitSeconds)) {
      throw new SqsError("InvalidParameterValue", `Value ${waitSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    }
    const visibilityMs = input.VisibilityTimeout === undefined ? this.visibilityTimeoutMs : checkVisibilityTimeout(input.VisibilityTimeout) * 1000;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const batch = this.take(max, visibilityMs);
      if (batch.length > 0 || this.closed || Date.now() >= deadline) return batch;
      await this.waitForChange(deadline);
    }
  }

  /**
   * Deletes a received message. Like SQS, a receipt handle from an earlier receive of a
   * message that has since been received again succeeds without deleting it.
   */
  delete(receiptHandle: string): void {
    const message = this.findByReceipt(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle || message.state === "gone") return;
    if (message.state === "visible") this.visibleCount--;
    else this.invisible.delete(message.id);
    this.forget(message);
  }

  /** Makes a received message visible again after `seconds` (0: at once). */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.findByReceipt(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle || message.state !== "invisible") {
      throw new SqsError("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.");
    }
    message.visibleAt = Date.now() + checkVisibilityTimeout(seconds) * 1000;
    this.notify();
  }

  counts(): QueueCounts {
    this.restoreExpired(Date.now());
    return {
      ApproximateNumberOfMessages: this.visibleCount,
      ApproximateNumberOfMessagesNotVisible: this.invisible.size,
      ApproximateNumberOfMessagesDelayed: 0,
    };
  }

  purge(): void {
    for (const message of this.live.values()) message.state = "gone";
    this.live.clear();
    this.visible = [];
    this.visibleHead = 0;
    this.visibleCount = 0;
    this.invisible.clear();
  }

  /** Ends pending long polls (they return no messages); used when the local cloud stops. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /** A message whose receives ran out, moved here from its source queue with its id and body. */
  acceptDeadLetter(message: Omit<StoredMessage, "state" | "receiveCount" | "firstReceivedAt" | "receiptHandle" | "visibleAt" | "sourceQueueArn">, sourceQueueArn: string): void {
    this.enqueue({ ...message, sourceQueueArn, state: "visible", receiveCount: 0, firstReceivedAt: 0, receiptHandle: "", visibleAt: 0 });
  }

  private enqueue(message: StoredMessage): void {
    this.live.set(message.id, message);
    this.visible.push(message);
    this.visibleCount++;
    this.notify();
  }

  private take(max: number, visibilityMs: number): ReceivedMessage[] {
    const now = Date.now();
    this.restoreExpired(now);
    const batch: ReceivedMessage[] = [];
    while (batch.length < max && this.visibleHead < this.visible.length) {
      const message = this.visible[this.visibleHead++]!;
      if (message.state !== "visible") continue;
      this.visibleCount--;
      message.state = "invisible";
      message.receiveCount++;
      if (message.receiveCount === 1) message.firstReceivedAt = now;
      message.receiptHandle = newReceiptHandle(message.id);
      message.visibleAt = now + visibilityMs;
      this.invisible.set(message.id, message);
      batch.push(toReceived(message));
    }
    this.compact();
    return batch;
  }

  /** Messages whose visibility timeout ran out become visible again, or go to the DLQ. */
  private restoreExpired(now: number): void {
    for (const message of this.invisible.values()) {
      if (message.visibleAt > now) continue;
      this.invisible.delete(message.id);
      if (this.deadLetter && message.receiveCount >= this.deadLetter.maxReceiveCount) {
        this.forget(message);
        this.deadLetter.queue.acceptDeadLetter(message, this.arn);
        continue;
      }
      message.state = "visible";
      this.visible.push(message);
      this.visibleCount++;
    }
  }

  private compact(): void {
    // Drop the consumed head now and then, so the array does not grow without bound.
    if (this.visibleHead > 1024 && this.visibleHead * 2 > this.visible.length) {
      this.visible = this.visible.slice(this.visibleHead);
      this.visibleHead = 0;
    }
  }

  private findByReceipt(receiptHandle: string): StoredMessage | undefined {
    const id = messageIdOf(receiptHandle);
    if (id === undefined) {
      throw new SqsError("ReceiptHandleIsInvalid", `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    }
    return this.live.get(id);
  }

  private forget(message: StoredMessage): void {
    message.state = "gone";
    this.live.delete(message.id);
  }

  private waitForChange(deadline: number): Promise<void> {
    let nextExpiry = deadline;
    for (const message of this.invisible.values()) nextExpiry = Math.min(nextExpiry, message.visibleAt);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, nextExpiry - Date.now()));
      this.waiters.add(wake);
    });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

function toReceived(message: StoredMessage): ReceivedMessage {
  return {
    MessageId: message.id,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5,
    Body: message.body,
    Attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      SenderId: message.senderId,
      ...(message.sourceQueueArn ? { DeadLetterQueueSourceArn: message.sourceQueueArn } : {}),
    },
    ...(message.attributes ? { MessageAttributes: message.attributes } : {}),
  };
}

function checkVisibilityTimeout(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > maxVisibilityTimeoutSeconds) {
    throw new SqsError("InvalidParameterValue", `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
  }
  return seconds;
}

/** A new handle per receive, as SQS gives; it names the message so delete can find it. */
function newReceiptHandle(messageId: string): string {
  return Buffer.from(`${messageId} ${randomBytes(12).toString("hex")}`).toString("base64url");
}

function messageIdOf(receiptHandle: string): string | undefined {
  if (typeof receiptHandle !== "string" || receiptHandle.length === 0) return undefined;
  const decoded = Buffer.from(receiptHandle, "base64url").toString("utf8");
  const space = decoded.indexOf(" ");
  return space > 0 ? decoded.slice(0, space) : undefined;
}

function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}
