/**
 * The cloud and the local cloud are built from one declaration (packages/functions/src/declarations.ts);
 * this checks the result, not the intent, for every kind of declaration it holds: what the
 * synthesized app will run and what the local cloud runs must be the same.
 *
 * - HTTP APIs: the routes of each synthesized HTTP API equal those its local gateway serves.
 * - WebSocket APIs: routes, the `$connect` authorizer and its identity source, route responses and
 *   the access log's fields, in the template and from the local WebSocket gateway.
 * - Tables: keys, attribute types and indexes of the synthesized tables equal those of the tables
 *   the local cloud creates in dynalite (packages/local/src/dynamodb/tables.ts).
 * - The workflow: every Task state runs the same thing (a declared function's handler, a DynamoDB
 *   action, an SNS publish) in the synthesized state machine and in the local one.
 * - Queue consumers: the event source mapping as declared, on the queue the local cloud names alike.
 * - Scheduled functions: an EventBridge rule with the declared schedule, targeting the function that
 *   runs the declared handler with the declared timeout.
 * - The driver-positions pipeline: the Kinesis stream and the Firehose delivery stream with the
 *   declared names and settings (the local stand-ins take the same `driverPositions` object).
 * - Log refinement: the synthesized subscription filters carry exactly the declared patterns, and
 *   each compiles with the local cloud's matcher (packages/core/src/observability/filter-pattern.ts),
 *   which the local cloud applies to the same strings; the refiner runs the declared handler.
 *   (stacks/test/observability.test.ts checks which log groups carry which filter.)
 * A declaration of a kind none of these covers fails the first test until it is.
 */
import { DescribeTableCommand, DynamoDBClient, type TableDescription } from "@aws-sdk/client-dynamodb";
import { Template } from "aws-cdk-lib/assertions";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilterPattern } from "../../packages/core/src/observability/filter-pattern.js";
import * as declarations from "../../packages/functions/src/declarations.js";
import {
  cors,
  driverNotifications,
  driverNotificationsConsumer,
  driverPositions,
  httpApis,
  logRefinement,
  scheduledFunctions,
  reservationWorkflow,
  tables,
  webSocketApis,
  type QueueConsumerDeclaration,
  type TableDeclaration,
  type WebSocketApiDeclaration,
  type WebSocketRouteDeclaration,
} from "../../packages/functions/src/declarations.js";
import { repoRoot } from "../../packages/local/src/config.js";
import { startDynalite, type RunningDynalite } from "../../packages/local/src/dynamodb/dynalite-server.js";
import { ensureTables, physicalTableName } from "../../packages/local/src/dynamodb/tables.js";
import { startHttpApiGateway } from "../../packages/local/src/gateway/http-api-gateway.js";
import { createDriverNotifications } from "../../packages/local/src/sns/driver-notifications.js";
import { startSqsEventSource } from "../../packages/local/src/sqs/event-source-mapping.js";
import { forEachState, loadWorkflow, type JsonObject } from "../../packages/local/src/stepfunctions/definition.js";
import { startLiveEnvironment, type LiveEnvironment, type TestGateway } from "../../packages/local/test/fixtures/live-environment.js";
import { connect, connected, nextMessage } from "../../packages/local/test/fixtures/websocket-client.js";
import { Data } from "../Data.js";
import { Messaging } from "../Messaging.js";
import { Workflow } from "../Workflow.js";
import { synthesizeApp, synthesizedHttpApiRouteKeys, type SynthesizedApp } from "./support/synth-app.js";
import { importOf, onlyResourceOfType, referencedLogicalId, resourcesOfType, type SynthesizedResource } from "./support/template-queries.js";

const region = "us-east-1";
const accountId = "000000000000";
/** The local side runs under a stage of its own, to show that names differ only by the stage. */
const localStage = "parity";
const synthesizedStage = "test";

let synthesized: SynthesizedApp;

// Synthesis (bundling every function) takes longer than one test's timeout on a busy machine.
beforeAll(async () => {
  synthesized = await synthesizeApp({ stage: synthesizedStage });
}, 300_000);

/** The template of the stack SST names `<stage>-haul-<name>`. */
const templateOfStack = (name: string) => Template.fromJSON(synthesized.assembly.getStackByName(synthesized.app.logicalPrefixedName(name)).template);
/** The function a template's `{ Fn::GetAtt: [id, "Arn"] }` or `{ Ref: id }` names, by its handler. */
const handlerOf = (template: Template, reference: unknown) => {
  const functionId = referencedLogicalId(reference);
  const fn = functionId ? template.toJSON().Resources[functionId] : undefined;
  if (fn?.Type !== "AWS::Lambda::Function") throw new Error(`Not a function of the template: ${JSON.stringify(reference)}`);
  return String(fn.Properties.Handler);
};

