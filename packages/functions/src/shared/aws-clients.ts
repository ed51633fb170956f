/**
 * The AWS SDK clients handlers share, one per service, created on first use and kept for the life
 * of the execution environment. Locally the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables point
 * them at the local cloud; nothing here knows about local endpoints. Each is traced (a subsegment
 * per call) when the Tracer is on, in Lambda; elsewhere it is the client as made.
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { KinesisClient, type KinesisClientConfig } from "@aws-sdk/client-kinesis";
import { SFNClient } from "@aws-sdk/client-sfn";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { tracer } from "./powertools.js";

let stepFunctions: SFNClient | undefined;
let kinesis: KinesisClient | undefined;
/** By callback URL: the @connections API has an endpoint per WebSocket API and stage, not per region. */
const connectionsClients = new Map<string, ApiGatewayManagementApiClient>();

export function getStepFunctionsClient(): SFNClient {
  stepFunctions ??= tracer.captureAWSv3Client(new SFNClient({}));
  return stepFunctions;
}

/**
 * The Kinesis client (AWS_ENDPOINT_URL_KINESIS points it at kinesalite locally). Its SDK retries are
 * off: `putRecordsReliably` retries failed entries and failed requests itself, and the SDK's own
 * retries would multiply its attempts. A caller of other operations brings its own retries, or
 * makes its own client with `createKinesisClient({ maxAttempts })`.
 */
export function getKinesisClient(): KinesisClient {
  kinesis ??= createKinesisClient({ maxAttempts: 1 });
  return kinesis;
}

/**
 * A Kinesis client over HTTP/1.1. The SDK's default handler for Kinesis is HTTP/2 (for
 * SubscribeToShard, which Haul does not use); kinesalite speaks only HTTP/1.1 and fails it with
 * ERR_HTTP2_ERROR. Kinesis itself accepts both, so the same client serves AWS and the local cloud.
 */
export function createKinesisClient(config: KinesisClientConfig = {}): KinesisClient {
  return tracer.captureAWSv3Client(
    new KinesisClient({
      requestHandler: new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 10_000 }),
      ...config,
    }),
  );
}

/**
 * The @connections client of the WebSocket API whose callback URL is `callbackUrl`:
 * `https://<api id>.execute-api.<region>.amazonaws.com/<stage>` in AWS, the local gateway's
 * `http://127.0.0.1:<port>/<stage>` locally.
 */
export function getConnectionsClient(callbackUrl: string): ApiGatewayManagementApiClient {
  let client = connectionsClients.get(callbackUrl);
  if (!client) {
    client = tracer.captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint: callbackUrl }));
    connectionsClients.set(callbackUrl, client);
  }
  return client;
}

/** Drops the clients (tests that change endpoints); the next use creates new ones. */
export function resetAwsClients(): void {
  stepFunctions?.destroy();
  stepFunctions = undefined;
  kinesis?.destroy();
  kinesis = undefined;
  for (const client of connectionsClients.values()) client.destroy();
  connectionsClients.clear();
}
