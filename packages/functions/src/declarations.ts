/**
 * The one declaration of what Haul runs: HTTP APIs with their routes and handlers, the WebSocket
 * API with its authorizer and routes, the reservation workflow's tasks, the driver-notification
 * topic and queue with their consumer, and the DynamoDB tables. Plain data on purpose: `stacks/` builds AWS resources
 * from it and `packages/local` builds the local cloud from it, so the two cannot drift apart.
 * Handler strings are SST's form: `<path from repo root without extension>.<export>`.
 */

import type { SearchAccess } from "@haul/core/search/access-control";
import type { Role } from "@haul/core/user";

/** `none` routes skip the JWT authorizer (health checks only). */
export type RouteAuth = "jwt" | "none";

/**
 * What a function reaches besides its own logs. The cloud gives each function exactly these:
 * the environment that points at them, the grants to use them, and a place in the VPC when one of
 * them lives there (MySQL, Redis, OpenSearch). `primary` is read-write as the admin user, `replica`
 * read-only. `search` (the OpenSearch domain) also needs the function's `search` access declared.
 */
export type FunctionUse =
  | "primary"
  /** The primary, but as the read-only user: the query service's fallback for rows the replica lacks yet. */
  | "primaryReadOnly"
  | "replica"
  | "redis"
  | "search"
  | `${keyof typeof tables}Table` | "reservationWorkflow"
  /** Read the reservation workflow's executions and their histories (ListExecutions, DescribeExecution, GetExecutionHistory), never start one. */
  | "workflowHistory"
  /** The status of the reservation workflow's executions (DescribeExecution) and nothing else: the reconciler's. */
  | "workflowStatus"
  /** The LiveApi's `@connections` management API: push to connected clients, drop connections. */
  | "liveApiConnections"
  /** Kinesis PutRecords on the driver-positions stream (HAUL_POSITIONS_STREAM_NAME). */
  | "positionsStream";

/** What routes and workflow tasks have in common: a handler, and what it reaches. */
export interface FunctionDeclaration {
  readonly handler: string;
  /** What the handler reaches; nothing when absent. */
  readonly uses?: readonly FunctionUse[];
  /**
   * With `search` in `uses`: what the function may do inside OpenSearch. In AWS the deploy maps the
   * function's role to an OpenSearch role holding exactly this (stacks/Search.ts); IAM alone lets
   * it reach the domain, not read or write anything there.
   */
  readonly search?: SearchAccess;
}

export interface RouteDeclaration extends FunctionDeclaration {
  readonly auth: RouteAuth;
  /** Roles allowed to call the route; enforced by the handler middleware, documented in OpenAPI. */
  readonly roles?: readonly Role[];
  readonly summary: string;
}

export interface HttpApiDeclaration {
  /** Stack and output prefix, e.g. `ReservationApi` gives the output `ReservationApiUrl`. */
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  readonly routes: Readonly<Record<string, RouteDeclaration>>;
}

export interface TableDeclaration {
  /** Logical name; the physical name is `<stage>-haul-<name>` in the cloud and locally. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute that DynamoDB expires items by, if any (a number: epoch seconds). */
  readonly timeToLiveAttribute?: string;
  /** Global secondary indexes by name; keys are strings, every attribute is projected. */
  readonly indexes?: Readonly<Record<string, TableIndexDeclaration>>;
}