it("covers every kind of declaration there is", () => {
  // Values only (types leave nothing at run time). A new export lands here first: give it its parity check below.
  const checkedBelow = {
    httpApis: "HTTP APIs",
    reservationApi: "HTTP APIs (in httpApis)",
    queryApi: "HTTP APIs (in httpApis)",
    notificationApi: "HTTP APIs (in httpApis)",
    trackingApi: "HTTP APIs (in httpApis)",
    observabilityApi: "HTTP APIs (in httpApis)",
    logRefinement: "log refinement",
    scheduledFunctions: "scheduled functions",
    latestPositionsPush: "scheduled functions (in scheduledFunctions)",
    workflowReconciler: "scheduled functions (in scheduledFunctions)",
    driverPositions: "the driver-positions pipeline",
    cors: "HTTP APIs (each local gateway is started with it and the site's origins; stacks/test/app.test.ts and web.test.ts check the cloud's)",
    webSocketApis: "WebSocket APIs",
    liveApi: "WebSocket APIs (in webSocketApis)",
    tables: "tables",
    reservationWorkflow: "the workflow",
    driverNotifications: "queue consumers (the queue they read)",
    driverNotificationsConsumer: "queue consumers",
    correlationIdHeader: "not infrastructure: a header name handlers and gateways share",
    throttle: "throttling (stacks/test/throttling.test.ts checks the stages, packages/local/test/throttle.test.ts the local gateways)",
  };
  const values = Object.entries(declarations).filter(([, value]) => typeof value !== "function").map(([name]) => name);
  expect(values.sort()).toEqual(Object.keys(checkedBelow).sort());
  expect(httpApis).toEqual(expect.arrayContaining([declarations.reservationApi, declarations.queryApi, declarations.notificationApi, declarations.trackingApi, declarations.observabilityApi]));
  expect(scheduledFunctions).toEqual([declarations.latestPositionsPush, declarations.workflowReconciler]);
  expect(webSocketApis).toEqual([declarations.liveApi]);
});

describe("HTTP APIs", () => {
  let synthesizedRoutes: Record<string, string[]>;

  beforeAll(async () => {
    synthesizedRoutes = await synthesizedHttpApiRouteKeys();
  }, 300_000);

  it.each(httpApis.map((api) => [api.name, api] as const))("%s exposes the same routes in both", async (_name, api) => {
    const gateway = await startHttpApiGateway({
      api,
      cors: { ...cors, allowOrigins: ["http://127.0.0.1:4010"] },
      authorizer: { issuer: "http://127.0.0.1:1", audience: ["parity"] },
      host: "127.0.0.1",
      port: 0,
      root: repoRoot,
      resourcePrefix: "parity",
    });
    try {
      expect(synthesizedRoutes[api.name]).toBeDefined();
      expect([...gateway.listRoutes()].sort()).toEqual([...synthesizedRoutes[api.name]!].sort());
    } finally {
      await gateway.stop();
    }
  });
});

