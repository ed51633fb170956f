/**
 * The AWS SDK clients handlers share, one per service, created on first use and kept for the life
 * of the execution environment. Locally the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables point
 * them at the local cloud; nothing here knows about local endpoints.
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { SFNClient } from "@aws-sdk/client-sfn";

let stepFunctions: SFNClient | undefined;
/** By callback URL: the @connections API has an endpoint per WebSocket API and stage, not per region. */
const connectionsClients = new Map<string, ApiGatewayManagementApiClient>();

export function getStepFunctionsClient(): SFNClient {
  stepFunctions ??= new SFNClient({});
  return stepFunctions;
}

/**
 * The @connections client of the WebSocket API whose callback URL is `callbackUrl`:
 * `https://<api id>.execute-api.<region>.amazonaws.com/<stage>` in AWS, the local gateway's
 * `http://127.0.0.1:<port>/<stage>` locally.
 */
export function getConnectionsClient(callbackUrl: string): ApiGatewayManagementApiClient {
  let client = connectionsClients.get(callbackUrl);
  if (!client) {
    client = new ApiGatewayManagementApiClient({ endpoint: callbackUrl });
    connectionsClients.set(callbackUrl, client);
  }
  return client;
}

/** Drops the clients (tests that change endpoints); the next use creates new ones. */
export function resetAwsClients(): void {
  stepFunctions?.destroy();
  stepFunctions = undefined;
  for (const client of connectionsClients.values()) client.destroy();
  connectionsClients.clear();
}
