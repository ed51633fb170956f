import { Duration } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Queue, Topic, type StackContext } from "sst/constructs";
import { driverNotifications } from "../packages/functions/src/declarations.js";
import { suppressSstInternalFindings } from "./nag-suppressions.js";

/** Longer than the queue's own retention: a message keeps its first enqueue time when it moves to the DLQ. */
const deadLetterRetention = Duration.days(14);
const queueRetention = Duration.days(4);

/**
 * Driver notifications: the workflow publishes to an SNS topic, and a queue subscribed to it keeps
 * each message until the notification service's consumer takes it. Names are the declaration's,
 * prefixed `<stage>-haul-` like the local cloud's.
 */
export function Messaging({ stack }: StackContext) {
  const deadLetterQueue = new Queue(stack, driverNotifications.deadLetterQueueName, {
    cdk: {
      queue: {
        // SQS-managed keys: SNS cannot deliver to a queue under the AWS managed KMS key.
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: deadLetterRetention,
      },
    },
  });

  const queue = new Queue(stack, driverNotifications.queueName, {
    cdk: {
      queue: {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: queueRetention,
        visibilityTimeout: Duration.seconds(driverNotifications.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue.cdk.queue, maxReceiveCount: driverNotifications.maxReceiveCount },
      },
    },
  });

  // A customer managed key: its use is granted per publisher (the workflow's role), and it rotates yearly.
  const topicKey = new kms.Key(stack, "DriverNotificationsKey", {
    description: "Encrypts the driver notifications topic at rest",
    enableKeyRotation: true,
  });

  const topic = new Topic(stack, driverNotifications.topicName, {
    cdk: { topic: { masterKey: topicKey, enforceSSL: true } },
    subscribers: {
      queue: {
        type: "queue",
        queue,
        cdk: {
          subscription: {
            // Off: consumers read the SNS envelope, whose Message carries the eventId they deduplicate on.
            rawMessageDelivery: false,
            // Deliveries SNS cannot make (a broken queue policy, say) are kept, not dropped.
            deadLetterQueue: deadLetterQueue.cdk.queue,
          },
        },
      },
    },
  });

  stack.addOutputs({
    [`${driverNotifications.topicName}TopicArn`]: topic.topicArn,
    [`${driverNotifications.queueName}Url`]: queue.queueUrl,
    [`${driverNotifications.queueName}Arn`]: queue.queueArn,
    [`${driverNotifications.deadLetterQueueName}Url`]: deadLetterQueue.queueUrl,
    [`${driverNotifications.deadLetterQueueName}Arn`]: deadLetterQueue.queueArn,
  });

  suppressSstInternalFindings(stack);

  return { topic, queue, deadLetterQueue };
}