describe.each(webSocketApis.map((api) => [api.name, api] as const))("WebSocket API %s", (_name, api: WebSocketApiDeclaration) => {
  const routes = Object.entries<WebSocketRouteDeclaration>(api.routes);
  let template: Template;
  let env: LiveEnvironment;
  let gateway: TestGateway;

  beforeAll(async () => {
    template = templateOfStack(api.name);
    env = await startLiveEnvironment();
    gateway = await env.startGateway({ api });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  const cfnRoutes = () => resourcesOfType(template, "AWS::ApiGatewayV2::Route");
  const cfnRoute = (routeKey: string) => cfnRoutes().find(([, route]) => route.Properties?.RouteKey === routeKey)!;
  const withToken = async (role: "driver" | "customer" | "operator") => `${gateway.url}?token=${encodeURIComponent(await env.token(role, `parity-${role}`))}`;

  it("has the same routes in both, routed by the same expression", () => {
    const synthesizedKeys = cfnRoutes().map(([, route]) => String(route.Properties?.RouteKey));
    expect(synthesizedKeys.sort()).toEqual([...gateway.listRoutes()].sort());
    expect(synthesizedKeys.sort()).toEqual(Object.keys(api.routes).sort());
    expect(onlyResourceOfType(template, "AWS::ApiGatewayV2::Api")[1].Properties?.RouteSelectionExpression).toBe(api.routeSelectionExpression);
  });

  it("runs each route on the declared handler in the cloud (the local gateway loads the declared handler itself)", () => {
    const synthesizedHandlers = Object.fromEntries(
      routes.map(([routeKey]) => {
        const integrationId = referencedLogicalId(cfnRoute(routeKey)[1].Properties?.Target["Fn::Join"][1][1]);
        const integration = template.toJSON().Resources[integrationId!];
        return [routeKey, handlerOf(template, integration.Properties.IntegrationUri["Fn::Join"][1][3])];
      }),
    );
    expect(synthesizedHandlers).toEqual(Object.fromEntries(routes.map(([routeKey, route]) => [routeKey, route.handler])));
  });

  it("authorizes $connect only, with the declared handler and identity source, in both", async () => {
    const [authorizerId, authorizer] = onlyResourceOfType(template, "AWS::ApiGatewayV2::Authorizer");
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: "REQUEST", IdentitySource: [...api.authorizer.identitySource] });
    expect(handlerOf(template, authorizer.Properties?.AuthorizerUri["Fn::Join"][1][3])).toBe(api.authorizer.handler);
    const authorizedRoutes = cfnRoutes().filter(([, route]) => route.Properties?.AuthorizerId !== undefined);
    expect(authorizedRoutes.map(([, route]) => route.Properties)).toEqual([expect.objectContaining({ RouteKey: "$connect", AuthorizerId: { Ref: authorizerId } })]);

    // API Gateway refuses an upgrade without the identity source (401) before the authorizer runs;
    // the authorizer refuses a role it does not admit (403) and admits the declared roles.
    expect(await connect(gateway.url)).toMatchObject({ status: 401 });
    const notAdmitted = (["driver", "customer", "operator"] as const).filter((role) => !api.authorizer.roles.includes(role));
    for (const role of notAdmitted) expect(await connect(await withToken(role))).toMatchObject({ status: 403 });
    for (const role of api.authorizer.roles) {
      const socket = await connected(await withToken(role as "driver" | "customer"));
      socket.close();
    }
  });

  it("answers the routes declared two-way, and only those, in both", async () => {
    const responded = resourcesOfType(template, "AWS::ApiGatewayV2::RouteResponse").map(([, response]) => referencedLogicalId(response.Properties?.RouteId));
    const twoWay = routes.filter(([, route]) => route.returnResponse).map(([routeKey]) => routeKey);
    expect(responded.sort()).toEqual(twoWay.map((routeKey) => cfnRoute(routeKey)[0]).sort());

    // Locally: a message for each message route (`$default` takes an action no route has).
    const socket = await connected(await withToken(api.authorizer.roles[0] as "driver" | "customer"));
    try {
      for (const [routeKey, route] of routes.filter(([key]) => key !== "$connect" && key !== "$disconnect")) {
        const reply = nextMessage(socket, route.returnResponse ? 5_000 : 300).then(
          () => true,
          () => false,
        );
        socket.send(JSON.stringify({ action: routeKey === "$default" ? "no-such-action-parity" : routeKey }));
        expect({ routeKey, answered: await reply }).toEqual({ routeKey, answered: route.returnResponse ?? false });
      }
    } finally {
      socket.close();
    }
  });

  it("logs the same access log fields in both, and neither holds the query string", async () => {
    const [, stage] = onlyResourceOfType(template, "AWS::ApiGatewayV2::Stage");
    const format: string = stage.Properties?.AccessLogSettings.Format;
    const synthesizedFields = Object.keys(JSON.parse(format.replace(/:(\$context\.[A-Za-z.]+)/g, ':"$1"')) as object);
    // A connection with a token, and one without: both are logged.
    (await connected(await withToken(api.authorizer.roles[0] as "driver" | "customer"))).close();
    await connect(gateway.url);
    expect(gateway.accessLines.length).toBeGreaterThan(0);
    for (const line of gateway.accessLines) {
      expect(Object.keys(JSON.parse(line) as object)).toEqual(synthesizedFields);
      expect(line).not.toContain("token=");
    }
    expect(format).not.toMatch(/querystring/i);
  });
});

