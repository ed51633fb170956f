/**
 * What the notification handler tests share: API Gateway v2 events with JWT claims (as the local
 * gateway and the cloud build them), and SQS events of the driver-notification queue: the
 * workflow's notification inside SNS's envelope (rawMessageDelivery off), as the local topic and
 * SNS deliver it.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context, SQSEvent, SQSRecord } from "aws-lambda";
import { createLambdaContext } from "@haul/local/gateway/lambda-context";
import type { DriverNotification } from "@haul/core/reservation/schema";

export function lambdaContext(functionName = "test-haul-notification", timeoutMs = 10_000): Context {
  return createLambdaContext({ functionName, region: "us-east-1", accountId: "000000000000", memorySizeMb: 1024, timeoutMs });
}

type HttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Caller {
  readonly userId: string;
  readonly role: string;
}

export interface HttpCall {
  readonly caller: Caller;
  readonly path?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

export async function call(handler: HttpHandler, { caller, path, query, body }: HttpCall) {
  const event = {
    version: "2.0",
    routeKey: "-",
    rawPath: "/",
    rawQueryString: new URLSearchParams(query).toString(),
    headers: body === undefined ? {} : { "content-type": "application/json" },
    isBase64Encoded: false,
    pathParameters: path,
    queryStringParameters: query,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    requestContext: {
      requestId: `gw-${randomUUID()}`,
      authorizer: { principalId: "", integrationLatency: 0, jwt: { claims: { sub: caller.userId, "cognito:groups": `[${caller.role}]` }, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode ?? 0, headers: (result.headers ?? {}) as Record<string, string>, json: result.body ? JSON.parse(result.body) : undefined };
}

const queueArn = "arn:aws:sqs:us-east-1:000000000000:test-haul-DriverNotificationsQueue";
const topicArn = "arn:aws:sns:us-east-1:000000000000:test-haul-DriverNotifications";

/** One SQS record carrying `body`; a redelivery is the same body under a new message id (and a higher count). */
export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `handle-${randomUUID()}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: now, SenderId: "AIDALOCALSNS", ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: "-",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: "us-east-1",
  };
}

/** The SQS body SNS delivers for a published notification (the envelope, as the local topic writes it). */
export function snsEnvelope(notification: DriverNotification | string, correlationId = "test-correlation"): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: typeof notification === "string" ? notification : JSON.stringify(notification),
    Timestamp: new Date().toISOString(),
    SignatureVersion: "1",
    Signature: "unsigned",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/local-unsigned.pem",
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    MessageAttributes: {
      driverId: { Type: "String", Value: typeof notification === "string" ? "-" : notification.driverId },
      correlationId: { Type: "String", Value: correlationId },
    },
  });
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}
