import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Function as SstFunction, use, type StackContext } from "sst/constructs";
import {
  declaredFunctionName,
  driverNotifications,
  driverNotificationsConsumer,
  notificationApi,
  type FunctionUse,
} from "../packages/functions/src/declarations.js";
import { Data } from "./Data.js";
import { functionAccess } from "./function-access.js";
import { LiveApi } from "./LiveApi.js";
import { subscribeFunctionLogs } from "./log-subscriptions.js";
import { Messaging } from "./Messaging.js";
import { suppressFunctionRoleFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Observability } from "./Observability.js";
import { Search } from "./Search.js";
import { createServiceHttpApi } from "./service-http-api.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

/**
 * The notification service: its own HTTP API over the drivers' message history (OpenSearch), and
 * the consumer of the driver-notification queue (stacks/Messaging.ts): an SQS event source with
 * ReportBatchItemFailures, so one failing message fails alone. A message that keeps failing moves
 * to the DLQ after `maxReceiveCount` receives; an alarm goes off as soon as the DLQ holds one.
 *
 * The consumer pushes through the LiveApi (its own stack): its declared `liveApiConnections` use
 * gives it HAUL_LIVE_API_CALLBACK_URL and `execute-api:ManageConnections` (POST) on that API's
 * `@connections` only. Without the variable it would store every message and push none.
 */
export function NotificationApi(context: StackContext) {
  const { stack, app } = context;
  const { refiner } = use(Observability);
  const { api } = createServiceHttpApi(context, notificationApi, { logRefiner: refiner });
  const messaging = use(Messaging);
  const access = functionAccess({ network: use(Network), data: use(Data), search: use(Search), liveApi: use(LiveApi) });

  const { timeoutSeconds, maxBatchingWindowSeconds } = driverNotificationsConsumer;
  const uses: readonly FunctionUse[] = driverNotificationsConsumer.uses;
  const props = access.props(uses);
  const consumer = new SstFunction(stack, driverNotificationsConsumer.name, {
    ...props,
    handler: driverNotificationsConsumer.handler,
    timeout: timeoutSeconds,
    environment: { ...powertoolsEnvironment(driverNotificationsConsumer.service), ...props.environment },
  });
  access.grant(consumer, uses, declaredFunctionName(driverNotifications.queueName, "consumer"));
  subscribeFunctionLogs([consumer], refiner);

  // A message taken by one invocation must stay hidden until that invocation (and Lambda's retries
  // of a throttled one) is surely over: AWS advises six times the timeout, plus the batching window.
  if (driverNotifications.visibilityTimeoutSeconds < 6 * timeoutSeconds + maxBatchingWindowSeconds) {
    throw new Error(
      `The queue's visibility timeout (${driverNotifications.visibilityTimeoutSeconds} s) must be at least six times the consumer's timeout (${timeoutSeconds} s) plus its batching window (${maxBatchingWindowSeconds} s)`,
    );
  }
  // Grants the function exactly what polling needs on this queue: receive, delete, change visibility, attributes.
  consumer.addEventSource(
    new SqsEventSource(messaging.queue.cdk.queue, {
      batchSize: driverNotificationsConsumer.batchSize,
      ...(maxBatchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(maxBatchingWindowSeconds) } : {}),
      reportBatchItemFailures: true,
    }),
  );

  // A message in the DLQ is a notification that failed every receive: someone must look at it.
  const deadLetters = new cloudwatch.Alarm(stack, "DriverNotificationsDlqNotEmpty", {
    alarmName: app.logicalPrefixedName("DriverNotificationsDlqNotEmpty"),
    alarmDescription:
      `Driver notifications failed ${driverNotifications.maxReceiveCount} times and wait in the DLQ ` +
      `(${app.logicalPrefixedName(driverNotifications.deadLetterQueueName)}); read the consumer's logs, fix, then redrive.`,
    metric: messaging.deadLetterQueue.cdk.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // SQS sends no data point for an idle queue: nothing there.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  stack.addOutputs({ DriverNotificationsDlqAlarmName: deadLetters.alarmName });

  suppressFunctionRoleFindings([consumer]);

  return { api, consumer, deadLetters };
}
