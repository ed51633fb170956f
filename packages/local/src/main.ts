/**
 * The local cloud: every AWS piece Haul uses, standing in on one machine.
 *   npx tsx packages/local/src/main.ts [--fresh]
 * Starts the web app's static site (S3 + CloudFront), the identity issuer (Cognito), dynalite (DynamoDB) with the declared tables and their
 * TTL, kinesalite (Kinesis) with the driver-positions stream and the Firehose stand-in that
 * delivers it to OpenSearch, the driver-notification topic and queue (SNS -> SQS, in process),
 * Step Functions running the reservation workflow, the LiveApi (API Gateway WebSocket API +
 * @connections), the notification consumer on the queue (Lambda's SQS event source mapping), the
 * scheduler of the scheduled functions (EventBridge rules), and the ReservationApi, QueryApi,
 * NotificationApi, TrackingApi and ObservabilityApi gateways (API Gateway HTTP API + JWT
 * authorizer; each service's API on a port of its own, as its own API in the cloud),
 * writes `.haul/outputs.json` and runs until SIGINT/SIGTERM. `startLocalCloud` does the same
 * for tests and the demo.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  cors,
  driverNotifications as driverNotificationsDeclaration,
  driverNotificationsConsumer,
  driverPositions,
  liveApi,
  notificationApi,
  observabilityApi,
  queryApi,
  reservationApi,
  latestPositionsPush,
  scheduledFunctions,
  tableNameVariable,
  tables,
  trackingApi,
} from "@haul/functions/declarations";
import { callbackUrlVariable } from "@haul/functions/live/callback-url";
import {
  appName,
  defaultHaulDir,
  defaultPorts,
  dynamodbDir,
  firehoseBackupDir,
  firehoseDir,
  identityDir,
  kinesisDir,
  localAudience,
  localHost,
  localStage,
  logsDir,
  outputsFile,
  repoRoot,
  webDistDir,
  type LocalPorts,
} from "./config.js";
import { startDynalite } from "./dynamodb/dynalite-server.js";
import { ensureTables } from "./dynamodb/tables.js";
import { startTimeToLiveSweeper } from "./dynamodb/time-to-live.js";
import { batchedWriter, openAccessLog } from "./gateway/access-log.js";
import { startHttpApiGateway } from "./gateway/http-api-gateway.js";
import { startHttpApiGatewayProcess } from "./gateway/http-api-gateway-process.js";
import { deriveApiId } from "./gateway/lambda-invocation.js";
import { startIdentityServer } from "./identity/server.js";
import { loadOrCreateSigningKey } from "./identity/signing-key.js";
import { runReservationDemo } from "./demo/reservation-demo.js";
import { runTrackingDemo } from "./demo/tracking-demo.js";
import { startFirehose, type FirehoseOptions, type RunningFirehose } from "./firehose/delivery-stream.js";
import { startKinesalite } from "./kinesis/kinesalite-server.js";
import { maxConcurrencyVariable, terminalLevelFromEnv, type TerminalLevel } from "./logs/log-capture.js";
import { startLocalLogs, type LocalLogs } from "./logs/local-logs.js";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { getSearchClient } from "@haul/core/search/search-client";
import { connectToSearchNode } from "./opensearch/search-node.js";
import { flattenOutputs, writeOutputs, type StackOutputs } from "./outputs.js";
import { startScheduler, type RunningScheduler } from "./scheduler/scheduler.js";
import { createDriverNotifications, type LocalDriverNotifications } from "./sns/driver-notifications.js";
import { startSqsEventSource, type RunningSqsEventSource } from "./sqs/event-source-mapping.js";
import { startStepFunctions, type RunningStepFunctions, type StepFunctionsOptions } from "./stepfunctions/step-functions.js";
import { buildCommand, startStaticSite } from "./web/static-site.js";
import { webConfigFromOutputs, type WebConfig } from "./web/web-config.js";
import { startWebSocketGateway, type WebSocketGatewayOptions } from "./websocket/websocket-gateway.js";

export interface LocalCloudOptions {
  /** Wipe stored DynamoDB data before starting (the signing key is kept). */
  readonly fresh?: boolean;
  /** Default: `.haul` at the repository root. */
  readonly haulDir?: string;
  readonly host?: string;
  /** Default: the fixed ports of the contracts; 0 picks free ports (tests). */
  readonly ports?: Partial<LocalPorts>;
  /** Print nothing to stdout (access log lines still go to `.haul/logs`). */
  readonly quiet?: boolean;
  /** Point this process's AWS SDK at the local endpoints (default true: handlers run here). */
  readonly configureProcessEnv?: boolean;
  /** Run dynalite inside this process instead of its own child process (default false). */
  readonly dynamodbInProcess?: boolean;
  /** Tests: scale retry intervals, fake or wrap workflow tasks, bound the executions kept. */
  readonly stepFunctions?: Pick<StepFunctionsOptions, "retryIntervalScale" | "taskOverrides" | "maxClosedExecutions">;
  /** Tests: API Gateway's idle (10 min) and age (2 h) limits of WebSocket connections, made short. */
  readonly liveApi?: Pick<WebSocketGatewayOptions, "idleTimeoutMs" | "maxConnectionMs">;
  /** How often expired DynamoDB items are deleted (dynalite has no TTL); default 30 s. */
  readonly timeToLiveSweepMs?: number;
  /**
   * The Firehose stand-in's buffering and retries; by default the declaration's, with the interval
   * from HAUL_FIREHOSE_BUFFER_SECONDS when set (demos, tests).
   */
  readonly firehose?: Pick<FirehoseOptions, "bufferingSizeMb" | "bufferingIntervalSeconds" | "retryDurationSeconds" | "pollIntervalMs">;
  /** The driver-notification queue's visibility timeout in seconds (a poison message's receives come faster); default the declaration's. */
  readonly notificationVisibilityTimeoutSeconds?: number;
  /** The scheduled functions' period in seconds; default HAUL_PUSH_PERIOD_SECONDS, else each one's rate(...). */
  readonly schedulePeriodSeconds?: number;
  /** Handler lines at or above it are echoed to the terminal besides their log group; default HAUL_TERMINAL_LOG_LEVEL, else WARN. */
  readonly terminalLogLevel?: TerminalLevel;
  /** How long log events wait for their subscription batch (CloudWatch Logs delivers within seconds); default 1000 ms. */
  readonly logDeliveryIntervalMs?: number;
  /** The built web app the static site serves; default packages/web/dist. */
  readonly webDistDir?: string;
}