describe("tables", () => {
  let dynamodb: RunningDynalite;
  let local: TableDescription[];

  beforeAll(async () => {
    dynamodb = await startDynalite({ host: "127.0.0.1", port: 0, inProcess: true });
    const declared: TableDeclaration[] = Object.values(tables);
    await ensureTables({ endpoint: dynamodb.endpoint, stage: localStage, tables: declared, region });
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    try {
      local = await Promise.all(
        declared.map(async (table) => (await client.send(new DescribeTableCommand({ TableName: physicalTableName(localStage, table) }))).Table!),
      );
    } finally {
      client.destroy();
    }
  }, 60_000);
  afterAll(async () => {
    await dynamodb?.stop();
  });

  /** What both sides must agree on, named without the stage. */
  const shape = (table: {
    TableName?: unknown;
    KeySchema?: unknown;
    AttributeDefinitions?: Array<{ AttributeName?: string; AttributeType?: string }>;
    GlobalSecondaryIndexes?: Array<{ IndexName?: string; KeySchema?: unknown; Projection?: { ProjectionType?: string } }>;
  }, stage: string) => ({
    name: String(table.TableName).replace(`${stage}-haul-`, ""),
    keys: table.KeySchema,
    attributes: [...(table.AttributeDefinitions ?? [])].map(({ AttributeName, AttributeType }) => ({ AttributeName, AttributeType })).sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName))),
    indexes: Object.fromEntries(
      (table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, { keys: index.KeySchema, projection: index.Projection?.ProjectionType }]),
    ),
  });

  it("creates the same tables, keys and indexes in both", () => {
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const synthesizedTables = resourcesOfType(synthesized.template(Data), "AWS::DynamoDB::Table").map(([, table]) => shape(table.Properties!, synthesizedStage));
    expect(synthesizedTables.sort(byName)).toEqual(local.map((table) => shape(table, localStage)).sort(byName));
    expect(synthesizedTables.map((table) => table.name).sort()).toEqual(Object.values(tables).map((table) => table.name).sort());
    // The index the LiveApi finds a user's connections by is there on both sides.
    expect(synthesizedTables.find((table) => table.name === tables.liveConnections.name)?.indexes).toHaveProperty("byUser");
  });

  it("expires items by the declared attribute in the cloud (locally the sweeper takes the same declaration: dynalite has no TTL)", () => {
    for (const [, table] of resourcesOfType(synthesized.template(Data), "AWS::DynamoDB::Table")) {
      const declared: TableDeclaration | undefined = Object.values<TableDeclaration>(tables).find(
        (candidate) => `${synthesizedStage}-haul-${candidate.name}` === table.Properties?.TableName,
      );
      expect(table.Properties?.TimeToLiveSpecification).toEqual(
        declared?.timeToLiveAttribute ? { AttributeName: declared.timeToLiveAttribute, Enabled: true } : undefined,
      );
    }
  });
});

describe("the workflow", () => {
  /** What each Task state runs: `lambda <handler>`, `dynamodb:<action>` or `sns:publish`. */
  function synthesizedTasks(): Record<string, string> {
    const template = synthesized.template(Workflow);
    const [, stateMachine] = onlyResourceOfType(template, "AWS::StepFunctions::StateMachine");
    const substitutions: Record<string, unknown> = stateMachine.Properties?.DefinitionSubstitutions;
    const tasks: Record<string, string> = {};
    forEachState(JSON.parse(String(stateMachine.Properties?.DefinitionString)) as JsonObject, (stateName, state) => {
      if (state.Type !== "Task") return;
      const resource = String(state.Resource);
      const placeholder = /^\$\{([A-Za-z0-9_]+)\}$/.exec(resource)?.[1];
      if (placeholder) tasks[stateName] = `lambda ${handlerOf(template, substitutions[placeholder])}`;
      else tasks[stateName] = resource.replace(/^arn:aws:states:::/, "");
    });
    return tasks;
  }

  function localTasks(): Record<string, string> {
    const workflow = loadWorkflow({
      root: repoRoot,
      workflow: reservationWorkflow,
      resourcePrefix: `${localStage}-haul`,
      region,
      accountId,
      driverNotificationsTopicArn: `arn:aws:sns:${region}:${accountId}:${localStage}-haul-${driverNotifications.topicName}`,
      trackingSessionsTableName: `${localStage}-haul-${tables.trackingSessions.name}`,
    });
    return Object.fromEntries(
      [...workflow.tasks.values()].map(({ stateName, target }) => [
        stateName,
        target.kind === "lambda" ? `lambda ${target.handler}` : target.kind === "dynamodb" ? `dynamodb:${target.action}` : `sns:${target.action}`,
      ]),
    );
  }

  it("runs the same definition, each Task state on the same handler or service action, in both", () => {
    const [, stateMachine] = onlyResourceOfType(synthesized.template(Workflow), "AWS::StepFunctions::StateMachine");
    const file = readFileSync(path.join(repoRoot, reservationWorkflow.definitionFile), "utf8");
    expect(JSON.parse(String(stateMachine.Properties?.DefinitionString))).toEqual(JSON.parse(file));
    const tasks = synthesizedTasks();
    expect(tasks).toEqual(localTasks());
    // Every declared task runs somewhere in it.
    const handlers = Object.values(reservationWorkflow.tasks).map((task) => `lambda ${task.handler}`);
    expect([...new Set(Object.values(tasks).filter((task) => task.startsWith("lambda ")))].sort()).toEqual(handlers.sort());
  });

  it("fills in the same placeholders in both", () => {
    const [, stateMachine] = onlyResourceOfType(synthesized.template(Workflow), "AWS::StepFunctions::StateMachine");
    const declared = [...Object.values(reservationWorkflow.tasks).map((task) => task.arnSubstitution), ...Object.values(reservationWorkflow.substitutions)];
    expect(Object.keys(stateMachine.Properties?.DefinitionSubstitutions).sort()).toEqual(declared.sort());
  });
});

