/**
 * What API Gateway makes of a Lambda REQUEST authorizer's answer on `$connect`:
 * - the function threw "Unauthorized": 401 (the way an authorizer refuses a caller);
 * - it threw anything else, or answered without a principal and policy, or with a context value
 *   that is not a string, number or boolean: 500;
 * - the policy denies `execute-api:Invoke` on the method ARN, or allows nothing that matches it: 403;
 * - otherwise the connection proceeds, and principalId, integrationLatency and the context travel
 *   in `requestContext.authorizer` of every later event of the connection.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
import type { AuthorizerFields } from "./events.js";

export type AuthorizerDecision =
  | { readonly allowed: true; readonly authorizer: AuthorizerFields }
  | { readonly allowed: false; readonly statusCode: 401 | 403 | 500; readonly reason: string };

export type AuthorizerOutcome = { readonly result: unknown } | { readonly error: unknown };

interface PolicyStatement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

export function decideAuthorization(outcome: AuthorizerOutcome, methodArn: string, integrationLatencyMs: number): AuthorizerDecision {
  if ("error" in outcome) {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return message === "Unauthorized"
      ? { allowed: false, statusCode: 401, reason: "the authorizer refused the caller" }
      : { allowed: false, statusCode: 500, reason: `the authorizer failed: ${message}` };
  }
  const result = outcome.result as { principalId?: unknown; policyDocument?: { Statement?: unknown }; context?: unknown } | null;
  if (!result || typeof result.principalId !== "string" || !Array.isArray(result.policyDocument?.Statement)) {
    return { allowed: false, statusCode: 500, reason: "the authorizer answered without a principalId and policyDocument" };
  }
  const context = result.context ?? {};
  if (typeof context !== "object" || Array.isArray(context)) return { allowed: false, statusCode: 500, reason: "the authorizer's context is not an object" };
  for (const [key, value] of Object.entries(context)) {
    if (!["string", "number", "boolean"].includes(typeof value)) {
      return { allowed: false, statusCode: 500, reason: `the authorizer's context value "${key}" is not a string, number or boolean` };
    }
  }

  const statements = (result.policyDocument.Statement as PolicyStatement[]).filter(
    (statement) => anyMatches(statement.Action, "execute-api:Invoke", "i") && anyMatches(statement.Resource, methodArn),
  );
  if (statements.some((statement) => statement.Effect === "Deny")) return { allowed: false, statusCode: 403, reason: "the policy denies $connect" };
  if (!statements.some((statement) => statement.Effect === "Allow")) return { allowed: false, statusCode: 403, reason: "the policy does not allow $connect" };
  return {
    allowed: true,
    authorizer: { ...(context as Record<string, string | number | boolean>), principalId: result.principalId, integrationLatency: integrationLatencyMs },
  };
}

/** IAM's matching: `*` any run of characters, `?` any one; actions ignore case (flags "i"), resources do not. */
function anyMatches(patterns: unknown, value: string, flags = ""): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.some((pattern) => typeof pattern === "string" && wildcardPattern(pattern, flags).test(value));
}

function wildcardPattern(pattern: string, flags: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${source}$`, flags);
}
