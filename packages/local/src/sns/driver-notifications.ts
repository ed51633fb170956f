/**
 * The driver-notification topic with its subscribed queue and dead-letter queue, named from
 * the declaration as the cloud names them (`<stage>-haul-DriverNotifications`, ...). The
 * queue keeps every published message until a consumer receives and deletes it.
 */
import { driverNotifications } from "@haul/functions/declarations";
import { appName } from "../config.js";
import { LocalQueue } from "../sqs/queue.js";
import { LocalTopic, SnsError, type PublishInput, type PublishResult } from "./topic.js";

export interface DriverNotificationsOptions {
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  /** Default: the declaration's; tests may shorten the visibility timeout. */
  readonly declaration?: {
    readonly topicName: string;
    readonly queueName: string;
    readonly deadLetterQueueName: string;
    readonly maxReceiveCount: number;
    readonly visibilityTimeoutSeconds: number;
  };
}

export interface LocalDriverNotifications {
  readonly topic: LocalTopic;
  readonly queue: LocalQueue;
  readonly deadLetterQueue: LocalQueue;
  /** SNS `Publish`, addressed by `TopicArn` (or `TargetArn`) like the real API. */
  publish(input: PublishInput): PublishResult;
  /** Ends pending long polls. */
  stop(): void;
}

export function createDriverNotifications(options: DriverNotificationsOptions): LocalDriverNotifications {
  const declaration = options.declaration ?? driverNotifications;
  const physical = (name: string) => `${options.stage}-${appName}-${name}`;
  const place = { region: options.region, accountId: options.accountId };
  // SQS's default visibility timeout for the DLQ: nothing consumes it automatically.
  const deadLetterQueue = new LocalQueue({ name: physical(declaration.deadLetterQueueName), ...place });
  const queue = new LocalQueue({
    name: physical(declaration.queueName),
    ...place,
    visibilityTimeoutSeconds: declaration.visibilityTimeoutSeconds,
    deadLetter: { queue: deadLetterQueue, maxReceiveCount: declaration.maxReceiveCount },
  });
  const topic = new LocalTopic({ name: physical(declaration.topicName), ...place });
  topic.subscribe(queue);

  return {
    topic,
    queue,
    deadLetterQueue,
    publish(input) {
      const arn = input.TopicArn ?? input.TargetArn;
      if (!arn) throw new SnsError("InvalidParameter", 400, "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
      if (arn !== topic.arn) throw new SnsError("NotFound", 404, "Topic does not exist");
      return topic.publish(input);
    },
    stop() {
      queue.close();
      deadLetterQueue.close();
    },
  };
}