const queueConsumers: ReadonlyArray<readonly [string, QueueConsumerDeclaration, typeof driverNotifications]> = [
  [driverNotificationsConsumer.name, driverNotificationsConsumer, driverNotifications],
];

describe.each(queueConsumers)("queue consumer %s", (_name, consumer, queues) => {
  /** The one synthesized function running the consumer's handler, with its template. */
  function synthesizedConsumer(): { template: Template; functionId: string; fn: SynthesizedResource } {
    const found = [...synthesized.templates().values()].flatMap((template) =>
      resourcesOfType(template, "AWS::Lambda::Function")
        .filter(([, fn]) => fn.Properties?.Handler === consumer.handler)
        .map(([functionId, fn]) => ({ template, functionId, fn })),
    );
    expect(found, `one function of the app runs ${consumer.handler}`).toHaveLength(1);
    return found[0]!;
  }
  const queueNamed = (name: string) => {
    const found = resourcesOfType(synthesized.template(Messaging), "AWS::SQS::Queue").filter(
      ([, queue]) => queue.Properties?.QueueName === `${synthesizedStage}-haul-${name}`,
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it("reads the declared queue in batches as declared, reporting failed items, in the cloud", () => {
    const { template, functionId, fn } = synthesizedConsumer();
    expect(fn.Properties?.Timeout).toBe(consumer.timeoutSeconds);
    const mappings = resourcesOfType(template, "AWS::Lambda::EventSourceMapping").filter(([, mapping]) => referencedLogicalId(mapping.Properties?.FunctionName) === functionId);
    expect(mappings).toHaveLength(1);
    const [queueId] = queueNamed(queues.queueName);
    const properties = mappings[0]![1].Properties!;
    // Absent is SQS's default: no batching window.
    expect(properties.MaximumBatchingWindowInSeconds ?? 0).toBe(consumer.maxBatchingWindowSeconds);
    expect(properties).toMatchObject({
      BatchSize: consumer.batchSize,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      EventSourceArn: importOf(synthesized.template(Messaging), { "Fn::GetAtt": [queueId, "Arn"] }),
    });
  });

  it("has the same queue, dead-letter queue and redrive in both, and the local event source takes the declaration", async () => {
    const [, queue] = queueNamed(queues.queueName);
    const [deadLetterId] = queueNamed(queues.deadLetterQueueName);
    expect(queue.Properties).toMatchObject({
      VisibilityTimeout: queues.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [deadLetterId, "Arn"] }, maxReceiveCount: queues.maxReceiveCount },
    });

    const local = createDriverNotifications({ stage: localStage, region, accountId });
    try {
      const withoutStage = (name: string, stage: string) => name.replace(`${stage}-haul-`, "");
      expect([local.queue.name, local.deadLetterQueue.name].map((name) => withoutStage(name, localStage))).toEqual(
        [queues.queueName, queues.deadLetterQueueName].map((name) => withoutStage(String(queueNamed(name)[1].Properties?.QueueName), synthesizedStage)),
      );
      // Nothing is sent, so the handler never loads: this only shows the local mapping accepts the declared settings.
      const eventSource = startSqsEventSource({
        queue: local.queue,
        handler: consumer.handler,
        root: repoRoot,
        functionName: `${localStage}-haul-${consumer.name}`,
        service: consumer.service,
        region,
        accountId,
        timeoutSeconds: consumer.timeoutSeconds,
        batchSize: consumer.batchSize,
        maxBatchingWindowSeconds: consumer.maxBatchingWindowSeconds,
      });
      await eventSource.stop();
    } finally {
      local.stop();
    }
  });
});

