/**
 * How an HTTP API JWT authorizer hands token claims to the integration in
 * `requestContext.authorizer.jwt.claims`: every value a string. Strings pass as they are,
 * numbers and booleans are stringified, arrays become a bracketed, SPACE-separated list
 * (`cognito:groups: ["customer"]` arrives as "[customer]", two groups as "[customer driver]",
 * not JSON), null claims are left out. Objects are not documented; JSON text is a fallback.
 * Sources: floci-io/floci PR #2011 (measured against real HTTP APIs, renderClaimValue);
 * aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock issue #802 / PR #803.
 */
import type { JWTPayload } from "jose";

export function toGatewayClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    const rendered = renderClaimValue(value);
    if (rendered !== undefined) claims[name] = rendered;
  }
  return claims;
}

function renderClaimValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    return `[${value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(" ")}]`;
  }
  return JSON.stringify(value);
}
