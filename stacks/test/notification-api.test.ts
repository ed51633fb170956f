/**
 * The notification service's stack as a non-production stage (`test`) synthesizes it: its own HTTP
 * API, the queue's consumer as an SQS event source reporting batch item failures, the alarm on the
 * DLQ's depth, and least privilege for the consumer (its queue, its two tables, OpenSearch to write
 * its family, push on the LiveApi's @connections, nothing else); the Search stack's set-up maps its functions to their declared access.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import {
  declaredFunctionName,
  driverNotifications,
  driverNotificationsConsumer,
  notificationApi,
  tableNameVariable,
  tables,
  type RouteDeclaration,
} from "../../packages/functions/src/declarations.js";
import { Data } from "../Data.js";
import { Messaging } from "../Messaging.js";
import { NotificationApi } from "../NotificationApi.js";
import { Search } from "../Search.js";
import { searchRoleName, searchUserRoleName } from "../search-access.js";
import { listHttpApiRouteKeys, synthesizeBeforeAll } from "./support/synth-app.js";
import {
  functionByHandler,
  importOf,
  mentions,
  onlyResourceOfType,
  referencedLogicalId,
  resourcesOfType,
  rolePolicyStatements,
  type PolicyStatement,
} from "./support/template-queries.js";

const synthesized = synthesizeBeforeAll({ notification: NotificationApi, messaging: Messaging, data: Data, search: Search });

const consumerName = declaredFunctionName(driverNotifications.queueName, "consumer");
const consumer = () => functionByHandler(synthesized.notification, driverNotificationsConsumer.handler);
const queueNamed = (name: string) => {
  const found = resourcesOfType(synthesized.messaging, "AWS::SQS::Queue").filter(([, queue]) => queue.Properties?.QueueName === `test-haul-${name}`);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const tableId = (name: string) => resourcesOfType(synthesized.data, "AWS::DynamoDB::Table").find(([, table]) => table.Properties?.TableName === `test-haul-${name}`)![0];
const statementsOf = (fnId: string) => rolePolicyStatements(synthesized.notification, referencedLogicalId(synthesized.notification.toJSON().Resources[fnId].Properties.Role)!);
const actionsOf = (statement: PolicyStatement) => [statement.Action].flat();

describe("NotificationApi: the queue's consumer", () => {
  test("is an SQS event source on the driver-notification queue that reports batch item failures", () => {
    const [, mapping] = onlyResourceOfType(synthesized.notification, "AWS::Lambda::EventSourceMapping");
    const [queueId] = queueNamed(driverNotifications.queueName);
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: importOf(synthesized.messaging, { "Fn::GetAtt": [queueId, "Arn"] }),
      FunctionName: { Ref: consumer()[0] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: driverNotificationsConsumer.batchSize,
    });
    expect(mapping.Properties?.MaximumBatchingWindowInSeconds ?? 0).toBe(driverNotificationsConsumer.maxBatchingWindowSeconds);
  });

  test("runs for at most a sixth of the queue's visibility timeout; a message moves to the DLQ after five receives", () => {
    const [, fn] = consumer();
    const [, queue] = queueNamed(driverNotifications.queueName);
    const [, mapping] = onlyResourceOfType(synthesized.notification, "AWS::Lambda::EventSourceMapping");
    expect(fn.Properties?.Timeout).toBe(driverNotificationsConsumer.timeoutSeconds);
    expect(queue.Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties?.Timeout + (mapping.Properties?.MaximumBatchingWindowInSeconds ?? 0));
    expect(queue.Properties?.RedrivePolicy.maxReceiveCount).toBe(5);
  });

  test("raises an alarm as soon as the DLQ holds a message", () => {
    const [, alarm] = onlyResourceOfType(synthesized.notification, "AWS::CloudWatch::Alarm");
    const [deadLetterId] = queueNamed(driverNotifications.deadLetterQueueName);
    expect(alarm.Properties).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: importOf(synthesized.messaging, { "Fn::GetAtt": [deadLetterId, "QueueName"] }) }],
      Statistic: "Maximum",
      Period: 60,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
  });

  test("may consume its queue, use its two tables and reach OpenSearch, and nothing else", () => {
    const [queueId] = queueNamed(driverNotifications.queueName);
    const statements = statementsOf(consumer()[0]);
    const granted = statements.map((statement) => {
      const actions = actionsOf(statement);
      if (statement.Resource === "*") return `any: ${actions.sort().join(",")}`;
      if (actions.every((action) => action.startsWith("sqs:"))) {
        expect(statement.Resource).toEqual(importOf(synthesized.messaging, { "Fn::GetAtt": [queueId, "Arn"] }));
        return `sqs: ${actions.sort().join(",")}`;
      }
      if (actions.every((action) => action.startsWith("dynamodb:"))) {
        const table = Object.values(tables).filter((declared) => mentions(statement.Resource, `${declared.name}Table`));
        expect(table).toHaveLength(1);
        return `dynamodb ${table[0]!.name}`;
      }
      if (actions.every((action) => action.startsWith("es:ESHttp"))) return "es";
      if (actions.join() === "execute-api:ManageConnections") {
        // POST (push) on the LiveApi's @connections, and nothing else of it.
        expect([statement.Resource].flat()).toHaveLength(1);
        expect(JSON.stringify(statement.Resource)).toMatch(/\/POST\/@connections\/\*"/);
        return "execute-api: POST @connections";
      }
      return `unexpected: ${JSON.stringify(statement)}`;
    });
    expect(granted.sort()).toEqual(
      [
        "any: xray:PutTelemetryRecords,xray:PutTraceSegments",
        "dynamodb LiveConnections",
        "dynamodb NotificationIdempotency",
        "es",
        "execute-api: POST @connections",
        "sqs: sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage",
      ].sort(),
    );
    expect(mentions(statements, tableId(tables.trackingSessions.name))).toBe(false);
  });

  test("gets the variables of what it uses, runs in the VPC for OpenSearch, under the role name OpenSearch maps", () => {
    const [, fn] = consumer();
    const variables = Object.keys(fn.Properties?.Environment.Variables).filter((name) => name.startsWith("HAUL_"));
    expect(variables.sort()).toEqual(
      [
        tableNameVariable(tables.notificationIdempotency),
        tableNameVariable(tables.liveConnections),
        "HAUL_OPENSEARCH_URL",
        "HAUL_OPENSEARCH_AUTH",
        "HAUL_LIVE_API_CALLBACK_URL",
      ].sort(),
    );
    expect(fn.Properties?.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe("notification");
    expect(fn.Properties?.VpcConfig).toBeDefined();
    const role = synthesized.notification.toJSON().Resources[referencedLogicalId(fn.Properties?.Role)!];
    expect(role.Properties.RoleName).toBe(searchUserRoleName(synthesized.app, consumerName));
  });
});

describe("NotificationApi: the HTTP API", () => {
  test("serves exactly the declared routes, each behind the JWT authorizer, each function reaching OpenSearch alone", () => {
    expect(listHttpApiRouteKeys(synthesized.notification)).toEqual(Object.keys(notificationApi.routes).sort());
    for (const [routeKey, route] of Object.entries<RouteDeclaration>(notificationApi.routes)) {
      synthesized.notification.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: routeKey, AuthorizationType: "JWT" });
      const [fnId, fn] = functionByHandler(synthesized.notification, route.handler);
      const actions = statementsOf(fnId).flatMap(actionsOf);
      expect(actions.filter((action) => !action.startsWith("es:ESHttp") && !action.startsWith("xray:")), routeKey).toEqual([]);
      expect(fn.Properties?.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe("notification");
    }
    expect(Object.keys(synthesized.notification.toJSON().Outputs)).toContain(`${notificationApi.name}Url`);
  });

  test("has the Search set-up map each of its functions to exactly its declared access to the message family", () => {
    const { grants } = JSON.parse(joined(onlyResourceOfType(synthesized.search, "Custom::SSTScript")[1].Properties?.UserParams)) as {
      grants: Array<{ roleName: string; indexPermissions: unknown }>;
    };
    const family = ["reservation-messages", "reservation-messages-*"];
    const permissionsOf = (name: string) => grants.find((grant) => grant.roleName === searchRoleName(name))?.indexPermissions;
    expect(permissionsOf(consumerName)).toEqual([{ indexPatterns: family, allowedActions: ["index", "create_index"] }]);
    expect(permissionsOf(declaredFunctionName(notificationApi.name, "GET /messages"))).toEqual([{ indexPatterns: family, allowedActions: ["read"] }]);
    expect(permissionsOf(declaredFunctionName(notificationApi.name, "POST /drivers/{id}/messages/read"))).toEqual([
      { indexPatterns: family, allowedActions: ["read", "index", "create_index"] },
    ]);
  });
});

/** A `Fn::Join` read back as one string (references as `<...>`), as the Script's params are synthesized. */
function joined(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) throw new Error(`Not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1].map((part) => (typeof part === "string" ? part : `<${JSON.stringify(part).replaceAll('"', "'")}>`)).join(join[0]);
}
