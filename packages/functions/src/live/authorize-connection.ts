/**
 * The LiveApi's Lambda REQUEST authorizer on `$connect`. WebSocket APIs have no JWT authorizer, so
 * this verifies the same user pool token the HTTP APIs take in the Authorization header, sent here
 * as `?token=` (a browser cannot set headers on a WebSocket). A bad or missing token is a 401:
 * throwing "Unauthorized" is how an authorizer says so. A good token of a role the API does not
 * admit is a 403: a Deny policy. The policy's context (`sub`, `role`) reaches every later event
 * of the connection as `requestContext.authorizer`.
 *
 * The token is a secret: neither it nor the event carrying it is ever logged.
 * Metrics: `ConnectionsRefused`, 0 or 1 per verdict (its average is the refused share).
 */
import type { Context, PolicyDocument } from "aws-lambda";
import { liveApi } from "../declarations.js";
import { instrument, logger, metrics, MetricUnit } from "../shared/powertools.js";
import { principalFromClaims, type JwtClaims, type Principal } from "../shared/principal.js";
import { getTokenVerifier } from "../shared/token-verifier.js";
import type { ConnectionAuthorizerContext } from "../shared/websocket-handler.js";

/** The part of API Gateway's REQUEST authorizer event for a WebSocket API that this reads. */
export interface ConnectAuthorizerEvent {
  readonly type: "REQUEST";
  /** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/$connect` */
  readonly methodArn: string;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: { readonly requestId?: string; readonly connectionId?: string };
}

/** A policy for `$connect`; only an Allow carries a context (string values, as API Gateway requires). */
export interface ConnectAuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context?: ConnectionAuthorizerContext;
}

const tokenParameter = queryParameterOf(liveApi.authorizer.identitySource);
const admittedRoles: readonly string[] = liveApi.authorizer.roles;

async function authorize(event: ConnectAuthorizerEvent, _context: Context): Promise<ConnectAuthorizerResult> {
  if (event.requestContext?.requestId) logger.setCorrelationId(event.requestContext.requestId);
  const token = event.queryStringParameters?.[tokenParameter];
  if (!token) return refuse("no token");

  const verdict = await getTokenVerifier().verify(token);
  if (!verdict.valid) return refuse(verdict.reason);

  const principal = principalFromClaims(verdict.claims as JwtClaims);
  // Authentic, but not someone this API serves: forbidden rather than unauthorized.
  if (!principal) return deny(event.methodArn, "the token names no user or no known role");
  if (!admittedRoles.includes(principal.role)) return deny(event.methodArn, `the ${principal.role} role is not admitted`, principal);
  return allow(event.methodArn, principal);
}

export const handler = instrument(authorize, { logEvent: false });

function refuse(reason: string): never {
  metrics.addMetric("ConnectionsRefused", MetricUnit.Count, 1);
  logger.info("connection refused: unauthorized", { reason });
  throw new Error("Unauthorized");
}

function deny(methodArn: string, reason: string, principal?: Principal): ConnectAuthorizerResult {
  metrics.addMetric("ConnectionsRefused", MetricUnit.Count, 1);
  logger.info("connection refused: forbidden", { reason, ...(principal ? { userId: principal.userId } : {}) });
  return {
    principalId: principal?.userId ?? "unknown",
    policyDocument: policy("Deny", methodArn),
  };
}

function allow(methodArn: string, principal: Principal): ConnectAuthorizerResult {
  metrics.addMetric("ConnectionsRefused", MetricUnit.Count, 0);
  return {
    principalId: principal.userId,
    policyDocument: policy("Allow", methodArn),
    context: { sub: principal.userId, role: principal.role },
  };
}

function policy(effect: "Allow" | "Deny", methodArn: string): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: methodArn }] };
}

/** `route.request.querystring.token` -> `token` */
function queryParameterOf(identitySource: readonly string[]): string {
  const prefix = "route.request.querystring.";
  const source = identitySource.find((candidate) => candidate.startsWith(prefix));
  if (!source) throw new Error(`The LiveApi authorizer reads no query string parameter (${identitySource.join(", ")})`);
  return source.slice(prefix.length);
}
