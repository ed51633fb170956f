/**
 * The one shared DynamoDB document client, created on first use. Locally the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB points it at dynalite; nothing here knows about local endpoints.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

let client: DynamoDBDocumentClient | undefined;

export function getDocumentClient(): DynamoDBDocumentClient {
  // Attributes left undefined are dropped rather than refused, as optional fields are.
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return client;
}

/** Drops the client (tests that change endpoints); the next use creates a new one. */
export function resetDocumentClient(): void {
  client?.destroy();
  client = undefined;
}