export interface ServiceEndpoint {
  readonly service: string;
  readonly standsInFor: string;
  readonly url: string;
}

export interface LocalCloud {
  /** All outputs flattened: ReservationApiUrl, LiveApiUrl, IssuerUrl, UserPoolClientId, DynamoDbEndpoint, ... */
  readonly outputs: Record<string, string>;
  readonly stackOutputs: StackOutputs;
  readonly outputsFile: string;
  readonly services: readonly ServiceEndpoint[];
  /** The reservation workflow's endpoint; `waitForExecution` lets tests and the demo follow one. */
  readonly stepFunctions: RunningStepFunctions;
  /** The driver-notification topic, its queue (messages wait there for a consumer) and DLQ. */
  readonly driverNotifications: LocalDriverNotifications;
  /** The notification service's consumer of that queue (Lambda's SQS event source mapping). */
  readonly driverNotificationsConsumer: RunningSqsEventSource;
  /** The driver-positions delivery stream (kinesalite -> OpenSearch): stats, flush. */
  readonly firehose: RunningFirehose;
  /** The scheduled functions (the one-minute push): `runNow` for tests and demos. */
  readonly scheduler: RunningScheduler;
  /** CloudWatch Logs: every function's log group and the access logs, refined into OpenSearch. */
  readonly logs: LocalLogs;
  stop(): Promise<void>;
}

/** One started piece of the local cloud; later services (query API, Step Functions, ...) add theirs. */
interface StartedComponent extends ServiceEndpoint {
  stop(): Promise<void>;
}

