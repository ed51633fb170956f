/** A QueryApi handler invoked as API Gateway invokes it: a v2 event with the caller's JWT claims. */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { lambdaContext } from "../reservation/support.js";

export type QueryHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface QueryCall {
  readonly caller: { readonly userId: string; readonly role: string };
  readonly path?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

export async function callQueryHandler(handler: QueryHandler, { caller, path, query, headers }: QueryCall) {
  const event = {
    version: "2.0",
    routeKey: "GET /",
    rawPath: "/",
    rawQueryString: new URLSearchParams(query).toString(),
    headers: headers ?? {},
    isBase64Encoded: false,
    pathParameters: path,
    queryStringParameters: query,
    requestContext: {
      requestId: `gw-${Math.random().toString(36).slice(2)}`,
      authorizer: { principalId: "", integrationLatency: 0, jwt: { claims: { sub: caller.userId, "cognito:groups": `[${caller.role}]` }, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const result = await handler(event, lambdaContext());
  const replyHeaders = (result.headers ?? {}) as Record<string, string>;
  return { status: result.statusCode ?? 0, headers: replyHeaders, json: result.body ? JSON.parse(result.body) : undefined };
}
