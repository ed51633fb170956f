import { roles, type Role } from "@haul/core/user";

/** Who is calling: the token's subject and the role its group claim grants. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
}

export type JwtClaims = Readonly<Record<string, string | number | boolean | string[]>>;

/**
 * Reads a list claim as API Gateway hands it over. The HTTP API JWT authorizer flattens
 * arrays to strings like `[customer operator]`; a Lambda invoked directly may see a real array.
 */
export function listClaim(value: JwtClaims[string] | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  const text = String(value).trim();
  if (text.startsWith("[") && text.endsWith("]")) {
    const inner = text.slice(1, -1).trim();
    if (inner.startsWith('"')) {
      try {
        return (JSON.parse(text) as unknown[]).map(String);
      } catch {
        // fall through to the space-separated form
      }
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The principal, or undefined when the claims carry no subject or no known role. */
export function principalFromClaims(claims: JwtClaims | undefined): Principal | undefined {
  if (!claims) return undefined;
  const userId = claims.sub;
  if (typeof userId !== "string" || userId === "") return undefined;
  const groups = listClaim(claims["cognito:groups"]);
  // A user belongs to one role; if a pool grants several, the most privileged wins.
  const role = [...roles].reverse().find((candidate) => groups.includes(candidate));
  return role ? { userId, role } : undefined;
}