const region = "us-east-1";
const accountId = "000000000000";
const stackName = (stack: string) => `${localStage}-${appName}-${stack}`;

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const haulDir = options.haulDir ?? defaultHaulDir;
  const host = options.host ?? localHost;
  const ports: LocalPorts = { ...defaultPorts, ...options.ports };
  const terminalLevel = options.terminalLogLevel ?? terminalLevelFromEnv();
  const started: StartedComponent[] = [];
  const stopAll = async () => {
    // Reverse order: the gateway stops taking requests before the stores close.
    for (const component of started.splice(0).reverse()) await component.stop();
  };

  try {
    await mkdir(logsDir(haulDir), { recursive: true });

    const terminal = batchedWriter((text) => process.stdout.write(text));
    started.push({ service: "terminal", standsInFor: "-", url: "-", stop: async () => terminal.flush() });

    // First: the APIs and the identity server allow exactly its origins, so they need its port.
    let webConfig: WebConfig | undefined;
    const site = await withPort("web", ports.web, () =>
      startStaticSite({ distDir: options.webDistDir ?? webDistDir, host, port: ports.web, config: () => webConfig }),
    );
    const siteState = site.built ? "" : `; not built: ${buildCommand}`;
    started.push({ service: "web", standsInFor: `S3 + CloudFront (the StaticSite${siteState})`, url: site.url, stop: site.stop });
    const webCors = { ...cors, allowOrigins: site.origins };

    const signingKey = await loadOrCreateSigningKey(identityDir(haulDir));
    const identity = await withPort("identity", ports.identity, () =>
      // The web app's demo sign-in calls it from the site's pages.
      startIdentityServer({ signingKey, host, port: ports.identity, allowOrigins: site.origins }),
    );
    started.push({ service: "identity", standsInFor: "Cognito user pool (issuer, JWKS)", url: identity.issuer, stop: identity.stop });

    const dynamodb = await withPort("dynamodb", ports.dynamodb, () =>
      startDynalite({
        host,
        port: ports.dynamodb,
        dataDir: dynamodbDir(haulDir),
        fresh: options.fresh ?? false,
        inProcess: options.dynamodbInProcess ?? false,
      }),
    );
    const dynaliteWhere = dynamodb.pid === process.pid ? "in process" : `child process ${dynamodb.pid}`;
    started.push({ service: "dynamodb", standsInFor: `DynamoDB (dynalite, ${dynaliteWhere})`, url: dynamodb.endpoint, stop: dynamodb.stop });
    const tableNames = await ensureTables({ endpoint: dynamodb.endpoint, stage: localStage, tables: Object.values(tables), region });
    const timeToLive = startTimeToLiveSweeper({
      endpoint: dynamodb.endpoint,
      region,
      intervalMs: options.timeToLiveSweepMs,
      tables: Object.values(tables).flatMap((table) =>
        "timeToLiveAttribute" in table
          ? [{ tableName: tableNames[table.name]!, keyAttributes: [table.partitionKey], timeToLiveAttribute: table.timeToLiveAttribute }]
          : [],
      ),
    });
    started.push({ service: "dynamodb ttl", standsInFor: "DynamoDB Time to Live (expired items swept)", url: "-", stop: timeToLive.stop });

    const positionsStreamName = `${localStage}-${appName}-${driverPositions.streamName}`;
    const kinesis = await withPort("kinesis", ports.kinesis, () =>
      startKinesalite({
        host,
        port: ports.kinesis,
        dataDir: kinesisDir(haulDir),
        fresh: options.fresh ?? false,
        inProcess: options.dynamodbInProcess ?? false,
        streams: [{ name: positionsStreamName, shardCount: driverPositions.shardCount }],
      }),
    );
    const kinesaliteWhere = kinesis.pid === process.pid ? "in process" : `child process ${kinesis.pid}`;
    started.push({ service: "kinesis", standsInFor: `Kinesis Data Streams (kinesalite, ${kinesaliteWhere})`, url: kinesis.endpoint, stop: kinesis.stop });

    const searchNode = await connectToSearchNode();
    started.push({ service: "opensearch", standsInFor: `OpenSearch Service domain (a real node, ${searchNode.status})`, url: searchNode.url, stop: searchNode.stop });
    // What the Search stack's deploy does in AWS: the index families' templates before anything writes,
    // so no index (a day's api-logs, driver-positions) is ever created without its mapping.
    await applyIndexFamilies(getSearchClient(), { directory: path.join(repoRoot, "search", "index-families") });

    // Before anything invokes a function: from here on every handler's output goes to its log group.
    const logs = startLocalLogs({
      logsDirectory: logsDir(haulDir),
      resourcePrefix: `${localStage}-${appName}`,
      root: repoRoot,
      region,
      accountId,
      terminalLevel,
      ...(options.logDeliveryIntervalMs === undefined ? {} : { deliveryIntervalMs: options.logDeliveryIntervalMs }),
      warn: (line) => (options.quiet ? process.stderr.write(line + "\n") : terminal.write(line + "\n")),
    });
    started.push({
      service: "cloudwatch logs",
      standsInFor: "CloudWatch Logs groups + subscription filters -> LogRefiner -> OpenSearch api-logs",
      url: path.join(logsDir(haulDir), "groups"),
      stop: logs.stop,
    });

    // Its checkpoints belong to the stream's data: started fresh, both go.
    const checkpointFile = path.join(firehoseDir(haulDir), "checkpoints.json");
    if (options.fresh) await rm(checkpointFile, { force: true });
    const deliveryStreamName = `${localStage}-${appName}-${driverPositions.deliveryStreamName}`;
    const backupDir = firehoseBackupDir(haulDir);
    const firehose = await startFirehose({
      kinesisEndpoint: kinesis.endpoint,
      region,
      streamName: positionsStreamName,
      deliveryStreamName,
      indexFamily: driverPositions.indexFamily,
      indexFamiliesDirectory: path.join(repoRoot, "search", "index-families"),
      checkpointFile,
      backupDir,
      ...numberFromEnv("HAUL_FIREHOSE_BUFFER_SECONDS", "bufferingIntervalSeconds"),
      ...options.firehose,
    });
    started.push({ service: "firehose", standsInFor: "Firehose delivery stream (Kinesis -> OpenSearch, failed documents to a folder)", url: deliveryStreamName, stop: firehose.stop });

    const driverNotifications = createDriverNotifications({
      stage: localStage,
      region,
      accountId,
      declaration: {
        ...driverNotificationsDeclaration,
        visibilityTimeoutSeconds: options.notificationVisibilityTimeoutSeconds ?? driverNotificationsDeclaration.visibilityTimeoutSeconds,
      },
    });
    started.push({
      service: "sns/sqs",
      standsInFor: "SNS topic -> SQS queue + DLQ (in process)",
      url: driverNotifications.topic.arn,
      stop: async () => driverNotifications.stop(),
    });

    const stepFunctions = await withPort("stepfunctions", ports.stepFunctions, () =>
      startStepFunctions({
        host,
        port: ports.stepFunctions,
        dynamodbEndpoint: dynamodb.endpoint,
        driverNotifications,
        region,
        accountId,
        ...options.stepFunctions,
      }),
    );
    started.push({ service: "stepfunctions", standsInFor: "Step Functions (aws-local-stepfunctions)", url: stepFunctions.endpoint, stop: stepFunctions.stop });

    // The WebSocket API runs its handlers in this process, like the ReservationApi.
    // Kept like the stacks keep it, not refined: the stacks subscribe the HTTP APIs' access logs.
    const liveApiAccessGroup = logs.accessLogGroup(liveApi.name, deriveApiId(`${localStage}-${appName}`, liveApi.name), localStage, false);
    const liveApiAccessLog = openAccessLog(path.join(logsDir(haulDir), `${liveApi.name}-access.log`), options.quiet ? undefined : terminal);
    started.push({ service: "access log", standsInFor: "CloudWatch Logs", url: liveApiAccessLog.file, stop: liveApiAccessLog.close });
    const liveApiGateway = await withPort(liveApi.name, ports.liveApi, () =>
      startWebSocketGateway({
        api: liveApi,
        host,
        port: ports.liveApi,
        stage: localStage,
        root: repoRoot,
        resourcePrefix: `${localStage}-${appName}`,
        region,
        accountId,
        ...options.liveApi,
        accessLog: (line) => {
          liveApiAccessLog.write(line);
          liveApiAccessGroup.write(line);
        },
      }),
    );
    started.push({
      service: liveApi.name,
      standsInFor: "API Gateway WebSocket API + Lambda authorizer, @connections",
      url: liveApiGateway.url,
      stop: liveApiGateway.stop,
    });

    if (options.configureProcessEnv ?? true) {
      configureProcessEnv({
        dynamodbEndpoint: dynamodb.endpoint,
        tableNames,
        stepFunctionsEndpoint: stepFunctions.endpoint,
        stateMachineArn: stepFunctions.stateMachineArn,
        driverNotificationsTopicArn: driverNotifications.topic.arn,
        tokenIssuer: identity.issuer,
        tokenJwksUrl: identity.jwksUrl,
        liveApiCallbackUrl: liveApiGateway.callbackUrl,
        kinesisEndpoint: kinesis.endpoint,
        positionsStreamName,
      });
    }

    // The notification service's consumer: the handler Lambda runs, fed batches from the local queue
    // (after the environment: it reads the tables and the @connections endpoint from there).
    const consumer = startSqsEventSource({
      queue: driverNotifications.queue,
      handler: driverNotificationsConsumer.handler,
      root: repoRoot,
      functionName: `${localStage}-${appName}-${driverNotificationsConsumer.name}`,
      service: driverNotificationsConsumer.service,
      region,
      accountId,
      timeoutSeconds: driverNotificationsConsumer.timeoutSeconds,
      batchSize: driverNotificationsConsumer.batchSize,
      maxBatchingWindowSeconds: driverNotificationsConsumer.maxBatchingWindowSeconds,
      // The failed invocation's record is in the function's log group already; the terminal gets it unless told OFF.
      errorLog: (line) => {
        if (terminalLevel !== "OFF") process.stderr.write(line + "\n");
      },
    });
    started.push({
      service: driverNotificationsConsumer.name,
      standsInFor: "Lambda SQS event source mapping (ReportBatchItemFailures)",
      url: driverNotifications.queue.arn,
      stop: consumer.stop,
    });

    // EventBridge's schedule rules: the one-minute push, run here like the other handlers.
    const scheduler = startScheduler({
      functions: scheduledFunctions,
      root: repoRoot,
      region,
      accountId,
      resourcePrefix: `${localStage}-${appName}`,
      ...(options.schedulePeriodSeconds !== undefined
        ? { periodSeconds: options.schedulePeriodSeconds }
        : numberFromEnv("HAUL_PUSH_PERIOD_SECONDS", "periodSeconds")),
      log: options.quiet ? () => undefined : (line) => terminal.write(line + "\n"),
    });
    const periods = Object.entries(scheduler.periodsMs).map(([name, ms]) => `${name} every ${ms / 1000} s`);
    started.push({ service: "scheduler", standsInFor: `EventBridge schedule rules (${periods.join(", ")})`, url: "-", stop: scheduler.stop });

    // Each HTTP API of the declaration: the same gateway code, its own port and access log. The
    // query service is managed apart from the reservation service in AWS; here it runs in a process
    // of its own, so reservation workflows on this event loop cannot hold up its reads.
    const apiUrls: Record<string, string> = {};
    for (const [api, port] of [
      [reservationApi, ports.reservationApi],
      [queryApi, ports.queryApi],
      [notificationApi, ports.notificationApi],
      [trackingApi, ports.trackingApi],
      [observabilityApi, ports.observabilityApi],
    ] as const) {
      const accessLogFile = path.join(logsDir(haulDir), `${api.name}-access.log`);
      const accessGroup = logs.accessLogGroup(api.name, deriveApiId(`${localStage}-${appName}`, api.name), "$default", true);
      const gatewayOptions = {
        cors: webCors,
        authorizer: { issuer: identity.issuer, audience: [localAudience] },
        host,
        port,
        root: repoRoot,
        resourcePrefix: `${localStage}-${appName}`,
        region,
      };
      let gateway: { url: string; stop(): Promise<void> };
      if (api === queryApi) {
        gateway = await withPort(api.name, port, () =>
          startHttpApiGatewayProcess({
            ...gatewayOptions,
            apiName: api.name,
            accessLogFile,
            echoAccessLog: !options.quiet,
            functionLogFile: options.quiet ? path.join(logsDir(haulDir), `${api.name}-functions.log`) : undefined,
            accessLogGroup: accessGroup.logGroup,
            accessLogStream: accessGroup.logStream,
            terminalLogLevel: terminalLevel,
            onLogEvents: (events) => events.forEach((event) => logs.put(event)),
          }),
        );
      } else {
        const accessLog = openAccessLog(accessLogFile, options.quiet ? undefined : terminal);
        started.push({ service: "access log", standsInFor: "CloudWatch Logs", url: accessLogFile, stop: accessLog.close });
        gateway = await withPort(api.name, port, () =>
          startHttpApiGateway({
            ...gatewayOptions,
            api,
            accessLog: (line) => {
              accessLog.write(line);
              accessGroup.write(line);
            },
          }),
        );
      }
      started.push({ service: api.name, standsInFor: "API Gateway HTTP API + JWT authorizer", url: gateway.url, stop: gateway.stop });
      apiUrls[api.name] = gateway.url;
    }

    const stackOutputs: StackOutputs = {
      [stackName("Web")]: { WebUrl: site.url },
      [stackName("Identity")]: { IssuerUrl: identity.issuer, JwksUrl: identity.jwksUrl, UserPoolClientId: localAudience },
      [stackName("Data")]: {
        DynamoDbEndpoint: dynamodb.endpoint,
        ...Object.fromEntries(Object.entries(tableNames).map(([name, physical]) => [`${name}TableName`, physical])),
      },
      [stackName("Messaging")]: messagingOutputs(driverNotifications),
      [stackName("Search")]: { SearchUrl: searchNode.url },
      [stackName("Workflow")]: { ReservationStateMachineArn: stepFunctions.stateMachineArn, StepFunctionsEndpoint: stepFunctions.endpoint },
      // `Url` is what apps connect to (wss:// in AWS), `CallbackUrl` the @connections endpoint.
      [stackName(liveApi.name)]: { [`${liveApi.name}Url`]: liveApiGateway.url, [`${liveApi.name}CallbackUrl`]: liveApiGateway.callbackUrl },
      // The TrackingApi is the Tracking stack's, as in the cloud (stacks/Tracking.ts).
      ...Object.fromEntries(Object.entries(apiUrls).filter(([name]) => name !== trackingApi.name).map(([name, url]) => [stackName(name), { [`${name}Url`]: url }])),
      [stackName("Tracking")]: {
        [`${trackingApi.name}Url`]: apiUrls[trackingApi.name]!,
        DriverPositionsStreamName: positionsStreamName,
        DriverPositionsDeliveryStreamName: deliveryStreamName,
        // Locally the "bucket" is a folder: objects under <it>/<delivery stream>/YYYY/MM/DD/HH/.
        DriverPositionsBackupBucketName: backupDir,
        KinesisEndpoint: kinesis.endpoint,
      },
    };
    const file = outputsFile(haulDir);
    await writeOutputs(file, stackOutputs);
    const outputs = flattenOutputs(stackOutputs, file);
    webConfig = webConfigFromOutputs(outputs);

    const services = started
      .filter((component) => component.service !== "access log" && component.service !== "terminal")
      .map(({ service, standsInFor, url }) => ({ service, standsInFor, url }));
    return {
      outputs,
      stackOutputs,
      outputsFile: file,
      services,
      stepFunctions,
      driverNotifications,
      driverNotificationsConsumer: consumer,
      firehose,
      scheduler,
      logs,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The Messaging stack's outputs, named as the cloud names them. The queue URLs only identify
 * the queues: the local queues live in this process and have no HTTP endpoint.
 */
function messagingOutputs(local: LocalDriverNotifications): Record<string, string> {
  return {
    [`${driverNotificationsDeclaration.topicName}TopicArn`]: local.topic.arn,
    [`${driverNotificationsDeclaration.queueName}Url`]: local.queue.url,
    [`${driverNotificationsDeclaration.queueName}Arn`]: local.queue.arn,
    [`${driverNotificationsDeclaration.deadLetterQueueName}Url`]: local.deadLetterQueue.url,
    [`${driverNotificationsDeclaration.deadLetterQueueName}Arn`]: local.deadLetterQueue.arn,
  };
}

/** What handlers running in this process need: the SDK's own endpoint variables, table names, ARNs. */
function configureProcessEnv(settings: {
  dynamodbEndpoint: string;
  tableNames: Record<string, string>;
  stepFunctionsEndpoint: string;
  stateMachineArn: string;
  driverNotificationsTopicArn: string;
  /** The LiveApi authorizer checks tokens against the local issuer (Cognito's user pool in AWS). */
  tokenIssuer: string;
  tokenJwksUrl: string;
  liveApiCallbackUrl: string;
  kinesisEndpoint: string;
  positionsStreamName: string;
}): void {
  process.env.AWS_REGION = region;
  process.env.AWS_DEFAULT_REGION = region;
  // Dummy credentials: nothing local may ever sign with real ones.
  process.env.AWS_ACCESS_KEY_ID = "local";
  process.env.AWS_SECRET_ACCESS_KEY = "local";
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // Many functions run in this process at once, as in a Lambda runtime with concurrent invocations:
  // Powertools then keeps each invocation's context apart (see logs/log-capture.ts).
  process.env[maxConcurrencyVariable] ??= "1000";
  process.env.AWS_ENDPOINT_URL_DYNAMODB = settings.dynamodbEndpoint;
  process.env.AWS_ENDPOINT_URL_SFN = settings.stepFunctionsEndpoint;
  process.env.AWS_ENDPOINT_URL_KINESIS = settings.kinesisEndpoint;
  process.env.HAUL_POSITIONS_STREAM_NAME = settings.positionsStreamName;
  process.env.HAUL_RESERVATION_STATE_MACHINE_ARN = settings.stateMachineArn;
  process.env.HAUL_DRIVER_NOTIFICATIONS_TOPIC_ARN = settings.driverNotificationsTopicArn;
  process.env.HAUL_STAGE = localStage;
  process.env.HAUL_TOKEN_ISSUER = settings.tokenIssuer;
  process.env.HAUL_TOKEN_AUDIENCE = localAudience;
  process.env.HAUL_TOKEN_JWKS_URL = settings.tokenJwksUrl;
  process.env[callbackUrlVariable] = settings.liveApiCallbackUrl;
  for (const [name, physical] of Object.entries(settings.tableNames)) {
    process.env[tableNameVariable({ name })] = physical;
  }
}

/** `{ [key]: n }` when the variable holds a positive number, `{}` when unset; throws naming it otherwise. */
function numberFromEnv<K extends string>(variable: string, key: K): Partial<Record<K, number>> {
  const text = process.env[variable];
  if (text === undefined || text === "") return {};
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${variable} must be a positive number of seconds, got "${text}"`);
  return { [key]: value } as Partial<Record<K, number>>;
}

async function withPort<T>(service: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`${service}: port ${port} is already in use (is the local cloud already running?)`);
    }
    throw error;
  }
}

/** Collects text and writes it at most every 50 ms (and on flush). */
export function formatServiceTable(services: readonly ServiceEndpoint[]): string {
  const rows = [["service", "stands in for", "url"], ...services.map((s) => [s.service, s.standsInFor, s.url])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

/** One output a line, names aligned: what scripts and the AWS CLI need (ARNs, endpoints). */
export function formatOutputs(outputs: Readonly<Record<string, string>>): string {
  const names = Object.keys(outputs).sort();
  const width = Math.max(...names.map((name) => name.length));
  return names.map((name) => `  ${name.padEnd(width)}  ${outputs[name]}`).join("\n");
}

async function runFromCommandLine(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fresh: { type: "boolean", default: false },
      "no-demo": { type: "boolean", default: false },
      "push-period": { type: "string" },
      "firehose-interval": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "Usage: npm start -- [--fresh] [--no-demo] [--push-period <s>] [--firehose-interval <s>]\n" +
        "  --fresh                  wipe stored DynamoDB and Kinesis data first\n" +
        "  --no-demo                skip the start-up demo (a customer reserves a truck)\n" +
        "  --push-period <s>        run the scheduled functions (the position push) every <s> seconds\n" +
        "                           instead of their rate(...) (or HAUL_PUSH_PERIOD_SECONDS)\n" +
        "  --firehose-interval <s>  deliver buffered positions to OpenSearch after <s> seconds\n" +
        "                           (or HAUL_FIREHOSE_BUFFER_SECONDS; default the stack's buffering interval)\n",
    );
    return;
  }
  const schedulePeriodSeconds = secondsOption("--push-period", values["push-period"]);
  const firehoseInterval = secondsOption("--firehose-interval", values["firehose-interval"]);
  // Log groups keep INFO and up, as in AWS; the terminal shows WARN and up (HAUL_TERMINAL_LOG_LEVEL).
  process.env.POWERTOOLS_LOG_LEVEL ??= "INFO";

  // Node 20 is this project's runtime; the SDK's "Node 22 from 2027" notice would only bury the table.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const cloud = await startLocalCloud({
    fresh: values.fresh,
    ...(schedulePeriodSeconds === undefined ? {} : { schedulePeriodSeconds }),
    ...(firehoseInterval === undefined ? {} : { firehose: { bufferingIntervalSeconds: firehoseInterval } }),
  });
  process.stdout.write(
    `\nHaul local cloud (stage ${localStage}) is up${values.fresh ? ", started fresh" : ""}.\n\n` +
      formatServiceTable(cloud.services) +
      `\n\noutputs (${path.relative(process.cwd(), cloud.outputsFile)}):\n` +
      formatOutputs(cloud.outputs) +
      "\n\n",
  );
  if (!values["no-demo"]) await runDemo(cloud);
  process.stdout.write("Ctrl+C stops everything.\n\n");

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second Ctrl+C: do not wait
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local cloud...\n`);
    setTimeout(() => {
      process.stderr.write("Some service did not stop within 2 s; exiting anyway.\n");
      process.exit(0);
    }, 2000).unref();
    cloud.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(0);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

function secondsOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name} takes a positive number of seconds, got "${text}"`);
  return value;
}

async function runDemo(cloud: LocalCloud): Promise<void> {
  try {
    const reservation = await runReservationDemo({
      reservationApiUrl: cloud.outputs.ReservationApiUrl!,
      queryApiUrl: cloud.outputs.QueryApiUrl!,
      stepFunctionsEndpoint: cloud.outputs.StepFunctionsEndpoint!,
      stateMachineArn: cloud.outputs.ReservationStateMachineArn!,
      liveApiUrl: cloud.outputs.LiveApiUrl,
    });
    if (reservation.status === "CONFIRMED" && reservation.reservationId) {
      process.stdout.write("\nDemo, live tracking: the customer watches the truck.\n");
      await runTrackingDemo(
        {
          reservationApiUrl: cloud.outputs.ReservationApiUrl!,
          trackingApiUrl: cloud.outputs.TrackingApiUrl!,
          liveApiUrl: cloud.outputs.LiveApiUrl!,
          reservationId: reservation.reservationId,
          customerId: reservation.customerId,
          driverId: reservation.driverId,
          pickup: reservation.pickup,
          dropoff: reservation.dropoff,
          pushPeriodSeconds: Math.round((cloud.scheduler.periodsMs[latestPositionsPush.name] ?? 60_000) / 1000),
        },
        (line) => process.stdout.write(line + "\n"),
      );
    }
  } catch (error) {
    // The cloud stays up: a failed demo is worth reading, not worth stopping for.
    process.stdout.write(`The demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.stdout.write("\n");
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runFromCommandLine().catch((error: unknown) => {
    process.stderr.write(`The local cloud could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
