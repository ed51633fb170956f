/**
 * An HTTP endpoint speaking the AWS JSON 1.0 protocol, as Step Functions does: `POST /` with
 * `X-Amz-Target: <Service>.<Operation>` and a JSON body; errors are a 4xx/5xx with
 * `{"__type": "<ErrorName>", "message": "..."}`, which the AWS SDKs and the CLI turn into
 * their named exceptions. Requests are not authenticated (any dummy credentials do).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeServer, listen, readRequestBody, RequestTooLarge, urlHost } from "../http-server.js";

export type Operation = (input: Readonly<Record<string, unknown>>) => unknown;
export type Operations = Readonly<Record<string, Operation>>;

/** An error the API answers with, by its AWS name (`ExecutionDoesNotExist`, ...). */
export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface JsonProtocolServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The X-Amz-Target prefix, e.g. `AWSStepFunctions`. */
  readonly targetPrefix: string;
  readonly operations: Operations;
  /** Receives unexpected failures; default: stderr. */
  readonly errorLog?: (message: string) => void;
}

export interface RunningJsonProtocolServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const contentType = "application/x-amz-json-1.0";
const maxRequestBytes = 1024 * 1024;

export async function startJsonProtocolServer(options: JsonProtocolServerOptions): Promise<RunningJsonProtocolServer> {
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const supported = Object.keys(options.operations).sort().join(", ");

  async function handle(request: IncomingMessage): Promise<unknown> {
    const target = request.headers["x-amz-target"];
    const operationName = typeof target === "string" && target.startsWith(`${options.targetPrefix}.`) ? target.slice(options.targetPrefix.length + 1) : undefined;
    const operation = operationName !== undefined && Object.hasOwn(options.operations, operationName) ? options.operations[operationName] : undefined;
    if (request.method !== "POST" || !operation) {
      const asked = typeof target === "string" ? target : `${request.method} ${request.url} without X-Amz-Target`;
      throw new ApiError("UnknownOperationException", `${asked} is not an operation of this local endpoint; it answers ${options.targetPrefix}.{${supported}}`);
    }
    const body = await readRequestBody(request, maxRequestBytes).then(
      (bytes) => bytes.toString("utf8"),
      (error: unknown) => {
        throw error instanceof RequestTooLarge ? new ApiError("ValidationException", error.message, 413) : error;
      },
    );
    let input: unknown = {};
    if (body.length > 0) {
      try {
        input = JSON.parse(body);
      } catch {
        throw new ApiError("SerializationException", "The request body is not valid JSON");
      }
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ApiError("SerializationException", "The request body must be a JSON object");
    }
    return operation(input as Record<string, unknown>);
  }

  function reply(response: ServerResponse, statusCode: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(statusCode, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
    });
    response.end(text);
  }

  const server = createServer((request, response) => {
    handle(request).then(
      (result) => reply(response, 200, result ?? {}),
      (error: unknown) => {
        if (error instanceof ApiError) return reply(response, error.statusCode, { __type: error.type, message: error.message });
        errorLog(`${options.targetPrefix} ${String(request.headers["x-amz-target"])}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        reply(response, 500, { __type: "InternalFailure", message: "The local endpoint failed; see its error log" });
      },
    );
  });
  const port = await listen(server, options.port, options.host);
  return { url: `http://${urlHost(options.host, port)}`, port, stop: () => closeServer(server) };
}

