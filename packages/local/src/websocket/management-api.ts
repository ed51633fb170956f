/**
 * The @connections management API of a local WebSocket API, as API Gateway answers it:
 * `POST /<stage>/@connections/<id>` sends the body to the client (200; over 128 KB: 413),
 * `GET` describes the connection (connectedAt, identity, lastActiveAt), `DELETE` closes it (204).
 * A connection that is closed, unknown, or still in `$connect` is 410 GoneException.
 * Errors carry `x-amzn-errortype`, which is how the SDK names them.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readRequestBody, RequestTooLarge } from "../http-server.js";
import type { LocalConnection } from "./local-connection.js";

export interface ManagementApiOptions {
  readonly stage: string;
  readonly maxMessageBytes: number;
  /** The gateway's connections by id, the ones still in `$connect` included. */
  readonly connections: ReadonlyMap<string, LocalConnection>;
}

export function createManagementApi(options: ManagementApiOptions): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { stage } = options;
  return async (request, response) => {
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
      response.writeHead(status, { ...(body === undefined ? {} : { "content-type": "application/json" }), "content-length": bytes.length, ...headers });
      response.end(bytes);
    };
    const gone = () => reply(410, { message: "Gone" }, { "x-amzn-errortype": "GoneException" });
    const forbidden = () => reply(403, { message: "Forbidden" }, { "x-amzn-errortype": "ForbiddenException" });

    const path = (request.url ?? "/").split("?", 1)[0]!;
    const match = /^\/([^/]+)\/@connections\/([^/]+)$/.exec(path);
    if (!match || decodeSegment(match[1]!) !== stage) {
      // The stage's own URL takes WebSocket upgrades only.
      if (path === `/${stage}` || path === `/${stage}/`) return reply(426, { message: "Upgrade Required" }, { upgrade: "websocket" });
      return forbidden();
    }
    const connection = options.connections.get(decodeSegment(match[2]!));

    switch (request.method) {
      case "POST": {
        let data: Buffer;
        try {
          data = await readRequestBody(request, options.maxMessageBytes);
        } catch (error) {
          if (error instanceof RequestTooLarge) return reply(413, { message: "Request Entity Too Large" }, { "x-amzn-errortype": "PayloadTooLargeException" });
          throw error;
        }
        if (!connection?.isOpen) return gone();
        connection.send(data);
        connection.markActive();
        return reply(200);
      }
      case "GET":
        if (!connection?.isOpen) return gone();
        return reply(200, {
          connectedAt: new Date(connection.facts.connectedAt).toISOString(),
          identity: { sourceIp: connection.facts.sourceIp, userAgent: connection.facts.userAgent },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        });
      case "DELETE":
        if (!connection?.isOpen) return gone();
        connection.close(1000, "Connection deleted");
        return reply(204);
      default:
        return forbidden();
    }
  };
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
