/**
 * The DynamoDB service integration (`arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem`):
 * the task's Parameters are the API request, sent for real to the local DynamoDB (dynalite).
 * Results and errors take the integration's shapes: the API response plus `SdkHttpMetadata`
 * and `SdkResponseMetadata`; errors named `DynamoDB.<Exception>` with the Java SDK's cause
 * text, e.g. `DynamoDB.ConditionalCheckFailedException`.
 *
 * The integration passes Parameters through as the request body, so this speaks DynamoDB's JSON
 * protocol directly over a keep-alive connection instead of through the SDK v3 client, which
 * re-serializes the same body and costs about 1.2 ms of CPU per call here, against 0.2 ms. The
 * Authorization header is well-formed but unsigned: the local endpoint checks its shape, never a
 * signature, and no real credentials ever go to it.
 */
import { Agent, request } from "node:http";
import type { DynamoDbAction, JsonObject, JsonValue } from "../definition.js";
import { integrationMetadata } from "./integration-metadata.js";
import { describeThrown, TaskError } from "./task-error.js";

export type DynamoDbInvoker = (action: DynamoDbAction, parameters: JsonValue) => Promise<JsonValue>;

export interface DynamoDbTaskClient {
  readonly invoke: DynamoDbInvoker;
  destroy(): void;
}

const operations: Record<DynamoDbAction, string> = {
  putItem: "PutItem",
  getItem: "GetItem",
  updateItem: "UpdateItem",
  deleteItem: "DeleteItem",
};

/**
 * The integration reports exceptions by the Java SDK v1's class names; where they differ
 * from DynamoDB's error codes, this maps them. Errors the Java SDK does not model
 * (ValidationException) surface as its base class, AmazonDynamoDBException.
 */
const integrationErrorNames: Record<string, string> = {
  ValidationException: "AmazonDynamoDBException",
  InternalServerError: "InternalServerErrorException",
};

const contentType = "application/x-amz-json-1.0";

interface Reply {
  readonly status: number;
  readonly requestId: string;
  readonly body: string;
}

export function createDynamoDbTaskClient(settings: { readonly endpoint: string; readonly region: string }): DynamoDbTaskClient {
  const endpoint = new URL(settings.endpoint);
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: 10_000 });

  const post = (operation: string, body: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
      const call = request(
        {
          agent,
          host: endpoint.hostname,
          port: endpoint.port || 80,
          path: endpoint.pathname,
          method: "POST",
          headers: {
            "content-type": contentType,
            "content-length": Buffer.byteLength(body),
            "x-amz-target": `DynamoDB_20120810.${operation}`,
            "x-amz-date": amzDate,
            authorization: `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/${settings.region}/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=unsigned`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              requestId: String(response.headers["x-amzn-requestid"] ?? ""),
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      call.on("error", reject);
      call.end(body);
    });

  return {
    async invoke(action, parameters) {
      if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
        throw new TaskError("DynamoDB.AmazonDynamoDBException", `The ${action} parameters must be an object`);
      }
      let reply: Reply;
      try {
        reply = await post(operations[action], JSON.stringify(parameters));
      } catch (error) {
        // The request never got an answer (connection refused, reset): the SDK's client-side error.
        throw new TaskError("DynamoDB.SdkClientException", describeThrown(error).message);
      }
      if (reply.status !== 200) throw integrationError(reply);
      const response = (reply.body ? JSON.parse(reply.body) : {}) as JsonObject;
      return { ...response, ...integrationMetadata(reply.requestId, contentType) };
    },
    destroy: () => agent.destroy(),
  };
}

function integrationError(reply: Reply): TaskError {
  let parsed: { __type?: string; message?: string; Message?: string } = {};
  try {
    parsed = JSON.parse(reply.body) as typeof parsed;
  } catch {
    // Not JSON (a proxy's page, say): named by status below.
  }
  // `__type` is e.g. "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
  const code = parsed.__type?.split("#").pop() || (reply.status >= 500 ? "InternalServerError" : "AmazonDynamoDBException");
  const message = parsed.message ?? parsed.Message ?? reply.body.slice(0, 200);
  const name = integrationErrorNames[code] ?? code;
  return new TaskError(
    `DynamoDB.${name}`,
    `${message} (Service: AmazonDynamoDBv2; Status Code: ${reply.status}; Error Code: ${code}; Request ID: ${reply.requestId}; Proxy: null)`,
  );
}