export interface TableIndexDeclaration {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export const reservationApi = {
  name: "ReservationApi",
  service: "reservation",
  routes: {
    "GET /health": {
      handler: "packages/functions/src/health/get-health.handler",
      auth: "none",
      summary: "Liveness of the API and its dependencies",
      uses: ["primary", "replica", "redis", "search"],
      // The cluster's health and nothing else: not `cluster_monitor`, which would also read nodes' and indices' stats.
      search: { cluster: ["cluster:monitor/health"] },
    },
    "GET /openapi.json": {
      handler: "packages/functions/src/docs/get-openapi.handler",
      auth: "none",
      summary: "This API's OpenAPI 3.1 description",
    },
    "GET /me": {
      handler: "packages/functions/src/identity/get-me.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "The caller's identity and profile",
      uses: ["primary"],
    },
    "POST /reservations": {
      handler: "packages/functions/src/reservation/reserve-truck.handler",
      auth: "jwt",
      roles: ["customer"],
      summary: "Reserve a truck and its driver; starts the reservation workflow",
      // Redis: a reservation whose workflow cannot be started is marked FAILED and its cache invalidated.
      uses: ["primary", "redis", "reservationWorkflow"],
    },
    "POST /reservations/{id}/cancel": {
      handler: "packages/functions/src/reservation/cancel-reservation.handler",
      auth: "jwt",
      roles: ["customer"],
      summary: "Cancel one of the caller's reservations before its window starts",
      uses: ["primary", "reservationWorkflow"],
    },
    "POST /reservations/{id}/pickup": {
      handler: "packages/functions/src/reservation/pick-up-reservation.handler",
      auth: "jwt",
      roles: ["driver"],
      summary: "The assigned driver has picked the cargo up: CONFIRMED becomes IN_TRANSIT and tracking starts",
      uses: ["primary", "reservationWorkflow"],
    },
    "POST /reservations/{id}/deliver": {
      handler: "packages/functions/src/reservation/deliver-reservation.handler",
      auth: "jwt",
      roles: ["driver"],
      summary: "The assigned driver has delivered the cargo: IN_TRANSIT becomes COMPLETED and tracking ends",
      uses: ["primary", "reservationWorkflow"],
    },
    "GET /ops/executions": {
      handler: "packages/functions/src/reservation/list-executions.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "The reservation workflow's executions, newest first, by status; operators only",
      uses: ["workflowHistory"],
    },
    "GET /ops/executions/{name}": {
      handler: "packages/functions/src/reservation/get-execution.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "One workflow execution: its input and outcome, state by state, and its history; operators only",
      uses: ["workflowHistory"],
    },
  },
} as const satisfies HttpApiDeclaration;

/**
 * The read side, a service of its own: reads reservations from the replica through the Redis cache,
 * as a read-only database user. Its own HTTP API (own stack in the cloud, own port locally).
 */
export const queryApi = {
  name: "QueryApi",
  service: "query",
  routes: {
    "GET /health": {
      handler: "packages/functions/src/query/get-query-health.handler",
      auth: "none",
      summary: "Liveness of the query service and its dependencies",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /reservations/{id}": {
      handler: "packages/functions/src/query/get-reservation.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "One reservation with its status and workflow progress",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /reservations": {
      handler: "packages/functions/src/query/list-reservations.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "The caller's reservations, filtered by status and time, sorted by pickup time, paginated",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /drivers/{id}/reservations": {
      handler: "packages/functions/src/query/list-driver-reservations.handler",
      auth: "jwt",
      roles: ["driver", "operator"],
      summary: "A driver's reservations, for that driver or an operator",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /drivers/available": {
      handler: "packages/functions/src/query/list-available-drivers.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "Drivers with no overlapping reservation in [from, to)",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
  },
} as const satisfies HttpApiDeclaration;

/** What the notification service's functions may do with the message history in OpenSearch. */
const messageHistoryRead = { indices: [{ families: ["reservation-messages"], actions: ["read"] }] } as const;

/**
 * The notification service's own HTTP API (own stack in the cloud, own port locally): the drivers'
 * message history in OpenSearch. A driver reads and marks their own messages; operators search anyone's.
 */
export const notificationApi = {
  name: "NotificationApi",
  service: "notification",
  routes: {
    "GET /drivers/{id}/messages": {
      handler: "packages/functions/src/notification/list-driver-messages.handler",
      auth: "jwt",
      roles: ["driver", "operator"],
      summary: "A driver's messages, newest first: full text, filters on reservation, type, unread and time; for that driver or an operator",
      uses: ["search"],
      search: messageHistoryRead,
    },
    "POST /drivers/{id}/messages/read": {
      handler: "packages/functions/src/notification/mark-messages-read.handler",
      auth: "jwt",
      roles: ["driver"],
      summary: "Marks the given messages of the calling driver read",
      uses: ["search"],
      // Read to find which of the given ids are the driver's (and their index); write to update them.
      search: { indices: [{ families: ["reservation-messages"], actions: ["read", "write"] }] },
    },
    "GET /messages": {
      handler: "packages/functions/src/notification/search-messages.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "Every driver's messages, newest first, with the same filters (and driverId); operators only",
      uses: ["search"],
      search: messageHistoryRead,
    },
  },
} as const satisfies HttpApiDeclaration;

/** What the tracking service's readers may do with the positions in OpenSearch. */
const positionsRead = { indices: [{ families: ["driver-positions"], actions: ["read"] }] } as const;

/**
 * The tracking service's own HTTP API (own stack in the cloud, own port locally): drivers post GPS
 * fixes into the positions stream; customers, drivers and operators read trails and the fleet.
 */
export const trackingApi = {
  name: "TrackingApi",
  service: "tracking",
  routes: {
    "POST /positions": {
      handler: "packages/functions/src/tracking/post-positions.handler",
      auth: "jwt",
      roles: ["driver"],
      summary: "A batch of the calling driver's GPS fixes; 202 once every fix is in the positions stream",
      uses: ["positionsStream"],
    },
    "GET /reservations/{id}/positions": {
      handler: "packages/functions/src/tracking/get-reservation-positions.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "The trail of a running or finished delivery, between pickup and delivery; for its customer, its driver or an operator",
      uses: ["primaryReadOnly", "replica", "search"],
      search: positionsRead,
    },
    "GET /ops/fleet": {
      handler: "packages/functions/src/tracking/get-fleet.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "Every truck in transit with its latest position; operators only",
      uses: ["trackingSessionsTable", "search"],
      search: positionsRead,
    },
  },
} as const satisfies HttpApiDeclaration;

/** What operators' log routes may do with the refined logs in OpenSearch. */
const logsRead = { indices: [{ families: ["api-logs"], actions: ["read"] }] } as const;

/**
 * The observability service's own HTTP API (own stack in the cloud, own port locally): operators
 * search the refined API logs and read request statistics per route.
 */
export const observabilityApi = {
  name: "ObservabilityApi",
  service: "observability",
  routes: {
    "GET /ops/logs": {
      handler: "packages/functions/src/observability/search-logs.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "Refined log events, newest first: time range, level, service, route, status, correlation id and free text; operators only",
      uses: ["search"],
      search: logsRead,
    },
    "GET /ops/logs/stats": {
      handler: "packages/functions/src/observability/get-log-stats.handler",
      auth: "jwt",
      roles: ["operator"],
      summary: "Per route over a time window: requests, error rate, p50/p95/p99 latency, and a time histogram; operators only",
      uses: ["search"],
      search: logsRead,
    },
  },
} as const satisfies HttpApiDeclaration;

export const httpApis: readonly HttpApiDeclaration[] = [reservationApi, queryApi, notificationApi, trackingApi, observabilityApi];

/** A function CloudWatch Logs invokes with subscription batches (`{"awslogs":{"data":…}}`). */
export interface LogSubscriberDeclaration extends FunctionDeclaration {
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  readonly summary: string;
  readonly timeoutSeconds: number;
}

/**
 * Log refinement: every Haul function's log group and every HTTP API's access log group is created
 * by the stacks with `retentionDays`, and subscribed with these patterns (CloudWatch Logs filter
 * syntax, applied the same way by the local cloud: packages/core/src/observability/filter-pattern.ts)
 * to the refiner, which writes `api-logs` documents. The refiner's own log group is not subscribed:
 * it must not feed itself. A batch the refiner fails on goes to its on-failure destination.
 */
export const logRefinement = {
  refiner: {
    name: "LogRefiner",
    service: "observability",
    handler: "packages/functions/src/observability/refine-logs.handler",
    summary: "Refines CloudWatch Logs subscription batches into redacted api-logs documents in OpenSearch",
    timeoutSeconds: 60,
    uses: ["search"],
    // Creates documents (and the day's index from the family's template) through `_bulk`, a
    // cluster-level action in fine-grained access control; reads nothing.
    search: { cluster: ["indices:data/write/bulk"], indices: [{ families: ["api-logs"], actions: ["write"] }] },
  },
  retentionDays: 30,
  /**
   * Functions log JSON (Powertools Logger; Lambda's JSON log format for its own records): every
   * application line and Lambda's report. A second filter takes the text forms of crashes and
   * timeouts, which Lambda writes outside the JSON format.
   */
  functionLogPatterns: ['{ ($.level = *) || ($.type = "platform.report") }', '?"Task timed out" ?"Runtime.ExitError" ?"Uncaught Exception"'],
  /** Access logs: every line is a request. */
  accessLogPattern: "",
} as const satisfies { refiner: LogSubscriberDeclaration; retentionDays: number; functionLogPatterns: readonly string[]; accessLogPattern: string };

/**
 * The driver-positions pipeline: POST /positions puts each fix into the Kinesis stream (partition key
 * the driver id), and a Firehose delivery stream with that stream as its source bulk-indexes them
 * into the `driver-positions` index family (search/index-families/driver-positions.json), whose
 * default pipeline sets each document's id from (driverId, recordedAt). In AWS stacks/Tracking.ts
 * builds both; locally kinesalite is the stream and packages/local/src/firehose the delivery stream,
 * with these same settings.
 */
export const driverPositions = {
  streamName: "DriverPositions",
  /** Shards of the stream (1 MB/s or 1,000 records/s of writes each). */
  shardCount: 2,
  /** Hours the stream keeps records: what Firehose has to catch up after an OpenSearch outage. */
  retentionHours: 24,
  deliveryStreamName: "DriverPositionsDelivery",
  /** The index family; Firehose's index name, to which its rotation appends `-YYYY-MM-DD`. */
  indexFamily: "driver-positions",
  indexRotation: "OneDay",
  /** Firehose buffering hints: a batch is delivered when either is reached. */
  bufferingSizeMb: 1,
  bufferingIntervalSeconds: 5,
  /** How long Firehose retries a failed bulk request before it backs the documents up. */
  retryDurationSeconds: 300,
  /** Documents that could not be indexed are written to the backup bucket (locally a folder). */
  backupMode: "FailedDocumentsOnly",
} as const;

/** A function run on a schedule (an EventBridge rule; locally a timer running the same handler). */
export interface ScheduledFunctionDeclaration extends FunctionDeclaration {
  /** Construct and function name, e.g. `PushLatestPositions`. */
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  readonly summary: string;
  /** EventBridge schedule expression. */
  readonly schedule: `rate(${string})` | `cron(${string})`;
  readonly timeoutSeconds: number;
}

/**
 * The one-minute push: finds the connections subscribed to a reservation in transit, asks OpenSearch
 * once for the latest position of all their drivers, and pushes each its truck's position.
 */
export const latestPositionsPush = {
  name: "PushLatestPositions",
  service: "tracking",
  handler: "packages/functions/src/tracking/push-latest-positions.handler",
  summary: "Pushes the latest position of each truck in transit to the connections subscribed to it",
  schedule: "rate(1 minute)",
  timeoutSeconds: 50,
  uses: ["liveSubscriptionsTable", "trackingSessionsTable", "liveConnectionsTable", "search", "liveApiConnections"],
  search: positionsRead,
} as const satisfies ScheduledFunctionDeclaration;

/**
 * The reconciler: every minute, restarts the workflow executions of reservations left unsettled for
 * over a minute (packages/core/src/reservation/reconciler.ts). Locally the same rate, so a local cloud
 * restarted mid-workflow ends its accepted reservations within about two minutes.
 */
export const workflowReconciler = {
  name: "ReconcileWorkflows",
  service: "reservation",
  handler: "packages/functions/src/reservation/reconcile-workflows.handler",
  summary: "Restarts the reservation workflow executions that never ran or were lost, so no accepted reservation is stranded",
  schedule: "rate(1 minute)",
  timeoutSeconds: 50,
  // StartExecution (reservationWorkflow) and DescribeExecution (workflowStatus).
  uses: ["primary", "reservationWorkflow", "workflowStatus"],
} as const satisfies ScheduledFunctionDeclaration;

export const scheduledFunctions: readonly ScheduledFunctionDeclaration[] = [latestPositionsPush, workflowReconciler];

export const tables = {
  /**
   * One item per confirmed reservation, written by the workflow: who may watch (customerId), whose
   * positions (driverId), and `sessionStatus` OPEN (confirmed), IN_TRANSIT (picked up, with
   * `pickedUpAt`) or CLOSED (delivered, with `deliveredAt`, or cancelled).
   */
  trackingSessions: {
    name: "TrackingSessions",
    partitionKey: "reservationId",
    timeToLiveAttribute: "expiresAt",
  },
  /**
   * One item per (connection, reservation) a customer subscribed to over the LiveApi. `byReservation`
   * finds a reservation's viewers; the push scans the table (its cost grows with subscriptions, not
   * with positions). Expires with its connection.
   */
  liveSubscriptions: {
    name: "LiveSubscriptions",
    partitionKey: "connectionId",
    sortKey: "reservationId",
    timeToLiveAttribute: "expiresAt",
    indexes: { byReservation: { partitionKey: "reservationId" } },
  },
  /**
   * One item per open LiveApi connection (packages/core/src/live/connection.ts). `byUser` finds a
   * user's connections to push to; `expiresAt` is a little over API Gateway's 2-hour connection
   * limit, so an item whose `$disconnect` never ran still goes away.
   */
  liveConnections: {
    name: "LiveConnections",
    partitionKey: "connectionId",
    timeToLiveAttribute: "expiresAt",
    indexes: { byUser: { partitionKey: "userId" } },
  },
  /**
   * The driver-notification consumer's idempotency records (Powertools idempotency's DynamoDB
   * layout: key `id`, expiry `expiration` in epoch seconds): one per event id, so a redelivered
   * notification is not pushed again (packages/functions/src/notification/consume-driver-notifications.ts).
   */
  notificationIdempotency: {
    name: "NotificationIdempotency",
    partitionKey: "id",
    timeToLiveAttribute: "expiration",
  },
} as const satisfies Record<string, TableDeclaration>;

export interface WorkflowTaskDeclaration extends FunctionDeclaration {
  /** The ASL placeholder that receives the function's ARN, e.g. `${PersistReservationFunctionArn}`. */
  readonly arnSubstitution: string;
}

export interface WorkflowDeclaration {
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  /** The ASL file, from the repository root: the cloud and the local cloud run this very file. */
  readonly definitionFile: string;
  /** Lambda tasks, keyed by the name used in the ASL's substitutions. */
  readonly tasks: Readonly<Record<string, WorkflowTaskDeclaration>>;
  /** Placeholders for the topic ARN and table name the service integrations use. */
  readonly substitutions: {
    readonly driverNotificationsTopicArn: string;
    readonly trackingSessionsTableName: string;
  };
}

/** One Standard execution per reservation, named by the reservation id. */
export const reservationWorkflow = {
  name: "ReservationWorkflow",
  service: "reservation",
  definitionFile: "packages/functions/src/reservation/workflow/reservation-workflow.asl.json",
  tasks: {
    PersistReservation: {
      handler: "packages/functions/src/reservation/workflow/persist-reservation.handler",
      arnSubstitution: "PersistReservationFunctionArn",
      uses: ["primary"],
    },
    InvalidateReservationCache: {
      handler: "packages/functions/src/reservation/workflow/invalidate-reservation-cache.handler",
      arnSubstitution: "InvalidateReservationCacheFunctionArn",
      uses: ["redis"],
    },
    MarkReservationFailed: {
      handler: "packages/functions/src/reservation/workflow/mark-reservation-failed.handler",
      arnSubstitution: "MarkReservationFailedFunctionArn",
      uses: ["primary"],
    },
  },
  substitutions: {
    driverNotificationsTopicArn: "DriverNotificationsTopicArn",
    trackingSessionsTableName: "TrackingSessionsTableName",
  },
} as const satisfies WorkflowDeclaration;

/** SNS topic for driver messages and the SQS queue (with a DLQ) subscribed to it. */
export const driverNotifications = {
  topicName: "DriverNotifications",
  queueName: "DriverNotificationsQueue",
  deadLetterQueueName: "DriverNotificationsDlq",
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: 5,
  /** At least six times the consumer's timeout plus its batching window, as AWS advises for a Lambda event source. */
  visibilityTimeoutSeconds: 60,
} as const;

/** A function fed batches from an SQS queue (a Lambda event source mapping with ReportBatchItemFailures). */
export interface QueueConsumerDeclaration extends FunctionDeclaration {
  /** Construct and function name, e.g. `DriverNotificationsConsumer`. */
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  readonly summary: string;
  /** The function's timeout; the queue's visibility timeout must be at least six times it (plus the batching window). */
  readonly timeoutSeconds: number;
  /** Messages per invocation, 1 to 10. */
  readonly batchSize: number;
  /** How long a batch may wait to fill up (0 to 300 s); every second of it delays a message. */
  readonly maxBatchingWindowSeconds: number;
}

/**
 * The notification service's consumer of the driver-notification queue: stores each message in
 * the history (OpenSearch) and pushes it to the driver's live connections (LiveApi), once per event
 * id. A message that keeps failing goes to the DLQ after `maxReceiveCount` receives.
 * In AWS its stack is stacks/NotificationApi.ts; locally packages/local/src/sqs/event-source-mapping.ts.
 */
export const driverNotificationsConsumer = {
  name: "DriverNotificationsConsumer",
  service: "notification",
  handler: "packages/functions/src/notification/consume-driver-notifications.handler",
  summary: "Stores each driver message in the history and pushes it to the driver's live connections, once per event id",
  timeoutSeconds: 10,
  batchSize: 10,
  // None: a driver should hear at once; a burst still arrives in batches of what is waiting.
  maxBatchingWindowSeconds: 0,
  uses: ["notificationIdempotencyTable", "search", "liveConnectionsTable", "liveApiConnections"],
  // Creates documents (and the month's index from the family's template); reads nothing there.
  search: { indices: [{ families: ["reservation-messages"], actions: ["write"] }] },
} as const satisfies QueueConsumerDeclaration;

/**
 * A route of a WebSocket API. Messages are routed by their `action` (see WebSocketApiDeclaration);
 * `$connect`, `$disconnect` and `$default` (any other message) are API Gateway's own route keys.
 */
export interface WebSocketRouteDeclaration extends FunctionDeclaration {
  readonly summary: string;
  /**
   * Two-way route: the `body` the handler returns goes back to the sender as a message (API
   * Gateway's route response). A one-way route answers nothing; its handler would push instead.
   */
  readonly returnResponse?: boolean;
}

/**
 * The Lambda REQUEST authorizer of `$connect` (WebSocket APIs have no JWT authorizer). It checks the
 * same Cognito token as the HTTP APIs' JWT authorizer, taken from `identitySource`, and admits `roles`.
 * A request without the identity source is refused (401) before the authorizer runs. Its function
 * reads HAUL_TOKEN_ISSUER, HAUL_TOKEN_AUDIENCE and, optionally, HAUL_TOKEN_JWKS_URL.
 */
export interface WebSocketAuthorizerDeclaration extends FunctionDeclaration {
  readonly identitySource: readonly string[];
  readonly roles: readonly Role[];
  readonly summary: string;
}

export interface WebSocketApiDeclaration {
  /**
   * Stack and output prefix: `LiveApi` gives `LiveApiUrl` (the `wss://…/<stage>` clients connect to)
   * and `LiveApiCallbackUrl` (`https://…/<stage>`, the @connections endpoint functions push through).
   */
  readonly name: string;
  /** POWERTOOLS_SERVICE_NAME of its functions: the `service` of every log line and metric they write. */
  readonly service: string;
  readonly routeSelectionExpression: "$request.body.action";
  readonly authorizer: WebSocketAuthorizerDeclaration;
  readonly routes: Readonly<Record<string, WebSocketRouteDeclaration>>;
}

/**
 * The live channel to apps: drivers connect with their driver token to receive their messages;
 * customers connect with theirs to follow their truck. One API for both, so a connection is one
 * item in one table whoever holds it.
 */
export const liveApi = {
  name: "LiveApi",
  service: "live",
  routeSelectionExpression: "$request.body.action",
  authorizer: {
    handler: "packages/functions/src/live/authorize-connection.handler",
    identitySource: ["route.request.querystring.token"],
    // Operators have nothing to receive yet; they are admitted when the fleet view needs it.
    roles: ["driver", "customer"],
    summary: "Verifies the Cognito token in ?token= and admits drivers and customers",
  },
  routes: {
    $connect: {
      handler: "packages/functions/src/live/open-connection.handler",
      summary: "Records the connection under its user",
      uses: ["liveConnectionsTable"],
    },
    $disconnect: {
      handler: "packages/functions/src/live/close-connection.handler",
      summary: "Forgets the connection and its subscriptions",
      uses: ["liveConnectionsTable", "liveSubscriptionsTable"],
    },
    subscribe: {
      handler: "packages/functions/src/live/subscribe-to-reservation.handler",
      summary:
        'A customer follows one of their reservations that is not final: {"action":"subscribe","reservationId":…}. Answers {"type":"subscribed"} with the latest position while the delivery runs',
      uses: ["trackingSessionsTable", "liveSubscriptionsTable", "search"],
      search: positionsRead,
      returnResponse: true,
    },
    unsubscribe: {
      handler: "packages/functions/src/live/unsubscribe-from-reservation.handler",
      summary: 'Stops following a reservation: {"action":"unsubscribe","reservationId":…}',
      uses: ["liveSubscriptionsTable"],
      returnResponse: true,
    },
    ping: {
      handler: "packages/functions/src/live/answer-ping.handler",
      summary: 'Answers {"type":"pong"}; a ping a minute keeps an idle connection open',
      returnResponse: true,
    },
    $default: {
      handler: "packages/functions/src/live/refuse-unknown-action.handler",
      summary: "Answers an error frame naming the known actions",
      returnResponse: true,
    },
  },
} as const satisfies WebSocketApiDeclaration;

export const webSocketApis: readonly WebSocketApiDeclaration[] = [liveApi];

/**
 * The name a declared function goes by across the app: `<API> <route key>` (e.g.
 * `ReservationApi GET /health`), `<workflow> <task>` or `<queue> consumer`. The cloud derives from it the names
 * OpenSearch knows the function's role by (stacks/search-access.ts).
 */
export function declaredFunctionName(owner: string, key: string): string {
  return `${owner} ${key}`;
}

/**
 * Every declared function: each HTTP API's routes, each WebSocket API's authorizer (`<API>
 * authorizer`) and routes, the workflow's tasks, and the queue consumer (`<queue> consumer`), by
 * declaredFunctionName.
 */
export function declaredFunctions(): Array<{ readonly name: string; readonly service: string; readonly declaration: FunctionDeclaration }> {
  return [
    ...httpApis.flatMap((api) =>
      Object.entries(api.routes).map(([routeKey, route]) => ({ name: declaredFunctionName(api.name, routeKey), service: api.service, declaration: route })),
    ),
    ...webSocketApis.flatMap((api) => [
      { name: declaredFunctionName(api.name, "authorizer"), service: api.service, declaration: api.authorizer },
      ...Object.entries(api.routes).map(([routeKey, route]) => ({ name: declaredFunctionName(api.name, routeKey), service: api.service, declaration: route })),
    ]),
    ...Object.entries<WorkflowTaskDeclaration>(reservationWorkflow.tasks).map(([task, declaration]) => ({
      name: declaredFunctionName(reservationWorkflow.name, task),
      service: reservationWorkflow.service,
      declaration,
    })),
    { name: declaredFunctionName(driverNotifications.queueName, "consumer"), service: driverNotificationsConsumer.service, declaration: driverNotificationsConsumer },
    ...scheduledFunctions.map((scheduled) => ({ name: declaredFunctionName(scheduled.name, "schedule"), service: scheduled.service, declaration: scheduled })),
    { name: declaredFunctionName(logRefinement.refiner.name, "subscriber"), service: logRefinement.refiner.service, declaration: logRefinement.refiner },
  ];
}

/**
 * The declared functions that use OpenSearch, with what each may do there. Throws when a function
 * uses `search` without declaring its access, or declares access without the use.
 */
export function searchUsers(): Array<{ readonly name: string; readonly search: SearchAccess }> {
  return declaredFunctions().flatMap(({ name, declaration }) => {
    const uses = declaration.uses?.includes("search") ?? false;
    if (uses && !declaration.search) throw new Error(`${name} uses "search" but declares no \`search\` access (what it may do in OpenSearch)`);
    if (!uses && declaration.search) throw new Error(`${name} declares \`search\` access but does not list "search" in \`uses\``);
    return declaration.search ? [{ name, search: declaration.search }] : [];
  });
}

/** The variable a function reads a table's physical name from, e.g. `HAUL_TRACKING_SESSIONS_TABLE`. */
export function tableNameVariable(table: Pick<TableDeclaration, "name">): string {
  return `HAUL_${table.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_TABLE`;
}

/**
 * CORS, applied the same way by the HTTP API in the cloud and by the local gateway. The allowed
 * origins are not here: each side passes the web app's exact origins (the StaticSite's URL in AWS,
 * the local static site's), never "*".
 */
export const cors = {
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "cache-control", "content-type", "idempotency-key", "x-correlation-id"],
  exposeHeaders: ["x-correlation-id", "location", "x-cache"],
  maxAgeSeconds: 600,
} as const;

/** The header a correlation id travels in, onward and back. */
export const correlationIdHeader = "x-correlation-id";

/** One API Gateway throttle: a token bucket refilled at `rateLimit` requests a second, holding at most `burstLimit`. */
export interface ThrottleLimits {
  readonly burstLimit: number;
  readonly rateLimit: number;
}

/**
 * Throttling of every API, applied by the stacks (stage default route settings and one route
 * setting per declared route) and by the local gateways, which answer 429 `{"message":"Too Many
 * Requests"}` over it as API Gateway does. Each route has a bucket of its own, so one hot route
 * cannot starve the others; every limit is above what the README's benchmarks offer (300 query
 * reads/s, about 270 reservations/s, 600 WebSocket connects/s with their subscriptions), so they
 * measure the services, not the throttle.
 */
export const throttle = {
  /** Every HTTP API route without limits of its own below. */
  httpRouteDefault: { burstLimit: 1000, rateLimit: 500 },
  /** Routes whose limits differ, by API name and route key. */
  httpRoutes: {
    // Each reservation starts an execution: Step Functions' StartExecution quota (bucket 1300, 300/s refill).
    ReservationApi: { "POST /reservations": { burstLimit: 1300, rateLimit: 300 } },
    // Every truck in transit posts here.
    TrackingApi: { "POST /positions": { burstLimit: 2000, rateLimit: 1000 } },
    // Operators' searches are few and each costs OpenSearch far more than a read.
    ObservabilityApi: { "GET /ops/logs": { burstLimit: 50, rateLimit: 20 }, "GET /ops/logs/stats": { burstLimit: 50, rateLimit: 20 } },
  } as Readonly<Record<string, Readonly<Record<string, ThrottleLimits>>>>,
  /** The WebSocket API's stage: connects and messages together. */
  webSocketStage: { burstLimit: 5000, rateLimit: 2000 },
} as const;

/** The limits of one HTTP API route: its own, else the default. */
export function routeThrottle(apiName: string, routeKey: string): ThrottleLimits {
  return throttle.httpRoutes[apiName]?.[routeKey] ?? throttle.httpRouteDefault;
}
