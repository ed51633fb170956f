import { ArnFormat, Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { NagSuppressions } from "cdk-nag";
import { Function as SstFunction, use, type StackContext } from "sst/constructs";
import { declaredFunctionName, logRefinement, observabilityApi, type LogSubscriberDeclaration } from "../packages/functions/src/declarations.js";
import { Data } from "./Data.js";
import { functionAccess } from "./function-access.js";
import { createFunctionLogGroup, type LogRefiner } from "./log-subscriptions.js";
import { suppressFunctionRoleFindings } from "./nag-suppressions.js";
import { Network } from "./Network.js";
import { Search } from "./Search.js";
import { createServiceHttpApi } from "./service-http-api.js";
import { powertoolsEnvironment } from "./powertools-environment.js";

/** Lambda's own retries of a failed asynchronous invocation, before the batch goes to the on-failure queue. */
const refinerRetryAttempts = 2;

/**
 * The observability service: the log refiner, which every other stack's function and access log
 * groups are subscribed to (stacks/log-subscriptions.ts), and the operators' ObservabilityApi over
 * the refined `api-logs` documents. It comes before every stack with functions, so that theirs can
 * name the refiner; CloudWatch Logs' permission to invoke it is granted here, once.
 *
 * CloudWatch Logs invokes the refiner asynchronously: a batch that still fails after Lambda's
 * retries goes to an encrypted SQS queue (the on-failure destination, with the batch itself), and
 * an alarm goes off as soon as one is there.
 */
export function Observability(context: StackContext) {
  const { stack, app } = context;
  const access = functionAccess({ network: use(Network), data: use(Data), search: use(Search) });

  const declaration: LogSubscriberDeclaration = logRefinement.refiner;
  const props = access.props(declaration.uses);
  const refinerFunction = new SstFunction(stack, declaration.name, {
    ...props,
    handler: declaration.handler,
    timeout: declaration.timeoutSeconds,
    environment: { ...powertoolsEnvironment(declaration.service), ...props.environment },
  });
  access.grant(refinerFunction, declaration.uses, declaredFunctionName(declaration.name, "subscriber"));
  // Its own log group has the retention, and no subscription: the refiner must not feed itself.
  createFunctionLogGroup(refinerFunction, undefined);

  const failures = new sqs.Queue(stack, "LogRefinerFailures", {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // The longest SQS keeps a message: time to fix the refiner and replay.
    retentionPeriod: Duration.days(14),
  });
  // Grants the function sqs:SendMessage on the queue.
  refinerFunction.configureAsyncInvoke({ onFailure: new SqsDestination(failures), retryAttempts: refinerRetryAttempts });

  // Function log group names are generated with the functions, so the permission names the account's log groups.
  const invokePermission = new lambda.CfnPermission(stack, "LogRefinerInvokedByCloudWatchLogs", {
    action: "lambda:InvokeFunction",
    functionName: refinerFunction.functionArn,
    principal: "logs.amazonaws.com",
    sourceAccount: stack.account,
    sourceArn: stack.formatArn({ service: "logs", resource: "log-group", resourceName: "*", arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  });
  const refiner: LogRefiner = { fn: refinerFunction, invokePermission };

  const refinerFailures = new cloudwatch.Alarm(stack, "LogRefinerFailuresNotEmpty", {
    alarmName: app.logicalPrefixedName("LogRefinerFailuresNotEmpty"),
    alarmDescription:
      `Log batches the refiner failed on (after ${refinerRetryAttempts} retries) wait in the on-failure queue; ` +
      "read the refiner's logs, fix, then replay them (each message holds the original CloudWatch Logs event).",
    metric: failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // SQS sends no data point for an idle queue: nothing there.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  const { api } = createServiceHttpApi(context, observabilityApi, { logRefiner: refiner });

  stack.addOutputs({
    LogRefinerFailuresQueueName: failures.queueName,
    LogRefinerFailuresAlarmName: refinerFailures.alarmName,
  });

  suppressFunctionRoleFindings([refinerFunction]);
  NagSuppressions.addResourceSuppressions(failures, [
    {
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the dead-letter destination: the log refiner's on-failure destination, watched by the LogRefinerFailuresNotEmpty alarm.",
    },
  ]);

  return { api, refiner, failures, refinerFailures };
}