describe.each(scheduledFunctions.map((scheduled) => [scheduled.name, scheduled] as const))("scheduled function %s", (_name, scheduled) => {
  it("is an EventBridge rule with the declared schedule, targeting the one function that runs the declared handler", () => {
    const found = [...synthesized.templates().values()].flatMap((template) =>
      resourcesOfType(template, "AWS::Lambda::Function")
        .filter(([, fn]) => fn.Properties?.Handler === scheduled.handler)
        .map(([functionId, fn]) => ({ template, functionId, fn })),
    );
    expect(found, `one function of the app runs ${scheduled.handler}`).toHaveLength(1);
    const { template, functionId, fn } = found[0]!;
    expect(fn.Properties?.Timeout).toBe(scheduled.timeoutSeconds);
    const rules = resourcesOfType(template, "AWS::Events::Rule").filter(([, rule]) =>
      (rule.Properties?.Targets as Array<{ Arn: unknown }> | undefined)?.some((target) => referencedLogicalId(target.Arn) === functionId),
    );
    expect(rules.map(([, rule]) => ({ schedule: rule.Properties?.ScheduleExpression, state: rule.Properties?.State }))).toEqual([
      { schedule: scheduled.schedule, state: "ENABLED" },
    ]);
  });
});

describe("the driver-positions pipeline", () => {
  const resourceOfApp = (type: string) => {
    const found = [...synthesized.templates().values()].flatMap((template) => resourcesOfType(template, type));
    expect(found, `one ${type} in the app`).toHaveLength(1);
    return found[0]![1];
  };

  it("has the stream with the declared name, shards and retention", () => {
    expect(resourceOfApp("AWS::Kinesis::Stream").Properties).toMatchObject({
      Name: `${synthesizedStage}-haul-${driverPositions.streamName}`,
      ShardCount: driverPositions.shardCount,
      RetentionPeriodHours: driverPositions.retentionHours,
    });
  });

  it("has the delivery stream from that stream with the declared index, rotation, buffering, retry and backup", () => {
    const delivery = resourceOfApp("AWS::KinesisFirehose::DeliveryStream").Properties!;
    expect(delivery.DeliveryStreamName).toBe(`${synthesizedStage}-haul-${driverPositions.deliveryStreamName}`);
    expect(delivery.DeliveryStreamType).toBe("KinesisStreamAsSource");
    expect(delivery.AmazonopensearchserviceDestinationConfiguration).toMatchObject({
      IndexName: driverPositions.indexFamily,
      IndexRotationPeriod: driverPositions.indexRotation,
      BufferingHints: { SizeInMBs: driverPositions.bufferingSizeMb, IntervalInSeconds: driverPositions.bufferingIntervalSeconds },
      RetryOptions: { DurationInSeconds: driverPositions.retryDurationSeconds },
      S3BackupMode: driverPositions.backupMode,
    });
  });
});

describe("log refinement", () => {
  const resourcesOfApp = (type: string) => [...synthesized.templates().values()].flatMap((template) => resourcesOfType(template, type));

  it("gives the subscription filters exactly the declared patterns, each of which the local cloud's matcher compiles", () => {
    const synthesizedPatterns = new Set(resourcesOfApp("AWS::Logs::SubscriptionFilter").map(([, filter]) => filter.Properties?.FilterPattern));
    const declaredPatterns = [...logRefinement.functionLogPatterns, logRefinement.accessLogPattern];
    expect([...synthesizedPatterns].sort()).toEqual([...new Set(declaredPatterns)].sort());
    for (const pattern of declaredPatterns) expect(typeof compileFilterPattern(pattern)).toBe("function");
  });

  it("runs the declared refiner handler with the declared timeout, once in the app", () => {
    const refiners = resourcesOfApp("AWS::Lambda::Function").filter(([, fn]) => fn.Properties?.Handler === logRefinement.refiner.handler);
    expect(refiners.map(([, fn]) => fn.Properties?.Timeout)).toEqual([logRefinement.refiner.timeoutSeconds]);
  });
});
