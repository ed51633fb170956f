/**
 * Turns what a handler returned into the HTTP response, as an HTTP API does with payload
 * format 2.0: a result with a `statusCode` is taken as structured
 * {statusCode, headers, cookies, body, isBase64Encoded}; anything else is the body of a
 * 200 with content-type application/json (a string result is used as it is).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response
 */

export interface GatewayResponse {
  readonly statusCode: number;
  /** Lower-cased names; repeated values joined with commas. */
  readonly headers: Record<string, string>;
  /** Each becomes its own set-cookie header. */
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/** The handler's result is not something API Gateway can answer with (it replies 500). */
export class MalformedIntegrationResponse extends Error {
  override readonly name = "MalformedIntegrationResponse";
}

export function toGatewayResponse(result: unknown): GatewayResponse {
  if (isRecord(result) && "statusCode" in result) return fromStructuredResult(result);
  // Lambda serializes an undefined result as null, so the inferred body is "null".
  const body = typeof result === "string" ? result : JSON.stringify(result ?? null);
  return { statusCode: 200, headers: { "content-type": "application/json" }, cookies: [], body: Buffer.from(body, "utf8") };
}

function fromStructuredResult(result: Record<string, unknown>): GatewayResponse {
  const statusCode = result.statusCode;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedIntegrationResponse(`statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}`);
  }

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const addHeader = (name: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new MalformedIntegrationResponse(`header "${name}" must be a string, number or boolean`);
    }
    const key = name.toLowerCase();
    if (key === "set-cookie") cookies.push(String(value));
    else headers[key] = key in headers ? `${headers[key]},${value}` : String(value);
  };

  if (isRecord(result.headers)) for (const [name, value] of Object.entries(result.headers)) addHeader(name, value);
  // Not part of the documented 2.0 response; honoured so a 1.0-style result does not lose headers.
  if (isRecord(result.multiValueHeaders)) {
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      for (const value of Array.isArray(values) ? values : [values]) addHeader(name, value);
    }
  }
  if (result.cookies !== undefined) {
    if (!Array.isArray(result.cookies) || !result.cookies.every((cookie) => typeof cookie === "string")) {
      throw new MalformedIntegrationResponse("cookies must be an array of strings");
    }
    // The cookies array goes out first, then any set-cookie headers.
    cookies.unshift(...(result.cookies as string[]));
  }

  const body = result.body;
  if (body !== undefined && body !== null && typeof body !== "string") {
    throw new MalformedIntegrationResponse("body must be a string (JSON.stringify it)");
  }
  const isBase64Encoded = result.isBase64Encoded === true;
  return {
    statusCode,
    headers,
    cookies,
    body: body ? Buffer.from(body, isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
