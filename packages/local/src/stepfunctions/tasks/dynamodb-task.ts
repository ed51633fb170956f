/**
 * The DynamoDB service integration (`arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem`):
 * the task's Parameters are the API request, sent for real to the local DynamoDB (dynalite).
 * Results and errors take the integration's shapes: the API response plus `SdkHttpMetadata`
 * and `SdkResponseMetadata`; errors named `DynamoDB.<Exception>` with the Java SDK's cause
 * text, e.g. `DynamoDB.ConditionalCheckFailedException`.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DeleteItemCommandInput,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDbAction, JsonObject, JsonValue } from "../definition.js";
import { integrationMetadata } from "./integration-metadata.js";
import { describeThrown, TaskError } from "./task-error.js";

export type DynamoDbInvoker = (action: DynamoDbAction, parameters: JsonValue) => Promise<JsonValue>;

export interface DynamoDbTaskClient {
  readonly invoke: DynamoDbInvoker;
  destroy(): void;
}

/**
 * The integration reports exceptions by the Java SDK v1's class names; where they differ
 * from the v3 SDK's error names, this maps them. Errors the Java SDK does not model
 * (ValidationException) surface as its base class, AmazonDynamoDBException.
 */
const integrationErrorNames: Record<string, string> = {
  ValidationException: "AmazonDynamoDBException",
  InternalServerError: "InternalServerErrorException",
};

export function createDynamoDbTaskClient(settings: { readonly endpoint: string; readonly region: string }): DynamoDbTaskClient {
  const client = new DynamoDBClient({
    endpoint: settings.endpoint,
    region: settings.region,
    // Never real credentials against a local endpoint.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // The ASL's Retry decides about retries, as with the real integration.
    maxAttempts: 1,
  });

  const send = (action: DynamoDbAction, parameters: JsonObject) => {
    switch (action) {
      case "putItem":
        return client.send(new PutItemCommand(parameters as unknown as PutItemCommandInput));
      case "getItem":
        return client.send(new GetItemCommand(parameters as unknown as GetItemCommandInput));
      case "updateItem":
        return client.send(new UpdateItemCommand(parameters as unknown as UpdateItemCommandInput));
      case "deleteItem":
        return client.send(new DeleteItemCommand(parameters as unknown as DeleteItemCommandInput));
    }
  };

  return {
    async invoke(action, parameters) {
      if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
        throw new TaskError("DynamoDB.AmazonDynamoDBException", `The ${action} parameters must be an object`);
      }
      try {
        const { $metadata, ...response } = await send(action, parameters);
        const requestId = $metadata.requestId ?? "";
        return { ...(response as JsonObject), ...integrationMetadata(requestId, "application/x-amz-json-1.0") };
      } catch (error) {
        throw integrationError(error);
      }
    },
    destroy: () => client.destroy(),
  };
}

function integrationError(error: unknown): TaskError {
  if (error instanceof DynamoDBServiceException) {
    const status = error.$metadata.httpStatusCode ?? 400;
    const requestId = error.$metadata.requestId ?? "";
    const name = integrationErrorNames[error.name] ?? error.name;
    return new TaskError(
      `DynamoDB.${name}`,
      `${error.message} (Service: AmazonDynamoDBv2; Status Code: ${status}; Error Code: ${error.name}; Request ID: ${requestId}; Proxy: null)`,
    );
  }
  // The request never got an answer (connection refused, timeout): the SDK's client-side error.
  return new TaskError("DynamoDB.SdkClientException", describeThrown(error).message);
}
